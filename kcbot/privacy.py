"""CPR numbers at the boundaries: find them, mask them.

A CPR number is ``ddmmyy-xxxx``, but citizens write it in many ways: ten digits, a space, dot,
slash, underscore or any unicode dash before the serial number, separators inside the date
(``01.01.90``, ``01-01-90``, a four-digit year ``01.01.1990``), a space inside the serial,
fullwidth or Arabic-Indic digits, and invisible characters (soft hyphen, zero-width space,
word joiner, BOM) pasted from a portal. So the text is *normalised* before it is matched: each
character through NFKC, format characters dropped, every decimal digit mapped to 0-9, every
dash to ``-`` and every space to `` ``; a match is then mapped back to the original text,
which keeps its own characters everywhere else.

A match is masked as ``ddmmyy-XXXX`` when its first six digits are a real date in the century
the CPR office's table gives for the serial number (``310290`` is no date; the modulus-11
check is not used, as numbers issued since 2007 need not satisfy it). Phone numbers (8 digits)
and dates never match, as they lack the four trailing digits.

Account, case and order numbers are ten digits too. Right after ``kontonr``, ``sagsnr``,
``ordrenr`` or ``faktura`` a bare number is such a number and is kept; written in the CPR
shape (a dash before the last four digits) it is masked even there.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["CPR_RE", "CprMatch", "CprMaskingFilter", "cpr_birth_date", "find_cpr",
           "find_cprs", "is_full_cpr", "mask_cpr", "mask_number_answer", "normalise_for_cpr"]

_DATE_SEP = r"(?:[ ./-] ?)?"
# The day is written as "a digit 0-3, then what may follow it", and "no digit before" is
# checked after it, so the pattern starts with a character set: the regex engine then skips
# ahead to the next 0-3 instead of trying the whole pattern at every character (2.5 times as
# fast on a stored event; the same matches as ``(?<!\d)(?P<dd>0[1-9]|[12]\d|3[01])``).
CPR_RE = re.compile(
    r"(?P<dd>[0-3](?:(?<=0)[1-9]|(?<=[12])\d|(?<=3)[01]))(?<!\d\d\d)" + _DATE_SEP +
    r"(?P<mm>0[1-9]|1[0-2])" + _DATE_SEP +
    r"(?:19|20)?(?P<yy>\d{2})"
    r"(?P<sep> ?[-./_]? ?)"
    r"(?P<s1>\d{2}) ?(?P<s2>\d{2})"
    r"(?!\d)"
)
# A word that makes a following bare ten-digit number an account, case or order number.
_CONTEXT = re.compile(
    r"(?:konto|sags?|ordre|faktura|kunde)(?:nr|nummer|nummeret)?\.?\s*(?:nr\.?|nummer)?\s*"
    r"[:.#]?\s*$"
)
_DASHES = {"\u2212", "\u2043", "\ufe63", "\uff0d", "\u02d7"}


def _normal_char(char: str) -> str:
    """What one character counts as when looking for a CPR number ('' for none)."""
    if char.isascii():
        return char
    category = unicodedata.category(char)
    if category == "Cf":  # soft hyphen, zero-width space, word joiner, BOM, bidi marks
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category == "Pd" or char in _DASHES:
        return "-"
    if category == "Zs":
        return " "
    if category[0] == "N":  # ², ½, ①: not digits one writes a number with
        return char
    return unicodedata.normalize("NFKC", char)


@functools.lru_cache(maxsize=4096)
def _is_itself(char: str) -> bool:
    return _normal_char(char) == char


def normalise_for_cpr(text: str) -> tuple[str, Sequence[int]]:
    """``text`` normalised for matching, and for each of its characters the index of the
    original character it came from."""
    if text.isascii() or all(_is_itself(char) for char in set(text)):
        # most text (Danish letters, the stored events and state) counts as itself; a range
        # indexes like the list it stands for, without building it
        return text, range(len(text))
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for out in _normal_char(char):
            chars.append(out)
            origin.append(index)
    return "".join(chars), origin


def _birth_date(dd: str, mm: str, yy: str, first_serial_digit: str) -> date | None:
    day, month, year, digit = int(dd), int(mm), int(yy), int(first_serial_digit)
    if digit <= 3:
        century = 1900
    elif digit in (4, 9):
        century = 2000 if year <= 36 else 1900
    else:
        century = 2000 if year <= 57 else 1800
    try:
        return date(century + year, month, day)
    except ValueError:
        return None


# Ten digits (any script) close together, each at most four non-digits from the next (what
# ``\d(?:\D{0,4}\d){9}`` finds): a text without them holds no CPR number, however it is
# written, and needs no normalising (most turns, and the dialogue state, are such texts).
# Tested without the regex engine, which checks ``\d`` character by character in the Unicode
# database (~15 ns a character, and again from every digit; a stored state is ~550
# characters). The text is encoded as Latin-1, whose only decimal digits are 0-9; a character
# beyond it becomes ``0`` if it is a decimal digit (Arabic-Indic, fullwidth) and ``.`` if not
# (an en dash), one run at a time, by the error handler below. One ``bytes.translate`` marks
# each digit ``1`` and anything else ``.``; five or more non-digits in a row (a gap the pattern
# cannot cross) become ``|`` and shorter gaps nothing, so ten ``1`` in a row is what the
# pattern finds. Each step is a pass of C over the bytes. tests/test_privacy.py checks it
# against the pattern.
_DIGIT_MARKS = bytes(0x31 if 0x30 <= i <= 0x39 else 0x2E for i in range(256))
_WIDE_DIGITS = "kcbot-cpr-wide-digits"


def _wide_digits(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start:error.end]
    return "".join("0" if char.isdecimal() else "." for char in run), error.end


codecs.register_error(_WIDE_DIGITS, _wide_digits)


def _has_ten_digits(text: str) -> bool:
    """Whether ``text`` has ten digits close together (see above)."""
    marks = text.encode("latin-1", _WIDE_DIGITS).translate(_DIGIT_MARKS)
    if marks.count(b"1") < 10:
        return False
    return b"1111111111" in marks.replace(b".....", b"|").translate(None, b".")


# Ten single digits with a space, a dot or " - " between each (a number read off a card digit
# by digit), not part of a longer such run: joined before matching.
# (``\d(?<!\d\d)(?<!\d[ .]\d)`` is ``(?<!\d[ .])(?<!\d)\d`` with the digit first, for the
# regex engine's skip to the next digit; see CPR_RE.)
_SPELLED = re.compile(r"\d(?<!\d\d)(?<!\d[ .]\d)(?:(?: - |[ .])\d){9}(?![ .]?\d)")
# The same pattern for a normalised text, whose only decimal digits are 0-9 (every other one
# became its 0-9; tests/test_privacy.py checks every character): ``\d`` as ASCII, so the
# search for a first digit compares bytes instead of asking the Unicode database of each
# character (a stored event is ~300 characters).
_SPELLED_NORMAL = re.compile(_SPELLED.pattern, re.ASCII)


def _join_spelled(normal: str, origin: Sequence[int]) -> tuple[str, Sequence[int]]:
    runs = list(_SPELLED_NORMAL.finditer(normal))
    if not runs:
        return normal, origin
    drop = {i for m in runs for i in range(m.start(), m.end()) if not normal[i].isdigit()}
    kept = [i for i in range(len(normal)) if i not in drop]
    return "".join(normal[i] for i in kept), [origin[i] for i in kept]


def _matches(text: str, checked: bool = False) -> list[tuple[int, int, re.Match[str]]]:
    """Every CPR number in ``text``: (start, end) in the original text and the match in the
    normalised one. A candidate that is no date is skipped one character at a time, so it
    cannot hide a real number it overlaps. ``checked``: the caller has found ten digits close
    together already."""
    if not checked and not _has_ten_digits(text):
        return []
    normal, origin = _join_spelled(*normalise_for_cpr(text))
    found: list[tuple[int, int, re.Match[str]]] = []
    pos = 0
    while (m := CPR_RE.search(normal, pos)) is not None:
        if _birth_date(m["dd"], m["mm"], m["yy"], m["s1"][0]) is None:
            pos = m.start() + 1
            continue
        # "sagsnr. 0101990000" is a case number; glued to letters ("SAG0101990000") it may be
        # a CPR number all the same, and a number is rather masked once too often
        if "-" not in m["sep"] and not normal[max(0, m.start() - 1):m.start()].isalpha() and (
                _CONTEXT.search(normal[max(0, m.start() - 24):m.start()].lower())):
            pos = m.end()
            continue
        found.append((origin[m.start()], origin[m.end() - 1] + 1, m))
        pos = m.end()
    return found


@dataclass(frozen=True)
class CprMatch:
    """A CPR number found in a text: its span in that text, masked and in full."""

    start: int
    end: int
    masked: str
    full: str


def find_cprs(text: str) -> list[CprMatch]:
    """Every CPR number in ``text``, however written, in order."""
    return [CprMatch(start, end, f"{m['dd']}{m['mm']}{m['yy']}-XXXX",
                     f"{m['dd']}{m['mm']}{m['yy']}-{m['s1']}{m['s2']}")
            for start, end, m in _matches(text or "")]


def mask_cpr(text: str) -> str:
    """Replace every CPR number in ``text``, however written, with ``ddmmyy-XXXX``."""
    if not text or not _has_ten_digits(text):
        return text
    parts: list[str] = []
    last = 0
    for start, end, m in _matches(text, True):
        parts += [text[last:start], f"{m['dd']}{m['mm']}{m['yy']}-XXXX"]
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_DIGIT_RUN = re.compile(r"\d(?:[ ./_-]?\d){6,}")


def mask_number_answer(text: str) -> str:
    """An answer to the CPR question, masked even when it is no valid CPR number: the
    citizen meant one, so every run of seven or more digits keeps only its first six."""
    text = mask_cpr(text)
    normal, origin = normalise_for_cpr(text)
    parts: list[str] = []
    last = 0
    for m in _DIGIT_RUN.finditer(normal):
        digits = re.sub(r"\D", "", m.group())
        start, end = origin[m.start()], origin[m.end() - 1] + 1
        parts += [text[last:start], f"{digits[:6]}-{'X' * (len(digits) - 6)}"]
        last = end
    return "".join(parts) + text[last:] if parts else text


def find_cpr(text: str) -> str | None:
    """The first CPR number in ``text`` in its canonical form ``ddmmyy-xxxx``, unmasked.

    Only for the one field that must keep it (a letter request in the outbox)."""
    found = find_cprs(text)
    return found[0].full if found else None


_CANONICAL = re.compile(r"^(\d{2})(\d{2})(\d{2})-(\d)\d{3}$")


def is_full_cpr(value: object) -> bool:
    """A canonical, unmasked ``ddmmyy-xxxx`` (what may be encrypted and delivered)."""
    return isinstance(value, str) and bool(_CANONICAL.match(value))


def cpr_birth_date(cpr: str) -> date | None:
    """The birth date a canonical CPR number encodes, or None if it encodes none.

    The century follows from the year and the first digit of the serial number (the CPR
    office's table), so ``290201-4xxx`` (2001, not a leap year) is no date at all."""
    m = _CANONICAL.match(cpr or "")
    if not m:
        return None
    return _birth_date(*m.groups())


class CprMaskingFilter(logging.Filter):
    """Masks CPR numbers in log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_cpr(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
