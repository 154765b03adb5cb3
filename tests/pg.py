"""A real PostgreSQL server for the tests, from the ``pgserver`` wheel (binaries on PyPI, so
``pip install '.[test]' && pytest`` brings it on a fresh machine; no system service)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg

if TYPE_CHECKING:
    from kcbot.config import Settings

TEMPLATE = "kcbot_template"


def _run(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine to its end from sync code, also inside an async test's running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class PostgresServer:
    url: str  # the server's maintenance database
    folder: Path
    _server: object
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls, folder: Path) -> PostgresServer:
        import warnings

        with warnings.catch_warnings():  # no XDG_RUNTIME_DIR here: its lock goes to /tmp
            warnings.simplefilter("ignore")
            import pgserver
        data = folder / "data"
        server = pgserver.get_server(data, cleanup_mode="stop")
        self = cls(server.get_uri(), folder, server)
        _run(self._make_template())
        return self

    def stop(self) -> None:
        self._server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(self.folder / "data", ignore_errors=True)

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.url)
        return parts._replace(path=f"/{name}").geturl()

    async def _make_template(self) -> None:
        from kcbot.store.postgres import PostgresStore

        con = await asyncpg.connect(self.url)
        try:
            # A throwaway server: nothing it holds must survive a power cut, so it does not wait
            # for the disk. Without this, stopping it at the end of the session wrote out every
            # test database's pages with fsync (15 s for one test file, 3 min for the whole suite
            # on a loaded machine); every test sees the same SQL behaviour either way.
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                await con.execute(f"ALTER SYSTEM SET {setting} = off")
            await con.execute("SELECT pg_reload_conf()")
            await con.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await con.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await con.close()
        store = await PostgresStore.open(self.database_url(TEMPLATE))
        await store.close()

    def fresh_database(self, migrated: bool = True) -> str:
        name = f"kcbot_test_{os.getpid()}_{next(self._names)}"

        async def create() -> None:
            con = await asyncpg.connect(self.url)
            try:
                template = TEMPLATE if migrated else "template0"
                await con.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
            finally:
                await con.close()

        _run(create())
        return self.database_url(name)


def query(target: str | Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read a store's rows from outside kcbot, as an operator would: ``sqlite3`` on a file,
    asyncpg on a URL (``sql`` in the shared dialect, ``?`` parameters)."""
    if isinstance(target, str):
        from kcbot.store.dialect import to_postgres

        async def fetch() -> list[tuple]:
            con = await asyncpg.connect(target)
            try:
                return [tuple(r) for r in await con.fetch(to_postgres(sql), *params)]
            finally:
                await con.close()

        return _run(fetch())
    import sqlite3

    with sqlite3.connect(target) as con:
        return [tuple(r) for r in con.execute(sql, params).fetchall()]


def where_args(target: str | Path) -> list[str]:
    """The command-line option naming this store."""
    return ["--database-url", target] if isinstance(target, str) else ["--db", str(target)]


def settings_for(target: str | Path) -> Settings:
    """Settings on this store, either backend: a URL is PostgreSQL, a path an SQLite file."""
    from kcbot.config import Settings

    if isinstance(target, str):
        return Settings(database_url=target)
    return Settings(db_path=target, database_url=None)
