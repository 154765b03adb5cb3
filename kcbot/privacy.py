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

__all__ = ["CPR_RE", "CprMaskingFilter", "find_cpr", "mask_cpr"]

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


class CprMaskingFilter(logging.Filter):
    """Masks CPR numbers in log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_cpr(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
