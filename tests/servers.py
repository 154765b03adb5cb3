"""Real servers in subprocesses on loopback, for the HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kcbot.channels.process import ServerProcess as Server
from kcbot.channels.process import free_port, start_server
from tests.conftest import REPO

__all__ = ["Server", "free_port", "running"]


@contextmanager
def running(argv: list[str], folder: Path, ready: str, env: dict[str, str] | None = None,
            port: int | None = None) -> Iterator[Server]:
    server = start_server(argv, folder, ready, {"PYTHONPATH": str(REPO), **(env or {})}, port)
    try:
        yield server
    finally:
        server.stop()
