"""The full CPR number at rest: encrypted where it is delivered, nowhere else, and a whole afbud
from ``kcbot chat`` to a mailbox."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from kcbot.datakey import DataKey, DataKeyError
from kcbot.store import Store
from tests.smtp import smtp_server
from tests.test_cli import kcbot

CPR = "150390-2468"
NOW = ("--now", "2026-11-24T09:15")


def cpr_forms(cpr: str) -> list[bytes]:
    """Every way the number could sit in a file: with or without hyphen or space, in UTF-8
    and in UTF-16 (SQLite's other text encoding)."""
    digits = cpr.replace("-", "")
    texts = [cpr, digits, f"{digits[:6]} {digits[6:]}"]
    return [t.encode(codec) for t in texts for codec in ("utf-8", "utf-16-le", "utf-16-be")]


def scan(db: Path) -> list[str]:
    """The files of the database (main file, WAL, shared memory) that hold the number."""
    found = []
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            raw = path.read_bytes()
            found += [f"{path.name}: {form!r}" for form in cpr_forms(CPR) if form in raw]
    return found


async def test_no_file_of_the_database_holds_the_full_cpr(engine, clock) -> None:
    for message in ("jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg",
                    "ja", "Mette Hansen", f"mit cpr er {CPR}",
                    "jeg vil gerne ringes op", "det handler om min ydelse", "20304050", "ja"):
        await engine.turn("borger", message)
    await engine.turn("b2", "jeg kan ikke huske min adgangskode til jobnet")
    for message in ("nej", "Mette Hansen", "ja", CPR.replace("-", " ")):
        await engine.turn("b2", message)
    store = engine.store
    letter = await store.fetchone("SELECT cpr FROM outbox WHERE recipient = 'brev'")
    assert letter is not None and store.open_cpr(letter["cpr"]) == CPR
    assert await store.fetchone("SELECT * FROM outbox WHERE recipient = 'jobcenter'")
    assert store.path.with_name(store.path.name + "-wal").exists()  # scanned while in use
    assert scan(store.path) == []


async def test_decrypting_with_another_key_fails_clearly(tmp_path: Path, clock, monkeypatch
                                                         ) -> None:
    db = tmp_path / "k.sqlite3"
    monkeypatch.setenv("KCBOT_DATA_KEY", Fernet.generate_key().decode())
    async with Store.connect(db, clock) as store:
        row_id = await store.add_outbox(None, "jobcenter", "Sygemelding", "x", cpr=CPR)
    monkeypatch.setenv("KCBOT_DATA_KEY", Fernet.generate_key().decode())
    async with Store.connect(db, clock) as store:
        row = await store.outbox_row(row_id)
        with pytest.raises(DataKeyError, match="anden nøgle"):
            store.open_cpr(row["cpr"])
    monkeypatch.setenv("KCBOT_DATA_KEY", "ikke-en-nøgle")
    with pytest.raises(DataKeyError, match="ikke en gyldig nøgle"):
        DataKey.load()


def test_the_generated_key_is_kept_for_its_owner_only(tmp_path: Path) -> None:
    first, again = DataKey.load(), DataKey.load()
    assert first.generated and first.source == str(tmp_path / "config" / "data.key")
    assert again.decrypt(first.encrypt(CPR)) == CPR
    mode = stat.S_IMODE((tmp_path / "config" / "data.key").stat().st_mode)
    assert mode == 0o600


async def test_an_older_database_has_its_plain_cpr_numbers_encrypted(tmp_path: Path,
                                                                     clock) -> None:
    from kcbot.store import MIGRATIONS

    db = tmp_path / "old.sqlite3"
    async with Store.connect(db, clock, migrations=MIGRATIONS[:2]) as old:
        async with old.transaction() as conn:
            await conn.execute(
                "INSERT INTO outbox (time, recipient, subject, body, cpr) "
                "VALUES ('t', 'brev', 'Ny adgangskode', 'x', ?)", (CPR,))
    async with Store.connect(db, clock) as store:
        row = await store.fetchone("SELECT cpr, cpr_maskeret, status FROM outbox")
        assert row["cpr_maskeret"] == "150390-XXXX" and store.open_cpr(row["cpr"]) == CPR
    assert scan(db) == []


@pytest.mark.slow
def test_an_afbud_in_kcbot_chat_reaches_the_jobcentre_mailbox_once(tmp_path: Path) -> None:
    db = str(tmp_path / "e2e.sqlite3")
    chat = kcbot("chat", "--db", db, *NOW, stdin="\n".join([
        "hej, jeg får dagpenge og kan ikke komme til min jobsamtale i morgen",
        "jeg er syg med feber", "ja", "Mette Hansen", CPR, ""]).encode())
    out = chat.stdout.decode()
    assert chat.returncode == 0, chat.stderr.decode()
    assert "sendes kun til jobcentret" in out and "150390-XXXX" in out and "2468" not in out
    unconfigured = kcbot("outbox", "send", "--db", db, *NOW)
    assert unconfigured.returncode == 2 and b"SMTP" in unconfigured.stderr
    with smtp_server() as inbox:
        runs = [kcbot("outbox", "send", "--db", db, *NOW, env=inbox.env()) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr.decode()
    assert runs[0].stdout.startswith(b"1 sendt") and runs[1].stdout.startswith(b"0 sendt")
    (mail,) = inbox.messages
    body = mail.get_content()
    assert mail["To"] == "jobcenter@kk.example" and "Mette Hansen" in mail["Subject"]
    assert "Mette Hansen" in body and f"CPR-nummer:   {CPR}" in body
    assert "Afbud til jobsamtale den 2026-11-25" in body and "Grund: sygdom" in body
    assert "feber" not in body  # the citizen's own words about their health stay out
    listed = kcbot("outbox", "list", "--db", db, "--status", "sendt", *NOW).stdout.decode()
    assert "150390-XXXX" in listed and "2468" not in listed
    missing = kcbot("outbox", "retry", "999", "--db", db, *NOW)
    assert missing.returncode == 2 and b"ingen besked med id 999" in missing.stderr
    assert b"Traceback" not in missing.stderr
    assert scan(Path(db)) == []
