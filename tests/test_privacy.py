"""CPR masking: no false negatives on valid-looking numbers in arbitrary text; phone numbers and
dates untouched."""

from __future__ import annotations

import logging
import random
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcbot.privacy import CprMaskingFilter, find_cpr, mask_cpr

days = st.integers(1, 31)
months = st.integers(1, 12)
years = st.integers(0, 99)
# serial numbers starting 0-3: born in the 1900s, so any real day and month is a valid date
seqs = st.integers(0, 3999)
separators = st.sampled_from(["-", "", " ", " - ", "–"])
date_spaces = st.sampled_from(["", " "])


@st.composite
def birth_dates(draw) -> tuple[int, int, int]:
    born = draw(st.dates(date(1900, 1, 1), date(1999, 12, 31)))
    return born.day, born.month, born.year % 100


# text that cannot glue digits onto the number from either side
surrounding = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=40
)


@st.composite
def cpr_in_text(draw):
    d, m, y, s = draw(birth_dates()) + (draw(seqs),)
    inner = draw(date_spaces)
    number = f"{d:02d}{inner}{m:02d}{inner}{y:02d}{draw(separators)}{s:04d}"
    before, after = draw(surrounding), draw(surrounding)
    return before + number + after, f"{d:02d}{m:02d}{y:02d}", f"{s:04d}"


@given(cpr_in_text())
def test_every_valid_looking_cpr_is_masked(case) -> None:
    text, birth, seq = case
    masked = mask_cpr(text)
    assert f"{birth}-XXXX" in masked
    # the surrounding text has no digits, so none may be left once the mask is taken out
    assert not any(c in "0123456789" for c in masked.replace(f"{birth}-XXXX", ""))


@given(cpr_in_text())
def test_masking_is_idempotent_and_find_returns_the_full_number(case) -> None:
    text, birth, seq = case
    assert mask_cpr(mask_cpr(text)) == mask_cpr(text)
    assert find_cpr(text) == f"{birth}-{seq}"


@given(
    st.integers(20_000_000, 99_999_999),
    st.sampled_from(["{n}", "+45 {n}", "+45{n}", "0045 {n}", "{a} {b} {c} {d}"]),
    surrounding,
    surrounding,
)
def test_phone_numbers_are_not_masked(number: int, shape: str, before: str, after: str) -> None:
    digits = str(number)
    phone = shape.format(n=digits, a=digits[:2], b=digits[2:4], c=digits[4:6], d=digits[6:])
    text = f"{before} {phone} {after}"
    assert mask_cpr(text) == text


@given(days, months, st.integers(1990, 2035), st.sampled_from(["{d}/{m}/{y}", "{d}-{m}-{y}",
       "{y}-{m}-{d}", "{d}.{m}.{y}", "{d}. {m}. {y}"]), surrounding)
def test_dates_are_not_masked(d: int, m: int, y: int, shape: str, before: str) -> None:
    text = before + " " + shape.format(d=f"{d:02d}", m=f"{m:02d}", y=y)
    assert mask_cpr(text) == text


@given(st.text(alphabet=st.sampled_from("0123456789 -/.ab\u00a0"), max_size=80))
def test_nothing_cpr_like_survives_masking(text: str) -> None:
    assert find_cpr(mask_cpr(text)) is None


def test_known_shapes() -> None:
    assert mask_cpr("mit cpr er 2401901234") == "mit cpr er 240190-XXXX"
    assert mask_cpr("cpr: 240190-1234.") == "cpr: 240190-XXXX."
    assert mask_cpr("24 01 90 1234 tak") == "240190-XXXX tak"
    assert mask_cpr("ring på 82 56 56 82 eller 28123456") == "ring på 82 56 56 82 eller 28123456"
    assert mask_cpr("mødet er 24/11/2026 kl 10.30") == "mødet er 24/11/2026 kl 10.30"
    assert mask_cpr("3213901234") == "3213901234"  # day 32 is no date
    assert mask_cpr("3102901234") == "3102901234"  # nor is 31 February


def test_log_records_are_masked(caplog) -> None:
    logger = logging.getLogger("kcbot.test")
    logger.addFilter(CprMaskingFilter())
    with caplog.at_level(logging.INFO, logger="kcbot.test"):
        logger.info("borger %s skrev", "240190-1234")
    assert "240190-XXXX" in caplog.text
    assert "1234" not in caplog.text.replace("240190-XXXX", "")


# -- every written form (issue 15) ------------------------------------------------------------

# The 34 forms a security test tried; the last 15 leaked before normalisation.
WRITTEN_FORMS = [
    "2401901234", "240190-1234", "240190 1234", "24 01 90 1234", "24 01 90-1234",
    "240190 - 1234", "240190–1234", "240190—1234", "240190/1234", "240190\u00a01234",
    "24\u00a001\u00a090\u00a01234", "240190\u20101234", "240190\u20111234", "240190 -1234",
    "240190- 1234", "24 0190-1234", "2401 90-1234", "240190\u20121234", "240190 – 1234",
    "24.01.90-1234", "24.01.1990-1234", "24-01-90-1234", "24/01/90-1234", "240190.1234",
    "240190_1234", "240190-12 34", "240190\u22121234", "240190\u00ad1234", "240190\u20601234",
    "240190\ufeff1234", "240190\u202f1234",
    "\uff12\uff14\uff10\uff11\uff19\uff10-\uff11\uff12\uff13\uff14",
    "\u0662\u0664\u0660\u0661\u0669\u0660-\u0661\u0662\u0663\u0664", "2401\u200b901234",
]


