"""``kcbot serve --workers N``: N server processes on one port, for the PostgreSQL store.

Each worker opens its own listening socket on the same address with ``SO_REUSEPORT``, and the
kernel spreads new connections over them by a hash of the client's address and port. (One
socket shared by all workers balances badly: asyncio accepts every waiting connection at once,
so the first worker awake takes a whole burst and keeps it alive.) The parent holds the port
with a socket that is bound but not listening, so no other program takes it between restarts,
and starts a new worker when one dies (a crash, SIGKILL, out of memory); the connections that
worker had are cut, and the clients' retries reach the others. SIGTERM or Ctrl-C to the parent
is passed on: each worker finishes its turns in flight, then the parent exits.

Nothing here orders a sender's turns or shares limits: the order is the database's
(``Store.lock_sender``), and rate limits are each worker's own (README, "Scaling").
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

__all__ = ["WORKER_INDEX_ENV", "serve_workers", "worker_socket"]

log = logging.getLogger("kcbot.workers")

WORKER_INDEX_ENV = "KCBOT_WORKER_INDEX"  # 0 … N-1; worker 0 runs the nightly purge
STOP_SECONDS = 30
# A worker that dies this many times within RESTART_WINDOW seconds is not started again.
MAX_RESTARTS, RESTART_WINDOW = 5, 60.0
BACKLOG = 1024


def _bound(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def worker_socket(host: str, port: int) -> socket.socket | None:
    """In a worker of ``serve --workers``: its own listening socket on the shared port."""
    if WORKER_INDEX_ENV not in os.environ:
        return None
    sock = _bound(host, port)
    sock.listen(BACKLOG)
    return sock


def serve_workers(argv: Sequence[str], host: str, port: int, workers: int) -> int:
    """Run ``kcbot serve argv…`` as ``workers`` processes sharing one socket; returns the exit
    code (0 after SIGTERM, 1 when workers kept dying)."""
    holder = _bound(host, port)  # bound, not listening: it receives no connections
    env = dict(os.environ)
    # one web-chat signing key for all workers, or a chat session would only work on the
    # worker that opened it
    env.setdefault("KCBOT_CHAT_SECRET", secrets.token_urlsafe(32))
    children: dict[int, subprocess.Popen[bytes]] = {}
    deaths: list[float] = []
    stopping = False

    def start(index: int) -> None:
        children[index] = subprocess.Popen(
            [sys.executable, "-m", "kcbot", "serve", *argv, "--host", host, "--port", str(port)],
            env={**env, WORKER_INDEX_ENV: str(index)})

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        start(index)
    print(f"kcbot: {workers} arbejdere lytter på {host}:{port} (pid "
          f"{', '.join(str(c.pid) for c in children.values())})", file=sys.stderr, flush=True)
    code = 0
    while children:
        time.sleep(0.2)
        for index, child in list(children.items()):
            status = child.poll()
            if status is None:
                continue
            del children[index]
            if stopping:
                continue
            now = time.monotonic()
            deaths[:] = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
            if len(deaths) > MAX_RESTARTS:
                print(f"kcbot: arbejderne stopper igen og igen (senest pid {child.pid}, kode "
                      f"{status}); se loggen. Stopper.", file=sys.stderr, flush=True)
                code = 1
                stop(signal.SIGTERM, None)
                continue
            print(f"kcbot: arbejder {index} (pid {child.pid}) stoppede med kode {status}; "
                  "starter en ny.", file=sys.stderr, flush=True)
            start(index)
        if stopping:
            deadline = time.monotonic() + STOP_SECONDS
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            children.clear()
    holder.close()
    return code
