"""Widgets and dialogs the tabs share."""

from __future__ import annotations

from kcbot.console.widgets.dialogs import Confirm, HelpScreen, Prompt
from kcbot.console.widgets.table import MeasuredTable
from kcbot.console.widgets.workbar import WorkBar

__all__ = ["Confirm", "HelpScreen", "MeasuredTable", "Prompt", "WorkBar"]
