"""BDAT (RFC 3030 CHUNKING) against volleyd, through smtplib's low-level calls.

Usage: bdat.py HOST PORT

From 127.0.0.1, whose source has allow-chunking yes:
  1. BODY=BINARYMIME, two chunks, one reply awaited per chunk; the content has
     a NUL, a 0xff byte and a line starting with a dot (BDAT is not stuffed).
  2. The whole transaction pipelined in one write, ending with "BDAT 0 LAST".
From 127.0.0.2, whose source has allow-chunking no: CHUNKING is not offered,
a BDAT chunk is read and refused, and the session goes on.
Prints "ok" when every reply was the one expected.
"""

import smtplib
import sys

CHUNK1 = b"Subject: bdat one\r\n\r\nfirst chunk\r\n.not stuffed\r\n"
CHUNK2 = b"binary \x00\xff end\r\n"
PIPELINED = b"Subject: bdat two\r\n\r\npipelined\r\n"


def expect(reply, code, what):
    if reply[0] != code:
        sys.exit(f"{what}: got {reply[0]} {reply[1]!r}, want {code}")


def chunk(s, data, last=False):
    s.send(b"BDAT %d%s\r\n" % (len(data), b" LAST" if last else b"") + data)
    return s.getreply()


def main():
    host, port = sys.argv[1], int(sys.argv[2])

    s = smtplib.SMTP(host, port, local_hostname="py.test", timeout=20,
                     source_address=("127.0.0.1", 0))
    expect(s.ehlo(), 250, "EHLO")
    for ext in ("chunking", "binarymime"):
        if not s.has_extn(ext):
            sys.exit(f"EHLO does not offer {ext}: {s.esmtp_features}")
    expect(s.mail("one@py.test", ["BODY=BINARYMIME"]), 250, "MAIL 1")
    expect(s.rcpt("rcpt1@example.org"), 250, "RCPT 1")
    expect(chunk(s, CHUNK1), 250, "BDAT chunk 1")
    expect(chunk(s, CHUNK2, last=True), 250, "BDAT LAST")

    s.send(b"MAIL FROM:<two@py.test>\r\nRCPT TO:<rcpt2@example.org>\r\n"
           b"BDAT %d\r\n" % len(PIPELINED) + PIPELINED + b"BDAT 0 LAST\r\n")
    for what in ("MAIL 2", "RCPT 2", "BDAT chunk", "BDAT 0 LAST"):
        expect(s.getreply(), 250, "pipelined " + what)
    expect(s.quit(), 221, "QUIT")

    s = smtplib.SMTP(host, port, local_hostname="py.test", timeout=20,
                     source_address=("127.0.0.2", 0))
    expect(s.ehlo(), 250, "EHLO from 127.0.0.2")
    if s.has_extn("chunking"):
        sys.exit("CHUNKING offered to a source with allow-chunking no")
    expect(s.mail("three@py.test"), 250, "MAIL 3")
    expect(s.rcpt("rcpt3@example.org"), 250, "RCPT 3")
    code, msg = chunk(s, b"refused", last=True)
    if code // 100 != 5:
        sys.exit(f"BDAT without allow-chunking: got {code} {msg!r}, want 5xx")
    expect(s.noop(), 250, "NOOP after the refused BDAT")
    expect(s.quit(), 221, "QUIT")
    print("ok")


main()
