"""The conversation corpus (tests/conversations/): every dialogue is a test of its own.

The corpus states what a careful agent would do, so some dialogues fail until the bot reads
messages well enough. Those are listed in tests/conversations/known_failures.txt and marked
``xfail(strict=True)``: a dialogue that starts passing must be taken off the list, and one that
is not on the list must pass. One engine and store serve the whole module (every dialogue has
its own sender and conversation), which keeps the corpus to a few seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from kcbot.clock import FrozenClock, parse_local
from kcbot.config import Settings, data_path
from kcbot.dialogue import Engine
from kcbot.dialogue.scripted import DialogueSpec, TurnSpec, load_dialogues, run_dialogue
from kcbot.yamlio import load_yaml
from tests.conftest import REPO
from tests.test_english import danish_sentences, opens_in_english

CORPUS = REPO / "tests" / "conversations"
KNOWN_FAILURES = CORPUS / "known_failures.txt"
FILES = sorted(CORPUS.glob("*.yml"))
SPECS = [spec for path in FILES for spec in load_dialogues(path)]


def known_failures(path: Path = KNOWN_FAILURES) -> dict[str, str]:
    """``name  # reason`` a line; blank lines and lines starting with '#' are comments."""
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        known[name.strip()] = reason.strip() or "kendt fejl"
    return known


KNOWN = known_failures()
# The English red-team corpora's conversations that open in English and stay in it: no reply
# may hold a Danish sentence, the welcome included ("hi" gets the English one).
ENGLISH_ONLY = {spec.name for spec in SPECS if spec.path.stem.startswith("english")
                and spec.expect.get("slots", {}).get("sprog") == "en"
                and not spec.name.startswith("switch_") and opens_in_english(spec)}


def _param(spec: DialogueSpec) -> object:
    marks = ()
    if spec.name in KNOWN:
        marks = (pytest.mark.xfail(strict=True, reason=KNOWN[spec.name]),)
    return pytest.param(spec, id=f"{spec.path.stem}:{spec.name}", marks=marks)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory, nlu) -> AsyncIterator[Engine]:
    db = tmp_path_factory.mktemp("conversations") / "corpus.sqlite3"
    engine = await Engine.open(Settings(db_path=db), FrozenClock(), nlu=nlu)
    yield engine
    await engine.close()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("spec", [_param(s) for s in SPECS])
async def test_conversation(engine: Engine, spec: DialogueSpec) -> None:
    number = SPECS.index(spec)
    result = await run_dialogue(engine, spec, number)
    transcript = "\n".join(f"{t['from']}: {t['text']}" for t in result.transcript)
    assert result.passed, "\n".join(result.failures) + "\n\n" + transcript
    if spec.name in ENGLISH_ONLY:
        danish = [s for t in result.transcript if t["from"] == "bot"
                  for s in danish_sentences(t["text"])]
        assert not danish, f"Danish to an English writer: {danish}\n\n{transcript}"


def test_the_english_corpus_is_checked_for_danish_replies() -> None:
    assert len(ENGLISH_ONLY) >= 150
    assert {"en3x_hi_one_word_english_welcome", "en3s_hi_then_afbud"} <= ENGLISH_ONLY


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [s.name for s in SPECS]
    assert len(names) >= 160
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)


def test_known_failures_name_dialogues_of_the_corpus() -> None:
    assert set(KNOWN) - {s.name for s in SPECS} == set()


def test_every_flow_is_covered() -> None:
    """Each flow is the topic of some dialogue, or only reached by a link or call from other
    flows, or offered when another is done (``offer``)."""
    domain_dir = data_path("dialogues")
    linked = set()
    for path in sorted((domain_dir / "flows").glob("*.yml")):
        for flow in (load_yaml(path).get("flows") or {}).values():
            linked |= {step[kind] for step in flow.get("steps", []) for kind in ("link", "call")
                       if kind in step}
            linked |= {offer["then"] for offer in flow.get("offer", [])}
    flows = {
        name
        for path in sorted((domain_dir / "flows").glob("*.yml"))
        for name in (load_yaml(path).get("flows") or {})
    }
    covered = {s.flow for s in SPECS}
    assert flows - covered - linked == set()
    assert covered - flows == set()


@pytest.mark.asyncio(loop_scope="module")
async def test_profile_answers_the_bot_never_asks_for_are_ignored(engine: Engine) -> None:
    # Corpus profiles answer questions other flows may add (identity, read-back), so keys the
    # bot does not ask for must change nothing.
    spec = DialogueSpec(
        "ekstra_profilsvar", CORPUS / "x.yml", now=parse_local("2026-11-24T09:15"),
        profile={"borgergruppe": "dagpenge", "navn": "Test Testesen", "cpr": "010190-1234",
                 "bekraeftelse": "ja", "findes_ikke": "hvad som helst"},
        turns=[TurnSpec("hvordan holder jeg ferie")],
        expect={"outcome": "straksafklaret", "ticket": "none"},
    )
    result = await run_dialogue(engine, spec, len(SPECS))
    assert result.passed, result.failures
    assert result.asked == ["borgergruppe"]


def known_failures_text(results: list) -> str:
    """known_failures.txt for a run: each failed dialogue with its main failure as the reason."""
    lines = [
        "# Corpus dialogues that fail on this branch, one name a line, with the main failure",
        "# kind and the first failure of that kind as the reason. tests/test_conversations.py",
        "# marks them xfail(strict=True): when the bot learns to handle one, it XPASSes and must",
        "# come off this list. Regenerate after a fix:",
        "#   python -m tests.test_conversations > tests/conversations/known_failures.txt",
        "",
    ]
    for result in results:
        if not result.passed:
            reason = result.failures[result.kinds.index(result.kind)].replace("#", "nr.")
            lines.append(f"{result.name}  # {result.kind}: {reason}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import asyncio
    import sys

    from kcbot.dialogue.scripted import run_files

    results = asyncio.run(run_files(FILES, Settings.from_env()))
    sys.stdout.write(known_failures_text(results))
