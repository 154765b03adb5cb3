"""CPR masking: no false negatives on valid-looking numbers in arbitrary text; phone numbers and
dates untouched."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from kcbot.privacy import CprMaskingFilter, find_cpr, mask_cpr

days = st.integers(1, 31)
months = st.integers(1, 12)
years = st.integers(0, 99)
seqs = st.integers(0, 9999)
separators = st.sampled_from(["-", "", " ", " - ", "–"])
date_spaces = st.sampled_from(["", " "])
# text that cannot glue digits onto the number from either side
surrounding = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=40
)


@st.composite
def cpr_in_text(draw):
    d, m, y, s = draw(days), draw(months), draw(years), draw(seqs)
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


def test_log_records_are_masked(caplog) -> None:
    logger = logging.getLogger("kcbot.test")
    logger.addFilter(CprMaskingFilter())
    with caplog.at_level(logging.INFO, logger="kcbot.test"):
        logger.info("borger %s skrev", "240190-1234")
    assert "240190-XXXX" in caplog.text
    assert "1234" not in caplog.text.replace("240190-XXXX", "")
