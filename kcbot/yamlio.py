"""YAML loading for kcbot's data files.

PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` become booleans; in Danish data a
citizen's "no" or an option ``on`` must stay text. The loader below keeps only ``true`` and
``false`` as booleans (as YAML 1.2 does).

Parsed files are kept in the cache folder (``KCBOT_CACHE_DIR``/``yaml``): building Python
objects is the slow half of YAML even with libyaml (40 ms for the ~110 data files, a tenth of a
cold start), unpickling them takes 2 ms. An entry is one file per data file, named by its path
and holding the digest of its bytes and of the loader's rules, so an edited file (or another
PyYAML, or changed rules) is parsed again and its entry overwritten. The unpickler takes only
the types YAML builds; a missing, unreadable or damaged entry only costs the parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
from pathlib import Path
from typing import Any

import yaml

from kcbot.errors import DataError

__all__ = ["KcbotLoader", "PureKcbotLoader", "check_keys", "load_yaml"]


# libyaml's parser (CSafeLoader) reads the data files in a tenth of the time of the pure-Python
# one, which was a sixth of a cold start; the resolver below is the same Python class in both.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KcbotLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    pass


class PureKcbotLoader(yaml.SafeLoader):
    """The same rules on the pure-Python parser (a test compares the two)."""


KcbotLoader.yaml_implicit_resolvers = PureKcbotLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _loader in (KcbotLoader, PureKcbotLoader):
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))


# What a cached parse depends on besides the file's bytes. Bump CACHE_FORMAT when the entry's
# layout changes; the loader's resolver rules are part of the key by themselves.
CACHE_FORMAT = 1
_RULES = hashlib.blake2b(repr((
    CACHE_FORMAT, yaml.__version__, pickle.HIGHEST_PROTOCOL,
    sorted((first, [(tag, rx.pattern) for tag, rx in resolvers])
           for first, resolvers in KcbotLoader.yaml_implicit_resolvers.items()),
)).encode(), digest_size=16).digest()
# Types a safe YAML load builds that pickle stores by name; anything else in an entry is refused.
_CACHED_TYPES = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"),
                 ("datetime", "timezone")}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CACHED_TYPES:
            raise pickle.UnpicklingError(f"{module}.{name} is not a YAML type")
        return super().find_class(module, name)


def _cache_file(path: Path) -> Path | None:
    folder = os.environ.get("KCBOT_CACHE_DIR")
    if not folder:
        import platformdirs

        from kcbot.config import APP

        folder = platformdirs.user_cache_dir(APP)
    name = hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()
    return Path(folder) / "yaml" / f"{path.stem[:40]}-{name}.pickle"


def _cached(entry: Path, digest: bytes) -> tuple[bool, Any]:
    try:
        blob = entry.read_bytes()
        if blob[:len(digest)] != digest:
            return False, None
        return True, _Unpickler(io.BytesIO(blob[len(digest):])).load()
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged: parse the file instead
        return False, None


def _keep(entry: Path, digest: bytes, data: Any) -> None:
    partial = entry.with_name(f"{entry.name}.{os.getpid()}")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(digest + pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(entry)
    except (OSError, pickle.PicklingError):  # a read-only cache folder: parse next time too
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def load_yaml(path: Path, loader: type = KcbotLoader, cached: bool = True) -> Any:
    """A data file's content; with kcbot's loader from the cache folder when the file is
    unchanged (``cached=False`` always parses)."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, "-", f"filen er ikke gyldig UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataError(path, "-", f"filen kan ikke læses ({exc.strerror})") from None
    entry = _cache_file(path) if cached and loader is KcbotLoader else None
    if entry is not None:
        digest = hashlib.blake2b(raw, digest_size=16, key=_RULES).digest()
        hit, data = _cached(entry, digest)
        if hit:
            return data
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
        if entry is not None:
            _keep(entry, digest, data)
        return data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"linje {mark.line + 1}" if mark else "-"
        raise DataError(path, where, f"ugyldig YAML: {getattr(exc, 'problem', exc)}") from None


def check_keys(path: Path | str, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
    """Refuse keys a data file does not know (a typo would otherwise be silently ignored)."""
    unknown = set(raw) - allowed
    if unknown:
        known = ", ".join(sorted(allowed))
        raise DataError(path, where, f"ukendte nøgler {sorted(unknown)}; gyldige: {known}")
