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
import gc
import hmac
import json
import logging
import time
from typing import Any

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kcbot.channels.guard import (
    BadRequest,
    GuardedProtocol,
    RateLimiter,
    RestLimits,
    read_request,
    writes_english,
)
from kcbot.channels.webchat import (
    LANGUAGE_HEADER,
    SessionTokens,
    conversation_language,
    register_webchat,
    session_error,
)
from kcbot.clock import Clock
from kcbot.config import (
    IdentitySettings,
    RetentionSettings,
    Settings,
    SmtpSettings,
    WebchatSettings,
    is_loopback,
)
from kcbot.dialogue import Engine
from kcbot.errors import ReplayConflict, StoreUnavailable
from kcbot.identity import IdentityError, IdentityVerifier
from kcbot.language import warm_up

__all__ = ["GuardedProtocol", "RateLimiter", "RestLimits", "create_app", "is_loopback"]

log = logging.getLogger(__name__)
CHANNEL = "rest"
IDLE_SWEEP_SECONDS = 60
DELIVERY_SECONDS = 30
WEBCHAT_SESSION_RATE = (30, 60.0)  # new or renewed web chat sessions per address per minute
PURGE_CHECK_SECONDS = 600
STORE_RETRY_AFTER = "5"
HEARTBEAT_SECONDS = 2.0  # /health: a write must commit within this

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    return json_response(body, status=status, headers=headers, dumps=_dumps)


def _error(status: int, message: str, **headers: str) -> HTTPResponse:
    return _json({"error": message}, status=status, headers=headers or None)


def _too_many(wait: int, message: str = "") -> HTTPResponse:
    text = (f"Too many messages. Please wait {wait} seconds and try again."
            if message and writes_english(message)
            else f"For mange beskeder. Vent {wait} sekunder, og prøv igen.")
    return _error(429, text, **{"Retry-After": str(wait)})


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


