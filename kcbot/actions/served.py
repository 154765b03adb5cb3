"""kcbot's actions under rasa-sdk's own action server (``python -m rasa_sdk --actions
kcbot.actions``): the same shape check and error answers as ``kcbot actions``.

rasa-sdk's server hands any JSON to the actions and answers what breaks with a 500 that echoes
the whole call, CPR numbers and all. It offers one way in: a pluggy hook,
``attach_sanic_app_extensions(app)``, called on every app it builds (in each worker too). Its
own discovery of plugins imports a top-level ``rasa_sdk_plugins`` package, which would change
every rasa-sdk server in the environment; instead kcbot's actions package, when it is imported
by such a server, registers its hook on rasa-sdk's plugin manager itself. The server imports
the actions (``register_package``) before it builds the app, so the hook is in place in time.
An engine that runs the actions in-process never imports rasa-sdk's endpoint, so nothing of
this (nor Sanic) is loaded there.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["register"]


@cache
def _hardening() -> type:
    """The plugin class, built on first use: an engine that runs the actions in-process imports
    this module too (rasa-sdk's ``register_package`` imports every module of the package), and
    has no use for pluggy."""
    import pluggy

    hookimpl = pluggy.HookimplMarker("rasa_sdk")

    class _Hardening:
        @hookimpl
        def attach_sanic_app_extensions(self, app: Any) -> None:
            from kcbot.channels.actions_server import harden

            harden(app)

    return _Hardening


def register() -> None:
    """Register the hook on rasa-sdk's plugin manager (once per process)."""
    from rasa_sdk.plugin import plugin_manager

    hardening = _hardening()
    manager = plugin_manager()
    if not any(isinstance(p, hardening) for p in manager.get_plugins()):
        manager.register(hardening())
