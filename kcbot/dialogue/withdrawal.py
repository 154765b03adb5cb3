"""An errand taken back before it is registered: "nå nej, glem det, jeg kan godt komme
alligevel", "never mind, I can make it after all".

A careful agent stops there: the meeting stands, nothing is registered, and the citizen is told
so. Asking on about the kind of meeting or the reason would send the citizen round. The words
are data (``fortrudt`` in ``dialogues/afbud_regler.yml``); this module reads them:

- coming after all (``kommer_alligevel``) is enough on its own, in a clause that is not negated
  right after it ("kommer alligevel ikke"), not a question ("kan jeg godt komme alligevel?"),
  not hedged ("måske kan jeg godt komme") and not a new time ("kan godt komme på fredag i
  stedet", "kan godt komme senere"): those are still an afbud, a late arrival or a question;
- dropping the errand in words (``glem_det``) is a withdrawal only when nothing but those
  words and fill words is left: "glem det, det er torsdag" corrects the day instead.
"""

from __future__ import annotations

import re
from functools import cache

from kcbot.actions.context import content
from kcbot.dialogue.care import fold_alternatives
from kcbot.nlu.normalise import fold

__all__ = ["withdrawable_flows", "withdraws"]

RULES_FILE = "afbud_regler.yml"
_CLAUSE = r"[.,;:!\n]+|\b(?:men|but)\b"
_NEGATED_AFTER = r"^ ?(?:ikke|ik|ikk|ike|not|never|aldrig)\b"
# what keeps a clause from being a withdrawal: a hedge, a condition or another time
_NOT_FINAL = (
    r"\b(?:maske|maaske|nok|tror|maybe|might|probably|hvis|if|medmindre|unless|i stedet|"
    r"instead|senere|later|en anden dag|et andet tidspunkt|another day|another time|for sent|"
    r"late)\b"
)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: most conversations never take an errand back."""
    return (re.compile(_CLAUSE, re.IGNORECASE), re.compile(_NEGATED_AFTER),
            re.compile(_NOT_FINAL))


@cache
def _spec() -> tuple[frozenset[str], re.Pattern[str], re.Pattern[str], frozenset[str]]:
    spec = content(RULES_FILE).get("fortrudt") or {}
    coming = fold_alternatives(spec.get("kommer_alligevel"))
    drop = fold_alternatives(spec.get("glem_det"))
    fill = frozenset(fold(str(w)) for w in spec.get("fyld") or [])
    return (frozenset(spec.get("flows") or []), re.compile(rf"\b(?:{coming})"),
            re.compile(rf"\b(?:{drop})\b"), fill)


def withdrawable_flows() -> frozenset[str]:
    """The flows whose errand the citizen can take back while they run."""
    return _spec()[0]


def withdraws(text: str, *, coming_only: bool = False) -> bool:
    """Whether the message takes the errand back (see the module's docstring). With
    ``coming_only`` only coming after all counts: after an errand is done, "nej tak, glem det"
    answers "Er der andet?" and takes nothing back."""
    _, coming, drop, fill = _spec()
    clauses, negated_after, not_final = _patterns()
    text = text or ""
    for clause in clauses.split(text):
        folded = fold(clause)
        for match in coming.finditer(folded):
            if (not negated_after.match(folded[match.end():])
                    and not clause.rstrip().endswith("?")
                    and not not_final.search(folded)):
                return True
    folded = fold(text)
    if coming_only or text.rstrip().endswith("?") or not drop.search(folded):
        return False
    rest = drop.sub(" ", folded).split()
    return all(word in fill for word in rest)