def create_app(settings: Settings, clock: Clock, *, token: str | None = None,
               limits: RestLimits | None = None, name: str = "kcbot",
               identity: IdentitySettings | None = None,
               smtp: SmtpSettings | None = None,
               webchat: WebchatSettings | None = None,
               retention: RetentionSettings | None = None) -> Sanic:
    limits = limits or RestLimits()
    verifier = IdentityVerifier(identity or IdentitySettings())
    verifier.check_setup()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = limits.body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_TIMEOUT = limits.header_seconds
    app.config.KEEP_ALIVE_TIMEOUT = limits.keep_alive_seconds
    app.config.RESPONSE_TIMEOUT = limits.response_seconds
    app.ctx.limits = limits
    app.ctx.connections = {}  # open connections per IP (GuardedProtocol)
    app.ctx.checked = (float("-inf"), "ok")  # (when, result) of the last quick_check
    rate = RateLimiter(limits.rate_messages, limits.rate_seconds)
    client_rate = RateLimiter(limits.client_messages, limits.client_seconds)
    locks = SenderLocks()
    expected = f"Bearer {token}".encode() if token else None
    webchat = webchat or WebchatSettings()
    sessions = SessionTokens(webchat.secret, webchat.session_minutes)
    register_webchat(app, sessions, webchat, RateLimiter(*WEBCHAT_SESSION_RATE))

    @app.before_server_start
    async def open_engine(app: Sanic) -> None:
        app.ctx.engine = await Engine.open(settings, clock)
        # What start-up built (NLU model, domain, flows, content: most of the process's
        # objects) lives as long as the server: kept out of the collector's full passes, which
        # otherwise walk all of it in one pause that every request in flight waits for.
        gc.collect()
        gc.freeze()
        # the language detector's model (about a second) loads beside the server, not in the
        # first citizen's turn
        app.add_task(asyncio.to_thread(warm_up), name="kcbot-language-warm-up")
        app.add_task(sweep_idle(app), name="kcbot-idle-sweep")
        if retention is not None:
            app.add_task(nightly_purge(app, retention), name="kcbot-purge")
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
                app.ctx.engine.store.checkpoint_soon()  # the log emptied off a citizen's turn
                rate.forget_idle()
                client_rate.forget_idle()
            except Exception:  # the sweep must not die; the next turn ends idle ones anyway
                log.exception("idle sweep failed")

    async def nightly_purge(app: Sanic, retention: RetentionSettings) -> None:
        from kcbot.store import purge, purge_due

        last: str | None = None
        while True:
            now = clock.now()
            if purge_due(now, last, retention.purge_hour):
                try:
                    report = await purge(app.ctx.engine.store, now, retention)
                    log.info("purge: %s", report.line())
                    last = now.date().isoformat()
                except Exception as exc:  # a locked store: try again next round
                    log.warning("purge failed: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(PURGE_CHECK_SECONDS)

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
        engine: Engine = request.app.ctx.engine
        try:
            version = await engine.store.schema_version()
            await engine.store.heartbeat(HEARTBEAT_SECONDS)
            now = time.monotonic()
            if now - app.ctx.checked[0] >= limits.quick_check_seconds:
                app.ctx.checked = (now, await engine.store.quick_check())
        except Exception as exc:  # locked, full, read-only, damaged: one line, no traceback
            log.warning("health check failed: %s: %s", type(exc).__name__, exc)
            return _json({"status": "fejl", "store": "kan ikke skrive"}, status=503,
                         headers={"Retry-After": STORE_RETRY_AFTER})
        if app.ctx.checked[1] != "ok":
            log.warning("health check: quick_check says %s", app.ctx.checked[1])
            app.ctx.checked = (0.0, app.ctx.checked[1])  # look again next time
            return _json({"status": "fejl", "store": "beskadiget"}, status=503,
                         headers={"Retry-After": STORE_RETRY_AFTER})
        return _json({"status": "ok", "store": "ok", "schema": version})

    @app.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        # a header Sanic could not read as UTF-8 arrives with surrogate escapes
        authorization = request.headers.get("authorization") or ""
        session_sender = sessions.authorize(authorization)  # the web chat page's own token
        if isinstance(session_sender, HTTPResponse):
            return session_sender
        if expected is not None and session_sender is None:
            given = authorization.encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, expected):
                return _error(401, "Adgang nægtet: send 'Authorization: Bearer <token>'.")
        try:
            sender, message, message_id, token_ = read_request(request.body, limits)
        except BadRequest as exc:
            log.info("400 from %s: %s", request.ip, exc)
            return _error(400, str(exc))
        if session_sender is not None and session_sender != sender:
            return session_error("Chatten hører til en anden samtale. Genindlæs siden.")
        identity = None
        if token_ is not None:
            try:
                identity = verifier.verify(token_)
            except IdentityError as exc:
                log.info("identity refused for %s: %s", sender, exc)
                return _error(401, f"Din identitet kunne ikke bekræftes: {exc}")
        wait = client_rate.retry_after(request.ip or "?") or rate.retry_after(sender)
        if wait:
            return _too_many(wait, message)
        engine: Engine = request.app.ctx.engine
        try:
            result = await locks(sender, lambda: engine.turn(
                sender, message, channel=CHANNEL, message_id=message_id, identity=identity))
        except ReplayConflict as exc:
            log.info("409 for %s: %s", request.ip, exc)
            return _error(409, str(exc))
        except StoreUnavailable as exc:
            log.warning("503: %s", exc)
            return _error(503, str(exc), **{"Retry-After": STORE_RETRY_AFTER})
        response = _json(
            [{"recipient_id": sender, **reply.as_dict()} for reply in result.replies]
        )
        if session_sender is not None:  # the page's own: its labels follow the conversation
            sprog = await conversation_language(engine.store, sender, result)
            if sprog:
                response.headers[LANGUAGE_HEADER] = sprog
        return response

    @app.exception(SanicException)
    async def client_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 400) or 400
        if status == 413:  # the body still arriving is read and dropped, not reset
            if isinstance(request.protocol, GuardedProtocol):
                request.protocol.linger()
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
