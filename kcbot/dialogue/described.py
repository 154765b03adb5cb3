"""An answer that describes an option instead of naming it: "det ved jeg ikke hvad hedder, jeg
får penge fra kommunen, fordi jeg ikke er med i en a-kasse" to "Hvilken ydelse får du?".

The citizen does not know the word, but tells what a careful agent recognises. Asking the same
question again sends them round; assuming the option settles on a guess. So the bot names the
option it recognises and asks (``utter_gaet_<slot>``, Ja/Nej): "ja" is the answer, "nej" asks
the question again, and a message that answers the question itself is read as such. The
descriptions are data (``beskrevet`` in ``dialogues/svar.yml``).
"""

from __future__ import annotations

import re
from functools import cache

from kcbot.actions.context import content
from kcbot.dialogue.care import fold_pattern
from kcbot.nlu.normalise import fold

__all__ = ["ask_name", "guess"]

ANSWERS_FILE = "svar.yml"

_Description = tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]


def ask_name(slot: str) -> str:
    """The response that asks whether the recognised option is the answer."""
    return f"utter_gaet_{slot}"


@cache
def _descriptions() -> dict[str, list[tuple[str, _Description]]]:
    spec = content(ANSWERS_FILE).get("beskrevet") or {}

    def compiled(patterns: object) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(rf"\b(?:{fold_pattern(str(p))})\b")
                     for p in (patterns or []))  # type: ignore[union-attr]

    return {slot: [(option, (compiled(d.get("alle")), compiled(d.get("undtagen"))))
                   for option, descriptions in (options or {}).items()
                   for d in descriptions or []]
            for slot, options in spec.items()}


def guess(slot: str, text: str) -> str | None:
    """The one option of ``slot`` the answer describes, or None (none, or more than one)."""
    descriptions = _descriptions().get(slot)
    if not descriptions:
        return None
    folded = f" {fold(text or '')} "
    found = {option for option, (every, unless) in descriptions
             if every and all(p.search(folded) for p in every)
             and not any(p.search(folded) for p in unless)}
    return found.pop() if len(found) == 1 else None
