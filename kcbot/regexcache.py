"""Compiled regular expressions kept in the cache folder between starts.

A start compiles ~360 regular expressions: kcbot's own (the care signals, the lookup tables'
alternations, the entity patterns) and its libraries'. ``re`` parses and compiles them in
pure Python, about a tenth of a cold start, although the result only changes with the pattern.
The last step, ``_sre.compile``, takes the finished code (a list of integers) and is cheap. So
the code of each pattern is kept in one file per Python build (``regex-cpython-311.pickle`` in
``KCBOT_CACHE_DIR``), and ``prime()`` (run by ``import kcbot``) builds the patterns from it
straight into ``re``'s own cache, keyed as ``re.compile`` keys it (the pattern's source and
flags): every ``re.compile``, ``re.search`` … of a cached source, in kcbot or a library, then
finds its pattern there, and no caller changes. A pattern missing from the file is compiled by
``re`` as always; ``save()`` (run when an engine has opened) adds what this process compiled.

Safe against a damaged or foreign file: the file starts with a keyed digest of its content
(key: this module's format, the Python build and ``_sre``'s magic number and code size), so
another Python, another ``re`` or a damaged byte is a miss; the unpickler builds no objects but
plain data; ``_sre.compile`` validates the code itself; and an entry is only written after the
pattern built from it compared equal (same source, flags and code) to the one ``re`` compiled.
Anything unexpected, ``re``'s internals included, only costs the compile.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
import sys
from array import array
from pathlib import Path
from typing import Any

__all__ = ["cache_file", "prime", "save"]

# Bump when an entry's layout changes.
CACHE_FORMAT = 1
# re's own cache held 512 patterns and dropped the oldest when full (first in, first out in
# Python 3.11): once a start used more than that (~560 after the red-team rounds of stop 19), the
# primed patterns were pushed out before their first use and compiled again, each pushing out
# the next: a warm start compiled ~470. ``prime`` raises re's limit to RE_CACHE, so what a start
# uses fits with room to spare; the patterns are held by kcbot's modules anyway, so the larger
# cache costs only the dict's slots.
RE_CACHE = 2048
# At most this many patterns are primed, and kept in the file.
MAX_ENTRIES = 1200
# Writing the file again (~400 KB) costs about what compiling ~3,000 characters of patterns
# does (1 µs a character here), so fewer new characters than this are compiled at each start
# instead. It also keeps a library's pattern that differs at every start (Babel builds one from
# a set, whose order changes with the hash seed) from rewriting the file every time.
MIN_NEW_CHARS = 1000

# Entry: (source, flags as given, flags of the pattern, code, groups, groupindex, indexgroup)
_Entry = tuple[str, int, int, bytes, int, dict[str, int], tuple[str | None, ...]]
_Key = tuple[type, str, int]

# What the file this process read (or last wrote) held, by re's key.
_loaded: dict[_Key, _Entry] = {}
# Patterns ``save`` has seen (it writes only when there are others).
_known: set[_Key] = set()


def _sre() -> Any:
    import _sre

    return _sre


def _code_array() -> str:
    for typecode in ("I", "L"):
        if array(typecode).itemsize == _sre().CODESIZE:
            return typecode
    raise ValueError("no array type for SRE code")


def _key() -> bytes:
    """What the code depends on: this format, the Python build, ``re``'s code format."""
    sre = _sre()
    return hashlib.blake2b(
        f"{CACHE_FORMAT} {sys.version} {sys.implementation.cache_tag} {sre.MAGIC} "
        f"{sre.CODESIZE} {sys.maxunicode}".encode(), digest_size=32).digest()


def cache_file(folder: Path | str | None = None) -> Path:
    """The file for this Python build in ``folder`` (default: the cache folder)."""
    if folder is None:
        from kcbot.config import cache_dir

        folder = cache_dir()
    return Path(folder) / f"regex-{sys.implementation.cache_tag or 'python'}.pickle"


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: only plain data is cached")


def _read(path: Path) -> list[_Entry]:
    blob = path.read_bytes()
    digest, payload = blob[:16], blob[16:]
    if hashlib.blake2b(payload, digest_size=16, key=_key()).digest() != digest:
        return []
    entries = _PlainData(io.BytesIO(payload)).load()
    return entries if isinstance(entries, list) else []


