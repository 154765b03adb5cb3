"""The first run: an empty store gets the offer of demo traffic, in a store of its own.

A newcomer opening ``kcbot`` on an empty store sees an empty dashboard, so the console offers a
month of simulated traffic first. By default that traffic goes to a demo store beside the real
one (``kcbot-demo.sqlite3``), so simulated conversations never mix with what citizens write
later; the default store is filled only when the user chooses so. A demo store filled earlier
is offered again instead of being filled twice. The filling itself happens inside the console,
with a progress bar, so the dashboard grows while the user looks around.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kcbot.config import Settings

__all__ = ["FIRST_RUN_DAYS", "FIRST_RUN_PER_DAY", "FirstRun", "demo_path", "offer"]

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


def offer(settings: Settings, demo_conversations: int,
          ask: Callable[[str], str] = input, say: Callable[[str], object] = print) -> FirstRun:
    """Ask what to open when ``settings.db_path`` is empty. ``demo_conversations`` is how many
    conversations the demo store holds already (0 when it does not exist). An unclear answer is
    asked again, twice at most; end of input opens the empty store."""
    db, demo = settings.db_path, demo_path(settings.db_path)
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
