"""``kcbot actions``: kcbot's actions on rasa-sdk's action server, with the shape of each call
checked first.

rasa-sdk's own server (``python -m rasa_sdk --actions kcbot.actions``) hands any JSON to the
actions and answers what breaks with a 500, a traceback in the log and the whole request echoed
back, CPR numbers and all. This is the same app (same routes, same answers to a well-formed
call) with two changes: a call of the wrong shape gets a 400 with a Danish message saying which
field is wrong, and an error is one masked log line and a JSON answer that echoes nothing
(404/405/413 as such, anything else 503 with Retry-After).

Run as ``python -m kcbot.channels.actions_server --port 5055``; ``kcbot actions`` execs that.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
from typing import Any

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kcbot.channels.guard import BadRequest, RestLimits, check_sender, read_object
from kcbot.privacy import mask_cpr

__all__ = ["check_action_call", "create_app", "harden", "main"]

log = logging.getLogger(__name__)
ACTIONS = "kcbot.actions"
# Rasa sends the whole domain with every call: far larger and deeper than a citizen's message.
LIMITS = RestLimits(body_bytes=16 * 1024 * 1024, json_depth=64)
RETRY_AFTER = "5"
_dumps = functools.partial(json.dumps, ensure_ascii=False)

# (field, the types it may have, what to say) for the parts of Rasa's call the actions read
_SHAPE: tuple[tuple[str, tuple[type, ...], str], ...] = (
    ("next_action", (str,), "en tekst"),
    ("sender_id", (str,), "en tekst"),
    ("version", (str,), "en tekst"),
    ("domain", (dict,), "et JSON-objekt"),
)
_TRACKER_SHAPE: tuple[tuple[str, tuple[type, ...], str], ...] = (
    ("sender_id", (str,), "en tekst"),
    ("slots", (dict,), "et JSON-objekt"),
    ("latest_message", (dict,), "et JSON-objekt"),
    ("events", (list,), "en liste"),
    ("active_loop", (dict,), "et JSON-objekt"),
    ("followup_action", (str,), "en tekst"),
    ("latest_action_name", (str,), "en tekst"),
)


def _error(status: int, message: str, **headers: str) -> HTTPResponse:
    return json_response({"error": message}, status=status, headers=headers or None,
                         dumps=_dumps)


def check_action_call(call: dict[str, Any]) -> str | None:
    """Why a call to ``/webhook`` cannot be run, in Danish, or None. Fields may be missing or
    null where rasa-sdk allows it (``domain`` missing is rasa-sdk's own 449); present, they
    must have the type Rasa sends."""
    for name, types, what in _SHAPE:
        if call.get(name) is not None and not isinstance(call[name], types):
            return f"'{name}' skal være {what}."
    if call.get("next_action") is None:
        return None  # rasa-sdk answers null: nothing to run
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return "'tracker' skal være et JSON-objekt."
    problem = check_sender(tracker.get("sender_id"))  # the REST channel's rule: it is stored
    if problem:
        return problem.replace("'sender'", "'tracker.sender_id'")
    for name, types, what in _TRACKER_SHAPE:
        if name in tracker and tracker[name] is not None and not isinstance(tracker[name],
                                                                            types):
            return f"'tracker.{name}' skal være {what}."
    if "latest_message" in tracker and tracker["latest_message"] is None:
        return "'tracker.latest_message' skal være et JSON-objekt."
    if not all(isinstance(event, dict) for event in tracker.get("events") or []):
        return "'tracker.events' skal være en liste af JSON-objekter."
    return None


def create_app(auto_reload: bool = False) -> Sanic:
    """rasa-sdk's action server app for kcbot's actions, with the call checked first."""
    from rasa_sdk.endpoint import create_app_for_serve
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(ACTIONS)
    return harden(create_app_for_serve(executor, auto_reload=auto_reload))


def harden(app: Sanic) -> Sanic:
    """Check each call's shape before rasa-sdk reads it, and answer errors without echoing
    the call: on ``kcbot actions``'s app and, through rasa-sdk's plugin hook, on the app of
    ``python -m rasa_sdk --actions kcbot.actions`` (``kcbot.actions.served``). Once per app."""
    if getattr(app.ctx, "kcbot_hardened", False):
        return app
    app.ctx.kcbot_hardened = True

    @app.on_request
    async def check_call(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or request.path != "/webhook":
            return None
        if request.headers.get("content-encoding") == "deflate":
            return None  # rasa-sdk inflates it; a body that does not inflate is a 400 below
        try:
            call = read_object(request.body, LIMITS, "et JSON-objekt med 'next_action'")
            problem = check_action_call(call)
        except BadRequest as exc:
            problem = str(exc)
        if problem:
            log.info("400 from %s: %s", request.ip, problem)
            return _error(400, problem)
        # rasa-sdk reads ``request.json``: the body parsed here, not parsed a second time
        request.parsed_json = call
        return None

    messages = {
        400: "Forespørgslen kunne ikke læses.",
        404: "Den adresse findes ikke.",
        405: "Den metode understøttes ikke her.",
        413: "Forespørgslen er for stor.",
    }

    async def on_error(request: Request, exc: Exception) -> HTTPResponse:
        if isinstance(exc, SanicException):
            status = getattr(exc, "status_code", 400) or 400
            return _error(status, messages.get(status, "Forespørgslen kunne ikke behandles."))
        if isinstance(exc, ValueError | TypeError | KeyError | AttributeError):
            # a call rasa-sdk could not read although its shape passed (a deflated body that
            # does not inflate, a value of the wrong form deeper in): the caller's doing
            log.info("400: %s", mask_cpr(f"{type(exc).__name__}: {exc}")[:300])
            return _error(400, "Forespørgslen kunne ikke behandles: den har ikke den form, "
                               "Rasa sender.")
        log.warning("action call failed: %s", mask_cpr(f"{type(exc).__name__}: {exc}")[:300])
        return _error(503, "Der skete en fejl hos os. Prøv igen om lidt.",
                      **{"Retry-After": RETRY_AFTER})

    # in place of rasa-sdk's handler for every exception (a 500 that echoes the whole call)
    app.error_handler.cached_handlers.pop((Exception, None), None)
    app.exception(Exception)(on_error)
    return app


def main(argv: list[str] | None = None) -> None:
    from rasa_sdk import utils

    parser = argparse.ArgumentParser(prog="kcbot actions")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    utils.update_sanic_log_level()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    from sanic.worker.loader import AppLoader

    loader = AppLoader(factory=create_app)
    app = loader.load()
    log.info("Action endpoint is up and running on http://%s:%s", host, args.port)
    app.prepare(host=host, port=args.port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
