"""Delivery against a real SMTP server on loopback (aiosmtpd): one mail per outbox row, with
the citizen's identity, sent once even across a crash or two runs, retried with backoff, and
handed to a person when it cannot be sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from kcbot.channels.process import free_port
from kcbot.clock import FrozenClock
from kcbot.config import SmtpSettings
from kcbot.delivery import Delivery, Recipients
from kcbot.delivery.mail import SmtpFailure, send
from kcbot.errors import ConfigError
from kcbot.store import Store
from tests.smtp import Inbox, smtp_server, starttls_server

CPR = "150390-2468"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    monkeypatch.setenv("KCBOT_RECIPIENT_JOBCENTER", "jobcenter@kk.example")
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
async def store(store_target, clock: FrozenClock) -> AsyncIterator[Store]:
    # the delivery loop on both stores: two runs (or two workers) never send a row twice
    async with Store.connect(store_target, clock) as store:
        yield store


async def _afbud(store: Store) -> int:
    conversation = await store.start_conversation("rest", "web-1")
    return await store.add_outbox(
        conversation, "jobcenter", "Afbud til jobsamtale den 2026-11-25",
        "Borger på dagpenge melder afbud til jobsamtale den 2026-11-25. Grund: sygdom. "
        "Afgørelse: godkendt (regel dagpenge_gyldig_grund).",
        navn="Mette Hansen", cpr=CPR, identitet="oplyst", regel="dagpenge_gyldig_grund",
    )


async def test_one_plain_text_mail_names_the_citizen_and_the_case(store, inbox) -> None:
    row_id = await _afbud(store)
    report = await Delivery(store, inbox.settings()).run_once()
    assert report.sent == [row_id]
    (mail,) = inbox.messages
    assert inbox.envelopes == [("kcbot@kk.example", ["jobcenter@kk.example"])]
    assert mail["From"] == "kcbot@kk.example" and mail["To"] == "jobcenter@kk.example"
    assert mail["Subject"] == "Afbud til jobsamtale den 2026-11-25 – Mette Hansen"
    assert mail["Date"] == "Tue, 24 Nov 2026 09:15:00 +0100"
    assert mail["Message-ID"].startswith(f"<kcbot.outbox.{row_id}.")
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    row = await store.outbox_row(row_id)
    for words in ("Mette Hansen", f"CPR-nummer:   {CPR}", "ikke verificeret",
                  "Grund: sygdom", "Regel:        dagpenge_gyldig_grund",
                  "tirsdag den 24. november 2026 kl. 09.15", row["conversation_id"]):
        assert words in body
    assert (row["status"], row["sent"], row["attempts"]) == (
        "sendt", "2026-11-24T09:15:00+01:00", 1)
    assert (await Delivery(store, inbox.settings()).run_once()).sent == []
    assert len(inbox.messages) == 1


async def test_two_runs_at_once_send_each_row_once(store, inbox, store_target, clock) -> None:
    rows = [await _afbud(store) for _ in range(5)]
    async with Store.connect(store_target, clock) as other:
        other.data_key = store.data_key
        await asyncio.gather(Delivery(store, inbox.settings()).run_once(),
                             Delivery(other, inbox.settings()).run_once())
    assert sorted(int(m["X-Kcbot-Outbox-Id"]) for m in inbox.messages) == rows


async def test_a_crash_between_sending_and_marking_resends_with_the_same_message_id(
    store, inbox, clock, monkeypatch
) -> None:
    row_id = await _afbud(store)

    async def crash(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies after the server took the mail

    with monkeypatch.context() as patch:
        patch.setattr(store, "mark_outbox_sent", crash)
        with pytest.raises(KeyboardInterrupt):
            await Delivery(store, inbox.settings()).run_once()
    assert (await store.outbox_row(row_id))["status"] == "sender"
    # a run soon after does not touch it: the claim may belong to a run still working
    assert (await Delivery(store, inbox.settings()).run_once()).sent == []
    clock.advance(timedelta(minutes=11))
    assert (await Delivery(store, inbox.settings()).run_once()).sent == [row_id]
    first, again = inbox.messages
    assert first["Message-ID"] == again["Message-ID"]  # the receiver can tell it is a repeat
    assert again["X-Kcbot-Attempt"] == "2"
    assert (await Delivery(store, inbox.settings()).run_once()).sent == []
    assert len(inbox.messages) == 2


async def test_a_refusing_server_is_tried_again_after_a_minute(store, inbox, clock) -> None:
    row_id = await _afbud(store)
    inbox.refuse = "451 4.3.0 Prøv igen senere"
    assert (await Delivery(store, inbox.settings()).run_once()).retry == [row_id]
    row = await store.outbox_row(row_id)
    assert (row["status"], row["attempts"]) == ("afventer", 1)
    assert row["next_attempt"] == "2026-11-24T09:16:00+01:00" and "451" in row["last_error"]
    inbox.refuse = None
    assert (await Delivery(store, inbox.settings()).run_once()).sent == []  # not due yet
    clock.advance(timedelta(minutes=1))
    assert (await Delivery(store, inbox.settings()).run_once()).sent == [row_id]
    assert len(inbox.messages) == 1


async def test_a_server_that_was_down_gets_the_mail_when_it_is_up(store, inbox, clock) -> None:
    row_id = await _afbud(store)
    down = inbox.settings(port=free_port())  # nothing listens there
    report = await Delivery(store, down).run_once()
    assert report.retry == [row_id]
    assert "ingen forbindelse" in (await store.outbox_row(row_id))["last_error"]
    clock.advance(timedelta(minutes=1))
    assert (await Delivery(store, inbox.settings()).run_once()).sent == [row_id]


async def test_after_24_hours_of_refusals_a_person_gets_a_ticket(store, inbox, clock) -> None:
    row_id = await _afbud(store)
    inbox.refuse = "421 4.7.0 Lukket for vedligehold"
    delivery = Delivery(store, inbox.settings())
    waits = []
    while True:
        report = await delivery.run_once()
        row = await store.outbox_row(row_id)
        if row["status"] == "fejlet":
            break
        assert report.retry == [row_id]
        due = row["next_attempt"]
        waits.append(due)
        clock.set(datetime.fromisoformat(due))
    times = [datetime.fromisoformat(t) for t in ["2026-11-24T09:15:00+01:00", *waits]]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert gaps[:5] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                        timedelta(hours=2), timedelta(hours=2)]
    assert report.failed == [row_id] and row["attempts"] == len(waits) + 1
    ticket = await store.fetchone("SELECT * FROM tickets WHERE id = ?", (row["ticket_id"],))
    assert (ticket["category"], ticket["navn"], ticket["cpr_maskeret"]) == (
        "udsendelse_fejlet", "Mette Hansen", "150390-XXXX")
    assert store.open_cpr(ticket["cpr"]) == CPR and "kcbot outbox retry" in ticket["summary"]
    assert [r["id"] for r in await store.undelivered()] == [row_id]
    # a person fixed the server: retry sends it
    inbox.refuse = None
    await store.retry_outbox(row_id)
    assert (await delivery.run_once()).sent == [row_id] and len(inbox.messages) == 1


async def test_a_recipient_refused_for_good_fails_at_once(store, inbox) -> None:
    row_id = await _afbud(store)
    inbox.refuse_rcpt = "550 5.1.1 Ukendt modtager"
    report = await Delivery(store, inbox.settings()).run_once()
    assert report.failed == [row_id]
    assert (await store.outbox_row(row_id))["ticket_id"]


async def test_placeholder_addresses_and_letters_are_not_sent(store, inbox, monkeypatch) -> None:
    monkeypatch.delenv("KCBOT_RECIPIENT_JOBCENTER")
    row_id = await _afbud(store)
    letter = await store.add_outbox(None, "brev", "Ny adgangskode", "x", cpr=CPR, navn="M")
    report = await Delivery(store, inbox.settings()).run_once()
    assert report.held == [row_id] and not inbox.messages
    assert (await store.outbox_row(letter))["status"] == "afventer"
    assert [r.key for r in Recipients.load().placeholders()] == [
        "jobcenter", "a-kasse", "cdu", "ydelsesservice"]


async def test_name_and_cpr_are_erased_after_the_retention(store, inbox, clock) -> None:
    row_id = await _afbud(store)
    await Delivery(store, inbox.settings()).run_once()
    clock.advance(timedelta(days=31))
    report = await Delivery(store, inbox.settings()).run_once()
    row = await store.outbox_row(row_id)
    assert report.erased == 1
    assert (row["navn"], row["cpr"], row["cpr_maskeret"]) == (None, None, "150390-XXXX")


async def test_plain_smtp_only_to_this_machine() -> None:
    with pytest.raises(ConfigError, match="kun tilladt"):
        await send(EmailMessage(),
                   SmtpSettings(host="mail.kk.dk", sender="a@b.dk", tls="none"))
    with pytest.raises(SmtpFailure):  # STARTTLS demanded from a server that cannot
        with smtp_server() as inbox:
            message = EmailMessage()
            message["From"], message["To"] = "a@kk.example", "b@kk.example"
            await send(message, inbox.settings(tls="starttls"))


@pytest.mark.slow
async def test_kcbot_serve_delivers_in_the_background(tmp_path: Path, clock, inbox) -> None:
    import time

    from tests.test_rest import serve

    db = tmp_path / "serve.sqlite3"
    async with Store.connect(db, clock) as store:
        row_id = await _afbud(store)
    with serve(tmp_path, db, env=inbox.env()):
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            await asyncio.sleep(0.1)  # the first round runs as the server starts
    assert [int(m["X-Kcbot-Outbox-Id"]) for m in inbox.messages] == [row_id]
    async with Store.connect(db, clock) as store:
        assert (await store.outbox_row(row_id))["status"] == "sendt"


async def test_starttls_the_default_with_a_relay_of_its_own_ca(store, tmp_path, monkeypatch
                                                                ) -> None:
    monkeypatch.setenv("KCBOT_RECIPIENT_JOBCENTER", "jobcenter@kk.example")
    row_id = await _afbud(store)
    with starttls_server(tmp_path) as (inbox, ca):
        untrusted = await Delivery(store, inbox.settings(tls="starttls")).run_once()
        assert untrusted.retry == [row_id]  # a certificate nobody vouches for is not used
        assert "certificate" in (await store.outbox_row(row_id))["last_error"].lower()
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the operator trusts the relay's CA
        await store.retry_outbox(row_id)
        trusted = await Delivery(store, inbox.settings(tls="starttls")).run_once()
    assert trusted.sent == [row_id] and len(inbox.messages) == 1


def test_serve_warns_before_citizens_are_told_the_jobcentre_knows(monkeypatch) -> None:
    from kcbot.cli import _delivery_warnings

    warnings = _delivery_warnings(SmtpSettings(), public=True)
    assert any("SMTP er ikke sat op" in w for w in warnings)
    assert any("KCBOT_RECIPIENT_JOBCENTER" in w for w in warnings)
    assert any("KCBOT_DATA_KEY" in w for w in warnings)  # the key kcbot generated itself
    monkeypatch.setenv("KCBOT_DATA_KEY", "x4Dp2gLzT0cY1n1k2mDq0Yw9l2j3Hq6rXo8bB7sVt5U=")
    for key in ("JOBCENTER", "A_KASSE", "CDU", "YDELSESSERVICE"):
        monkeypatch.setenv(f"KCBOT_RECIPIENT_{key}", f"{key.lower()}@kk.example")
    configured = SmtpSettings(host="smtp.kk.example", sender="kcbot@kk.example")
    assert _delivery_warnings(configured, public=True) == []
