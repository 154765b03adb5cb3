"""Parsed data files are kept in the cache folder: an unchanged file is read from there, an
edited one is parsed again, and a missing, damaged or unwritable cache only costs the parse."""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path

import pytest
import yaml

from kcbot import yamlio
from kcbot.errors import DataError
from kcbot.yamlio import load_yaml

DOC = "svar: [ja, nej, on]\nreviewed: 2026-11-24\nsand: true\n"


@pytest.fixture
def data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KCBOT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "data.yml"
    path.write_text(DOC, encoding="utf-8")
    return path


def _entries(path: Path) -> list[Path]:
    return list((path.parent / "cache" / "yaml").glob("*.pickle"))


def _no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed instead of read from the cache")

    monkeypatch.setattr(yaml, "load", refuse)


def test_an_unchanged_file_is_read_from_the_cache(data_file: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_yaml(data_file)
    assert first == {"svar": ["ja", "nej", "on"], "reviewed": date(2026, 11, 24), "sand": True}
    assert len(_entries(data_file)) == 1
    _no_parser(monkeypatch)
    second = load_yaml(data_file)
    assert second == first and second is not first  # a fresh copy a caller may change
    second["svar"].append("x")
    assert load_yaml(data_file)["svar"] == ["ja", "nej", "on"]


def test_an_edited_file_is_parsed_again_even_with_the_same_size_and_time(
        data_file: Path) -> None:
    load_yaml(data_file)
    stat = data_file.stat()
    data_file.write_text(DOC.replace("nej", "jan"), encoding="utf-8")
    os.utime(data_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert data_file.stat().st_size == stat.st_size
    assert load_yaml(data_file)["svar"] == ["ja", "jan", "on"]
    assert len(_entries(data_file)) == 1  # the entry was overwritten, not added to


def test_changed_loader_rules_are_a_new_key(data_file: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    load_yaml(data_file)
    monkeypatch.setattr(yamlio, "_rules", lambda: b"other rules" + bytes(5))
    _no_parser(monkeypatch)
    with pytest.raises(AssertionError, match="parsed instead"):
        load_yaml(data_file)


def test_a_damaged_entry_only_costs_the_parse(data_file: Path) -> None:
    load_yaml(data_file)
    (entry,) = _entries(data_file)
    entry.write_bytes(entry.read_bytes()[:30])
    assert load_yaml(data_file)["sand"] is True
    entry.write_bytes(b"")
    assert load_yaml(data_file)["sand"] is True
    assert len(entry.read_bytes()) > 30  # written again


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo hacked > /dev/null",))


def test_an_entry_with_anything_but_yaml_types_is_refused(data_file: Path) -> None:
    load_yaml(data_file)
    (entry,) = _entries(data_file)
    digest = entry.read_bytes()[:16]
    entry.write_bytes(digest + pickle.dumps({"svar": _Boom()}))
    assert load_yaml(data_file)["svar"] == ["ja", "nej", "on"]


def test_an_unwritable_cache_folder_still_loads(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("KCBOT_CACHE_DIR", str(blocker))
    path = tmp_path / "data.yml"
    path.write_text(DOC, encoding="utf-8")
    assert load_yaml(path)["sand"] is True
    assert load_yaml(path)["sand"] is True


def test_a_broken_file_is_still_a_danish_error_and_is_not_cached(data_file: Path) -> None:
    data_file.write_text("a: 1\nb: [1, 2\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DataError, match=r"data\.yml.*linje \d+: ugyldig YAML"):
            load_yaml(data_file)
    assert _entries(data_file) == []
