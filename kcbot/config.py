"""Settings in one place. Every setting has a default, can be set in the environment with the
``KCBOT_`` prefix, and the CLI's flags (``--db``) win over both. Tests point everything at
``tmp_path`` through the same variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from kcbot.errors import ConfigError

__all__ = ["Settings", "data_path"]

APP = "kcbot"
_PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Where the ``intents`` or ``dialogues`` folder lives.

    A source checkout uses the folder beside the package, so edits take effect at once; an
    installed wheel carries a copy in ``kcbot/_data``. ``KCBOT_INTENTS_DIR`` /
    ``KCBOT_DIALOGUES_DIR`` override both."""
    override = os.environ.get(f"KCBOT_{name.upper()}_DIR")
    if override:
        return Path(override)
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"Mappen '{name}' findes ikke ved kcbot-pakken. Er kcbot installeret helt?")


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} er ikke et tal.") from None


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=lambda: default_db_path())
    cache_dir: Path = field(
        default_factory=lambda: Path(
            os.environ.get("KCBOT_CACHE_DIR") or platformdirs.user_cache_dir(APP)
        )
    )
    # Below this calibrated confidence the classifier answers nlu_fallback.
    nlu_threshold: float = field(
        default_factory=lambda: _float_env("KCBOT_NLU_THRESHOLD", 0.45)
    )

    # A conversation with no message for this long has ended (afbrudt unless something was
    # settled); the next message starts a new one.
    idle_minutes: float = field(default_factory=lambda: _float_env("KCBOT_IDLE_MINUTES", 30.0))

    def with_db(self, path: Path) -> Settings:
        """The same settings on another store (a throw-away one for tests and benchmarks)."""
        return dataclasses.replace(self, db_path=path)

    @classmethod
    def from_env(cls, db: str | os.PathLike[str] | None = None) -> Settings:
        return cls(db_path=Path(db)) if db else cls()


def default_db_path() -> Path:
    env = os.environ.get("KCBOT_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP)) / "kcbot.sqlite3"
