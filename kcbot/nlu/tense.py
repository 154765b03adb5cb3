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

from kcbot.nlu.negation import words
from kcbot.nlu.normalise import fold

__all__ = ["past_state", "state_now", "told_in_past"]

_PAST = r"var|blev|har (?:veret|været)|was|were|used to be|(?:have|has|ve) been"
# the sick report already made is told, not asked for: "meldte mig syg i mandags", "har
# sygemeldt mig", "I called in sick last week"
_REPORTED_SICK = (r"meldte mig|(?:har|havde) (?:meldt|sygemeldt) mig|sygemeldte mig"
                  r"|called in sick|rang in sick|reported (?:myself |in )?sick"
                  r"|(?:have|has|had|ve) (?:called in|reported (?:myself |in )?) sick")
_PRESENT = r"nu|now|igen|again|stadig|still|er|har|am|is|are|have|has|m|re|ve"
_STATE_NOW = re.compile(
    rf"(?:\b(?:{_PAST}|{_REPORTED_SICK})\b[^.!?\n]*?[\s,;]+(?:men|but)\s+"
    # after a sick report made, also a new sentence or clause, or "og", before a state that
    # says it is now: "… i mandags. Nu er jeg rask igen", "… og er rask igen i dag", "… and now
    # I'm better". Not after any past: in "jeg var væk med min datter på skadestuen, nu har
    # a-kassen skrevet" the past is the reason, and "jeg har været syg og nu er jeg blevet
    # afmeldt" tells the illness as the cause of what happened now.
    rf"|\b(?:{_REPORTED_SICK})\b[^.!?\n]*?(?:\s*[.!?;,]\s*(?=(?:(?:og|and|men|but)\s+)?"
    rf"(?:nu|now)\b)|\s*,?\s+(?:og|and)\s+"
    rf"(?=(?:\S+\s+){{0,3}}?(?:nu|now|igen|again|i dag|idag|today)\b)))"
    rf"(?P<now>(?:(?:og|and|men|but)\s+)?(?:(?:jeg|i|det|it)\s+)?(?:{_PRESENT})\b.*)",
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


# --- The tense a day is told in ------------------------------------------------------------
# "jeg mødte ikke op til mit kursus tirsdag", "I didn't show up on Tuesday": a bare weekday
# told in the past tense is the one that has been, not the next one. The verbs of the day's
# own clause decide; the one nearest before the day wins where both tenses stand ("jeg glemte
# at jeg har møde tirsdag" is next Tuesday), and where no verb tells, the day is the next one
# (the flows read it back). Folded words (``normalise.fold``, ``negation.words``).
_PAST_WORDS = frozenset("""
var blev kom gik fik havde glemte glemt modte missede misset misede nede naede sov tog
ringede meldte sygemeldte turde orkede droppede sprang gjorde troede overså oversa
overset forsomte forsomt vaeret veret haft
was were wasnt werent did didnt had hadnt missed forgot forgotten went came got couldnt
overslept skipped called reported
""".split())
_PRESENT_WORDS = frozenset("""
er kan kommer skal vil bliver gar far kan ma maa mas skal har
am is are m re can cant cannot will wont ll shall going gonna have has need must
""".split())
# "har glemt", "have missed": a present auxiliary before a participle tells the past
_AUXILIARIES = frozenset({"har", "have", "has", "ve"})
_PARTICIPLES = frozenset("""
glemt misset overset forsomt vaeret veret haft meldt sygemeldt ringet kommet moedt modt
missed forgotten been had called reported skipped gone come
""".split())
_SUBJECTS = frozenset({"jeg", "vi", "han", "hun", "de", "du"})
_SUBJECTS_EN = frozenset({"i", "we", "he", "she", "they", "you"})
_NOT_VERBS = frozenset({"sted", "need", "speed", "seed", "feed", "bed", "red"})
_NEGATIONS = frozenset({"ikke", "ik", "ikk", "ike", "aldrig"})
_TARGET = (["til"], ["to"], ["until"], ["till"], ["indtil"])
# (and in the present: "I am called as domsmand monday", "jeg er indkaldt mandag" summon to a
# day to come, however "called" looks)
_PASSIVE_AUX = frozenset({"was", "were", "been", "blev", "blevet", "am", "m", "is", "are", "re",
                          "er", "bliver"})
_SUMMONED = frozenset("""
indkaldt bedt booket sat inviteret kaldt told asked invited booked called summoned
""".split())
# what a message told of: "jeg fik et brev om et møde tirsdag", "I got a letter about my meeting
# on Tuesday" name the day of what the message was about, which may be to come
_REPORTED = frozenset(fold(w) for w in """
brev brevet besked beskeden sms'en sms mail mailen email indkaldelse indkaldelsen påmindelse
om angående vedr vedrørende letter message text email invitation reminder about regarding
""".split())
# what was said: "jeg sagde til hende at jeg ikke kunne komme tirsdag" tells what was said of
# the day, which may be to come
_REPORTING = frozenset(fold(w) for w in """
sagde fortalte skrev oplyste lovede said told wrote informed promised
""".split())
# what the citizen can or will do: after the day, it ties the day to what is to come ("my
# husband got work on Thursday so I can't come")
_MODALS = frozenset("""
kan kommer skal vil ma maa kunne can cant cannot will wont ll shall going gonna must able
""".split())
# a regular Danish preterite right after its subject ("jeg ringede", "jeg mødte") or an English
# one ("I called"); "næste", "sidste" never follow a subject
_REGULAR_PAST = re.compile(r"^[a-z]{2,}(?:ede|te)$")
_REGULAR_PAST_EN = re.compile(r"^[a-z]{3,}ed$")
_CLAUSE_END = re.compile(r"[.;:!?\n,]|\b(?:men|but)\b", re.IGNORECASE)


def _passive(words_: list[str], i: int) -> bool:
    """ "was called", "have been asked", "blev indkaldt": a summons told in the past names the
    day of what it summons to, which may be to come ("I have been called to serve as a lay
    judge on Thursday")."""
    rest = words_[i + 1:i + 3]
    if words_[i] in _AUXILIARIES and rest[:1] == ["been"]:
        rest = rest[1:]
    elif words_[i] not in _PASSIVE_AUX:
        return False
    return bool(rest) and (rest[0].endswith("ed") and rest[0] not in _NOT_VERBS
                           or rest[0] in _SUMMONED)


def _tense_of(words_: list[str], i: int) -> str | None:
    word = words_[i]
    before = words_[i - 1] if i > 0 else ""
    if _passive(words_, i) or i > 0 and words_[i - 1] in _PASSIVE_AUX and _passive(
            words_, i - 1):
        return None  # the auxiliary or the participle of a summons
    if word in ("var", "was") and i > 0 and words_[i - 1] in ("det", "it", "that"):
        # "nej, det var fredag", "sorry, it was Friday": a correction, not the day's tense
        return None
    if word in _AUXILIARIES:
        nxt = [w for w in words_[i + 1:i + 3] if w not in ("ikke", "not", "ik", "never", "aldrig")]
        return "past" if nxt[:1] and nxt[0] in _PARTICIPLES else "present"
    if word == "kunne":  # "jeg kunne ikke komme"; "kunne jeg få en tid" asks politely
        return "past" if _NEGATIONS & {*words_[i + 1:i + 2], before} else None
    if word == "gar" and before == "i":
        return None  # "i går", a day, not "går"
    if word in _PAST_WORDS:
        return "past"
    if word in _PRESENT_WORDS:
        return "present"
    if word in _NOT_VERBS:
        return None
    if (before in _SUBJECTS and _REGULAR_PAST.match(word)
            or before in _SUBJECTS_EN and _REGULAR_PAST_EN.match(word)):
        return "past"
    return None


def told_in_past(text: str, start: int, end: int) -> bool:
    """Whether the day named at ``text[start:end]`` is told in the past tense in its clause.
    A day something is moved or called to ("flyttet til tirsdag", "moved to Tuesday") is a
    target, whatever the tense of the moving."""
    begin = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    stop = _CLAUSE_END.search(text, end)
    before = words(fold(text[begin:start]))
    after = words(fold(text[end:stop.start() if stop else len(text)]))
    if ([w for w in before[-2:] if w not in ("pa", "on", "den", "the")][-1:] in _TARGET
            or _REPORTING & set(before)):
        return False
    for i in range(len(before) - 1, -1, -1):
        tense = _tense_of(before, i)
        if tense is not None:
            return (tense == "past" and not _MODALS & set(after)
                    and not _REPORTED & set(before[i + 1:]))
    for i in range(len(after)):  # "tirsdag var jeg syg": the verb after the day
        tense = _tense_of(after, i)
        if tense is not None:
            return tense == "past"
    return False
