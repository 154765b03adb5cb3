"""The command line as a user meets it, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def kcbot(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None):
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kcbot", *args],
        input=stdin, capture_output=True, env=full_env, timeout=120, cwd=REPO,
    )


BAD_LINES = [
    b"",
    b"   \t  ",
    b"x" * 100_000,
    b"hej\x00med\x01dig\x7f",
    b"\x1b[31mjeg er syg\x1b[0m \x1b]0;title\x07",
    "jeg er syg 🤒🤒 😷".encode(),
    "مرحبا أنا مريض \u202eolleh".encode(),
    b"\xff\xfe\xfa invalid utf-8 \xc3\x28",
    b"[bold red]x[/] [link=http://example.org]klik[/link]",
    b"'; DROP TABLE turns; --",
    b"<script>alert(1)</script>",
]


def test_nlu_answers_every_line_even_bad_input() -> None:
    result = kcbot("nlu", "--now", "2026-11-24T09:00", stdin=b"\n".join(BAD_LINES) + b"\n")
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(BAD_LINES)
    for line in lines:
        obj = json.loads(line)
        assert set(obj) == {"text", "intent", "confidence", "ranking", "entities"}
        assert "\x1b" not in obj["text"] and "\x00" not in obj["text"]
    parsed = [json.loads(line) for line in lines]
    assert parsed[0]["intent"] == "nlu_fallback"  # empty
    assert parsed[1]["intent"] == "nlu_fallback"  # whitespace
    assert len(parsed[2]["text"]) <= 2000  # capped
    assert parsed[4]["text"] == "jeg er syg"
    assert parsed[4]["intent"] == "sygemelding"


def test_nlu_masks_cpr_in_its_output() -> None:
    result = kcbot("nlu", stdin=b"mit cpr er 240190-1234\n")
    obj = json.loads(result.stdout)
    assert "1234" not in result.stdout.decode()
    assert obj["text"] == "mit cpr er 240190-XXXX"
    assert {"entity": "cpr", "value": "240190-XXXX", "start": 11, "end": 22} in obj["entities"]


def test_nlu_resolves_dates_with_now() -> None:
    result = kcbot("nlu", "--now", "2026-12-31T10:00", stdin=b"jeg kommer ikke i morgen\n")
    entities = json.loads(result.stdout)["entities"]
    assert {"entity": "dato", "value": "2027-01-01", "start": 16, "end": 24} in entities


def test_help_lists_the_commands() -> None:
    result = kcbot("--help")
    assert result.returncode == 0
    assert b"nlu" in result.stdout and b"--db" in result.stdout


def test_bad_now_and_bad_db_are_clear_danish_errors(tmp_path: Path) -> None:
    result = kcbot("nlu", "--now", "i går", stdin=b"hej\n")
    assert result.returncode == 2
    assert "kan ikke læses" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    result = kcbot("db", "--db", str(tmp_path))
    assert result.returncode == 2
    assert "mappe" in result.stderr.decode()


def test_db_flag_and_env_choose_the_store(tmp_path: Path) -> None:
    flagged = tmp_path / "flag.sqlite3"
    result = kcbot("db", "--db", str(flagged))
    assert result.returncode == 0, result.stderr.decode()
    assert flagged.exists() and str(flagged) in result.stdout.decode()
    from_env = tmp_path / "env.sqlite3"
    result = kcbot("db", env={"KCBOT_DB": str(from_env)})
    assert from_env.exists() and "skema-version" in result.stdout.decode()


@pytest.mark.slow
def test_evaluate_prints_the_figures() -> None:
    result = kcbot("nlu", "--evaluate", "--folds", "3", "--json")
    assert result.returncode == 0, result.stderr.decode()
    figures = json.loads(result.stdout)
    assert figures["folds"] == 3
    assert figures["examples"] >= 900
    assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["macro_f1"] <= 1.0
    assert figures["confused"] and {"true", "predicted", "count"} <= set(figures["confused"][0])
