"""max-message-size over one smtplib connection: refusals leave the session usable.

Usage: oversize.py HOST PORT LIMIT

The server must announce SIZE LIMIT. A MAIL FROM with SIZE=5*LIMIT is refused
552 5.3.4 (RFC 1870); a 5*LIMIT message sent without SIZE is read and refused
552 5.3.4 after the final dot; then a small message from small@py.test is
accepted on the same connection. Prints "ok" when every reply was the one
expected.
"""

import smtplib
import sys


def expect(reply, code, enh, what):
    text = reply[1].decode(errors="replace")
    if reply[0] != code or not text.startswith(enh):
        sys.exit(f"{what}: got {reply[0]} {text!r}, want {code} {enh}")


def main():
    host, port, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    big = b"Subject: big\r\n\r\n" + (b"x" * 98 + b"\r\n") * (5 * limit // 100)

    s = smtplib.SMTP(host, port, local_hostname="py.test", timeout=20)
    expect(s.ehlo(), 250, "", "EHLO")
    if s.esmtp_features.get("size") != str(limit):
        sys.exit(f"SIZE offered {s.esmtp_features.get('size')!r}, want {limit}")

    expect(s.mail("big@py.test", [f"SIZE={len(big)}"]), 552, "5.3.4", "MAIL with SIZE")

    expect(s.mail("big@py.test"), 250, "2.", "MAIL without SIZE")
    expect(s.rcpt("rcpt@example.org"), 250, "2.", "RCPT")
    expect(s.data(big), 552, "5.3.4", "oversize DATA")

    expect(s.mail("small@py.test"), 250, "2.", "MAIL small")
    expect(s.rcpt("rcpt@example.org"), 250, "2.", "RCPT small")
    expect(s.data(b"Subject: small\r\n\r\nfits\r\n"), 250, "2.", "DATA small")
    expect(s.noop(), 250, "2.", "NOOP")
    expect(s.quit(), 221, "2.", "QUIT")
    print("ok")


main()
