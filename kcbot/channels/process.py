"""A server in a subprocess on loopback: started in its own process group (Sanic's workers stop
with it), waited for until it answers, and stopped with SIGTERM (SIGKILL after 30 s). Used by
``kcbot bench --rest`` and by the HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServerProcess", "free_port", "start_server"]

READY_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(self.url + path, timeout=5):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text(errors="replace")) from None
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


def start_server(argv: list[str], folder: Path, ready: str, env: dict[str, str] | None = None,
                 port: int | None = None) -> ServerProcess:
    """``python <argv...> --port P``, logging to ``folder``; returns once ``ready`` answers."""
    port = port or free_port()
    log = folder / f"server-{port}.log"
    full_env = {**os.environ, "SANIC_HOST": "127.0.0.1", **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *argv, "--port", str(port)], env=full_env, cwd=folder,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = ServerProcess(process, port, log)
    try:
        server.wait_ready(ready)
    except BaseException:
        server.stop()
        raise
    return server
