"""Twenty messages over one smtplib connection to volleyd, every reply checked.

Usage: session.py HOST PORT

Messages 1 to 19 are ASCII, from senderN@py.test to rcptN@example.org, each
with a line that starts with a dot (smtplib stuffs it, volleyd must unstuff
it). Message 20 uses SMTPUTF8 with UTF-8 addresses and body. Then RSET, NOOP
and QUIT. Prints "ok" when every reply was the one expected.
"""

import smtplib
import sys


def expect(reply, code, what):
    if reply[0] != code:
        sys.exit(f"{what}: got {reply[0]} {reply[1]!r}, want {code}")


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = smtplib.SMTP(host, port, local_hostname="py.test", timeout=20)
    expect(s.ehlo(), 250, "EHLO")
    for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8"):
        if not s.has_extn(ext):
            sys.exit(f"EHLO does not offer {ext}: {s.esmtp_features}")

    for i in range(1, 20):
        expect(s.mail(f"sender{i}@py.test"), 250, f"MAIL {i}")
        expect(s.rcpt(f"rcpt{i}@example.org"), 250, f"RCPT {i}")
        body = (f"Subject: message {i}\r\n\r\nline one\r\n.leading dot {i}\r\nlast line\r\n").encode()
        expect(s.data(body), 250, f"DATA {i}")

    expect(s.mail("jöran@py.test", ["SMTPUTF8", "BODY=8BITMIME"]), 250, "MAIL SMTPUTF8")
    expect(s.rcpt("用户@example.org"), 250, "RCPT SMTPUTF8")
    expect(s.data("Subject: grüße\r\n\r\nGrüße aus Köln\r\n".encode()), 250, "DATA SMTPUTF8")

    expect(s.rset(), 250, "RSET")
    expect(s.noop(), 250, "NOOP")
    expect(s.quit(), 221, "QUIT")
    print("ok")


main()