def _digits(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.decimal(c)) for c in text if unicodedata.category(c) == "Nd")


@pytest.mark.parametrize("form", WRITTEN_FORMS, ids=[repr(f) for f in WRITTEN_FORMS])
def test_every_written_form_is_masked_and_found(form: str) -> None:
    masked = mask_cpr(f"mit cpr er {form} tak")
    assert masked == "mit cpr er 240190-XXXX tak"
    assert find_cpr(form) == "240190-1234"


# Spelled digit by digit, as one reads a number aloud or types it off a card.
SPELLED_FORMS = ["2 4 0 1 9 0 1 2 3 4", "2 4 0 1 9 0 - 1 2 3 4", "2.4.0.1.9.0.1.2.3.4",
                 "2\u00a04 0 1 9 0 1 2 3 4", "\uff12 \uff14 0 1 9 0 1 2 3 4"]


@pytest.mark.parametrize("form", SPELLED_FORMS, ids=[repr(f) for f in SPELLED_FORMS])
def test_a_cpr_spelled_digit_by_digit_is_masked_and_found(form: str) -> None:
    """Before, '2 4 0 1 9 0 1 2 3 4' was stored and logged as it was written."""
    assert mask_cpr(f"mit cpr er {form} tak") == "mit cpr er 240190-XXXX tak"
    assert find_cpr(form) == "240190-1234"


@pytest.mark.parametrize("text", ["ring på 2 0 3 0 4 0 5 0", "1 2 3 4 5 6 7 8 9 0 1 2",
                                  "trin 3 1 1 2 9 0 1 2 3 4 5"])
def test_other_spelled_numbers_are_kept(text: str) -> None:
    assert mask_cpr(text) == text


def test_34_written_forms_none_leaks() -> None:
    assert len(WRITTEN_FORMS) == 34
    assert [f for f in WRITTEN_FORMS if "1234" in _digits(mask_cpr(f))] == []


# What may sit inside or around a number: invisible characters, unicode dashes and spaces.
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e"]
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d",
          ".", "/", "_", " ", "\u00a0", "\u2009", "\u202f", ""]
DATE_SEPS = ["", " ", ".", "-", "/", ". ", "\u00a0"]
DIGIT_SETS = ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९"]


@st.composite
def cpr_written_any_way(draw):
    d, m, y = draw(birth_dates())
    s = draw(seqs)
    digits = draw(st.sampled_from(DIGIT_SETS))
    sep = draw(st.sampled_from(DATE_SEPS))
    year = f"{y:02d}" if draw(st.booleans()) or not sep else f"19{y:02d}"
    ascii_ = f"{d:02d}{sep}{m:02d}{sep}{year}{draw(st.sampled_from(DASHES))}{s:04d}"
    if draw(st.booleans()):
        ascii_ = ascii_[:-2] + " " + ascii_[-2:]
    written = "".join(digits[int(c)] if c.isdigit() else c for c in ascii_)
    # invisible characters anywhere inside
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, len(written) - 1))
        written = written[:at] + draw(st.sampled_from(INVISIBLE)) + written[at:]
    before, after = draw(surrounding), draw(surrounding)
    return before + " " + written + " " + after, f"{d:02d}{m:02d}{y:02d}", f"{s:04d}"


@given(cpr_written_any_way())
def test_a_cpr_written_any_way_is_masked(case) -> None:
    text, birth, seq = case
    masked = mask_cpr(text)
    assert f"{birth}-XXXX" in masked
    assert not _digits(masked.replace(f"{birth}-XXXX", ""))
    assert find_cpr(text) == f"{birth}-{seq}"
    assert mask_cpr(masked) == masked


@pytest.mark.parametrize("text", [
    "kontonr 1505123456", "kontonr. 1505123456", "Kontonummer: 1505123456",
    "sagsnr 2411261234", "sagsnummer 2411261234", "ordrenr 0101201234",
    "faktura 2411261234", "fakturanr. 2411261234",
])
def test_account_case_and_order_numbers_are_kept(text: str) -> None:
    assert mask_cpr(text) == text


def test_a_cpr_shape_is_masked_even_after_a_context_word() -> None:
    assert mask_cpr("sagsnr 241126-1234") == "sagsnr 241126-XXXX"
    assert mask_cpr("kontonr 1505123456 og cpr 2401901234") == (
        "kontonr 1505123456 og cpr 240190-XXXX")


@given(st.integers(0, 9_999_999_999))
def test_a_ten_digit_number_is_masked_exactly_when_it_starts_with_a_date(number: int) -> None:
    from kcbot.privacy import cpr_birth_date

    digits = f"{number:010d}"
    is_date = cpr_birth_date(f"{digits[:6]}-{digits[6:]}") is not None
    assert (mask_cpr(digits) != digits) == is_date


