from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One NLU cache for the whole run: the model is trained once, then loaded.
    return tmp_path_factory.mktemp("kcbot-cache")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_dir: Path) -> None:
    monkeypatch.setenv("KCBOT_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("KCBOT_DB", str(tmp_path / "kcbot.sqlite3"))
    monkeypatch.delenv("KCBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("KCBOT_NLU_THRESHOLD", raising=False)
    # The data key and any generated key file stay in the test's folder; no real SMTP server,
    # identity secret or recipient address leaks in from the environment.
    monkeypatch.setenv("KCBOT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("KCBOT_REPORTS_DIR", str(tmp_path / "rapporter"))
    for name in [n for n in os.environ if n.startswith(("KCBOT_SMTP_", "KCBOT_IDENTITY_",
                                                         "KCBOT_RECIPIENT_"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("KCBOT_DATA_KEY", raising=False)


@pytest.fixture
def clock() -> FrozenClock:
    # Tuesday 24 November 2026, 09:15 in Copenhagen
    return FrozenClock(datetime(2026, 11, 24, 9, 15, tzinfo=TZ))


@pytest.fixture
async def engine(tmp_path: Path, clock: FrozenClock, nlu):  # type: ignore[no-untyped-def]
    """An engine on a fresh SQLite store in the test's folder, on the frozen clock."""
    from kcbot.dialogue import Engine

    engine = await Engine.open(Settings(db_path=tmp_path / "kcbot.sqlite3"), clock, nlu=nlu)
    yield engine
    await engine.close()


@pytest.fixture(scope="session")
def nlu(cache_dir: Path):
    from kcbot.nlu import NLU

    return NLU.load(Settings(db_path=Path(":memory:"), cache_dir=cache_dir, nlu_threshold=0.45))


# -- the two store backends ---------------------------------------------------------------------
# Tests that take ``store_target`` (or a fixture built on it) run once on SQLite and once on a
# real PostgreSQL server (marked ``postgres``), which the session starts itself from the
# ``pgserver`` wheel (PostgreSQL binaries shipped on PyPI; as root it runs the server as a
# user of its own). Each test gets a fresh database copied from a migrated template.

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server():
    import shutil
    import tempfile

    from tests.pg import PostgresServer

    # Not under pytest's basetemp: as root, the server runs as another user that must be able
    # to reach its folder, and every pytest start makes /tmp/pytest-of-<user> owner-only again.
    folder = Path(tempfile.mkdtemp(prefix="kcbot-postgres-"))
    server = PostgresServer.start(folder)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, migrated PostgreSQL database for this test."""
    return postgres_server.fresh_database()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Where a test's store lives: an SQLite file or a PostgreSQL URL (see ``backend``)."""
    if backend == "postgres":
        return request.getfixturevalue("postgres_url")
    return tmp_path / "kcbot.sqlite3"


@pytest.fixture
def backend_settings(store_target: str | Path) -> Settings:
    """Settings on this test's store, either backend."""
    from tests.pg import settings_for

    return settings_for(store_target)
