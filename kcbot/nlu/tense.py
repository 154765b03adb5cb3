"""A state told in the past, then the one now: "jeg var raskmeldt i sidste uge, men nu er jeg syg
igen", "jeg har været syg, men er rask nu", "I was sick but now I am fine".

The citizen writes about the state they are in now; the one before is context. Read whole, the
words of the state before weigh as much as those of the state now, and the message can read as
the wrong topic (a raskmelding for a new sick report). So the pipeline reads the part from
"men"/"but" on when it is clearly about a topic of its own, and an illness told as the state
before is not the reason now (``kcbot.nlu.entities``).

The past needs a past state ("var", "blev", "har været", "was"): "jeg fik en kode med brev, men
har glemt den" tells what happened, not a state, and the whole message asks about it. The now
needs a present verb or "nu"/"igen" right after "men": "jeg var syg i går, men jeg kan godt
komme" tells no new state, and the whole message is read.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["past_state", "state_now"]

_PAST = r"var|blev|har (?:veret|været)|was|were|used to be|(?:have|has|ve) been"
_PRESENT = r"nu|now|igen|again|stadig|still|er|har|am|is|are|have|has|m|re|ve"
_STATE_NOW = re.compile(
    rf"\b(?:{_PAST})\b[^.!?\n]*?[\s,;]+(?:men|but)\s+"
    rf"(?P<now>(?:(?:jeg|i|det|it)\s+)?(?:{_PRESENT})\b.*)",
    re.IGNORECASE | re.DOTALL)
_MIN_NOW_WORDS = 3


def state_now(text: str) -> int | None:
    """Where the state now begins in ``text`` (after "men"/"but"), when the same sentence first
    tells a state in the past; else None."""
    split = _split(text)
    return None if split is None else split[1]


def past_state(text: str) -> tuple[int, int] | None:
    """The span of the state told in the past, before the state now; else None."""
    return _split(text)


# One message is asked about three times (the pipeline's ranking, the extractor's entities and
# the reading of its parts), with the same text: searched once.
@lru_cache(maxsize=64)
def _split(text: str) -> tuple[int, int] | None:
    m = _STATE_NOW.search(text)
    if m is None or len(m["now"].split()) < _MIN_NOW_WORDS:
        return None
    return m.start(), m.start("now")
