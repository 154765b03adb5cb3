from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcbot.nlu.normalise import MAX_CHARS, clean, fold, fold_with_spans


@pytest.mark.parametrize(
    "variants",
    [
        ("Lørdag", "loerdag", "lordag", "LØRDAG"),
        ("får", "faar", "far"),
        ("fået", "faaet", "faet"),
        ("Sygedagpenge", "sygedagpenge", "SYGEDAGPENGE"),
        ("hvornår har I åbent", "hvornaar har i aabent", "hvornar har i abent"),
        ("kontanthjælp", "kontanthjaelp", "kontanthjelp"),
    ],
)
def test_danish_letters_and_ascii_spellings_fold_alike(variants: tuple[str, ...]) -> None:
    assert len({fold(v) for v in variants}) == 1


def test_repeated_letters_and_punctuation_are_tamed() -> None:
    assert fold("Hejjjjj!!! jeg er sygggg...") == "hej jeg er syg"
    assert fold("naaaaej") == fold("nej")
    # real double letters stay
    assert fold("ikke logge") == "ikke logge"


def test_clean_removes_control_characters_and_ansi_sequences() -> None:
    assert clean("\x1b[31mrød\x1b[0m\x00 tekst\x07") == "rød tekst"
    assert clean("  a\t\n b  ") == "a b"
    assert clean("\u202eabc\u202c") == "abc"  # right-to-left override
    assert len(clean("x" * 100_000)) == MAX_CHARS


@given(st.text(max_size=200))
def test_spans_point_into_the_original_text(text: str) -> None:
    folded, spans = fold_with_spans(text)
    assert len(folded) == len(spans)
    for ch, (start, end) in zip(folded, spans, strict=True):
        assert 0 <= start < end <= len(text)
        if ch != " ":
            assert text[start:end].strip() != ""


def test_clean_drops_html_markup_but_keeps_the_words() -> None:
    # markup is not what the citizen says: a script goes with its code, a tag leaves its words
    assert clean("<script>alert('x')</script> jeg er syg") == "jeg er syg"
    assert clean("<b>AFBUD</b> i morgen <img src=x onerror=alert(1)>") == "AFBUD i morgen"
    assert clean("<!-- x --> syg <SCRIPT type='a'>evil()") == "syg"
    # no tags: a heart, a comparison
    assert clean("jeg <3 jer, x < 10 og 5>3") == "jeg <3 jer, x < 10 og 5>3"
