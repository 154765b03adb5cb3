"""Real servers in subprocesses on loopback, for the HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + path, timeout=5):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.1)

    def signal(self, sig: int) -> None:
        os.killpg(self.process.pid, sig)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


@contextmanager
def running(argv: list[str], folder: Path, ready: str, env: dict[str, str] | None = None,
            port: int | None = None) -> Iterator[Server]:
    """Start ``python <argv...> --port P`` in its own process group (Sanic's workers stop with
    it) and yield once ``ready`` answers."""
    port = port or free_port()
    log = folder / f"server-{port}.log"
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "SANIC_HOST": "127.0.0.1", **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *argv, "--port", str(port)], env=full_env, cwd=folder,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(process, port, log)
    try:
        server.wait_ready(ready)
        yield server
    finally:
        server.stop()
