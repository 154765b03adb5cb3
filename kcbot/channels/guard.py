"""What keeps a hostile or broken client of the REST channel from hurting the other citizens.

Kept apart from the routes in ``rest.py`` so a new route (a web chat page) gets the same
protection without touching it:

- ``RestLimits``: every limit in one place, each settable with a ``KCBOT_`` variable.
- ``RateLimiter``: a sliding window, used twice: per sender id and per client (its IP
  address), so rotating sender ids does not evade the limit.
- ``GuardedProtocol``: Sanic's HTTP protocol with a cap on open connections per IP address and
  a deadline for a request's head that trickling bytes cannot extend (Sanic's own request
  timeout restarts with every byte, so a slowloris client never meets it); and a lingering
  close after a refused body, so the client reads the 413 instead of a connection reset.
- ``read_request`` and ``check_sender``: a body is parsed without recursion limits, lone
  surrogates or control characters reaching the engine; each refusal is a Danish 400.
"""

from __future__ import annotations

import json
import logging
import math
import resource
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from sanic.http.constants import Stage
from sanic.server.protocols.http_protocol import HttpProtocol

from kcbot.config import env_float, env_int
from kcbot.nlu.normalise import MAX_CHARS
from kcbot.privacy import find_cpr

__all__ = ["GuardedProtocol", "RateLimiter", "RestLimits", "check_sender", "raise_file_limit",
           "read_object", "read_request", "writes_english"]

log = logging.getLogger(__name__)
MAX_SENDER = 128
MAX_MESSAGE_ID = 128


@dataclass(frozen=True)
class RestLimits:
    body_bytes: int = 16 * 1024
    message_chars: int = MAX_CHARS
    rate_messages: int = 10  # per sender id ...
    rate_seconds: float = 10.0  # ... in this many seconds
    client_messages: int = 300  # per client IP address ...
    client_seconds: float = 10.0  # ... in this many seconds
    connections_per_ip: int = 256
    header_seconds: float = 10.0  # to send a request's head, however slowly
    keep_alive_seconds: float = 5.0
    response_seconds: float = 60.0
    json_depth: int = 16
    quick_check_seconds: float = 300.0  # /health runs PRAGMA quick_check at most this often

    @classmethod
    def from_env(cls) -> RestLimits:
        d = cls()
        return cls(
            rate_messages=env_int("KCBOT_RATE_SENDER", d.rate_messages, minimum=1),
            rate_seconds=env_float("KCBOT_RATE_SENDER_SECONDS", d.rate_seconds, minimum=0.1),
            client_messages=env_int("KCBOT_RATE_CLIENT", d.client_messages, minimum=1),
            client_seconds=env_float("KCBOT_RATE_CLIENT_SECONDS", d.client_seconds,
                                     minimum=0.1),
            connections_per_ip=env_int("KCBOT_CONNECTIONS_PER_IP", d.connections_per_ip,
                                       minimum=1),
            header_seconds=env_float("KCBOT_HEADER_TIMEOUT", d.header_seconds, minimum=0.1),
            keep_alive_seconds=env_float("KCBOT_KEEP_ALIVE_TIMEOUT", d.keep_alive_seconds,
                                         minimum=0.1),
            quick_check_seconds=env_float("KCBOT_QUICK_CHECK_SECONDS", d.quick_check_seconds,
                                          minimum=0.0),
        )


