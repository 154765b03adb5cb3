"""Plain Danish in every citizen-facing text, every version: LIX at most 40 (the worst five
are printed), du-form (never "man"), and the LIX function itself."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from typing import Any

import pytest

from kcbot.dialogue import load_domain
from kcbot.dialogue.domain import Domain
from kcbot.dialogue.lix import lix
from tests.conftest import REPO

LIMIT = 40.0
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][a-z0-9_]*)\}")
_ENGLISH = {"en", "english", "engelsk"}


def _danish(variant: dict[str, Any]) -> bool:
    """English variants (a language condition) are not measured by a Danish index."""
    return not any(str(c.get("value")).lower() in _ENGLISH
                   for c in variant.get("condition") or ())


def citizen_texts(domain: Domain) -> Iterator[tuple[str, int, str]]:
    """Every Danish variant of every response: its text, without the options (see lix.py),
    with the organisation's names filled in ("jobcentret" is a long word, "{org}" is not)."""
    def name_of(match: re.Match[str]) -> str:
        written = match.group(1)
        value = domain.names.get(written.lower())
        if value is None:
            return match.group(0)
        return value[:1].upper() + value[1:] if written[:1].isupper() else value

    for name, variants in domain.responses.items():
        for i, variant in enumerate(variants):
            if _danish(variant):
                yield name, i, _PLACEHOLDER.sub(name_of, str(variant["text"]).strip())


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain(REPO / "dialogues")


def test_lix_counts_words_sentences_and_long_words() -> None:
    # 9 words, 2 sentences, 2 long words (sygemelding, jobcentret)
    counts = lix("Jeg har sendt din sygemelding. Nu ved jobcentret det.")
    assert (counts.words, counts.sentences, counts.long_words) == (9, 2, 2)
    assert counts.value == pytest.approx(9 / 2 + 100 * 2 / 9)


def test_a_line_or_bullet_is_a_sentence_and_an_ordinal_is_not_an_end() -> None:
    assert lix("Mødet er den 25. november kl. 9 i jobcentret").sentences == 1
    assert lix("Husk:\n• Meld dig syg\n• Ring til os").sentences == 3
    assert lix("Hvad er dit navn?\n1) Ja\n2) Nej").sentences == 3
    # a placeholder is one short word, whatever it stands for
    assert lix("Mødet er {moededato}.").long_words == 0
    assert lix("").value == 0


def test_every_citizen_text_has_lix_at_most_40(domain: Domain) -> None:
    scored = sorted(((lix(text).value, name, i) for name, i, text in citizen_texts(domain)),
                    reverse=True)
    values = [value for value, _, _ in scored]
    print(f"\nLIX over {len(values)} tekster: min {min(values):.1f}, "
          f"median {statistics.median(values):.1f}, max {max(values):.1f}")
    print("De fem sværeste:")
    for value, name, i in scored[:5]:
        print(f"  {value:5.1f}  {name}[{i}]")
    too_hard = [f"{name}[{i}]: {value:.1f}" for value, name, i in scored if value > LIMIT]
    assert not too_hard, f"LIX over {LIMIT:g}: {too_hard}"


_MAN = re.compile(r"\bman\b", re.IGNORECASE)


def test_every_citizen_text_says_du_not_man(domain: Domain) -> None:
    offenders = [f"{name}[{i}]" for name, i, text in citizen_texts(domain) if _MAN.search(text)]
    assert not offenders, f"skriv 'du', ikke 'man': {offenders}"


# Words a citizen may not know: each is explained in the same text (the words that must be
# there too), or not used at all (None).
JARGON = {
    "CDU": "der behandler klager",
    "Ydelsesservice": "udbetaler",
    "gensygemelding": None,
    "selvbooking": "selv",
    "kodeviser": "viser koden",
    "folkeregistret": "bor officielt",
    "Digital Post": "ikke digitalt",
}


def test_jargon_is_explained_where_it_is_used(domain: Domain) -> None:
    unexplained = []
    for name, i, text in citizen_texts(domain):
        for word, explanation in JARGON.items():
            if word.lower() in text.lower() and (explanation is None
                                                 or explanation.lower() not in text.lower()):
                unexplained.append(f"{name}[{i}]: {word}")
    assert not unexplained, unexplained
