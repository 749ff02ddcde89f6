"""A real SMTP server for the tests (aiosmtpd): every mail it accepts is stored as a file, and some
recipients are refused, so that the portal's sender meets permanent and temporary failures.

    smtp_sink.py --dir DIR [--reject a@x,b@y] [--defer c@z] [--defer-times N]

It listens on 127.0.0.1 on a port of the system's choosing and prints `READY <port>` once it does.
Recipients in --reject get `550` (permanent); those in --defer get `451` (temporary), always, or only
the first N times with --defer-times N. Each accepted mail is DIR/<n>.eml (written to a temporary name,
then renamed, so a reader never sees half a mail); DIR/log records every RCPT answer.
"""

import argparse
import asyncio
import os
import socket
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, reject, defer, defer_times):
        self.directory = directory
        self.reject = reject
        self.defer = defer
        self.defer_times = defer_times
        self.deferred = {}
        self.count = 0
        self.lock = threading.Lock()

    def log(self, line):
        with open(os.path.join(self.directory, "log"), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        who = address.lower()
        if who in self.reject:
            self.log(f"550 {who}")
            return "550 5.1.1 No such mailbox here"
        if who in self.defer:
            n = self.deferred.get(who, 0)
            if self.defer_times is None or n < self.defer_times:
                self.deferred[who] = n + 1
                self.log(f"451 {who}")
                return "451 4.3.0 Mailbox busy, try again later"
        self.log(f"250 {who}")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        final = os.path.join(self.directory, f"{n:06}.eml")
        tmp = final + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, final)
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--reject", default="")
    p.add_argument("--defer", default="")
    p.add_argument("--defer-times", type=int, default=None)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    split = lambda s: {a.strip().lower() for a in s.split(",") if a.strip()}
    sink = Sink(args.dir, split(args.reject), split(args.defer), args.defer_times)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(sink, hostname="sink.test", decode_data=False, data_size_limit=None),
            sock=sock,
        )
    )
    print(f"READY {port}", flush=True)

    # Ends with its parent: the test closes our stdin (or dies, which closes it too).
    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
