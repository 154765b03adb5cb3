"""kcbot: the self-service text bot for Jobcenter København's contact centre."""

from __future__ import annotations

from kcbot import lazy, regexcache
from kcbot.errors import ConfigError, DataError, KcbotError, StoreError

lazy.install()  # before anything of kcbot imports rasa_sdk
regexcache.prime()  # before anything of kcbot compiles a pattern

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "KcbotError", "StoreError", "__version__"]
