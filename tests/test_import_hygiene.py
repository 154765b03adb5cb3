"""The core never imports the UI, and a warm start never imports scikit-learn (it alone costs
more than the cold-start budget)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import json, sys
from datetime import date
import kcbot, kcbot.cli, kcbot.store, kcbot.nlu, kcbot.clock, kcbot.privacy
import kcbot.labels, kcbot.tickets, kcbot.reports, kcbot.report_formats
from kcbot.nlu import NLU
NLU.load().parse("hej", date(2026, 11, 24))
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def test_core_imports_neither_textual_nor_sklearn_when_the_cache_is_warm(nlu) -> None:
    # the session fixture `nlu` has filled the cache this subprocess reads
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, env=env, timeout=120, check=True
    )
    modules = set(json.loads(out.stdout))
    assert "textual" not in modules
    assert "sklearn" not in modules
    # the report formats load their libraries only when asked for html or xlsx
    assert "pygal" not in modules and "openpyxl" not in modules


FIRST_REPLY = r"""
import asyncio, json, sys
from pathlib import Path
from datetime import datetime
from kcbot.clock import TZ, FrozenClock
OPEN = datetime(2026, 11, 24, 9, 15, tzinfo=TZ)  # a Tuesday morning: the reply says 'åbent'
from kcbot.config import Settings
from kcbot.dialogue import Engine

async def main():
    engine = await Engine.open(Settings(db_path=Path(sys.argv[1])), FrozenClock(OPEN))
    result = await engine.turn("a", "hvornår har I åbent?")
    await engine.close()
    print(json.dumps({"reply": "\n".join(r.text for r in result.replies),
                      "modules": sorted(m.split(".")[0] for m in sys.modules)}))

asyncio.run(main())
"""


def test_a_warm_start_reads_the_holidays_from_the_cache(nlu, cache_dir, tmp_path) -> None:
    """The first start builds the year's holidays with the ``holidays`` package and keeps them
    in the cache folder; the next start answers the same without importing the package."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def first_reply(name: str) -> dict:
        out = subprocess.run([sys.executable, "-c", FIRST_REPLY, str(tmp_path / name)],
                             capture_output=True, env=env, timeout=120, check=True)
        return json.loads(out.stdout)

    for old in cache_dir.glob("helligdage-*"):
        old.unlink()  # another test's start may have filled it
    cold, warm = first_reply("cold.sqlite3"), first_reply("warm.sqlite3")
    assert "holidays" in cold["modules"] and "holidays" not in warm["modules"]
    assert cold["reply"] == warm["reply"] and "åbent" in cold["reply"]


def test_the_first_reply_imports_neither_sanic_nor_pyyaml_when_the_cache_is_warm(
        nlu, tmp_path) -> None:
    """rasa_sdk's package imports its plugin hook, and the hook imports Sanic (a third of a cold
    start); the engine runs its actions in-process and never needs it. A start whose data files
    are all in the cache folder reads them without importing PyYAML."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def first_reply(name: str) -> dict:
        out = subprocess.run([sys.executable, "-c", FIRST_REPLY, str(tmp_path / name)],
                             capture_output=True, env=env, timeout=120, check=True)
        return json.loads(out.stdout)

    first, second = first_reply("first.sqlite3"), first_reply("second.sqlite3")
    assert "åbent" in first["reply"] and second["reply"] == first["reply"]
    assert "rasa_sdk" in first["modules"] and "sanic" not in first["modules"]
    # nor pluggy, which only rasa-sdk's own action server uses (kcbot.actions.served)
    assert "pluggy" not in first["modules"]
    assert "yaml" not in second["modules"]


ACTION_SERVER_AFTER_KCBOT = """
import json, sys
import kcbot.dialogue
before = "sanic" in sys.modules
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.plugin import plugin_manager
executor = ActionExecutor()
executor.register_package("kcbot.actions")
app = create_app_for_serve(executor, cors_origins=None)
print(json.dumps({"before": before, "after": "sanic" in sys.modules,
                  "hook": hasattr(plugin_manager().hook, "attach_sanic_app_extensions"),
                  "routes": sorted(route.path for route in app.router.routes),
                  "actions": sorted(executor.actions)}))
"""


def test_an_action_server_started_after_kcbot_still_has_rasa_sdks_plugin_hook() -> None:
    """The deferred ``rasa_sdk.plugin`` is the real module: an action server built in a process
    that imported kcbot first gets Sanic, the plugin hook and kcbot's actions."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", ACTION_SERVER_AFTER_KCBOT],
                         capture_output=True, env=env, timeout=120, check=True)
    seen = json.loads(out.stdout)
    assert seen["before"] is False and seen["after"] is True and seen["hook"] is True
    assert "webhook" in seen["routes"] and "health" in seen["routes"]
    assert "action_aabningstid" in seen["actions"]


