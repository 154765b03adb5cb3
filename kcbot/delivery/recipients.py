"""Recipients as data: ``dialogues/modtagere.yml``, with ``KCBOT_RECIPIENT_<KEY>`` overriding
an address (so an installed kcbot is configured without editing its data folder)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kcbot.config import data_path
from kcbot.errors import DataError
from kcbot.yamlio import check_keys, load_yaml

__all__ = ["FILE", "Privacy", "Recipient", "Recipients"]

FILE = "modtagere.yml"
CHANNELS = ("mail", "brev")
PLACEHOLDER_DOMAIN = ".invalid"  # RFC 2606: can never be delivered
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class Recipient:
    key: str
    navn: str  # how the citizen and the mail call it: "jobcentret"
    kanal: str  # mail | brev
    adresse: str | None = None

    @property
    def by_mail(self) -> bool:
        return self.kanal == "mail"

    @property
    def placeholder(self) -> bool:
        return self.by_mail and (not self.adresse or self.adresse.endswith(PLACEHOLDER_DOMAIN))


@dataclass(frozen=True)
class Privacy:
    url: str
    opbevaring_dage: int


@dataclass(frozen=True)
class Recipients:
    by_key: dict[str, Recipient]
    privacy: Privacy

    def __getitem__(self, key: str) -> Recipient:
        return self.by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def placeholders(self) -> list[Recipient]:
        return [r for r in self.by_key.values() if r.placeholder]

    @classmethod
    def load(cls, path: Path | None = None) -> Recipients:
        path = path or data_path("dialogues") / FILE
        doc = load_yaml(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("modtagere"), dict):
            raise DataError(path, "modtagere", "filen skal have en mapping under 'modtagere:'")
        check_keys(path, "-", doc, {"source", "reviewed", "modtagere", "privatliv"})
        recipients: dict[str, Recipient] = {}
        for key, raw in doc["modtagere"].items():
            where = f"modtagere.{key}"
            if not isinstance(raw, dict):
                raise DataError(path, where, "skal være en mapping med navn og kanal")
            check_keys(path, where, raw, {"navn", "kanal", "adresse"})
            kanal = raw.get("kanal")
            if kanal not in CHANNELS:
                raise DataError(path, f"{where}.kanal", f"skal være en af {', '.join(CHANNELS)}")
            env = "KCBOT_RECIPIENT_" + re.sub(r"[^A-Z0-9]", "_", str(key).upper())
            adresse = (os.environ.get(env) or "").strip() or raw.get("adresse")
            if kanal == "mail" and not (isinstance(adresse, str) and _ADDRESS.match(adresse)):
                raise DataError(path, f"{where}.adresse",
                                f"en mail-modtager skal have en gyldig adresse (eller {env})")
            if not isinstance(raw.get("navn"), str):
                raise DataError(path, f"{where}.navn", "mangler")
            recipients[str(key)] = Recipient(str(key), raw["navn"], kanal, adresse)
        privacy = doc.get("privatliv") or {}
        if not isinstance(privacy, dict):
            raise DataError(path, "privatliv", "skal være en mapping med url og opbevaring_dage")
        check_keys(path, "privatliv", privacy, {"url", "opbevaring_dage"})
        url, days = privacy.get("url"), privacy.get("opbevaring_dage")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise DataError(path, "privatliv.url", "skal være en https-adresse")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise DataError(path, "privatliv.opbevaring_dage", "skal være et helt antal dage")
        return cls(recipients, Privacy(url, days))


@cache
def configured() -> Recipients:
    """The configured recipients, read once per process."""
    return Recipients.load()
