"""Every way the CLI was seen to end in a traceback (issue 15) ends in a Danish message and exit
code 2 instead, and nothing hangs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kcbot.errors import StoreError
from kcbot.store import Store
from tests.test_cli import kcbot


def fails_cleanly(result, words: str) -> None:  # type: ignore[no-untyped-def]
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("kcbot: ") and words in stderr, stderr


@pytest.mark.parametrize(("args", "words"), [
    (["report", "--output", "{tmp}"], "er en mappe"),
    (["report", "--output", "{tmp}/findes-ikke/r.md"], "mappen findes ikke"),
    (["report", "--output", "/dev/full", "--overwrite"], "disken er fuld"),
    (["report", "--output", "/proc/version", "--overwrite"], "Rapporten kan ikke skrives"),
    (["report", "--date", "0001-01-01"], "mellem år 1900"),
    (["report", "--date", "9999-12-31"], "mellem år 1900"),
    (["report", "--now", "0001-01-01"], "uden for år 1900-2999"),
    (["--now", "9999-12-31T23:59", "report"], "uden for år 1900-2999"),
    (["simulate", "--days", str(10**12)], "--days skal være 1 til"),
    (["content", "--stale", str(10**30)], "--stale skal være 0 til"),
    (["nlu", "--evaluate", "--folds", "100000"], "--folds skal være mellem 2"),
    (["test", "{tmp}/" + "a" * 5000 + ".yml"], "kan ikke læses: File name too long"),
], ids=["output-folder", "output-missing-folder", "output-full-disk", "output-read-only",
        "date-0001", "date-9999", "now-0001", "now-9999", "simulate-days", "content-stale",
        "nlu-folds", "test-name-too-long"])
def test_bad_arguments_are_a_danish_message_and_exit_2(tmp_path: Path, args: list[str],
                                                     words: str) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    fails_cleanly(kcbot(*args, "--db", str(tmp_path / "k.sqlite3")) if args[0] != "--now"
                  else kcbot(*args), words)


def _damaged(tmp_path: Path) -> Path:
    db = tmp_path / "damaged.sqlite3"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        con.execute("CREATE TABLE filler (x TEXT)")
        con.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    data = bytearray(db.read_bytes())
    for page in range(1, len(data) // 4096):
        data[page * 4096:page * 4096 + 64] = b"\xde\xad\xbe\xef" * 16
    db.write_bytes(bytes(data))
    return db


@pytest.mark.parametrize("command", [["report"], ["chat"]])
def test_a_damaged_database_is_a_danish_message(tmp_path: Path, command: list[str]) -> None:
    result = kcbot(*command, "--db", str(_damaged(tmp_path)), stdin=b"hej\n")
    fails_cleanly(result, "Databasen")


def test_a_wrong_dialogues_folder_exits_with_a_message_and_does_not_hang(tmp_path: Path
                                                                         ) -> None:
    result = kcbot("chat", "--db", str(tmp_path / "k.sqlite3"), stdin=b"hej\n",
                   env={"KCBOT_DIALOGUES_DIR": str(tmp_path)})
    fails_cleanly(result, "domain.yml")


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "tredive"])
def test_a_bad_idle_minutes_exits_with_a_message(tmp_path: Path, value: str) -> None:
    result = kcbot("chat", "--db", str(tmp_path / "k.sqlite3"), stdin=b"hej\n",
                   env={"KCBOT_IDLE_MINUTES": value})
    fails_cleanly(result, "KCBOT_IDLE_MINUTES")


async def test_a_read_only_store_says_so(tmp_path: Path, clock, monkeypatch) -> None:
    db = tmp_path / "ro.sqlite3"
    sqlite3.connect(db).close()
    import aiosqlite

    connect = aiosqlite.connect

    def read_only(path, **kwargs):  # type: ignore[no-untyped-def]
        # what a file on a read-only mount looks like to SQLite (root ignores chmod)
        return connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(aiosqlite, "connect", read_only)
    with pytest.raises(StoreError, match="skrivebeskyttet"):
        await Store.open(db, clock)


@pytest.mark.parametrize(("args", "words"), [
    (["report", "--period", "nonsense"], "ugyldigt valg: 'nonsense' (vælg mellem 'week'"),
    (["report", "--format", "pdf"], "ugyldigt valg: 'pdf'"),
    (["report", "--period"], "--period: forventer en værdi"),
    (["simulate", "--days", "mange"], "--days: 'mange' er ikke et heltal"),
    (["report", "--ukendt"], "forstår ikke: --ukendt"),
    (["raport"], "ugyldigt valg: 'raport'"),
    (["tickets"], "mangler: HANDLING"),
    (["chat", "--sender", "x" * 100_000], "--sender: skal være en tekst på 1 til 128 tegn"),
    (["chat", "--sender", "a\x1b]0;x\x07"], "--sender: må ikke indeholde styretegn"),
    (["chat", "--sender", " "], "--sender: skal være en tekst på 1 til 128 tegn"),
], ids=["period-nonsense", "format-pdf", "period-without-value", "days-not-a-number",
        "unknown-option", "misspelt-command", "missing-action", "sender-100000-chars",
        "sender-with-escapes", "sender-blank"])
def test_argument_errors_argparse_finds_are_danish_too(tmp_path: Path, args: list[str],
                                                       words: str) -> None:
    """Before, argparse's own refusals were English ('error: argument --period: invalid
    choice: ...') behind a usage block; now a Danish line that says where to get help."""
    result = kcbot(*args, "--db", str(tmp_path / "k.sqlite3"))
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert words in stderr, stderr
    for english in ("error:", "usage:", "invalid", "argument", "expected", "required"):
        assert english not in stderr, stderr
    assert stderr.startswith("kcbot") and "--help" in stderr, stderr
