"""Channels: thin adapters that carry citizens' messages to the engine and its replies back."""

from __future__ import annotations
