"""``kcbot serve --workers N``: N server processes on one port, for the PostgreSQL store.

The parent binds the listening socket once and starts N ``kcbot serve`` children that inherit
it (the pre-fork model): the kernel hands each new connection to whichever worker accepts it
first. A worker that dies (a crash, SIGKILL, out of memory) leaves the socket open in the
others, so connections waiting in the queue are taken by them and nothing is refused; the parent
starts a new worker in its place. SIGTERM or Ctrl-C to the parent is passed on: each worker
finishes its turns in flight, then the parent exits.

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

__all__ = ["WORKER_FD_ENV", "WORKER_INDEX_ENV", "serve_workers"]

log = logging.getLogger("kcbot.workers")

WORKER_FD_ENV = "KCBOT_WORKER_FD"  # the inherited listening socket, in a worker
WORKER_INDEX_ENV = "KCBOT_WORKER_INDEX"  # 0 … N-1; worker 0 runs the nightly purge
STOP_SECONDS = 30
# A worker that dies this many times within RESTART_WINDOW seconds is not started again.
MAX_RESTARTS, RESTART_WINDOW = 5, 60.0
BACKLOG = 1024


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve_workers(argv: Sequence[str], host: str, port: int, workers: int) -> int:
    """Run ``kcbot serve argv…`` as ``workers`` processes sharing one socket; returns the exit
    code (0 after SIGTERM, 1 when workers kept dying)."""
    sock = listen(host, port)
    fd = sock.fileno()
    env = dict(os.environ)
    # one web-chat signing key for all workers, or a chat session would only work on the
    # worker that opened it
    env.setdefault("KCBOT_CHAT_SECRET", secrets.token_urlsafe(32))
    children: dict[int, subprocess.Popen[bytes]] = {}
    deaths: list[float] = []
    stopping = False

    def start(index: int) -> None:
        child_env = {**env, WORKER_FD_ENV: str(fd), WORKER_INDEX_ENV: str(index)}
        children[index] = subprocess.Popen(
            [sys.executable, "-m", "kcbot", "serve", *argv], env=child_env, pass_fds=(fd,))

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
    sock.close()
    return code


def inherited_socket() -> socket.socket | None:
    """In a worker: the listening socket the parent passed down."""
    raw = os.environ.get(WORKER_FD_ENV)
    if not raw:
        return None
    return socket.socket(fileno=int(raw))
