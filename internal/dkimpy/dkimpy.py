"""Drives dkimpy for Volley's Go tests (package internal/dkimpy).

One request arrives as JSON on stdin and one reply leaves as JSON on stdout,
so a test checks a whole batch of messages with a single interpreter start.

Request:  {"op": "probe"|"verify"|"arc_verify"|"sign"|"arc_sign",
           "keys": {"sel._domainkey.example.org": "v=DKIM1; k=rsa; p=..."},
           "options": {...}, "messages": ["<base64 message>", ...]}
Reply:    {"versions": {...}} for probe, else {"results": [{...}, ...]},
          one result per message, in order. A result carries "error" (the
          Python traceback) when handling that message raised.

DNS never leaves the process: dnsfunc answers from "keys" only.
"""

import base64
import io
import json
import logging
import sys
import traceback
import types


def no_dns(name, timeout=5):
    raise RuntimeError("internal/dkimpy: real DNS is off; keys come from the request's keys map")


# dkimpy's DNS plug-in loads dnspython, which costs a quarter of a second
# per process and could reach the network. Standing in for it keeps every
# lookup in dnsfunc below and the start-up quick.
_dnsplug = types.ModuleType("dkim.dnsplug")
_dnsplug.get_txt = no_dns
sys.modules["dkim.dnsplug"] = _dnsplug

import authres  # noqa: E402,F401 -- dkim.arc_sign needs it; importing it here makes probe fail without it
import dkim  # noqa: E402
import nacl.signing  # noqa: E402,F401 -- dkimpy needs it for ed25519


def normal_name(name):
    """Returns name lowercased and without its trailing dot: the key-map form."""
    return name.lower().rstrip(".")


def make_dnsfunc(keys):
    """Returns a dkimpy dnsfunc serving keys.

    dkimpy passes the name as bytes with a trailing dot and wants the TXT
    text as bytes; b"" stands for "no record", which dkimpy reports as a
    missing key.
    """

    def dnsfunc(name, timeout=5):
        try:
            name = name.decode("ascii")
        except (UnicodeDecodeError, AttributeError):
            return b""
        return keys.get(normal_name(name), b"")

    return dnsfunc


def header_list(options):
    """Returns the include_headers option as bytes, or None for dkimpy's default."""
    headers = options.get("headers")
    if not headers:
        return None
    return [h.encode("ascii") for h in headers]


def verify_one(msg, dnsfunc, options, logger):
    """Verifies every DKIM-Signature on msg (dkim.verify checks only the topmost)."""
    try:
        d = dkim.DKIM(msg, logger=logger, minkey=1024)
    except dkim.DKIMException as e:  # dkimpy could not parse the message
        logger.error("%s", e)
        return {"ok": False, "sigs": []}
    count = len([1 for name, _ in d.headers if name.lower() == b"dkim-signature"])
    sigs = []
    for idx in range(count):
        try:
            ok = bool(d.verify(idx=idx, dnsfunc=dnsfunc))
        except dkim.DKIMException as e:  # what dkim.verify turns into False
            logger.error("signature %d: %s", idx, e)
            ok = False
        sigs.append(ok)
    return {"ok": count > 0 and all(sigs), "sigs": sigs}


def arc_verify_one(msg, dnsfunc, options, logger):
    """Runs dkim.arc_verify; a chain dkimpy ends (cv None) counts as fail."""
    try:
        cv, _, reason = dkim.arc_verify(msg, logger=logger, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:  # raised while parsing, before arc_verify's own try
        return {"cv": "fail", "reason": str(e)}
    if cv is None:
        return {"cv": "fail", "reason": str(reason)}
    return {"cv": cv.decode("ascii"), "reason": str(reason)}


def sign_one(msg, dnsfunc, options, logger):
    """Returns the DKIM-Signature field dkim.sign makes for msg."""
    algorithm = b"ed25519-sha256" if options.get("ed25519") else b"rsa-sha256"
    canon = tuple(c.encode("ascii") for c in options["canon"].split("/"))
    sig = dkim.sign(
        msg,
        options["selector"].encode("ascii"),
        options["domain"].encode("ascii"),
        base64.b64decode(options["key"]),
        canonicalize=canon,
        signature_algorithm=algorithm,
        include_headers=header_list(options),
        logger=logger,
    )
    return {"fields": base64.b64encode(sig).decode("ascii")}


def arc_sign_one(msg, dnsfunc, options, logger):
    """Returns the ARC set dkim.arc_sign makes for msg, Seal first."""
    srv_id = options["srv_id"].encode("utf-8")
    lines = dkim.arc_sign(
        msg,
        options["selector"].encode("ascii"),
        options["domain"].encode("ascii"),
        base64.b64decode(options["key"]),
        srv_id,
        include_headers=header_list(options),
        timestamp=options.get("timestamp") or None,
        logger=logger,
        standardize=False,
    )
    if not lines:
        return {"error": "dkim.arc_sign sealed nothing: the message has no "
                         "Authentication-Results for srv_id %r, or its chain ended" % options["srv_id"]}
    return {"fields": base64.b64encode(b"".join(lines)).decode("ascii")}


OPS = {
    "verify": verify_one,
    "arc_verify": arc_verify_one,
    "sign": sign_one,
    "arc_sign": arc_sign_one,
}


def probe():
    """Returns the versions of the interpreter and the packages in use."""
    import importlib.metadata as metadata

    versions = {"python": sys.version.split()[0]}
    for dist in ("dkimpy", "authres", "pynacl"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


def main():
    req = json.load(sys.stdin)
    if req["op"] == "probe":
        json.dump({"versions": probe()}, sys.stdout)
        return
    handle = OPS[req["op"]]
    options = req.get("options") or {}
    keys = {normal_name(k): v.encode("ascii") for k, v in (req.get("keys") or {}).items()}
    dnsfunc = make_dnsfunc(keys)

    # One logger for the batch; its handler's stream is swapped per message
    # so each result carries only its own message's log.
    logger = logging.getLogger("volley.dkimpy")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)

    results = []
    for encoded in req["messages"]:
        log = io.StringIO()
        handler.setStream(log)
        try:
            result = handle(base64.b64decode(encoded), dnsfunc, options, logger)
        except Exception:
            result = {"error": traceback.format_exc()}
        result["log"] = log.getvalue()
        results.append(result)
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