class RateLimiter:
    """At most ``limit`` messages per ``window`` seconds per key (a sliding window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 if the message may pass (and is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        seen = self._seen[key]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return max(1, math.ceil(self.window - (now - seen[0])))
        seen.append(now)
        return 0

    def forget_idle(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in [k for k, seen in self._seen.items()
                    if not seen or now - seen[-1] >= self.window]:
            del self._seen[key]


# -- connections ------------------------------------------------------------------------------

_REFUSED_BODY = '{"error": "For mange forbindelser herfra. Prøv igen om lidt."}'.encode()
_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
            b"Content-Type: application/json; charset=utf-8\r\n"
            + f"Content-Length: {len(_REFUSED_BODY)}\r\n\r\n".encode() + _REFUSED_BODY)


# A refused body is read and dropped for at most this long, and this much, before the close.
LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024


class GuardedProtocol(HttpProtocol):
    """Sanic's HTTP protocol with a per-IP connection cap and a deadline for a request head.

    The limits come from ``app.ctx.limits``; the open connections per IP live in
    ``app.ctx.connections``.

    A body over the limit is answered with 413 at once, and Sanic then closes the connection
    while the body is still arriving. Closing a socket with unread data makes the kernel send
    a reset, and a client still writing its body (most HTTP clients write all of it before they
    read) gets "connection reset" and never reads the 413. So after a refusal (``linger``) the
    close is a lingering one, as web servers do it: the answer is sent, the writing side shut
    (the client sees the end of the answer), and what still arrives is read and dropped until
    the client closes, for at most ``LINGER_SECONDS`` and ``LINGER_BYTES``."""

    __slots__ = ("_ip", "_head_for", "_head_since", "_watch", "_linger", "_lingering",
                 "_dropped")

    def connection_made(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        self._ip = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        self._head_for, self._head_since, self._watch = -1, 0.0, None
        self._linger = self._lingering = False
        self._dropped = 0
        limits: RestLimits = self.app.ctx.limits
        counts: dict[str, int] = self.app.ctx.connections
        if counts.get(self._ip, 0) >= limits.connections_per_ip:
            self._ip = None  # not counted, so not uncounted
            transport.write(_REFUSED)
            transport.close()
            return
        counts[self._ip] = counts.get(self._ip, 0) + 1
        super().connection_made(transport)
        self._watch = self.loop.call_later(1.0, self._check_head)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ip is None:  # refused at the door: Sanic never saw it
            return
        counts: dict[str, int] = self.app.ctx.connections
        left = counts.get(self._ip, 1) - 1
        if left > 0:
            counts[self._ip] = left
        else:
            counts.pop(self._ip, None)
        if self._watch is not None:
            self._watch.cancel()
        super().connection_lost(exc)

    def linger(self) -> None:
        """The current request's body was refused: close the connection lingering."""
        self._linger = True

    def close(self, timeout: float | None = None) -> None:
        transport = self.transport
        if (not getattr(self, "_linger", False) or transport is None or transport.is_closing()
                or not transport.can_write_eof()):
            return super().close(timeout)
        if self._lingering:
            return None
        self._lingering = True
        try:
            transport.write_eof()  # the 413 goes first, then the end of what we write
            transport.resume_reading()  # Sanic pauses reading when its buffer is full
        except (OSError, RuntimeError):
            return super().close(timeout)
        if self._watch is not None:
            self._watch.cancel()
        self._watch = self.loop.call_later(LINGER_SECONDS, self._stop_lingering)
        return None

    def _stop_lingering(self) -> None:
        self._linger = self._lingering = False
        self._watch = None
        super().close()

    def eof_received(self) -> bool | None:
        if getattr(self, "_lingering", False):  # the client has sent all it will
            self._stop_lingering()
            return True
        return super().eof_received()

    def data_received(self, data: bytes) -> None:
        if getattr(self, "_lingering", False):
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self._stop_lingering()
            return
        http = getattr(self, "_http", None)
        if http is not None and http.stage in (Stage.IDLE, Stage.REQUEST):
            count = self.state.get("requests_count", 0)
            if self._head_for != count:  # the first bytes of a new request's head
                self._head_for, self._head_since = count, time.monotonic()
        super().data_received(data)

    def _check_head(self) -> None:
        """Close a connection whose request head has been arriving for too long."""
        http = getattr(self, "_http", None)
        limits: RestLimits = self.app.ctx.limits
        if (http is not None and http.stage in (Stage.IDLE, Stage.REQUEST)
                and self._head_for == self.state.get("requests_count", 0)
                and time.monotonic() - self._head_since > limits.header_seconds):
            log.info("closed a connection from %s: request head too slow", self._ip)
            self.transport.abort()
            return
        self._watch = self.loop.call_later(1.0, self._check_head)


