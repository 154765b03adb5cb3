"""``kcbot serve``: the citizens' text channel, Rasa's REST contract on Sanic.

``POST /webhooks/rest/webhook`` takes ``{"sender", "message", "metadata"}`` and answers a JSON
list of ``{"recipient_id", "text"}`` (plus ``buttons`` where the bot offers numbered choices, the
payload being the number), so a front end written for Rasa's REST channel works unchanged.

Safer than Rasa's webhook: a bearer token when configured, size and rate limits with Danish JSON
errors, ``metadata.message_id`` for retries that never run a turn twice, and one turn at a time
per sender (different senders in parallel). Nothing a client sends gets a 500 or a traceback.

``metadata.identity`` carries the citizen's identity from a portal with MitID login, as a signed
JWT (``kcbot.identity``); a token that does not verify is refused with 401, never treated as
anonymous. With SMTP configured, the server also delivers the outbox every 30 seconds.

The citizens' web chat page (``/chat/``) lives in ``kcbot.channels.webchat``; here the webhook
only accepts its per-session token for the one sender that token is bound to.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kcbot.channels.webchat import SessionTokens, register_webchat, session_error
from kcbot.clock import Clock
from kcbot.config import IdentitySettings, Settings, SmtpSettings, WebchatSettings, is_loopback
from kcbot.dialogue import Engine
from kcbot.identity import IdentityError, IdentityVerifier
from kcbot.nlu.normalise import MAX_CHARS

__all__ = ["RestLimits", "create_app", "is_loopback"]

log = logging.getLogger(__name__)
CHANNEL = "rest"
MAX_SENDER = 128
MAX_MESSAGE_ID = 128
IDLE_SWEEP_SECONDS = 60
DELIVERY_SECONDS = 30
WEBCHAT_SESSION_RATE = (30, 60.0)  # new or renewed web chat sessions per address per minute


@dataclass(frozen=True)
class RestLimits:
    body_bytes: int = 16 * 1024
    message_chars: int = MAX_CHARS
    rate_messages: int = 10
    rate_seconds: float = 10.0


_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    return json_response(body, status=status, headers=headers, dumps=_dumps)


def _error(status: int, message: str, **headers: str) -> HTTPResponse:
    return _json({"error": message}, status=status, headers=headers or None)


class RateLimiter:
    """At most ``limit`` messages per ``window`` seconds per sender (a sliding window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, sender: str, now: float | None = None) -> int:
        """0 if the message may pass (and is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        seen = self._seen[sender]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return max(1, math.ceil(self.window - (now - seen[0])))
        seen.append(now)
        return 0

    def forget_idle(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for sender in [s for s, seen in self._seen.items()
                       if not seen or now - seen[-1] >= self.window]:
            del self._seen[sender]


class SenderLocks:
    """One lock per sender while it has turns in flight; forgotten when the last one ends."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def __call__(self, sender: str, work: Any) -> Any:
        lock, users = self._locks.get(sender, (asyncio.Lock(), 0))
        self._locks[sender] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._locks[sender]
            if users == 1:
                del self._locks[sender]
            else:
                self._locks[sender] = (lock, users - 1)


