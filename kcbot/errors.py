"""The exception tree. Every error a user can cause derives from ``KcbotError`` and carries a
message in plain Danish, so channels and the CLI can show it without a traceback.

    KcbotError
    ├── ConfigError   settings or environment that cannot be used
    ├── DataError     a YAML data file (intents/, dialogues/) that does not validate
    ├── StoreError    the SQLite store cannot be opened, migrated or written
    │   └── StoreUnavailable  locked, full or failing for longer than a turn may wait: try
    │                         again later (a channel answers 503 with Retry-After)
    └── ReplayConflict  a message id already used for another message (409)
"""

from __future__ import annotations


class KcbotError(Exception):
    """Root of kcbot's errors; ``str(error)`` is a message meant for a person."""


class ConfigError(KcbotError):
    pass


class DataError(KcbotError):
    """A data file failed validation. The message names the file and the key."""

    def __init__(self, path: object, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}")


class StoreError(KcbotError):
    pass


class StoreUnavailable(StoreError):
    """The store could not take a turn within the time allowed; nothing was changed."""


class ReplayConflict(KcbotError):
    """A channel sent a message id again, with another text."""
