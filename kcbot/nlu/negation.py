"""Negation scope on folded text: "jeg er ikke syg" names no illness, "jeg får ikke dagpenge"
no group, "I don't have MitID" no MitID.

A phrase is negated when a negator stands before it with only light words between (pronouns,
auxiliaries, "længere", "helt": "jeg er ikke længere syg"). Any other word ends the scope, so
"jeg kan ikke komme, jeg er syg" still names an illness: "komme" is not light. "ikke" after a
verb other than a copula negates the verb, not what follows ("jeg kom ikke til samtalen").
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["NEGATORS", "after_clause_negation", "folded_words", "join_not", "mark_negated",
           "negated", "words"]

# "ingen feber", "uden job", "I don't have": these negate what follows wherever they stand.
# ("does" folds to "dos", so "doesn't" is "dosnt".)
_NEGATE_FOLLOWING = frozenset({
    "ingen", "intet", "uden", "hverken", "dont", "doesnt", "dosnt", "didnt", "cant", "cannot",
    "wont", "havent", "hasnt", "isnt", "arent", "wasnt", "werent", "hadnt", "couldnt",
    "wouldnt", "shouldnt", "mustnt", "aint", "without",
})
# "ikke"/"not" negate what follows only after a copula or auxiliary ("jeg er ikke syg", "får
# ikke dagpenge", "har ikke feber"), at the start of a clause, or after a pronoun in simple
# Danish ("mig ikke syg"); after another verb they negate the verb: "jeg kom ikke til samtalen",
# "nåede ikke samtalen" and "har ikke fået dagpenge" still name the meeting and the group.
_NEGATE_AFTER_COPULA = frozenset({"ikke", "ik", "ikk", "ike", "ikek", "not", "aldrig", "never"})
NEGATORS = _NEGATE_FOLLOWING | _NEGATE_AFTER_COPULA
# ("I'm", "you're", "I've" fold to "i m", "you re", "i ve".)
COPULAS = frozenset({
    "er", "var", "har", "havde", "far", "fik", "blev", "bliver", "blevet", "vere", "am", "is",
    "are", "was", "were", "have", "has", "had", "im", "m", "re", "ve", "men", "og", "but", "and",
    "jeg", "mig", "i", "det", "it", "modtager",
})
# Words that may stand between a negator and what it negates. English "get"/"receive" stand
# where Danish "får" stands before "ikke": "I don't get dagpenge", "jeg får ikke dagpenge".
_LIGHT = frozenset({
    "er", "har", "var", "havde", "blevet", "blive", "bliver", "lengere", "mere", "helt", "sa",
    "serlig", "rigtig", "jeg", "du", "han", "hun", "vi", "de", "nogen", "noget", "nogle", "en",
    "et", "min", "mit", "mine", "am", "is", "are", "was", "have", "has", "had", "been", "be",
    "really", "very", "i", "a", "an", "any", "my", "ogsa", "lige", "pa", "on", "fet", "faet",
    "endnu", "longer", "get", "got", "gotten", "receive", "received", "getting", "receiving",
    "yet", "even",
})
# English "no" negates what follows after these: "I have no MitID", "there is no bus"; and
# before "longer" anywhere: "I'm no longer sick", "I no longer get dagpenge".
_HAVE = frozenset({"have", "has", "had", "got", "is", "are", "was", "get", "receive"})
_NT = re.compile(r"\b(do|dos|does|did|is|are|was|were|have|has|had|ca|can|wo|could|would"
                 r"|should)n t\b")
# English writes the same negation unjoined ("do not", "can not", "will not"): joined like the
# contraction, so "I do not have MitID" reads as "I don't have MitID" wherever negation is read.
_AUX_NOT = re.compile(r"\b(do|dos|does|did|is|are|was|were|have|has|had|can|will|could|would"
                      r"|should|must)\s+not\b")
_JOINED = {"can": "cant", "will": "wont"}
_WORD = re.compile(r"[a-z0-9]+")


def join_not(folded: str) -> str:
    """Folded text with English "don t" and "do not" joined to "dont" (and so on)."""
    folded = _NT.sub(lambda m: m.group(1) + "nt", folded)
    return _AUX_NOT.sub(lambda m: _JOINED.get(m.group(1), m.group(1) + "nt"), folded)


def words(folded: str) -> list[str]:
    """Word tokens of folded text, with English "don t" (from "don't") and "do not" joined to
    "dont"."""
    return list(folded_words(folded))


# A turn asks for the words of its message and its parts ~10 times (is it a question, a
# correction, a topic, is a phrase negated …): a turn's are kept for the turn, and the engine
# forgets them when the next one begins (``answers.forget_readings``); at most this many texts.
@lru_cache(maxsize=16)
def folded_words(folded: str) -> tuple[str, ...]:
    """``words(folded)`` as a tuple, kept for the turn."""
    return tuple(_WORD.findall(join_not(folded)))


def _opens_scope(tokens: list[str], i: int) -> bool:
    token = tokens[i]
    if token in _NEGATE_FOLLOWING:
        return True
    return token in _NEGATE_AFTER_COPULA and (i == 0 or tokens[i - 1] in COPULAS
                                              or tokens[i - 1] in NEGATORS)


def negated(folded: str, start: int) -> bool:
    """Is the phrase starting at ``start`` in ``folded`` in the scope of a negation?"""
    before = words(folded[:start])
    for i in range(len(before) - 1, max(len(before) - 6, -1), -1):
        if before[i] == "no" and (i > 0 and before[i - 1] in _HAVE
                                  or before[i + 1:i + 2] == ["longer"]):
            return True  # "I have no MitID", "no longer sick"; a bare "no" answers a question
        if before[i] in NEGATORS:
            return _opens_scope(before, i)
        if before[i] not in _LIGHT:
            return False
    return False


# "kontanthjælp, ikke sygedagpenge": a negator opening a clause, which folding cannot see.
_CLAUSE_NEGATION = re.compile(
    r"(?:^|[,;:.!?(]|\s-)\s*(?:ikke|ik|ikk|not)\s+(?:(?:på|pa|paa|on|en|et|a|an)\s+)?$",
    re.IGNORECASE,
)


def after_clause_negation(text: str, start: int) -> bool:
    """Is the phrase at ``start`` of the original text right after a clause-opening "ikke"?"""
    return _CLAUSE_NEGATION.search(text[max(0, start - 40):start]) is not None


_STEMMED_NEGATORS = NEGATORS | {"ikk"}
_STEMMED_LIGHT = _LIGHT | {"blev", "lenger", "hav", "helt", "sa", "veret"}
_STEMMED_COPULAS = COPULAS | {"havd", "bliv", "fol", "hav", "doe"}


def mark_negated(tokens: list[str]) -> list[str]:
    """Stemmed word tokens with the first content word after "er/har ikke" marked ``neg_``:
    the classifier then learns "ikke syg" apart from "syg"."""
    out: list[str] = []
    scope = False
    for i, token in enumerate(tokens):
        if token in _STEMMED_NEGATORS:
            scope = token in _NEGATE_FOLLOWING or i == 0 or tokens[i - 1] in _STEMMED_COPULAS \
                or tokens[i - 1] in _STEMMED_NEGATORS
            out.append(token)
        elif scope and token not in _STEMMED_LIGHT:
            out.append("neg_" + token)
            scope = False
        else:
            out.append(token)
    return out
