"""The schema, as an ordered list of migrations. Append, never edit: a database records the
number of the last migration applied in ``schema_version`` and each later one runs once, in its
own transaction, at start-up.

Design notes
- Times are ISO 8601 strings with the Copenhagen offset (``2026-11-24T09:15:00+01:00``); they
  sort correctly within a day and read well in ``sqlite3``.
- ``turns``, ``events`` and ``journal`` never hold a full CPR number: the store masks text on
  the way in. Only ``outbox.cpr`` (a letter to the citizen's registered address) and
  ``tickets.cpr`` (the agent who calls back) may hold one.
- From migration 3 a full CPR number is stored only as a Fernet token (``kcbot.datakey``) in
  ``outbox.cpr`` and ``tickets.cpr``; ``cpr_maskeret`` beside it is what lists and screens show.
- One open ticket per conversation and category, enforced by a partial unique index, so
  creation is idempotent even when a channel retries.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "POSTGRES_OWN", "SEARCH_DOC", "SEARCH_MIGRATION",
           "fts5_trigram_available"]

# What the Sager search looks in, one text per ticket: the case number, the name, the phone
# number without spaces and the summary, separated by spaces. A search word never holds a space,
# so it matches inside one of them, as the per-column LIKE it narrows for does. ``{t}`` is the
# row's name: ``new.`` in a trigger, nothing in a query or an index expression. CPR numbers are
# masked in every one of these columns before they are written, so none reaches the index.
SEARCH_DOC = ("{t}id || ' ' || coalesce({t}navn, '') || ' ' || "
              "replace(coalesce({t}telefon, ''), ' ', '') || ' ' || {t}summary")


def _doc(row: str) -> str:
    return SEARCH_DOC.format(t=row)


# 7 (SQLite): the Sager search through an FTS5 trigram index instead of a scan of every ticket.
# ``ticket_search`` holds each ticket's search text under a key from ``ticket_search_key``
# (an INTEGER PRIMARY KEY, so VACUUM never renumbers it the way it may renumber ``tickets``'
# implicit rowid); triggers keep both in step on every insert, change and delete, whoever
# writes. Only a change to the searched columns rewrites the entry. Where the SQLite library
# has no FTS5 or no trigram tokenizer (before 3.34), the store records this migration without
# it and searches by scanning as before; it creates the index at a later start on a library
# that has it (``SQLiteStore._search_index``).
SEARCH_MIGRATION = f"""
    CREATE TABLE ticket_search_key (
        key       INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE
    );
    CREATE VIRTUAL TABLE ticket_search USING fts5 (doc, tokenize = 'trigram');
    INSERT INTO ticket_search_key (ticket_id) SELECT id FROM tickets ORDER BY id;
    INSERT INTO ticket_search (rowid, doc)
        SELECT k.key, {_doc('t.')} FROM tickets AS t JOIN ticket_search_key AS k
        ON k.ticket_id = t.id;
    CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO ticket_search_key (ticket_id) VALUES (new.id);
        INSERT INTO ticket_search (rowid, doc) VALUES (last_insert_rowid(), {_doc('new.')});
    END;
    CREATE TRIGGER ticket_search_update AFTER UPDATE OF id, navn, telefon, summary ON tickets
    BEGIN
        UPDATE ticket_search_key SET ticket_id = new.id WHERE ticket_id = old.id;
        DELETE FROM ticket_search
            WHERE rowid = (SELECT key FROM ticket_search_key WHERE ticket_id = new.id);
        INSERT INTO ticket_search (rowid, doc)
            SELECT key, {_doc('new.')} FROM ticket_search_key WHERE ticket_id = new.id;
    END;
    CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
        DELETE FROM ticket_search
            WHERE rowid = (SELECT key FROM ticket_search_key WHERE ticket_id = old.id);
        DELETE FROM ticket_search_key WHERE ticket_id = old.id;
    END;
