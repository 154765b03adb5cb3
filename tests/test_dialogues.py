"""Every dialogue in tests/dialogues/ is a test of its own, named after the dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine
from kcbot.dialogue.scripted import DialogueSpec, load_dialogues, run_dialogue
from tests.conftest import REPO

FILES = sorted((REPO / "tests" / "dialogues").glob("*.yml"))
SPECS = [spec for path in FILES for spec in load_dialogues(path)]


@pytest.fixture
async def engine(tmp_path: Path, nlu) -> AsyncIterator[Engine]:
    engine = await Engine.open(Settings(db_path=tmp_path / "d.sqlite3"), FrozenClock(), nlu=nlu)
    yield engine
    await engine.close()


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s.path.stem}:{s.name}" for s in SPECS])
async def test_dialogue(engine: Engine, spec: DialogueSpec) -> None:
    result = await run_dialogue(engine, spec)
    transcript = "\n".join(f"{t['from']}: {t['text']}" for t in result.transcript)
    assert result.passed, "\n".join(result.failures) + "\n\n" + transcript
