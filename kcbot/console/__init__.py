"""The staff console (Textual). Only this package imports textual."""

from __future__ import annotations

from kcbot.console.app import KcbotConsole

__all__ = ["KcbotConsole"]
