"""The data key: full CPR numbers are encrypted at rest with it (Fernet: AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``).

Where the key comes from, in order: ``KCBOT_DATA_KEY`` (a Fernet key, 44 characters of
url-safe base64), else a key file in the user config folder (``KCBOT_CONFIG_DIR``), generated on
first use with owner-only permissions so ``pip install . && kcbot`` works without set-up. A
generated key sits on the same machine as the database, which protects a copied database file
or a backup, not a stolen machine; a production server sets ``KCBOT_DATA_KEY`` from its secret
store, and ``kcbot serve`` on a non-loopback address warns when it does not.

``cryptography`` is imported on first use: most turns never encrypt anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcbot.config import config_dir
from kcbot.errors import KcbotError

__all__ = ["KEY_FILE", "DataKey", "DataKeyError", "TOKEN_PREFIX", "is_encrypted"]

KEY_FILE = "data.key"
# Every Fernet token starts with version byte 0x80, which is "gA" in base64.
TOKEN_PREFIX = "gAAAAA"


class DataKeyError(KcbotError):
    """The data key is missing, malformed, or not the key the data was encrypted with."""


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


@dataclass
class DataKey:
    fernet: Any
    source: str  # "KCBOT_DATA_KEY" or the key file's path
    generated: bool  # True: the key file kcbot made itself

    @classmethod
    def load(cls) -> DataKey:
        from cryptography.fernet import Fernet

        raw = (os.environ.get("KCBOT_DATA_KEY") or "").strip()
        if raw:
            return cls(_fernet(raw, "KCBOT_DATA_KEY"), "KCBOT_DATA_KEY", generated=False)
        path = key_path()
        if not path.exists():
            _write_key(path, Fernet.generate_key())
        try:
            raw = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataKeyError(f"Datanøglen {path} kan ikke læses: {exc}.") from None
        return cls(_fernet(raw, str(path)), str(path), generated=True)

    def encrypt(self, text: str) -> str:
        return self.fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self.fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise DataKeyError(
                f"Et krypteret CPR-nummer kan ikke dekrypteres med nøglen fra {self.source}. "
                "Databasen er krypteret med en anden nøgle: sæt KCBOT_DATA_KEY til den nøgle, "
                "der blev brugt, da oplysningerne blev gemt."
            ) from None


def key_path() -> Path:
    return config_dir() / KEY_FILE


def describe() -> str:
    """Where the key is, for ``kcbot db``; never the key itself."""
    if (os.environ.get("KCBOT_DATA_KEY") or "").strip():
        return "KCBOT_DATA_KEY (miljøet)"
    path = key_path()
    state = "genereret af kcbot" if path.exists() else "genereres ved første brug"
    return f"{path} ({state}; sæt KCBOT_DATA_KEY i drift)"


def _fernet(raw: str, source: str) -> Any:
    from cryptography.fernet import Fernet

    try:
        return Fernet(raw.encode("ascii"))
    except (ValueError, UnicodeError):
        raise DataKeyError(
            f"Datanøglen fra {source} er ikke en gyldig nøgle (44 tegn base64). Lav en med: "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None


def _write_key(path: Path, key: bytes) -> None:
    """Create the key file readable by its owner only; a second process racing to create it
    loses the O_EXCL and uses the winner's key."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DataKeyError(f"Datanøglen kan ikke gemmes i {path}: {exc.strerror}.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
