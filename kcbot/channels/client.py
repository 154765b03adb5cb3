"""A small HTTP/1.1 client over asyncio streams, with keep-alive: what ``kcbot bench --rest``
and the reliability tests drive a server with. It sends any bytes (also invalid UTF-8 and
broken JSON), which a friendlier client library would refuse to."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Client", "Response"]


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> Response:
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers or {}),
                                          self.timeout)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()  # a stale keep-alive connection: one fresh try
            return await asyncio.wait_for(self._request(method, path, body, headers or {}),
                                          self.timeout)

    async def post_json(self, path: str, payload: Any,
                        headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return await self.request("POST", path, body,
                                  {"Content-Type": "application/json", **(headers or {})})

    async def _request(self, method: str, path: str, body: bytes,
                       headers: dict[str, str]) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self._writer.drain()
        status_line = await self._reader.readuntil(b"\r\n")
        if not status_line:
            raise ConnectionError("no response")
        status = int(status_line.split()[1])
        response_headers: dict[str, str] = {}
        while True:
            line = await self._reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            key, _, value = line.decode("latin-1").partition(":")
            response_headers[key.strip().lower()] = value.strip()
        length = int(response_headers.get("content-length", "0"))
        payload = await self._reader.readexactly(length) if length else b""
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, payload)
