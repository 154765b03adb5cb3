"""Compiled patterns kept in the cache folder (``kcbot.regexcache``): a start reads them instead
of compiling, each equals what ``re`` compiles from its source, and a missing, damaged, foreign
or hostile file only costs the compile."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from kcbot import regexcache
from tests.conftest import REPO

# A fresh interpreter's first replies, reporting the patterns compiled by kcbot's own code: what
# ``re`` compiled for a caller in kcbot (other than the cache itself).
FIRST_REPLY = r"""
import os, re._compiler, sys
compiled = []
plain = re._compiler.compile
inside_re = os.path.dirname(re.__file__)
def counting(p, flags=0):
    frame = sys._getframe(1)
    while os.path.dirname(frame.f_code.co_filename) == inside_re:
        frame = frame.f_back
    name = frame.f_code.co_filename
    if "/kcbot/" in name and not name.endswith("regexcache.py"):
        compiled.append(p if isinstance(p, str) else repr(p))
    return plain(p, flags)
re._compiler.compile = counting

import asyncio, json
from pathlib import Path
from kcbot import regexcache
from datetime import datetime
from kcbot.clock import TZ, FrozenClock
OPEN = datetime(2026, 11, 24, 9, 15, tzinfo=TZ)  # a Tuesday morning: the reply says 'åbent'
from kcbot.config import Settings
from kcbot.dialogue import Engine
primed = len(regexcache._loaded)  # read from the file by ``import kcbot``

async def main():
    engine = await Engine.open(Settings(db_path=Path(sys.argv[1])), FrozenClock(OPEN))
    replies = []
    for text in ("hvornår har I åbent?", "jeg kan ikke komme til min jobsamtale i morgen",
                 "dagpenge", "jeg er syg"):
        result = await engine.turn("a", text)
        replies.append("\n".join(r.text for r in result.replies))
    await engine.close()
    print(json.dumps({"replies": replies, "compiled": compiled,
                      "primed": primed}))

asyncio.run(main())
"""


def _first_reply(tmp_path: Path, name: str, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "KCBOT_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", FIRST_REPLY, str(tmp_path / name)],
                         capture_output=True, env=env, timeout=180, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def warm(nlu, cache_dir: Path, tmp_path: Path) -> tuple[Path, dict]:
    """The session's cache folder with a regex file written by a first start."""
    regexcache.cache_file(cache_dir).unlink(missing_ok=True)
    cold = _first_reply(tmp_path, "cold.sqlite3", cache_dir)
    assert regexcache.cache_file(cache_dir).is_file()
    return cache_dir, cold


def test_a_warm_start_compiles_none_of_kcbots_patterns_and_answers_the_same(
        warm: tuple[Path, dict], tmp_path: Path) -> None:
    cache, cold = warm
    assert len(cold["compiled"]) > 100  # the care signals, lookups, entities …
    again = _first_reply(tmp_path, "warm.sqlite3", cache)
    assert again["compiled"] == []
    assert again["primed"] > 100
    assert again["replies"] == cold["replies"]
    assert "åbent" in again["replies"][0]


def test_every_cached_pattern_equals_the_one_re_compiles(warm: tuple[Path, dict]) -> None:
    """``re.Pattern`` equality compares source, flags and the compiled code itself."""
    from re import _compiler  # the plain way, past every cache

    cache, _ = warm
    entries = regexcache._read(regexcache.cache_file(cache))
    assert len(entries) > 100
    samples = ["jeg kan ikke komme til min jobsamtale i morgen, min søn er syg",
               "hvornaar har i aabent", "150390-2468 Mette Hansen", "I have the flu", ""]
    for entry in entries:
        source, flags = entry[0], entry[1]
        cached, plain = regexcache._build(entry), _compiler.compile(source, flags)
        assert cached == plain, source[:80]
        assert (cached.flags, cached.groups, cached.groupindex) == (
            plain.flags, plain.groups, plain.groupindex)
        for text in samples:
            assert [m.span() for m in cached.finditer(text)] == [
                m.span() for m in plain.finditer(text)]


def _rewrite(path: Path, payload: bytes, key: bytes | None = None) -> None:
    digest = hashlib.blake2b(payload, digest_size=16, key=key or regexcache._key()).digest()
    path.write_bytes(digest + payload)


class Boom:
    """Unpickled, it would leave a file: the file's absence shows it never ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "foreign", "hostile",
                                    "bad code", "not a list"])
def test_a_damaged_foreign_or_hostile_file_only_costs_the_compile(
        warm: tuple[Path, dict], tmp_path: Path, damage: str) -> None:
    cache, cold = warm
    path = regexcache.cache_file(cache)
    blob = path.read_bytes()
    entries = regexcache._read(path)
    if damage == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flipped":
        path.write_bytes(blob[:1000] + bytes([blob[1000] ^ 1]) + blob[1001:])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign":  # another Python's or another re's file
        _rewrite(path, blob[16:], key=hashlib.blake2b(b"cpython 3.99", digest_size=32).digest())
    elif damage == "hostile":  # a valid digest over a pickle that would run a command
        _rewrite(path, pickle.dumps([Boom(tmp_path / "pwned")]))
    elif damage == "bad code":  # a valid file whose code _sre refuses
        source, flags, full, code, groups, index, names = entries[0]
        _rewrite(path, pickle.dumps([(source, flags, full, b"\xff" * len(code), groups,
                                      index, names), *entries[1:]]))
    else:
        _rewrite(path, pickle.dumps({"a": 1}))
    again = _first_reply(tmp_path, "again.sqlite3", cache)
    assert again["replies"] == cold["replies"]
    assert not (tmp_path / "pwned").exists()
    if damage == "bad code":
        assert again["primed"] == len(entries) - 1
    else:
        assert again["primed"] == 0 and len(again["compiled"]) > 100
        # and the start wrote a good file again
        assert len(regexcache._read(path)) > 100


def test_a_few_new_characters_do_not_rewrite_the_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Babel builds a pattern from a set, in another order at every start: a file rewritten
    for every such pattern would cost more than it saves."""
    import re

    monkeypatch.setattr(regexcache, "_loaded", {})
    monkeypatch.setattr(regexcache, "_known", set())
    assert regexcache.save(tmp_path) is True  # no file yet: everything re holds is new
    written = regexcache.cache_file(tmp_path).read_bytes()
    few = "kcbot-regexcache-test-" + "x" * 20
    re.compile(few)
    assert regexcache.save(tmp_path) is False
    assert regexcache.cache_file(tmp_path).read_bytes() == written  # not rewritten
    many = "kcbot-regexcache-test-" + "y" * regexcache.MIN_NEW_CHARS
    re.compile(many)
    assert regexcache.save(tmp_path) is True
    # rewritten, now holding the new pattern (and the few characters compiled before it)
    sources = {entry[0] for entry in regexcache._read(regexcache.cache_file(tmp_path))}
    assert many in sources and few in sources  # the few came along with the rewrite
