"""Negation scope on folded text: "jeg er ikke syg" names no illness, "jeg får ikke dagpenge"
no group, "I don't have MitID" no MitID.

A phrase is negated when a negator stands before it with only light words between (pronouns,
auxiliaries, "længere", "helt": "jeg er ikke længere syg"). Any other word ends the scope, so
"jeg kan ikke komme, jeg er syg" still names an illness: "komme" is not light.
"""

from __future__ import annotations

import re

__all__ = ["NEGATORS", "mark_negated", "negated", "words"]

NEGATORS = frozenset({
    "ikke", "ik", "ikk", "ike", "ikek", "not", "dont", "doesnt", "didnt", "cant", "cannot",
    "wont", "havent", "hasnt", "isnt", "arent", "wasnt", "never", "aldrig", "ingen", "intet",
    "hverken", "uden",
})
# Words that may stand between a negator and what it negates.
_LIGHT = frozenset({
    "er", "har", "var", "havde", "blevet", "blive", "bliver", "vere", "veret", "fet", "lengere",
    "mere", "helt", "sa", "serlig", "rigtig", "jeg", "du", "han", "hun", "vi", "de", "nogen",
    "noget", "nogle", "en", "et", "min", "mit", "mine", "am", "is", "are", "was", "have", "has",
    "had", "been", "be", "really", "very", "i", "a", "an", "any", "my", "got", "fa", "far",
    "get", "faet", "haft", "ogsa", "lige", "pa", "on", "til",
})
_NT = re.compile(r"\b(do|does|did|is|are|was|were|have|has|had|ca|can|wo|could|would|should)n t\b")
_WORD = re.compile(r"[a-z0-9]+")


def words(folded: str) -> list[str]:
    """Word tokens of folded text, with English "don t" (from "don't") joined to "dont"."""
    return _WORD.findall(_NT.sub(lambda m: m.group(1) + "nt", folded))


def negated(folded: str, start: int) -> bool:
    """Is the phrase starting at ``start`` in ``folded`` in the scope of a negation?"""
    for word in reversed(words(folded[:start])[-5:]):
        if word in NEGATORS:
            return True
        if word not in _LIGHT:
            return False
    return False


_STEMMED_NEGATORS = NEGATORS | {"ikk"}
_STEMMED_LIGHT = _LIGHT | {"blev", "lenger", "hav", "helt", "sa", "veret"}


# A negator after one of these negates what follows ("jeg er ikke syg", "har ikke feber"); after
# another verb it negates the verb ("jeg når ikke min samtale" is still about the meeting).
_COPULAS = frozenset({
    "er", "har", "var", "havd", "blev", "bliv", "blevet", "fol", "am", "is", "are", "was", "hav",
    "has", "do", "doe", "men", "og", "but", "and",
})


def mark_negated(tokens: list[str]) -> list[str]:
    """Stemmed word tokens with the first content word after "er/har ikke" marked ``neg_``:
    the classifier then learns "ikke syg" apart from "syg"."""
    out: list[str] = []
    scope = False
    for i, token in enumerate(tokens):
        if token in _STEMMED_NEGATORS:
            scope = i == 0 or tokens[i - 1] in _COPULAS or tokens[i - 1] in _STEMMED_NEGATORS
            out.append(token)
        elif scope and token not in _STEMMED_LIGHT:
            out.append("neg_" + token)
            scope = False
        else:
            out.append(token)
    return out
