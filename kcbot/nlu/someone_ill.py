"""Whose illness a short message speaks of, when it names a person beside the illness word
without a possessive or a verb: "syg barn kan ik komme", "sygt barn", "skal passe syg søn",
"syg mor", "barnet syg", "kæresten syg", "kid sick", "baby sick", "my wife sick", "hunden har
feber".

The patterns in ``entities.py`` read a relative as the subject of a sentence ("min søn er syg",
"she is sick"). Phone-style messages drop the verb and often the possessive, and a bare "syg"
was then the citizen's own illness: an afbud a careful agent passes on (a child's or a
relative's illness is no valid reason of its own, Bilag 4) was approved as the citizen's
sickness. Here a person noun right beside the illness word, before it or after it, makes the
illness someone else's. The nouns are a closed list of people and pets (children, relatives,
partners, friends, neighbours, animals), so "syg i dag", "syg med feber", "sick leave" and a
part of the citizen's own body stay the citizen's. A person asked about and denied in the same
breath ("sick kid? no, I am sick") is not taken.
"""

from __future__ import annotations

import re

from kcbot.nlu.normalise import fold

__all__ = ["CHILDREN", "someone_beside"]

# Children, as a child's illness has its own reason (barn_syg). Folded.
CHILDREN = frozenset(fold(w) for w in """
barn barnet børn børnene ungen unge ungerne søn sønnen sønner datter datteren døtre dreng drengen
drenge pige pigen piger baby babyen lillebror lillesøster tvillinger tvillingerne
son sons daughter daughters child children kid kids baby boy girl toddler infant twins
""".split())
# Other people and pets: someone else's illness is a relative's (paaroerende). Folded; "mand"
# is only a husband here, and "far" is checked against "får" (see ``_FAR``).
_OTHERS = frozenset(fold(w) for w in """
mor moren mors far faren mother mom mum mama mommy father dad daddy papa forældre parents
bror broren brother søster søsteren sister søskende siblings
kone konen wife mand manden husband kæreste kæresten partner partneren boyfriend girlfriend
hustru samlever samleveren
bedstemor bedstefar mormor morfar farmor farfar grandma grandpa grandmother grandfather
oldemor svigermor svigerfar svigermoren onkel tante uncle aunt fætter kusine
cousin nevø niece nephew familie familien family familiemedlem member relative slægtning
ven vennen veninde veninden friend nabo naboen neighbour neighbor
hund hunden hvalp hvalpen kat katten dog puppy cat hest hesten horse
""".split())
_SOMEONE = CHILDREN | _OTHERS
_ILL_ADJECTIVES = frozenset({"syg", "syge", "sygt", "sick", "ill", "unwell", "sloj", "slojt",
                             "sloje", "febersyg", "febersygt", "feverish"})
# Between the person and the illness: a verb, then at most two words ("barnet har høj feber",
# "kæresten er også syg"); or an adverb of degree alone ("kid very sick").
_VERBS = frozenset("""er har var havde blev bliver vaeret vaere fet faet fat fik is has was had
got gets are been feels felt have s""".split())  # "s": "my kid's sick"
_DEGREE = frozenset("""meget rigtig helt lidt ret ogsa osse very really so quite pretty too also
super""".split())
_SELF = frozenset({"jeg", "i", "me", "mig", "vi", "we"})
_MAX_FREE = 2
_SIZE = frozenset({"lille", "little", "small", "young", "lil"})
_WORD = re.compile(r"[a-z0-9-]+")
# A clause ends between two words: the person and the illness are not beside each other ("jeg
# er syg. Barnet er hos sin far"). Folding drops the punctuation, so it is read on the original.
_CLAUSE_END = re.compile(r"[.,;:!?()\n]")
# The person asked about and denied: "sick kid? no, I am sick", "syg søn? nej, det er mig".
_DENIAL = frozenset({"nej", "no", "nope", "nah"})
# What a father named as a subject goes on to do: a verb, so "far" is not "får"
_ACTS = frozenset("""er har kan skal ligger blev bliver var is has can cant must""".split())
_FAR = re.compile(r"f[åÅ]r\b|faar\b", re.IGNORECASE)


def someone_beside(folded: str, start: int, end: int, text: str,
                   spans: list[tuple[int, int]]) -> str | None:
    """The person (folded) named right beside the illness phrase ``folded[start:end]``, or
    None. ``text`` and ``spans`` (the original text and each folded character's span in it)
    show the punctuation folding drops, and tell "far" from "får", which fold alike."""
    def gap(a: re.Match[str] | int, b: re.Match[str] | int) -> str:
        left = spans[(a if isinstance(a, int) else a.end()) - 1][1]
        right = spans[b if isinstance(b, int) else b.start()][0]
        return text[left:right]

    def person(word: re.Match[str], subject_after: bool = False) -> bool:
        who = word.group()
        if who != "far":
            return who in _SOMEONE
        if _FAR.match(text, spans[word.start()][0]):
            return False
        if not subject_after:
            return True
        # "får" written without its å: "er syg far kontanthjælp" gets a benefit; "syg far, kan
        # ikke komme" and "syg far kan ikke komme" name a father (the clause ends, or he acts)
        nxt = _WORD.search(folded, word.end())
        return nxt is None or bool(_CLAUSE_END.search(gap(word, nxt))) or nxt.group() in _ACTS

    def denied(after: re.Match[str] | int) -> bool:
        # "sick kid? no": asked back, or denied right after
        pos = after if isinstance(after, int) else after.end()
        nxt = _WORD.search(folded, pos)
        return "?" in text[spans[pos - 1][1]:spans[nxt.start()][0] if nxt else len(text)] or (
            nxt is not None and nxt.group() in _DENIAL)

    before = list(_WORD.finditer(folded, max(0, start - 80), start))[-(_MAX_FREE + 4):]
    if before and before[0].start() > 0 and folded[before[0].start() - 1] != " ":
        before = before[1:]  # a word cut by the window
    words = before
    # who, then the illness: "barnet syg", "kid very sick"
    i = len(words) - 1
    if i >= 0 and words[i].group() in _DEGREE and not _CLAUSE_END.search(gap(words[i], start)):
        i -= 1
    if (i >= 0 and person(words[i]) and not _CLAUSE_END.search(gap(words[i], start))
            and not denied(end)):
        return words[i].group()
    # who, a verb, at most two words, then the illness: "hunden har feber"
    for free in range(_MAX_FREE + 1):
        j = len(words) - 1 - free
        if j < 0 or any(w.group() in _SELF for w in words[j + 1:]):
            break
        if words[j].group() not in _VERBS:
            continue
        while j > 0 and words[j - 1].group() in _VERBS:
            j -= 1
        if (j > 0 and person(words[j - 1]) and not _CLAUSE_END.search(gap(words[j - 1], start))
                and not denied(end)):
            return words[j - 1].group()
    # the illness, then who: "syg barn", "sygt barn", "syg lille pige", "sick kid"
    if folded[start:end] in _ILL_ADJECTIVES:
        after = list(_WORD.finditer(folded, end, min(len(folded), end + 40)))[:2]
        if after and after[0].group() in _SIZE:
            after = after[1:]
        if (after and person(after[0], subject_after=True)
                and not _CLAUSE_END.search(gap(end, after[0])) and not denied(after[0])):
            return after[0].group()
    return None
