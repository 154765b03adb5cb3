"""The first run: an empty store gets the offer of demo traffic, in a store of its own.

A newcomer opening ``kcbot`` on an empty store sees an empty dashboard, so the console offers a
month of simulated traffic first. By default that traffic goes to a demo store beside the real
one (``kcbot-demo.sqlite3``), so simulated conversations never mix with what citizens write
later; the default store is filled only when the user chooses so. A demo store filled earlier
is offered again instead of being filled twice. The filling itself happens inside the console,
with a progress bar, so the dashboard grows while the user looks around.

A fill is whole or nothing: a marker file beside the store (``kcbot-demo.sqlite3-fyldes``) is
written when the fill starts and removed only when it completes. A store whose marker is still
there was left half-filled (the console was closed, or the machine stopped, during the fill);
the next start says so in Danish and fills it again from scratch instead of offering the
partial traffic as if it were a month of it. The console shows the store while it fills, so the
fill cannot go to a temporary file renamed at the end.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kcbot.config import Settings
from kcbot.errors import KcbotError

__all__ = ["FIRST_RUN_DAYS", "FIRST_RUN_PER_DAY", "FirstRun", "demo_path", "fill_finished",
           "fill_started", "offer", "unfinished", "unfinished_fill"]

FIRST_RUN_DAYS, FIRST_RUN_PER_DAY = 30, 100
YES = {"j", "ja", "y", "yes"}
NO = {"n", "nej", "no"}


@dataclass(frozen=True)
class FirstRun:
    """What the console opens: which store, and whether to fill it with demo traffic."""

    settings: Settings
    fill: bool = False

    @property
    def is_demo_store(self) -> bool:
        return self.settings.db_path.name.endswith(f"-demo{self.settings.db_path.suffix}")


def demo_path(db: Path) -> Path:
    """The demo store that belongs to ``db``: ``kcbot.sqlite3`` → ``kcbot-demo.sqlite3``."""
    return db.with_name(f"{db.stem}-demo{db.suffix}")


def fill_marker(db: Path) -> Path:
    """The marker that says ``db`` is being filled: ``kcbot-demo.sqlite3-fyldes``."""
    return db.with_name(f"{db.name}-fyldes")


def fill_started(db: Path) -> None:
    """Mark ``db`` as being filled. A folder that takes the store but not the marker (hardly
    possible) only loses the whole-or-nothing check; the fill itself goes on."""
    with contextlib.suppress(OSError):
        fill_marker(db).write_text(
            "kcbot fylder demotrafik i denne database. Findes filen, blev fyldningen ikke "
            "færdig; næste start af kcbot fylder databasen forfra.\n", encoding="utf-8")


def fill_finished(db: Path) -> None:
    with contextlib.suppress(OSError):
        fill_marker(db).unlink(missing_ok=True)


def unfinished(db: Path) -> bool:
    """``db`` was left half-filled: its fill started and never finished."""
    return fill_marker(db).exists()


def _discard(db: Path) -> None:
    """Delete a half-filled store with its SQLite side files, then its marker (last, so a
    failure half-way leaves the store still recognisable as unfinished)."""
    try:
        for path in (db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))):
            path.unlink(missing_ok=True)
        fill_marker(db).unlink(missing_ok=True)
    except OSError as exc:
        raise KcbotError(f"Den halvt fyldte database {db} kunne ikke slettes "
                         f"({exc.strerror}). Slet den selv, og start kcbot igen.") from exc


def _other_conversations(db: Path) -> int | None:
    """Conversations in ``db`` that are not simulated; None when the store cannot be read."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
        try:
            (count,) = con.execute(
                "SELECT count(*) FROM conversations WHERE channel <> 'demo'").fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        return 0 if "no such table" in str(exc) else None
    except sqlite3.Error:
        return None
    return int(count)


def unfinished_fill(settings: Settings, say: Callable[[str], object] = print) -> FirstRun | None:
    """The start after an interrupted fill of the default store (the user chose to fill it on
    the first run): a store holding nothing but the partial demo traffic is emptied and filled
    again, with a word to the user; a store that has other conversations as well is never
    deleted, it opens as it is with a warning. None when the default store's fill was not left
    unfinished. (A half-filled demo store is handled by :func:`offer`.)"""
    db = settings.db_path
    if not unfinished(db):
        return None
    others = _other_conversations(db)
    if others != 0:
        say(f"Demotrafikken i databasen {db} blev ikke fyldt færdig sidste gang, men databasen "
            "har også andre samtaler, så den åbnes, som den er (med en del af demotrafikken).")
        fill_finished(db)
        return FirstRun(settings)
    _discard(db)
    say(f"Demotrafikken i databasen {db} blev ikke fyldt færdig sidste gang (konsollen blev "
        "lukket undervejs). Den fyldes forfra nu.")
    return FirstRun(settings, fill=True)


def offer(settings: Settings, demo_conversations: int,
          ask: Callable[[str], str] = input, say: Callable[[str], object] = print) -> FirstRun:
    """Ask what to open when ``settings.db_path`` is empty. ``demo_conversations`` is how many
    conversations the demo store holds already (0 when it does not exist). An unclear answer is
    asked again, twice at most; end of input opens the empty store. A demo store whose fill
    did not finish is deleted and the fill offered afresh, with a word on why."""
    db, demo = settings.db_path, demo_path(settings.db_path)
    if unfinished(demo):
        _discard(demo)
        say(f"Demodatabasen {demo} blev ikke fyldt færdig sidste gang (konsollen blev lukket "
            "undervejs), så den er slettet og kan fyldes forfra.")
        demo_conversations = 0
    if demo_conversations:
        question = (f"Databasen {db} er tom. Der er en demodatabase med "
                    f"{demo_conversations} simulerede samtaler ({demo}).\n"
                    "Vil du åbne demodatabasen? [J/n] ")
        answer = _ask(ask, say, question, {"": "1", **dict.fromkeys(YES, "1"),
                                           **dict.fromkeys(NO, "3")}, "Svar ja eller nej.")
        return FirstRun(settings.with_db(demo)) if answer == "1" else FirstRun(settings)
    question = (
        f"Databasen {db} er tom. Vil du se konsollen med {FIRST_RUN_DAYS} dages simuleret "
        "demotrafik (ca. et halvt minut; konsollen kan bruges imens)?\n"
        f"  1) Ja, i en demodatabase for sig selv ({demo}); din database forbliver tom\n"
        f"  2) Ja, i databasen {db} (demodata blandes med rigtige samtaler)\n"
        "  3) Nej, åbn den tomme database\n"
        "Vælg 1, 2 eller 3 [1]: ")
    answer = _ask(ask, say, question, {"": "1", "1": "1", "2": "2", "3": "3",
                                       **dict.fromkeys(YES, "1"), **dict.fromkeys(NO, "3")},
                  "Svar 1, 2 eller 3.")
    if answer == "1":
        return FirstRun(settings.with_db(demo), fill=True)
    if answer == "2":
        return FirstRun(settings, fill=True)
    return FirstRun(settings)


def _ask(ask: Callable[[str], str], say: Callable[[str], object], question: str,
         answers: dict[str, str], hint: str) -> str:
    for _ in range(3):
        try:
            reply = ask(question).strip().lower().rstrip(".)")
        except EOFError:
            return "3"
        if reply in answers:
            return answers[reply]
        say(f"Det forstod jeg ikke. {hint}")
        question = question.rsplit("\n", 1)[-1]  # the choices are on screen already
    return "3"
