"""The citizens' web chat: a page at ``/chat/`` and ``/chat/embed.js`` on the REST channel.

The page is three static files shipped in the package (``static/chat/``): no build step, no
CDN, no cookies. It talks to the same webhook as every other front end, with the same limits.

**Session tokens.** The page must not carry the operator's ``KCBOT_TOKEN``: anything in a page
is public. ``POST /chat/session`` instead hands out a sender id chosen by the server
(``web-`` and 24 random characters) with a short-lived token bound to it,
``kcs1.<sender>.<expiry>.<HMAC-SHA256>``. The webhook takes such a token as the bearer token
for that one sender, so a visitor can chat as the session they were given and as nobody else.
A session token that does not verify gets 401 with ``"code": "session"``, which tells the page
to fetch a new one. Posting the current token renews it for the same sender; the lifetime
(60 minutes) is longer than the idle timeout, so the conversation ends before its token does.

**The conversation's language.** A web chat turn's answer carries the conversation's language,
the ``sprog`` slot, in the header ``X-Kcbot-Sprog`` (``da`` or ``en``), so the page's own
labels (title, placeholder, send button, hint, status lines) follow the conversation when the
citizen asks for English or back, not a guess from the words typed. Only for a request with a
session token (the page's own), read from the store after the turn; another client's webhook
answer is unchanged.

**Headers.** The page gets a strict Content-Security-Policy: scripts, styles and requests only
from this server, no inline script or style, ``require-trusted-types-for 'script'`` (so no
code path can assign HTML strings to the DOM even by mistake), ``frame-ancestors`` limited to
the server itself and ``KCBOT_CHAT_ORIGINS``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, redirect
from sanic.response import json as json_response

from kcbot.channels.guard import BadRequest, read_object
from kcbot.config import WebchatSettings

if TYPE_CHECKING:
    from kcbot.channels.rest import RateLimiter
    from kcbot.dialogue.engine import TurnResult
    from kcbot.store import Store

__all__ = ["SessionTokens", "conversation_language", "page_csp", "register_webchat"]

PREFIX = "kcs1"
MAX_EXPIRY_DIGITS = 12  # unix seconds: 11 digits until the year 5138
STATIC = {
    "index.html": "text/html; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "embed.js": "text/javascript; charset=utf-8",
}


LANGUAGE_HEADER = "X-Kcbot-Sprog"
LANGUAGES = ("da", "en")


async def conversation_language(store: Store, sender: str, result: TurnResult) -> str | None:
    """The ``sprog`` slot of the sender's conversation after the turn ``result`` answers (None
    when it has ended: the page then keeps the language it has). Taken from the turn's own
    state; a replayed turn carries none, so its state is read from the store."""
    if result.replayed:
        from kcbot.channels.rest import CHANNEL

        conversation = await store.active_conversation(CHANNEL, sender)
        if conversation is None:
            return None
        slots = (await store.load_state(conversation)).get("slots") or {}
    elif result.ended:
        return None
    else:
        slots = result.state.slots
    sprog = slots.get("sprog")
    return sprog if sprog in LANGUAGES else None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Session:
    sender: str
    token: str
    expires: int  # unix seconds

    def as_dict(self, now: float, origins: tuple[str, ...]) -> dict[str, object]:
        return {"sender": self.sender, "token": self.token,
                "expires_in": max(0, int(self.expires - now)), "origins": list(origins)}


class SessionTokens:
    """Signs and checks the page's per-session tokens (HMAC-SHA256, constant-time compare)."""

    def __init__(self, secret: str | None, minutes: float,
                 clock: Callable[[], float] = time.time) -> None:
        key = secret.encode() if secret else secrets.token_bytes(32)
        # A key of its own, even when the operator reuses a secret elsewhere.
        self._key = hmac.new(key, b"kcbot web chat session v1", hashlib.sha256).digest()
        self.seconds = int(minutes * 60)
        self._now = clock

    def now(self) -> float:
        return float(self._now())

    def _sign(self, sender: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{sender}.{expires}".encode(), hashlib.sha256).digest()
        return _b64(mac)

    def issue(self, sender: str | None = None) -> Session:
        sender = sender or "web-" + secrets.token_urlsafe(18)
        expires = int(self.now()) + self.seconds
        return Session(sender, f"{PREFIX}.{sender}.{expires}.{self._sign(sender, expires)}",
                       expires)

    def sender_of(self, token: str) -> str | None:
        """The sender a valid, unexpired token is bound to, else None."""
        parts = token.split(".")
        # the expiry as issue() writes it: ASCII digits only (str.isdigit also passes "²",
        # which int() refuses) and few enough that int() never meets its digit limit
        if (len(parts) != 4 or parts[0] != PREFIX or not parts[2].isascii()
                or not parts[2].isdigit() or len(parts[2]) > MAX_EXPIRY_DIGITS):
            return None
        _, sender, expires, mac = parts
        if not hmac.compare_digest(mac.encode(), self._sign(sender, int(expires)).encode()):
            return None
        return sender if int(expires) > self.now() else None

    @staticmethod
    def is_session_token(authorization: str) -> bool:
        return authorization.startswith(f"Bearer {PREFIX}.")

    def authorize(self, authorization: str) -> str | None | HTTPResponse:
        """For the webhook: the sender a session token in ``Authorization`` allows; None when
        the header holds no session token (the operator's token rules apply); a 401 when it
        holds one that is forged or expired."""
        if not self.is_session_token(authorization):
            return None
        sender = self.sender_of(authorization.removeprefix("Bearer "))
        return sender if sender is not None else session_error(
            "Chatten er udløbet. Den starter forfra, når du skriver igen.")


def session_error(message: str) -> HTTPResponse:
    return json_response({"error": message, "code": "session"}, status=401,
                         dumps=lambda o: json.dumps(o, ensure_ascii=False))


def page_csp(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(("'self'", *origins))
    return ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self'; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors {ancestors}; require-trusted-types-for 'script'; "
            "trusted-types 'none'")


def _static() -> dict[str, bytes]:
    folder = resources.files("kcbot.channels") / "static" / "chat"
    return {name: (folder / name).read_bytes() for name in STATIC}


def register_webchat(app: Sanic, sessions: SessionTokens, settings: WebchatSettings,
                     rate: RateLimiter) -> None:
    """Adds ``/chat/``, its files and ``POST /chat/session`` to the REST channel's app.
    ``rate`` limits new sessions per client address."""
    files = _static()
    csp = page_csp(settings.origins)
    common = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
              "Cache-Control": "no-cache"}

    def serve_file(name: str) -> HTTPResponse:
        headers = dict(common)
        if name == "embed.js":  # loaded by the municipality's own pages
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        else:
            headers["Content-Security-Policy"] = csp
            headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return HTTPResponse(files[name], content_type=STATIC[name], headers=headers)

    @app.get("/chat", strict_slashes=True)
    async def chat_redirect(request: Request) -> HTTPResponse:
        return redirect("/chat/" + (f"?{request.query_string}" if request.query_string else ""))

    @app.get("/chat/", strict_slashes=True)
    async def chat_page(request: Request) -> HTTPResponse:
        return serve_file("index.html")

    @app.get("/chat/<name:(chat\\.js|chat\\.css|embed\\.js)>")
    async def chat_file(request: Request, name: str) -> HTTPResponse:
        return serve_file(name)

    @app.post("/chat/session")
    async def chat_session(request: Request) -> HTTPResponse:
        wait = rate.retry_after(request.remote_addr or request.ip)
        if wait:
            return json_response({"error": f"For mange forsøg. Vent {wait} sekunder."},
                                 status=429, headers={"Retry-After": str(wait)},
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))
        sender = None
        try:  # an unreadable body only means no token to renew: a new session
            given = read_object(request.body or b"{}", request.app.ctx.limits).get("token")
        except BadRequest:
            given = None
        if isinstance(given, str):
            sender = sessions.sender_of(given)  # renew for the same sender while still valid
        session = sessions.issue(sender)
        return json_response(session.as_dict(sessions.now(), settings.origins),
                             headers={**common, "Cache-Control": "no-store"})
