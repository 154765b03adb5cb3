"""Whose meeting a message names: the owner is read where the meeting is named, not only in the
reason.

- A meeting with the a-kasse or the union ("mit møde i a-kassen", "samtale med min a-kasse",
  "a-kassens møde", "indkaldt af a-kassen") is the a-kasse's to cancel, not the jobcentre's
  (domain-facts.md, Corrections Dec 2026): the message gets a ``moede_hos`` entity, and the meeting
  word ("samtale") names no jobcentre meeting type.
- A job interview with an employer ("jobsamtale hos Netto") is a reason (ansættelsessamtale), not
  the meeting to cancel: when another meeting is named ("kan ikke komme til jobklubben, har en
  jobsamtale hos Netto"), its meeting word names no meeting type. "jobsamtale hos jobcentret" is
  the jobcentre's own meeting, and no job interview.

Both work on the entities ``EntityExtractor`` found, with offsets in the original text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from kcbot.nlu.negation import negated
from kcbot.nlu.normalise import fold

__all__ = ["AKASSE", "settle_owner"]

AKASSE = "akasse"
OWNER_ENTITY = "moede_hos"


class _Entity(Protocol):
    entity: str
    value: str
    start: int
    end: int


# On folded text ("møde" -> "mode", "a-kassen" -> "a kassen", "forløb" -> "forlob").
_AKASSE_WORD = r"(?:a ?kasse|fagforening|union\b|unemployment (?:insurance )?fund)[a-z]*"
_MEETING = (r"(?:mode|moder|modet|samtale|samtalen|samtaler|jobsamtale[a-z]*|cv samtale[a-z]*"
            r"|tid|tiden|aftale|aftalen|indkaldelse[a-z]*|meeting|meetings|appointment"
            r"|interview|session|kursus[a-z]*|forlob[a-z]*|jobklub[a-z]*)")
# Words that start another clause between the meeting and the owner ("samtalen og jeg er i
# a-kassen"): the owner is then no longer the meeting's.
_NEW_CLAUSE = r"(?:jeg|vi|du|og|men|for|fordi|sa|so|and|but|because|i am|am|me)"
_PUNCTUATION = re.compile(r"[,.;:!?\n]")
_NEGATOR = re.compile(r"\b(?:ikke|ik|ikk|ike|not|no|never|aldrig)\b")
_OWNED = re.compile(
    # "møde (på torsdag) i/hos/med a-kassen", "meeting with my union"
    rf"\b(?P<meeting>{_MEETING})(?: (?!{_NEW_CLAUSE}\b)[a-z0-9]+){{0,2}}? "
    rf"(?:i|hos|med|ved|fra|pa|with|at|in|from)"
    rf" (?:min |mit |mine |din |vores |the |my |our |your )?{_AKASSE_WORD}"
    # "a-kassens møde", "a-kassemøde", "a-kasse-samtale", "union meeting"
    rf"|\b(?:a ?kasse|akasse|fagforening|union)(?:ns|ens|s|n)? ?(?P<meeting2>{_MEETING})\b"
    # "indkaldt af a-kassen", "called in by my a-kasse", "a-kassen har indkaldt mig"
    rf"|\b(?:indkaldt|kaldt ind|booket|called in|called|invited|booked) (?:mig |me )?"
    rf"(?:af|fra|by|of) (?:min |mit |the |my )?{_AKASSE_WORD}"
    rf"|\b{_AKASSE_WORD} (?:har |has )?(?:indkaldt|indkalder|booket|called|invited|booked)\b"
    # … and the meeting it called to: "a-kassen har indkaldt mig til en samtale"
    rf"(?: (?:mig|me) (?:til|to|for) (?:en |et |mit |min |a |an |my )?(?P<meeting3>{_MEETING})\b)?"
)
# A word every alternative of ``_OWNED`` holds (the a-kasse, the union): a message without one is
# not searched (tests/test_dialogue_shortcuts.py checks the two agree).
_OWNER_HINT = re.compile(r"kasse|fagforening|union|unemployment")
# After "jobsamtale hos": the jobcentre itself, not an employer.
_JOBCENTRE_AFTER = re.compile(
    r"\s*(?:(?:hos|med|ved|pa|i|at|with|in)\s+)?(?:(?:min|mit|mine|din|vores|the|my|our|your)\s+)?(?:jobcent[a-z]*|kommune[a-z]*"
    r"|sagsbehandler[a-z]*|radgiver[a-z]*|jobkonsulent[a-z]*|konsulent[a-z]*|caseworker[a-z]*"
    r"|jer|dig|you)\b")
# The Danish meeting words only: the training data reads "interview at jobcenter" as a job
# interview (intents/afbud_en.yml), and that reading is kept.
_MEETING_HEAD = re.compile(r"\s*(?:job ?)?samtale")


def settle_owner(text: str, folded: str, spans: list[tuple[int, int]],
                 found: list[_Entity], make: Callable[[str, str, int, int], _Entity]) -> None:
    """Adjust ``found`` (in place) for whose meeting the message names."""
    def orig(start: int, end: int) -> tuple[int, int]:
        return spans[start][0], spans[end - 1][1]

    def inside(entity: _Entity, start: int, end: int) -> bool:
        return start <= entity.start < end

    owned: list[tuple[int, int]] = []
    meeting_words: list[tuple[int, int]] = []
    matches = _OWNED.finditer(folded) if _OWNER_HINT.search(folded) else ()
    for m in matches:
        start, end = orig(m.start(), m.end())
        if _NEGATOR.search(m[0]) or negated(folded, m.start()):
            continue  # "mødet er ikke i a-kassen", "not with the a-kasse"
        if _PUNCTUATION.search(text[start:end]):
            continue  # "… til samtalen, er i a-kassen": the citizen is in the a-kasse
        owned.append((start, end))
        group = next((g for g in ("meeting", "meeting2", "meeting3") if m[g]), None)
        if group is not None:
            meeting_words.append(orig(m.start(group), m.end(group)))
    if owned:
        # the owned meeting's own word names no jobcentre meeting type
        found[:] = [e for e in found if not (e.entity == "moedetype" and any(
            inside(e, a, b) for a, b in meeting_words + owned))]
        if not any(e.entity == "moedetype" for e in found):
            # another meeting named beside it ("kan ikke komme til jobklubben, har en samtale med
            # a-kassen") may be the one to cancel: then whose it is stays unsaid
            start, end = owned[0]
            found.append(make(OWNER_ENTITY, AKASSE, start, end))
    _job_interview(text, found)


def _job_interview(text: str, found: list[_Entity]) -> None:
    """"jobsamtale hos Netto": the reason, not the meeting; "jobsamtale hos jobcentret": the
    meeting, not a job interview."""
    for reason in [e for e in found if e.entity == "afbud_kategori"
                   and e.value == "ansaettelsessamtale"]:
        words = fold(text[reason.start:reason.end])
        if not _MEETING_HEAD.match(words):
            continue
        after = fold(text[reason.end:reason.end + 40])
        if _JOBCENTRE_AFTER.match(after):
            found.remove(reason)  # the jobcentre's own jobsamtale
        elif any(e.entity == "moedetype" and not reason.start <= e.start < reason.end
                 for e in found):
            # another meeting is named ("jobklubben"): that one is cancelled, this is the reason
            found[:] = [e for e in found if not (e.entity == "moedetype"
                                                 and reason.start <= e.start < reason.end)]
