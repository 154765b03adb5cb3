"""Widgets and dialogs the tabs share."""

from __future__ import annotations

from kcbot.console.widgets.dialogs import Confirm, HelpScreen, Prompt

__all__ = ["Confirm", "HelpScreen", "Prompt"]
