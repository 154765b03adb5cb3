"""A status told as background: "jeg er sygemeldt", "jeg har et job som sosu", "I'm on sick
leave".

Citizens often say where they stand before (or after) what they ask: "jeg er sygemeldt og får
sygedagpenge. Må jeg tage en uge i sommerhus?", "jeg skal tilbage på arbejde på mandag efter min
sygemelding. Jeg har et job som sosu". Read on its own, such a part looks like a request (a sick
report, an afmelding for a new job), but it tells no news: it says what is already so. A careful
agent takes it as the context of the question and answers the question.

A status is a plain statement in the present whose verb is a state ("er", "har", "får", "går
på", "arbejder som", "am", "have", "work as") and which tells no change: no "blevet", "fået",
"starter", "nu", "igen", no day it happens (a day "siden" is how long it has been so), no wish or
ability ("skal", "vil", "kan", "må"), no coming or not coming, no negation and no question. "jeg
er blevet syg i dag", "jeg har fået et job", "jeg er syg og kan ikke komme" stay requests. A
state that is itself the trouble ("er afmeldt som ledig", "min profil er spærret") or a second
one ("… og kan heller ikke logge på") is a problem to solve, not background.

Being ill is a status only for a citizen on sygedagpenge, or when it is told as the registration
itself ("sygemeldt", "on sick leave"): to anyone else "jeg er syg" may be news the jobcentre must
have. A part naming another reason category (a child's illness, a job interview) is left to the
reading of reasons.
"""

from __future__ import annotations

import re

from kcbot.nlu import ParseResult
from kcbot.nlu.negation import words
from kcbot.nlu.normalise import fold

__all__ = ["is_status"]

# Words that may open the clause before its subject: "og", "men", "btw".
_OPENERS = frozenset({"og", "men", "sa", "altsa", "ellers", "btw", "and", "but", "so", "also",
                      "hej", "hi", "hello", "ok", "okay"})
_SUBJECTS = frozenset({"jeg", "jg", "i", "im"})
# Verbs of a state (folded): what the citizen is, has, gets, lives on, works as.
_STATE_VERBS = frozenset({"er", "e", "har", "far", "modtager", "gar", "arbejder", "lever",
                          "am", "m", "have", "ve", "get", "receive", "work", "live"})
# Words that tell a change, a wish, an ability, a coming or a request: the part asks or tells
# news, so it is no mere status.
_NOT_STATE = frozenset("""
blevet bliver blev blive faet fet fik fundet fandt begynder begyndt begynde starter startet start
starte stopper stoppet stoppe slutter sluttet slutte ophorer ophort ny nyt nye nu igen lengere
snart endnu pludselig idag imorgen iaften
skal ska vil ka kan ma maa gerne kunne ville skulle burde bor bede beder hjelp hjelpe meld melde
sygemelde raskmelde afmelde tilmelde aflyse afbud komme kommer kom na nar
ikke ik ikk ike ingen intet aldrig heller
afmeldt udmeldt slettet spaerret sperret blokeret last lukket mistet stoppet frameldt
become became becoming got getting found start started starting new now again anymore today
tomorrow tonight suddenly need want can cant could would should must will please help report
cancel come coming not no never nothing either neither
deregistered removed blocked locked closed lost stopped
""".split())
# The registration of sickness itself: a status for anyone.
# a day after "siden" tells how long it has been so, not when it happens ("siden august")
_SINCE = re.compile(r"\b(?:siden|since)\s*$")
_SICK_LEAVE = re.compile(r"\b(?:sygemeld|sygmeld|meldt syg|sick ?leave|sickleave)", re.IGNORECASE)
_QUESTION_WORDS = frozenset({"hvordan", "hvad", "hvornar", "hvorfor", "hvem", "hvilken",
                             "hvilke", "how", "what", "when", "why", "who", "which"})


def is_status(part: ParseResult, message: ParseResult) -> bool:
    """Whether ``part`` (one part of ``message``, read on its own) only tells the citizen's
    status, no request or news."""
    if "?" in part.text:
        return False
    tokens = words(fold(part.text))
    while tokens and tokens[0] in _OPENERS:
        tokens = tokens[1:]
    if tokens and tokens[0] in _SUBJECTS:
        tokens = tokens[1:]
    if len(tokens) < 2 or tokens[0] not in _STATE_VERBS:
        return False
    if any(t in _NOT_STATE or t in _QUESTION_WORDS for t in tokens):
        return False
    folded = " ".join(tokens)
    for entity in part.entities:
        if entity.entity == "dato" and not _SINCE.search(fold(part.text[:entity.start])):
            return False  # a day it happens is news; "siden august" is how long it has been so
        if entity.entity == "afbud_kategori" and entity.value != "sygdom":
            return False  # another reason: left to the reading of reasons
        if entity.entity == "afbud_kategori" and not _SICK_LEAVE.search(folded) and not any(
                e.entity == "borgergruppe" and e.value == "sygedagpenge"
                for e in message.entities):
            return False  # "jeg er syg" may be news, unless sygedagpenge is what they live on
    return True
