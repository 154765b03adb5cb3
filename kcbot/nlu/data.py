"""Reading the NLU training data in ``intents/`` (Rasa NLU YAML, ``version: "3.1"``).

The same folder can train a Rasa assistant; kcbot reads the subset it uses: ``intent`` items with
``examples``, and ``synonym``, ``lookup`` and ``regex`` items. Entity annotations in examples
(``[i morgen](dato)``) are stripped to plain text for the classifier.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from kcbot.errors import DataError
from kcbot.yamlio import load_yaml

__all__ = ["INTENTS", "TrainingData", "load_training_data", "training_data"]

# The intent catalogue: an interface that tests, flows and reports rely on.
INTENTS: tuple[str, ...] = (
    "jobnet_kode", "genregistrering", "ferie", "raskmelding", "sygemelding", "afbud",
    "forsinkelse", "udeblivelse", "afmelding", "aabningstid", "ydelse", "kontakt_sagsbehandler",
    "skift_sagsbehandler", "klage", "partshoering", "menneske", "vejledning", "hilsen", "farvel",
    "tak", "bekraeft", "afkraeft", "uden_for_omraade",
    # the seeds' other calls (issue 14)
    "sygedagpenge_status", "enkeltydelse", "brev", "uden_fast_adresse", "fravaer", "udland",
    "ret_og_pligt", "jobnet_hjaelp", "ordninger",
    # red-team s19: where the jobcentre is, and a changed address
    "jobcenter_adresse", "ny_adresse",
)
ITEM_KINDS = ("intent", "synonym", "lookup", "regex")
STANDARD_LANGUAGE = "da"
_LANGUAGE_SUFFIX = re.compile(r"_([a-z]{2})$")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass
class TrainingData:
    examples: list[tuple[str, str]] = field(default_factory=list)  # (text, intent)
    synonyms: dict[str, str] = field(default_factory=dict)  # phrase -> value
    lookups: dict[str, list[str]] = field(default_factory=dict)  # entity -> phrases
    regexes: dict[str, list[str]] = field(default_factory=dict)
    digest: str = ""
    # The language of each example, by its file: "afbud_en.yml" holds English examples, a file
    # without a language suffix the standard language's (Danish).
    languages: list[str] = field(default_factory=list)


def _example_lines(path: Path, key: str, block: object) -> list[str]:
    if not isinstance(block, str):
        raise DataError(
            path, key, "'examples' skal være en tekstblok med linjer der starter med '- '"
        )
    lines = []
    for raw in block.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("- "):
            raise DataError(path, key, f"linjen {line!r} skal starte med '- '")
        lines.append(line[2:].strip())
    return lines


def file_language(path: Path) -> str:
    suffix = _LANGUAGE_SUFFIX.search(path.stem)
    return suffix.group(1) if suffix else STANDARD_LANGUAGE


@functools.cache
def training_data() -> TrainingData:
    """kcbot's own training data (``intents/``), read once per process: the NLU is built from
    it, and the name check and the language guess count its words. The files' digest is read
    at once; their content is parsed when first asked for (``_Deferred``)."""
    from kcbot.config import data_path

    return _Deferred(data_path("intents"))


def load_training_data(folder: Path) -> TrainingData:
    return _parse(*_read(folder))


def _read(folder: Path) -> tuple[list[tuple[Path, bytes]], str]:
    """The training files' bytes, and the digest of their names and bytes."""
    files = sorted(p for p in folder.glob("*.yml") if p.is_file())
    if not files:
        raise DataError(folder, "-", "ingen *.yml-filer med træningsdata")
    digest = hashlib.sha256()
    raws = []
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        raws.append((path, raw))
    return raws, digest.hexdigest()


class _Deferred(TrainingData):
    """Training data whose digest is known from the files' bytes and whose content is parsed on
    first use. A start with a cached model (``nlu-*.npz``) and lookup tables (``lookups-*``)
    needs only the digest, their key: parsing ~40 files cost ~10 ms of every cold start, for
    the name check and the language guess of a short first message, which most conversations
    never reach. An edited file has another digest, so the model is trained at start-up, from
    the parsed content, and a file that does not parse still fails the start."""

    def __init__(self, folder: Path) -> None:  # the fields are set by ``__getattr__``
        self._raws, self.digest = _read(folder)

    def __getattr__(self, name: str) -> object:
        if name not in _PARSED:
            raise AttributeError(name)
        parsed = _parse(self._raws, self.digest)
        for key in _PARSED:
            setattr(self, key, getattr(parsed, key))
        self._raws = []
        return getattr(self, name)


def _parse(raws: list[tuple[Path, bytes]], digest: str) -> TrainingData:
    data = TrainingData()
    for path, raw in raws:
        doc = load_yaml(path, raw=raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
            raise DataError(path, "nlu", "filen skal have en liste under 'nlu:'")
        for index, item in enumerate(doc["nlu"]):
            where = f"nlu[{index}]"
            if not isinstance(item, dict):
                raise DataError(path, where, "hvert punkt skal være en mapping")
            kinds = [k for k in ITEM_KINDS if k in item]
            if len(kinds) != 1:
                raise DataError(path, where, f"skal have præcis én af {', '.join(ITEM_KINDS)}")
            kind = kinds[0]
            name = str(item[kind])
            where = f"{where} ({kind}: {name})"
            lines = _example_lines(path, where, item.get("examples"))
            if kind == "intent":
                if name not in INTENTS:
                    raise DataError(path, where, f"ukendt intent; kendte: {', '.join(INTENTS)}")
                data.examples.extend((_ANNOTATION.sub(r"\1", line), name) for line in lines)
                data.languages.extend([file_language(path)] * len(lines))
            elif kind == "synonym":
                for line in lines:
                    data.synonyms[line.lower()] = name
            elif kind == "lookup":
                data.lookups.setdefault(name, []).extend(lines)
            else:
                data.regexes.setdefault(name, []).extend(lines)
    data.digest = digest
    return data


_PARSED = tuple(f.name for f in fields(TrainingData) if f.name != "digest")
