"""CPR numbers at the boundaries: find them, mask them.

A CPR number is ``ddmmyy-xxxx``; citizens also write it as ten digits, with a space instead of the
hyphen, or with spaces inside the date. We mask anything that looks like one (a valid day and
month followed by four digits) as ``ddmmyy-XXXX``: false positives cost nothing, a false negative
leaks a confidential number (CPR-loven § 54). The modulus-11 check is not used: numbers issued
since 2007 need not satisfy it. Phone numbers (8 digits) and dates never match, as they lack the
four trailing digits.
"""

from __future__ import annotations

import logging
import re
from datetime import date

__all__ = ["CPR_RE", "CprMaskingFilter", "cpr_birth_date", "find_cpr", "is_full_cpr",
           "mask_cpr"]

_SEP = r"[ \u00a0]?"
CPR_RE = re.compile(
    r"(?<!\d)"
    r"(?P<dd>0[1-9]|[12]\d|3[01])" + _SEP +
    r"(?P<mm>0[1-9]|1[0-2])" + _SEP +
    r"(?P<yy>\d{2})"
    r"[ \u00a0]?[-\u2010\u2011\u2012\u2013\u2014/]?[ \u00a0]?"
    r"(?P<seq>\d{4})"
    r"(?!\d)"
)


def mask_cpr(text: str) -> str:
    """Replace every CPR-like number in ``text`` with ``ddmmyy-XXXX``."""
    if not text:
        return text
    return CPR_RE.sub(lambda m: f"{m['dd']}{m['mm']}{m['yy']}-XXXX", text)


def find_cpr(text: str) -> str | None:
    """The first CPR number in ``text`` in its canonical form ``ddmmyy-xxxx``, unmasked.

    Only for the one field that must keep it (a letter request in the outbox)."""
    m = CPR_RE.search(text or "")
    return f"{m['dd']}{m['mm']}{m['yy']}-{m['seq']}" if m else None


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
    dd, mm, yy, digit = (int(g) for g in m.groups())
    if digit <= 3:
        century = 1900
    elif digit in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


class CprMaskingFilter(logging.Filter):
    """Masks CPR numbers in log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_cpr(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