def _build(entry: _Entry) -> re.Pattern[str]:
    source, _, flags, code, groups, groupindex, indexgroup = entry
    if not (isinstance(source, str) and isinstance(code, bytes) and isinstance(groupindex, dict)
            and isinstance(indexgroup, tuple)):
        raise TypeError("not a cache entry")
    return _sre().compile(source, flags, array(_code_array(), code).tolist(), groups,
                          groupindex, indexgroup)


def prime(folder: Path | str | None = None) -> int:
    """Put the cached patterns into ``re``'s cache; how many. Never raises."""
    try:
        cache = re._cache  # type: ignore[attr-defined]
        if re._MAXCACHE < RE_CACHE:  # type: ignore[attr-defined]
            re._MAXCACHE = RE_CACHE  # type: ignore[attr-defined]
        room = min(MAX_ENTRIES, re._MAXCACHE - len(cache))  # type: ignore[attr-defined]
        entries = _read(cache_file(folder))
    except Exception:  # noqa: BLE001 - no file, unreadable, damaged, another re: compile instead
        return 0
    # what the program compiled before importing kcbot could not have come from the file: not
    # new to it either (~950 characters of the standard library's, near MIN_NEW_CHARS)
    _known.update(key for key in list(cache) if type(key) is tuple)
    primed = 0
    for index, entry in enumerate(entries[:MAX_ENTRIES]):
        try:
            key = (str, entry[0], entry[1])
            if index < room:
                pattern = _build(entry)  # validated even where re has compiled it already
                if key not in cache:
                    cache[key] = pattern
                    primed += 1
            elif not (type(entry) is tuple and len(entry) == 7 and type(entry[0]) is str
                      and type(entry[1]) is int):
                continue  # no room to build it: kept for the next file if it has its shape
            _loaded[key] = entry
            _known.add(key)
        except Exception:  # noqa: BLE001,S112 - a bad entry is a miss
            continue
    return primed


def _entry(key: _Key, pattern: re.Pattern[str]) -> _Entry | None:
    """The code of ``pattern`` (compiled again the way ``re`` does), or None if what that builds
    differs from the pattern ``re`` holds."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _, source, flags = key
    parsed = _parser.parse(source, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    entry = (source, flags, flags | parsed.state.flags, array(_code_array(), code).tobytes(),
             parsed.state.groups - 1, groupindex, tuple(indexgroup))
    return entry if _build(entry) == pattern else None


def save(folder: Path | str | None = None) -> bool:
    """Write the file again if this process compiled patterns it did not read from it (at least
    ``MIN_NEW_CHARS`` of them, or there was no file): what ``re`` holds now (the most recent
    ``MAX_ENTRIES``), and what the file held besides as far as there is room. Whether it wrote.
    Never raises."""
    from kcbot.yamlio import write_cache_file

    try:
        held = [(key, pattern) for key, pattern in list(re._cache.items())  # type: ignore[attr-defined]
                if type(key) is tuple and len(key) == 3 and key[0] is str
                and type(key[1]) is str and type(key[2]) is int
                and not key[2] & re.DEBUG]
        new = sum(len(key[1]) for key, _ in held if key not in _known)
        if not new or (_loaded and new < MIN_NEW_CHARS):
            return False
        _known.update(key for key, _ in held)
        entries: dict[_Key, _Entry] = {}
        for key, pattern in held[-MAX_ENTRIES:]:  # the most recent when re holds more
            try:
                entry = _loaded.get(key) or _entry(key, pattern)
            except Exception:  # noqa: BLE001,S112 - left out, compiled by re next time
                continue
            if entry is not None:
                entries[key] = entry
        kept = [(key, entry) for key, entry in _loaded.items() if key not in entries]
        # what re holds first, in its order (primed at the next start as far as there is room),
        # then what the file held besides (known there, compiled by re when used)
        kept = list(entries.items()) + kept[:MAX_ENTRIES - len(entries)]
        payload = pickle.dumps([entry for _, entry in kept], protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - re's internals are not what this module knows
        return False
    digest = hashlib.blake2b(payload, digest_size=16, key=_key()).digest()
    write_cache_file(cache_file(folder), digest + payload)
    _loaded.clear()
    _loaded.update(kept)
    return True
