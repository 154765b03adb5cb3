"""A call asked for in so many words, with what it is about after it: "ring mig op tak, det
handler om et brev jeg har fået", "kan I ringe mig op angående min kontanthjælp".

Read whole, the topic's words weigh as much as the request's, and the classifier can be unsure
between "talk to a person" and the topic, so the citizen got the "which of these?" menu although
they said what they wanted. When the classifier cannot decide, the request decides: a person
calls, and the topic is what the call is about. A clear topic is left alone ("kan I ringe mig
op, jeg kan ikke komme i morgen" may still read as the afbud it is), and so is a question about
a call ("hvornår ringer I?", "I lovede at ringe mig op").
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["CALLBACK_INTENT", "asks_for_call"]

CALLBACK_INTENT = "menneske"

_WHO = (r"(?:i|du|nogen|nogle|en medarbejder|en sagsbehandler|min sagsbehandler|jobcentret|"
        r"you|someone|somebody|anyone|a person|an agent)")
_LEAD = r"(?:^|[.,;:!?]\s*|\b(?:tak|hej|hi|hello|please|venligst|gerne|bare)\s+)"
_REQUEST = (
    _LEAD + r"(?:ring|ringe) (?:mig|til mig|mig op|venligst)"
    r"|\b(?:kan|vil|gider|ma|må|kunne|skal) " + _WHO + r" (?:\w+ )?(?:ringe|ring) (?:mig|til mig)"
    r"|\b(?:vil|vil gerne|vil godt|ønsker at|onsker at|gerne|beder om at) (?:blive )?"
    r"(?:ringes|ringet) op"
    r"|\b(?:bede om|have|fa|få|ønsker|onsker) (?:et )?(?:opkald|tilbagekald|ring tilbage)"
    r"|(?:^|[.,;:!?]\s*|\bplease\s+)call me\b"
    r"|\b(?:can|could|would|will) " + _WHO + r" (?:please )?(?:call|phone|ring) me\b"
    r"|\b(?:want|would like|d like|need) (?:a |to get a |to have a )?"
    r"(?:call|callback|call back|phone call)\b"
)


@cache
def _request() -> re.Pattern[str]:
    """Compiled on first use: only a message the classifier is unsure of is read for it."""
    return re.compile(_REQUEST, re.IGNORECASE)


def asks_for_call(text: str) -> bool:
    """Whether the message asks in words for someone to call the citizen."""
    return _request().search(text or "") is not None