FIRST_REPLY_MODULES = FIRST_REPLY.replace(
    '"modules": sorted(m.split(".")[0] for m in sys.modules)',
    '"modules": sorted(sys.modules)')


def test_the_first_reply_leaves_out_what_it_does_not_use(nlu, tmp_path) -> None:
    """Start-up work a first reply does not need: the pure-Python stemmers of snowballstemmer's
    30 languages (the C stemmer is used; kcbot stems Danish only), and ``logging.config`` with
    its socket server (rasa_sdk imports it for an option of the action server; it is executed
    on first use, ``kcbot/lazy.py``)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", FIRST_REPLY_MODULES, str(tmp_path / "a.sqlite3")],
                         capture_output=True, env=env, timeout=120, check=True)
    seen = json.loads(out.stdout)
    assert "åbent" in seen["reply"]
    modules = set(seen["modules"])
    assert "kcbot.dialogue.engine" in modules  # full names
    assert "Stemmer" in modules
    assert not {m for m in modules if m.startswith("snowballstemmer.")}
    assert "socketserver" not in modules and "logging.handlers" not in modules


LOGGING_CONFIG_AFTER_KCBOT = """
import json, logging, sys
import kcbot.dialogue
from rasa_sdk import utils
utils.configure_logging_from_input_file(sys.argv[1])
print(json.dumps({"level": logging.getLogger("kcbot-test").level,
                  "socketserver": "socketserver" in sys.modules}))
"""


def test_rasa_sdks_logging_config_file_still_works_after_kcbot(tmp_path) -> None:
    """The deferred ``logging.config`` is executed when rasa_sdk's option uses it."""
    config = tmp_path / "logging.yml"
    config.write_text("version: 1\nloggers:\n  kcbot-test:\n    level: WARNING\n",
                      encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", LOGGING_CONFIG_AFTER_KCBOT, str(config)],
                         capture_output=True, env=env, timeout=120, check=True)
    assert json.loads(out.stdout) == {"level": 30, "socketserver": True}


GC_DURING_START = r"""
import asyncio, gc, json, sys
from pathlib import Path
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
if sys.argv[2] == "off":
    gc.disable()
import kcbot.dialogue
after_import = (len(collections), gc.isenabled())
from datetime import datetime
from kcbot.clock import TZ, FrozenClock
OPEN = datetime(2026, 11, 24, 9, 15, tzinfo=TZ)  # a Tuesday morning: the reply says 'åbent'
from kcbot.config import Settings
from kcbot.dialogue import Engine

async def main():
    engine = await Engine.open(Settings(db_path=Path(sys.argv[1])), FrozenClock(OPEN))
    after_open = gc.isenabled()
    reply = (await engine.turn("a", "hvornår har I åbent?")).replies[0].text
    await engine.close()
    print(json.dumps({"import": after_import, "open": after_open, "reply": reply}))

asyncio.run(main())
"""


def test_start_up_pauses_the_garbage_collector_and_restores_it(nlu, tmp_path) -> None:
    """Importing and opening the engine build long-lived objects only: collections then are
    wasted work (kcbot.lazy.gc_paused). The collector is on again afterwards, or stays off
    if the program had turned it off."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seen = {}
    for state in ("on", "off"):
        out = subprocess.run(
            [sys.executable, "-c", GC_DURING_START, str(tmp_path / f"{state}.sqlite3"), state],
            capture_output=True, env=env, timeout=120, check=True)
        seen[state] = json.loads(out.stdout)
    collections, enabled = seen["on"]["import"]
    assert enabled is True and seen["on"]["open"] is True
    # a few before the pause takes hold (kcbot's own package: 5-6 as the code grows); ~120
    # without it
    assert collections <= 20
    assert seen["off"]["import"] == [0, False] and seen["off"]["open"] is False
    assert seen["on"]["reply"] == seen["off"]["reply"]


OPEN_FILE_AT_EXIT = r"""
import asyncio, sys
import kcbot.dialogue
out = open(sys.argv[1], "w", encoding="utf-8")
async def main():
    out.write("i løkken\n")
asyncio.run(main())
out.write("til sidst\n")
"""


def test_a_program_that_imports_the_engine_still_writes_its_open_files_at_exit(tmp_path) -> None:
    """Importing the engine leaves the program's exit as it was. With the imports frozen for the
    collector (``gc.freeze``, measured and dropped: kcbot.lazy.gc_paused), a program's module
    outlived the last collection after ``asyncio.run``, and a file it left open was never
    flushed: its lines were lost."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    written = tmp_path / "out.txt"
    subprocess.run([sys.executable, "-c", OPEN_FILE_AT_EXIT, str(written)], env=env,
                   timeout=120, check=True)
    assert written.read_text(encoding="utf-8") == "i løkken\ntil sidst\n"