"""

# 7 (PostgreSQL): the same search through a GIN index on each ticket's trigrams (the bundled
# server has no pg_trgm, so the trigrams are an array an SQL function draws; GIN answers "holds
# all of these" with ``@>``). An expression index: the server keeps it in step itself.
# ``kcbot_trigrams`` lower-cases as ILIKE does, so every ILIKE match is among its candidates.
SEARCH_MIGRATION_POSTGRES = f"""
    CREATE FUNCTION kcbot_trigrams(doc TEXT) RETURNS TEXT[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT coalesce(array_agg(DISTINCT substr(folded.d, i, 3)), '{{}}')
           FROM (SELECT lower(doc) AS d) AS folded,
                generate_series(1, length(folded.d) - 2) AS i $$;
    CREATE INDEX tickets_search ON tickets USING gin (kcbot_trigrams({_doc('')}));
"""

# Migrations PostgreSQL runs in its own words instead of translating the SQLite text.
POSTGRES_OWN: dict[str, str] = {SEARCH_MIGRATION: SEARCH_MIGRATION_POSTGRES}


def fts5_trigram_available() -> bool:
    """Whether this Python's SQLite library has FTS5 with the trigram tokenizer (3.34+)."""
    import sqlite3

    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5 (x, tokenize = 'trigram')")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


MIGRATIONS: list[str] = [
    # 1: conversations and everything that hangs off them
    """
    CREATE TABLE conversations (
        id            TEXT PRIMARY KEY,
        channel       TEXT NOT NULL,
        sender        TEXT NOT NULL,
        started       TEXT NOT NULL,
        last_activity TEXT NOT NULL,
        ended         TEXT,
        outcome       TEXT CHECK (outcome IN ('straksafklaret', 'overdraget', 'afbrudt')),
        state         TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX conversations_sender ON conversations (channel, sender, ended);
    CREATE INDEX conversations_started ON conversations (started);

    CREATE TABLE turns (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        speaker         TEXT NOT NULL CHECK (speaker IN ('user', 'bot')),
        text            TEXT NOT NULL,
        intent          TEXT,
        confidence      REAL,
        time            TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
    );

    CREATE TABLE events (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        time            TEXT NOT NULL,
        event           TEXT NOT NULL
    );
    CREATE INDEX events_conversation ON events (conversation_id, id);

    CREATE TABLE tickets (
        id              TEXT PRIMARY KEY,
        conversation_id TEXT REFERENCES conversations (id),
        queue           TEXT NOT NULL CHECK (queue IN ('jobcenter', 'ydelsesservice', 'cdu')),
        category        TEXT NOT NULL,
        borgergruppe    TEXT,
        navn            TEXT,
        telefon         TEXT,
        cpr             TEXT,
        summary         TEXT NOT NULL,
        created         TEXT NOT NULL,
        due             TEXT NOT NULL,
        closed          TEXT,
        status          TEXT NOT NULL DEFAULT 'ny'
                        CHECK (status IN ('ny', 'i_gang', 'afsluttet', 'genaabnet')),
        agent           TEXT,
        resolution      TEXT
    );
    CREATE UNIQUE INDEX tickets_one_open ON tickets (conversation_id, category)
        WHERE status != 'afsluttet';
    CREATE INDEX tickets_due ON tickets (status, due);

    CREATE TABLE ticket_history (
        id        INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        time      TEXT NOT NULL,
        agent     TEXT,
        action    TEXT NOT NULL,
        detail    TEXT
    );
    CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

    CREATE TABLE journal (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT REFERENCES conversations (id),
        time            TEXT NOT NULL,
        sag             TEXT NOT NULL,
        borgergruppe    TEXT,
        decision        TEXT NOT NULL,
        rule            TEXT,
        source          TEXT,
        note            TEXT NOT NULL
    );
    CREATE INDEX journal_conversation ON journal (conversation_id);

    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT REFERENCES conversations (id),
        time            TEXT NOT NULL,
        recipient       TEXT NOT NULL CHECK (recipient IN ('jobcenter', 'a-kasse', 'brev')),
        subject         TEXT NOT NULL,
        body            TEXT NOT NULL,
        cpr             TEXT CHECK (cpr IS NULL OR recipient = 'brev'),
        status          TEXT NOT NULL DEFAULT 'afventer'
                        CHECK (status IN ('afventer', 'sendt', 'fejlet'))
    );
    CREATE INDEX outbox_status ON outbox (status, id);
    """,
    # 2: idempotent channel retries: the replies stored per (sender, message id)
    """
    CREATE TABLE processed_messages (
        channel    TEXT NOT NULL,
        sender     TEXT NOT NULL,
        message_id TEXT NOT NULL,
        replies    TEXT NOT NULL,
        time       TEXT NOT NULL,
        PRIMARY KEY (channel, sender, message_id)
    );
    """,
    # 3: delivery. Recipients become data (dialogues/modtagere.yml), so the CHECKs on recipient
    # and on who may carry a CPR number go; the outbox keeps the citizen's identity (the CPR
    # encrypted), the rule, and the delivery state: attempts, the next try, the last error, when
    # it was sent, and the ticket opened when it could not be. 'sender' marks a row claimed by a
    # delivery run, so two runs never send one row twice.
    """
    CREATE TABLE outbox_v3 (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT REFERENCES conversations (id),
        time            TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        subject         TEXT NOT NULL,
        body            TEXT NOT NULL,
        regel           TEXT,
        navn            TEXT,
        cpr             TEXT,
        cpr_maskeret    TEXT,
        identitet       TEXT CHECK (identitet IN ('verificeret', 'oplyst')),
        status          TEXT NOT NULL DEFAULT 'afventer'
                        CHECK (status IN ('afventer', 'sender', 'sendt', 'fejlet')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        first_attempt   TEXT,
        next_attempt    TEXT,
        claimed         TEXT,
        last_error      TEXT,
        sent            TEXT,
        ticket_id       TEXT REFERENCES tickets (id)
    );
    INSERT INTO outbox_v3 (id, conversation_id, time, recipient, subject, body, cpr, status)
        SELECT id, conversation_id, time, recipient, subject, body, cpr, status FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v3 RENAME TO outbox;
    CREATE INDEX outbox_status ON outbox (status, next_attempt, id);
    CREATE INDEX outbox_conversation ON outbox (conversation_id);
    ALTER TABLE tickets ADD COLUMN cpr_maskeret TEXT;
    """,
    # 4: a message id is bound to its text (a digest), so the same id with another message is
    # refused rather than answered with the old replies; a heartbeat row /health writes to
    # prove a commit goes through.
    """
    ALTER TABLE processed_messages ADD COLUMN digest TEXT;
    CREATE INDEX processed_messages_time ON processed_messages (time);
    CREATE TABLE heartbeat (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        time TEXT NOT NULL
    );
    """,
    # 5: retention. A purged conversation keeps what the reports need (its topic, the number
    # of citizen messages and of fallbacks) in columns of its own, with no sender and no state;
    # its turns and events go. daily_figures is the per-day view a 12-month trend reads.
    """
    ALTER TABLE conversations ADD COLUMN purged TEXT;
    ALTER TABLE conversations ADD COLUMN topic TEXT;
    ALTER TABLE conversations ADD COLUMN user_turns INTEGER;
    ALTER TABLE conversations ADD COLUMN fallbacks INTEGER;
    CREATE INDEX conversations_activity ON conversations (last_activity);
    CREATE INDEX journal_time ON journal (time);
    CREATE VIEW daily_figures AS
        SELECT substr(started, 1, 10) AS day, count(*) AS conversations,
               sum(outcome = 'straksafklaret') AS straksafklaret,
               sum(outcome = 'overdraget') AS overdraget, sum(outcome = 'afbrudt') AS afbrudt
        FROM conversations GROUP BY day;
    """,
    # 6: indexes, so reports, lists and sweeps cost what their period or page costs, not what
    # the whole store holds (``kcbot bench --growth`` draws the curve; tests/test_query_plans.py
    # checks that none of these queries scans a table). A ticket by its conversation and queue
    # (a queue's report), by creation and by deadline whatever its status (a period's tickets,
    # and the whole queue by deadline page by page, in the index's order without a sort), by
    # status and deadline with the id (a page of open tickets sorted from the index alone, in
    # all queues or in one);
    # the conversations not yet ended by last activity (the idle sweep); a conversation's
    # citizen messages (its topic and message count, read from the index alone) and its
    # fallback events (counted without parsing every event's JSON).
    """
    CREATE INDEX turns_user ON turns (conversation_id, seq, intent) WHERE speaker = 'user';
    CREATE INDEX events_fallback ON events (conversation_id)
        WHERE json_extract(event, '$.event') = 'fallback';
    CREATE INDEX tickets_conversation ON tickets (conversation_id, queue);
    CREATE INDEX tickets_created ON tickets (created);
    CREATE INDEX tickets_deadline ON tickets (due, id);
    DROP INDEX tickets_due;
    CREATE INDEX tickets_status_due ON tickets (status, due, id);
    CREATE INDEX tickets_queue ON tickets (queue, status, due, id);
    CREATE INDEX conversations_open ON conversations (last_activity) WHERE ended IS NULL;
    """,
    # 7: the Sager search on an index (above)
    SEARCH_MIGRATION,
    # 8: an event's type in a column of its own, written by the store with the event. The
    # fallback index of migration 6 ran ``json_extract`` on every event inserted (about five a
    # turn) to decide whether the row belongs in it; now it compares a column. The reports and
    # the purge count fallbacks by ``kind``. The index a turn finds its sender's open
    # conversation by also holds the start, so the newest is read off the index without a
    # sort (``open_conversation``, every turn).
    """
    ALTER TABLE events ADD COLUMN kind TEXT;
    UPDATE events SET kind = json_extract(event, '$.event');
    DROP INDEX events_fallback;
    CREATE INDEX events_fallback ON events (conversation_id) WHERE kind = 'fallback';
    DROP INDEX conversations_sender;
    CREATE INDEX conversations_sender ON conversations (channel, sender, ended, started);
    """,
    # 9: one index on last activity a turn keeps up to date, not two. Every turn moves its
    # conversation's ``last_activity``, and each index on it is rewritten with it: about one
    # page of the turn's ~11 in the write-ahead log apiece. The idle sweep reads the open
    # conversations' index (migration 6); the nightly purge read the index of migration 5
    # over every conversation. It now reads the open ones from the same index as the sweep,
    # and the ended ones not yet purged from this one, which a conversation enters once, when
    # it ends, and leaves when it is purged; a turn never touches it.
    """
    DROP INDEX conversations_activity;
    CREATE INDEX conversations_unpurged ON conversations (last_activity)
        WHERE ended IS NOT NULL AND purged IS NULL;
    """,
    # 10: the open conversations' index holds what a turn does not change. Keyed by last
    # activity (migration 6), its entry moved on every turn: a page of each turn's write-ahead
    # log. Keyed by ``ended`` (NULL for every entry), a conversation enters it once and leaves
    # it when it ends; the idle sweep and the purge read the open conversations it lists (those
    # of the last idle timeout, however large the store) and compare their last activity in the
    # row.
    """
    DROP INDEX conversations_open;
    CREATE INDEX conversations_open ON conversations (ended) WHERE ended IS NULL;
    """,
]
