"""Read a DSN with Python's email package and print what it found as JSON.

Usage: check_dsn.py FILE. Used by interop_test.go: a second, independent
MIME reader for the DSNs engine/bounce builds.
"""
import email
import email.policy
import json
import sys


def defects(msg, where, out):
    for d in msg.defects:
        out.append(where + ": " + type(d).__name__)


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = {
        "type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "multipart": msg.is_multipart(),
        "subject": msg["Subject"],
        "parts": [],
        "defects": [],
        "blocks": [],
        "returned_subject": None,
    }
    defects(msg, "top", out["defects"])
    for i, part in enumerate(msg.get_payload()):
        ctype = part.get_content_type()
        out["parts"].append(ctype)
        defects(part, "part%d" % i, out["defects"])
        if ctype == "message/delivery-status":
            for block in part.get_payload():
                defects(block, "part%d block" % i, out["defects"])
                out["blocks"].append({k: str(v) for k, v in block.items()})
        elif ctype == "message/rfc822":
            inner = part.get_payload()[0]
            defects(inner, "part%d inner" % i, out["defects"])
            out["returned_subject"] = inner["Subject"]
        elif ctype == "text/rfc822-headers":
            inner = email.message_from_string(part.get_payload(), policy=email.policy.compat32)
            defects(inner, "part%d headers" % i, out["defects"])
            out["returned_subject"] = inner["Subject"]
    # The modern API must agree on the structure too.
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    out["modern_parts"] = [p.get_content_type() for p in modern.iter_parts()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