def raise_file_limit(wanted: int = 65536) -> tuple[int, int]:
    """Raise the soft limit on open files towards the hard one (where allowed), so that
    connections do not exhaust it before the per-IP cap does. Returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return soft, target
        except (ValueError, OSError):
            pass
    return soft, soft


# -- the request body -------------------------------------------------------------------------

class BadRequest(Exception):
    """A request refused with 400; the message is Danish and meant for the client."""


def _depth(value: Any, limit: int) -> bool:
    """True if ``value`` nests no deeper than ``limit``, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return False
        if isinstance(item, dict):
            stack += [(v, level + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, level + 1) for v in item]
    return True


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list):
            stack += item
    return False


def writes_english(message: str) -> bool:
    """True when a refusal the citizen will read should be English: the message is clearly
    English (the language the bot would answer in). Only on a refusal's path."""
    from kcbot.language import detect

    return detect(message[:MAX_CHARS]) == "en"


def check_sender(sender: object) -> str | None:
    """Why a sender id is refused, or None. The allowed form: 1 to 128 characters, printable,
    no control or format characters (no bidi overrides, no zero-width characters), no line
    breaks, and no CPR number (a sender id is stored and shown as it is)."""
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
        return f"'sender' skal være en tekst på 1 til {MAX_SENDER} tegn."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
           for c in sender):
        return "'sender' må ikke indeholde styretegn eller usynlige tegn."
    if find_cpr(sender):
        return "'sender' må ikke indeholde et CPR-nummer. Brug et sessions-id."
    return None


def read_object(body: bytes, limits: RestLimits,
                what: str = "et JSON-objekt med 'sender' og 'message'") -> dict[str, Any]:
    """A request body as a JSON object, for every route that reads one: UTF-8, no deeper than
    ``limits.json_depth``, no lone surrogates. ``BadRequest`` explains why not."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("Forespørgslen skal være gyldig JSON i UTF-8.") from None
    except RecursionError:
        raise BadRequest("Forespørgslen er for dybt indlejret.") from None
    if not isinstance(payload, dict):
        raise BadRequest(f"Forespørgslen skal være {what}.")
    if not _depth(payload, limits.json_depth):
        raise BadRequest("Forespørgslen er for dybt indlejret.")
    if _has_surrogate(payload):
        raise BadRequest("Forespørgslen indeholder et halvt tegn (en enlig surrogat, fx en "
                         "afskåret emoji). Send teksten igen.")
    return payload


def read_request(body: bytes, limits: RestLimits) -> tuple[str, str, str | None, object]:
    """(sender, message, message_id, identity token) from a request body; ``BadRequest``
    explains why not."""
    payload = read_object(body, limits)
    sender, message = payload.get("sender"), payload.get("message")
    problem = check_sender(sender)
    if problem:
        raise BadRequest(problem)
    if not isinstance(message, str):
        raise BadRequest("'message' skal være en tekst.")
    if len(message) > limits.message_chars:
        if writes_english(message):
            raise BadRequest(f"Your message is too long: at most {limits.message_chars:,} "
                             "characters. Please write it shorter.")
        raise BadRequest(f"Beskeden er for lang: højst {limits.message_chars:,} tegn. "
                         "Skriv den kortere.".replace(",", "."))
    metadata = payload.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("'metadata' skal være et JSON-objekt.")
    message_id = metadata.get("message_id")
    if message_id is not None:
        if isinstance(message_id, bool) or not isinstance(message_id, str | int):
            raise BadRequest("'metadata.message_id' skal være en tekst eller et tal.")
        message_id = str(message_id)
        if not message_id or len(message_id) > MAX_MESSAGE_ID:
            raise BadRequest(f"'metadata.message_id' skal have 1 til {MAX_MESSAGE_ID} tegn.")
    assert isinstance(sender, str)
    return sender, message, message_id, metadata.get("identity")
