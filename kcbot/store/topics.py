"""A conversation's topic in SQL, shared by the reports and by retention (which keeps the topic
on a purged conversation, so old periods report the same figures)."""

from __future__ import annotations

__all__ = ["SMALL_TALK", "TOPIC_SQL"]

SMALL_TALK = ("hilsen", "tak", "farvel", "bekraeft", "afkraeft", "nlu_fallback")
# A conversation's topic: the intent of its first citizen message that is not small talk (an
# over-long message has no intent: "ukendt"). Takes the SMALL_TALK names as parameters.
TOPIC_SQL = (
    "(SELECT coalesce(t.intent, 'ukendt') FROM turns t WHERE t.conversation_id = c.id AND "
    "t.speaker = 'user' AND coalesce(t.intent, 'ukendt') NOT IN "
    f"({', '.join('?' * len(SMALL_TALK))}) ORDER BY t.seq LIMIT 1)"
)