def _parse(body: bytes, limits: RestLimits
           ) -> tuple[str, str, str | None, object] | HTTPResponse:
    """(sender, message, message_id, identity token) from a request body, or the 400 that
    explains why not."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "Forespørgslen skal være gyldig JSON i UTF-8.")
    if not isinstance(payload, dict):
        return _error(400, "Forespørgslen skal være et JSON-objekt med 'sender' og 'message'.")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
        return _error(400, f"'sender' skal være en tekst på 1 til {MAX_SENDER} tegn.")
    if not isinstance(message, str):
        return _error(400, "'message' skal være en tekst.")
    if len(message) > limits.message_chars:
        return _error(400, f"Beskeden er for lang: højst {limits.message_chars:,} tegn. "
                           "Skriv den kortere.".replace(",", "."))
    metadata = payload.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return _error(400, "'metadata' skal være et JSON-objekt.")
    message_id = metadata.get("message_id")
    if message_id is not None:
        if isinstance(message_id, bool) or not isinstance(message_id, str | int):
            return _error(400, "'metadata.message_id' skal være en tekst eller et tal.")
        message_id = str(message_id)
        if not message_id or len(message_id) > MAX_MESSAGE_ID:
            return _error(400, f"'metadata.message_id' skal have 1 til {MAX_MESSAGE_ID} tegn.")
    return sender, message, message_id, metadata.get("identity")


def create_app(settings: Settings, clock: Clock, *, token: str | None = None,
               limits: RestLimits | None = None, name: str = "kcbot",
               identity: IdentitySettings | None = None,
               smtp: SmtpSettings | None = None,
               webchat: WebchatSettings | None = None) -> Sanic:
    limits = limits or RestLimits()
    verifier = IdentityVerifier(identity or IdentitySettings())
    verifier.check_setup()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = limits.body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    rate = RateLimiter(limits.rate_messages, limits.rate_seconds)
    locks = SenderLocks()
    expected = f"Bearer {token}".encode() if token else None
    webchat = webchat or WebchatSettings()
    sessions = SessionTokens(webchat.secret, webchat.session_minutes)
    register_webchat(app, sessions, webchat, RateLimiter(*WEBCHAT_SESSION_RATE))

    @app.before_server_start
    async def open_engine(app: Sanic) -> None:
        app.ctx.engine = await Engine.open(settings, clock)
        app.add_task(sweep_idle(app), name="kcbot-idle-sweep")
        if smtp is not None and smtp.configured:
            app.add_task(deliver(app), name="kcbot-delivery")

    @app.after_server_stop
    async def close_engine(app: Sanic) -> None:
        await app.ctx.engine.close()

    async def sweep_idle(app: Sanic) -> None:
        while True:
            await asyncio.sleep(IDLE_SWEEP_SECONDS)
            try:
                await app.ctx.engine.expire_idle()
                rate.forget_idle()
            except Exception:  # the sweep must not die; the next turn ends idle ones anyway
                log.exception("idle sweep failed")

    async def deliver(app: Sanic) -> None:
        from kcbot.delivery import Delivery

        assert smtp is not None
        delivery = Delivery(app.ctx.engine.store, smtp)
        while True:
            try:
                report = await delivery.run_once()
                if report.sent or report.retry or report.failed:
                    log.info("delivery: %s", report.line())
            except Exception:  # a wrong key or a bug: say so, and try again next round
                log.exception("delivery failed")
            await asyncio.sleep(DELIVERY_SECONDS)

    @app.get("/webhooks/rest/")
    async def status(request: Request) -> HTTPResponse:
        return _json({"status": "ok"})

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        try:
            version = await request.app.ctx.engine.store.schema_version()
        except Exception:
            log.exception("health check failed")
            return _json({"status": "fejl", "store": "utilgængelig"}, status=503)
        return _json({"status": "ok", "store": "ok", "schema": version})

    @app.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        authorization = request.headers.get("authorization") or ""
        session_sender = sessions.authorize(authorization)  # the web chat page's own token
        if isinstance(session_sender, HTTPResponse):
            return session_sender
        if expected is not None and session_sender is None:
            if not hmac.compare_digest(authorization.encode(), expected):
                return _error(401, "Adgang nægtet: send 'Authorization: Bearer <token>'.")
        parsed = _parse(request.body, limits)
        if isinstance(parsed, HTTPResponse):
            return parsed
        sender, message, message_id, token_ = parsed
        if session_sender is not None and session_sender != sender:
            return session_error("Chatten hører til en anden samtale. Genindlæs siden.")
        identity = None
        if token_ is not None:
            try:
                identity = verifier.verify(token_)
            except IdentityError as exc:
                log.info("identity refused for %s: %s", sender, exc)
                return _error(401, f"Din identitet kunne ikke bekræftes: {exc}")
        wait = rate.retry_after(sender)
        if wait:
            return _error(429, f"For mange beskeder. Vent {wait} sekunder, og prøv igen.",
                          **{"Retry-After": str(wait)})
        engine: Engine = request.app.ctx.engine
        result = await locks(sender, lambda: engine.turn(
            sender, message, channel=CHANNEL, message_id=message_id, identity=identity))
        return _json(
            [{"recipient_id": sender, **reply.as_dict()} for reply in result.replies]
        )

    @app.exception(SanicException)
    async def client_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 400) or 400
        messages = {
            404: "Den adresse findes ikke.",
            405: "Den metode understøttes ikke her.",
            413: f"Forespørgslen er for stor: højst {limits.body_bytes // 1024} kB.",
        }
        return _error(status, messages.get(status, "Forespørgslen kunne ikke behandles."))

    @app.exception(Exception)
    async def server_error(request: Request, exc: Exception) -> HTTPResponse:
        log.exception("request failed", exc_info=exc)
        return _error(503, "Der skete en fejl hos os. Prøv igen om lidt.",
                      **{"Retry-After": "5"})

    return app
