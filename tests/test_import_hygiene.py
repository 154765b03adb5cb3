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
