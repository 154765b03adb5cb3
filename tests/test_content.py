"""Content as data: every guidance text and rule file has a source and a review date, mistakes in
the dialogue files name the file, the flow and the step, and a rule change needs no code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rasa_sdk.executor import ActionExecutor

from kcbot.dialogue import load_domain, load_flows
from kcbot.errors import DataError
from tests.conftest import REPO
from tests.test_cli import kcbot

DIALOGUES = REPO / "dialogues"


def _actions() -> list[str]:
    executor = ActionExecutor()
    executor.register_package("kcbot.actions")
    return list(executor.actions)


def test_every_guidance_text_has_a_source_and_a_review_date() -> None:
    domain = load_domain(DIALOGUES)
    guidance = [n for n, p in domain.origin.items() if p.parent.name == "vejledning"]
    assert len(guidance) >= 25
    for name in guidance:
        meta = domain.metadata(name)
        assert meta["source"] and meta["reviewed"], name


def test_content_stale_lists_what_is_due_for_review() -> None:
    late = json.loads(kcbot("content", "--stale", "180", "--json", "--now", "2027-06-01").stdout)
    fresh = json.loads(kcbot("content", "--stale", "180", "--json", "--now", "2026-12-01").stdout)
    files = {item["file"] for item in late}
    assert {"afbud_regler.yml", "aabningstider.yml", "vejledning/ferie.yml"} <= files
    assert fresh == []


@pytest.fixture
def dialogues(tmp_path: Path) -> Path:
    copy = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, copy)
    return copy


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        ("        collect: moededato\n", "        collect: moedested\n",
         "flows.afbud.steps[4]", "moedested"),
        ("            then: godkendt\n", "            then: godkendtt\n",
         "flows.afbud.steps[12]", "godkendtt"),
        ("      - action: action_vurder_afbud\n", "      - action: action_vurder\n",
         "flows.afbud.steps[8]", "action_vurder"),
        ("          - if: {afbud_afgoerelse: [godkendt, videresendt]}\n",
         "          - if: {afbud_afgoerelse: [godkendt, sendt]}\n", "flows.afbud.steps[8]",
         "sendt"),
        ("    intents: [afbud]\n", "    intents: [afbuds]\n", "flows.afbud.intents", "afbuds"),
        ("        then: tilbyd_sygemelding\n", "        then: tilbyd_sygemeldingg\n",
         "flows.afbud.offer", "tilbyd_sygemeldingg"),
    ],
)
def test_a_broken_flow_names_file_flow_and_step(
    dialogues: Path, old: str, new: str, where: str, problem: str
) -> None:
    _replace(dialogues / "flows" / "afbud.yml", old, new)
    with pytest.raises(DataError) as error:
        load_flows(dialogues / "flows", load_domain(dialogues), _actions())
    message = str(error.value)
    assert "afbud.yml" in message and where in message and problem in message


def test_a_guidance_text_without_a_review_date_is_refused(dialogues: Path) -> None:
    _replace(dialogues / "vejledning" / "ferie.yml", "        reviewed: 2026-12-01\n", "")
    with pytest.raises(DataError, match=r"ferie\.yml.*utter_ferie_dagpenge.*reviewed"):
        load_domain(dialogues)


def test_a_rule_change_is_an_edit_of_the_rule_table(dialogues: Path, tmp_path: Path) -> None:
    # 1 Jan 2027: suppose ferie became a valid reason for dagpenge. No code changes.
    _replace(dialogues / "afbud_regler.yml",
             "afbud_kategori: [arbejde, ansaettelsessamtale, borgerligt_ombud]",
             "afbud_kategori: [arbejde, ansaettelsessamtale, borgerligt_ombud, ferie]")
    dialogue = tmp_path / "d.yml"
    dialogue.write_text(
        "dialogues:\n  - name: ferie_er_gyldig\n"
        "    profile: {bekraeftelse: ja, navn: Mette Hansen, cpr: 150390-2468}\n    turns:\n"
        "      - user: \"jeg får dagpenge"
        " og kan ikke komme til min jobsamtale i morgen, jeg er ude at rejse\"\n"
        "    expect: {outcome: straksafklaret, says: [gyldig grund], ticket: none}\n",
        encoding="utf-8",
    )
    result = kcbot("test", str(dialogue), env={"KCBOT_DIALOGUES_DIR": str(dialogues)})
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_libyaml_reads_every_data_file_as_the_python_parser_does(tmp_path: Path) -> None:
    """kcbot reads its data with libyaml's parser when PyYAML has it (a tenth of the time);
    every file must come out the same, 'ja', 'no' and 'on' as text, and a broken file is
    still a Danish error that names the file and the line."""
    import yaml

    from kcbot.yamlio import KcbotLoader, PureKcbotLoader, load_yaml

    # the comparison below is of two parsers only if KcbotLoader is libyaml's where PyYAML
    # has it; without this it could compare the Python parser with itself and not fail
    assert issubclass(KcbotLoader, getattr(yaml, "CSafeLoader", ())) == yaml.__with_libyaml__
    files = sorted([*(REPO / "dialogues").rglob("*.yml"), *(REPO / "intents").rglob("*.yml")])
    assert len(files) > 20
    for path in files:
        assert load_yaml(path, cached=False) == load_yaml(path, PureKcbotLoader), path
    words = tmp_path / "ord.yml"
    words.write_text("svar: [ja, nej, no, on, off, yes]\nsand: true\n", encoding="utf-8")
    assert load_yaml(words, KcbotLoader) == {"svar": ["ja", "nej", "no", "on", "off", "yes"],
                                             "sand": True}
    broken = tmp_path / "brudt.yml"
    broken.write_text("a: 1\nb: [1, 2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"brudt\.yml.*linje \d+: ugyldig YAML"):
        load_yaml(broken)