# The patterns as first written (a lookbehind first); kcbot.privacy writes them digit first so
# the regex engine can skip to the next digit. Both must find the same numbers.
_PLAIN_CPR = re.compile(
    r"(?<!\d)(?P<dd>0[1-9]|[12]\d|3[01])(?:[ ./-] ?)?(?P<mm>0[1-9]|1[0-2])(?:[ ./-] ?)?"
    r"(?:19|20)?(?P<yy>\d{2})(?P<sep> ?[-./_]? ?)(?P<s1>\d{2}) ?(?P<s2>\d{2})(?!\d)")
_PLAIN_SPELLED = re.compile(r"(?<!\d[ .])(?<!\d)\d(?:(?: - |[ .])\d){9}(?![ .]?\d)")


def _number_in_context(rng: random.Random) -> str:
    """A text around a CPR-shaped number whose every part may be out of range, or around a
    number spelled digit by digit, with a digit, a separator or nothing on either side."""
    sep = ["", "", " ", ".", "-", "/", "_", " - ", ". "]
    side = ["", "", "x", "7", "7 ", "7.", " ", '"', "\u0663"]
    if rng.random() < 0.6:
        number = (f"{rng.randrange(40):02d}{rng.choice(sep)}{rng.randrange(20):02d}"
                  f"{rng.choice(sep)}{rng.choice(['', '19', '20'])}{rng.randrange(100):02d}"
                  f"{rng.choice(sep)}{rng.randrange(100):02d}{rng.choice(['', ' '])}"
                  f"{rng.randrange(100):02d}")
    else:
        number = rng.choice([" ", ".", " - "]).join(
            rng.choices("0123456789", k=rng.randint(8, 12)))
    return rng.choice(side) + number + rng.choice(side)


def test_the_fast_patterns_match_what_the_plain_ones_match() -> None:
    """2,000 seeded texts, every start position searched (each of six deliberate breaks of
    the fast patterns makes this fail)."""
    from kcbot.privacy import _SPELLED, CPR_RE

    rng = random.Random(16)
    for _ in range(2000):
        text = _number_in_context(rng)
        for fast, plain in ((CPR_RE, _PLAIN_CPR), (_SPELLED, _PLAIN_SPELLED)):
            for start in range(len(text) + 1):
                a, b = fast.search(text, start), plain.search(text, start)
                assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict())), \
                    (text, start)


def test_the_ten_digit_gate_finds_what_the_plain_pattern_finds_from_every_start() -> None:
    from kcbot.privacy import _has_ten_digits

    plain = re.compile(r"\d(?:\D{0,4}\d){9}")
    rng = random.Random(16)
    for _ in range(3000):
        text = "".join(rng.choices('0123456789 -."x:\u0663\u00e6', k=rng.randint(0, 40)))
        for start in range(0, len(text) + 1, 3):
            expected = plain.search(text, start) is not None
            assert _has_ten_digits(text[start:]) == expected, (text, start)


def test_the_ten_digit_gate_without_the_regex_engine_answers_as_the_pattern() -> None:
    """``_has_ten_digits`` (Latin-1 marked by ``bytes.translate``, gaps of five cut)
    against the plain pattern: digits of other scripts, wide non-digits (an en dash, a lone
    surrogate), Latin-1 signs that are no decimal digits (superscripts), gaps of four and
    five, newlines."""
    from kcbot.privacy import _has_ten_digits

    plain = re.compile(r"\d(?:\D{0,4}\d){9}")
    rng = random.Random(17)
    alphabets = ['0123456789 -."x:\u0663\u00e6', "0123456789 .\n\u2013\u00b2\u00b9",
                 "0123456789 ab\ud800\uff11", "01234567890123456789 \u00e6\u00f8\u00e5", "0ab"]
    seen = set()
    for _ in range(20000):
        text = "".join(rng.choices(rng.choice(alphabets), k=rng.randint(0, 60)))
        expected = plain.search(text) is not None
        assert _has_ten_digits(text) == expected, text
        seen.add(expected)
    assert seen == {True, False}
    for text in ("1234 5 6789 0", "12345.....67890", "1234....56789.0", "\u0661" * 10,
                 "\uff10" * 10, "0101901234", "01.01.90-1234\u2013x", "\u00b2" * 12):
        assert _has_ten_digits(text) == (plain.search(text) is not None), text


def test_a_normalised_text_has_no_digit_but_0_to_9() -> None:
    """What lets ``_join_spelled`` read ``\\d`` as ASCII: every character of every script,
    normalised, holds no other decimal digit (Arabic-Indic, fullwidth, mathematical digits
    become 0-9)."""
    from kcbot.privacy import _normal_char, normalise_for_cpr

    wide = [hex(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000
            and any(c.isdecimal() and not c.isascii() for c in _normal_char(chr(code)))]
    assert wide == []
    assert normalise_for_cpr("\u0661\uff12\U0001d7ce")[0] == "120"
