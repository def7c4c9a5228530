"""An SMTP sink on aiosmtpd for volleyd's delivery tests.

It listens on 127.0.0.1:PORT (argv[1]) and answers RCPT by the recipient's
local part: "defer..." gets 451 4.2.1, "bad..." gets 550 5.1.1, "throttle..."
gets Yahoo's 421 4.7.0 [TSS04] volume deferral, others 250.
Each accepted message is appended to argv[2] as one JSON line with its
envelope and the login it was sent under. With argv[3] USER:PASSWORD it
requires AUTH (PLAIN or LOGIN, allowed in the clear) with that login. It
prints "ready" once listening and runs until killed.
"""
import asyncio
import json
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, log_path):
        self.log_path = log_path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("defer"):
            return "451 4.2.1 mailbox busy, try later"
        if local.startswith("throttle"):
            return ("421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to "
                    "unexpected volume or user complaints")
        if local.startswith("bad"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"

    async def handle_DATA(self, server, session, envelope):
        with open(self.log_path, "a") as f:
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
            f.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                                "size": len(envelope.content), "login": login}) + "\n")
        return "250 2.0.0 accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]
    kw = {}
    if len(sys.argv) > 3:
        user, password = sys.argv[3].split(":", 1)
        kw = dict(authenticator=authenticator(user, password), auth_required=True, auth_require_tls=False)
    controller = Controller(Handler(log_path), hostname="127.0.0.1", port=port, **kw)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
