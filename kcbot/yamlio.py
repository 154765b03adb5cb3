"""YAML loading for kcbot's data files.

PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` become booleans; in Danish data a
citizen's "no" or an option ``on`` must stay text. The loader below keeps only ``true`` and
``false`` as booleans (as YAML 1.2 does).

Parsed files are kept in the cache folder (``KCBOT_CACHE_DIR``/``yaml``): building Python
objects is the slow half of YAML even with libyaml (40 ms for the ~110 data files, a tenth of a
cold start), unpickling them takes 2 ms, and a start whose files are all cached does not import
PyYAML at all (10 ms more). An entry is one file per data file, named by its path and holding a
digest of its bytes, of this module's source (the loader's rules) and of the installed PyYAML,
so an edited file, other rules or another PyYAML parse again and overwrite the entry. The
unpickler takes only the types YAML builds; a missing, unreadable or damaged entry only costs
the parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
from functools import cache
from pathlib import Path
from typing import Any

from kcbot.errors import DataError

# The loaders are built on first use (``__getattr__``): a start served from the cache never
# imports PyYAML.
__all__ = ["KcbotLoader", "PureKcbotLoader", "check_keys", "load_yaml", "write_cache_file"]  # noqa: F822

# Bump when a cache entry's layout changes (the rules are keyed by this file's source).
CACHE_FORMAT = 1


@cache
def _loaders() -> tuple[type, type]:
    import yaml

    # libyaml's parser (CSafeLoader) reads the data files in a tenth of the time of the
    # pure-Python one; the resolver below is the same Python class in both.
    safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class KcbotLoader(safe):  # type: ignore[valid-type,misc]
        pass

    class PureKcbotLoader(yaml.SafeLoader):
        """The same rules on the pure-Python parser (a test compares the two)."""

    KcbotLoader.yaml_implicit_resolvers = PureKcbotLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    for loader in (KcbotLoader, PureKcbotLoader):
        loader.add_implicit_resolver(
            "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
            list("tTfF"))
    return KcbotLoader, PureKcbotLoader


def __getattr__(name: str) -> type:
    if name == "KcbotLoader":
        return _loaders()[0]
    if name == "PureKcbotLoader":
        return _loaders()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _rules() -> bytes:
    """What a parse depends on besides the file: these rules and the installed PyYAML (its
    package ``__init__`` names its version), read without importing it."""
    import importlib.util

    digest = hashlib.blake2b(f"{CACHE_FORMAT} {pickle.HIGHEST_PROTOCOL}".encode(),
                             digest_size=16)
    digest.update(Path(__file__).read_bytes())
    spec = importlib.util.find_spec("yaml")
    if spec is not None and spec.origin:
        digest.update(Path(spec.origin).read_bytes())
    return digest.digest()


# Types a safe YAML load builds that pickle stores by name; anything else in an entry is refused.
_CACHED_TYPES = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"),
                 ("datetime", "timezone")}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CACHED_TYPES:
            raise pickle.UnpicklingError(f"{module}.{name} is not a YAML type")
        return super().find_class(module, name)


def _cache_file(path: Path) -> Path:
    from kcbot.config import cache_dir

    # abspath, not resolve(): no system call per folder on the way (105 files a start)
    name = hashlib.blake2b(os.path.abspath(path).encode(), digest_size=12).hexdigest()
    return cache_dir() / "yaml" / f"{path.stem[:40]}-{name}.pickle"


def _cached(entry: Path, digest: bytes) -> tuple[bool, Any]:
    try:
        blob = entry.read_bytes()
        if blob[:len(digest)] != digest:
            return False, None
        return True, _Unpickler(io.BytesIO(blob[len(digest):])).load()
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged: parse the file instead
        return False, None


def write_cache_file(path: Path, content: bytes) -> None:
    """Keep ``content`` at ``path`` in the cache folder: written whole to a file of this
    process and renamed, so a reader never sees half an entry. A read-only or full cache folder
    is no error (the work is done again next time)."""
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(content)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _keep(entry: Path, digest: bytes, data: Any) -> None:
    try:
        blob = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:  # not plain data: parse next time too
        return
    write_cache_file(entry, digest + blob)


def load_yaml(path: Path, loader: type | None = None, cached: bool = True,
              raw: bytes | None = None) -> Any:
    """A data file's content, read with kcbot's loader unless ``loader`` is given; with kcbot's
    loader from the cache folder when the file is unchanged (``cached=False`` always parses).
    ``raw`` is the file's bytes when the caller has read them already."""
    try:
        raw = path.read_bytes() if raw is None else raw
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, "-", f"filen er ikke gyldig UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataError(path, "-", f"filen kan ikke læses ({exc.strerror})") from None
    entry = digest = None
    if cached and (loader is None or loader is _loaders()[0]):
        entry = _cache_file(path)
        digest = hashlib.blake2b(raw, digest_size=16, key=_rules()).digest()
        hit, data = _cached(entry, digest)
        if hit:
            return data
    import yaml

    try:
        data = yaml.load(text, Loader=loader or _loaders()[0])  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"linje {mark.line + 1}" if mark else "-"
        raise DataError(path, where, f"ugyldig YAML: {getattr(exc, 'problem', exc)}") from None
    if entry is not None and digest is not None:
        _keep(entry, digest, data)
    return data


def check_keys(path: Path | str, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
    """Refuse keys a data file does not know (a typo would otherwise be silently ignored)."""
    unknown = set(raw) - allowed
    if unknown:
        known = ", ".join(sorted(allowed))
        raise DataError(path, where, f"ukendte nøgler {sorted(unknown)}; gyldige: {known}")
