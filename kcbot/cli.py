"""The ``kcbot`` command. Sub-commands are thin: they parse arguments, build the clock, settings
and store, call the package, and turn ``KcbotError`` into a Danish message and exit code 2."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from kcbot import __version__
from kcbot.clock import Clock, FrozenClock, SystemClock, parse_local
from kcbot.config import Settings
from kcbot.errors import KcbotError
from kcbot.privacy import CprMaskingFilter

__all__ = ["main"]

EXIT_USAGE = 2

# argparse's own messages (its gettext message ids) in Danish, so a mistyped argument is
# refused in the same language as every other error. One table for every sub-command.
_ARGPARSE_DA = {
    "usage: ": "brug: ",
    "positional arguments": "argumenter",
    "options": "tilvalg",
    "show this help message and exit": "vis denne hjælp og afslut",
    "show program's version number and exit": "vis versionen og afslut",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "forstår ikke: %s",
    "not allowed with argument %s": "kan ikke bruges sammen med %s",
    "ignored explicit argument %r": "tager ingen værdi: %r",
    "the following arguments are required: %s": "mangler: %s",
    "one of the arguments %s is required": "et af disse skal med: %s",
    "expected one argument": "forventer en værdi",
    "expected at most one argument": "forventer højst en værdi",
    "expected at least one argument": "forventer mindst en værdi",
    "ambiguous option: %(option)s could match %(matches)s":
        "tvetydigt tilvalg: %(option)s kan være %(matches)s",
    "unexpected option string: %s": "uventet tilvalg: %s",
    "invalid %(type)s value: %(value)r": "%(value)r er ikke en gyldig værdi",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "ugyldigt valg: %(value)r (vælg mellem %(choices)s)",
    "can't open '%(filename)s': %(error)s": "kan ikke åbne '%(filename)s': %(error)s",
}
_NUMBER_TYPES = {int: "et heltal", float: "et tal"}


class _Danish:
    """While active, argparse looks its messages up in ``_ARGPARSE_DA`` (it calls its module's
    ``_`` at the moment it builds a message)."""

    def __enter__(self) -> None:
        self._saved = argparse._  # type: ignore[attr-defined]
        argparse._ = lambda text: _ARGPARSE_DA.get(text, text)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        argparse._ = self._saved  # type: ignore[attr-defined]


class DanishParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose refusals are one Danish line, exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _Danish():
            super().__init__(*args, **kwargs)

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        with _Danish():
            return super().parse_args(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with _Danish():
            return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _Danish():
            return super().format_usage()

    def format_help(self) -> str:
        with _Danish():
            return super().format_help()

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        kind = _NUMBER_TYPES.get(self._registry_get("type", action.type, action.type))
        if kind is not None:
            try:
                return self._registry_get("type", action.type, action.type)(arg_string)
            except ValueError:
                raise argparse.ArgumentError(action, f"{arg_string!r} er ikke {kind}") from None
        return super()._get_value(action, arg_string)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\nSe '{self.prog} --help'.\n")


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db", metavar="PATH", default=default,
        help="SQLite-databasen (standard: KCBOT_DB eller brugerens datamappe)",
    )
    parser.add_argument(
        "--database-url", metavar="URL", default=default,
        help="PostgreSQL i stedet for SQLite: postgresql://bruger:kode@vært/db "
             "(standard: KCBOT_DATABASE_URL)",
    )
    parser.add_argument(
        "--now", metavar="TID", default=default,
        help="frys uret, fx 2026-11-24T09:00 (Europe/Copenhagen)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", default=default or False,
                        help="skriv log til stderr")


def _sender(value: str) -> str:
    """A sender id under the REST channel's rule (it is stored and shown as it is)."""
    from kcbot.channels.guard import check_sender

    problem = check_sender(value)
    if problem:
        raise argparse.ArgumentTypeError(problem.replace("'sender' ", ""))
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = DanishParser(
        prog="kcbot",
        description="kcbot: selvbetjening på tekst for Jobcenter Københavns kontaktcenter.",
    )
    parser.add_argument("--version", action="version", version=f"kcbot {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")

    nlu = sub.add_parser(
        "nlu",
        help="forstå beskeder: én besked pr. linje på stdin, ét JSON-objekt pr. linje på stdout",
    )
    _common(nlu, suppress=True)
    nlu.add_argument("--evaluate", action="store_true",
                     help="krydsvalider klassifikationen på intents/ og skriv tallene")
    nlu.add_argument("--folds", type=int, default=5, help="antal fold ved --evaluate (5)")
    nlu.add_argument("--json", action="store_true", help="--evaluate som JSON")
    nlu.set_defaults(handler=cmd_nlu)

    tickets = sub.add_parser("tickets", help="tilbageringningssager: list, vis, tag, noter, luk")
    _common(tickets, suppress=True)
    tsub = tickets.add_subparsers(dest="action", metavar="HANDLING", required=True)
    t_list = tsub.add_parser("list", help="sager sorteret efter frist")
    t_list.add_argument("--queue", help="jobcenter, ydelsesservice eller cdu")
    t_list.add_argument("--status", help="ny, i_gang, afsluttet eller genaabnet")
    t_list.add_argument("--overdue", action="store_true", help="kun sager over fristen")
    t_list.add_argument("--json", action="store_true", help="ét JSON-objekt pr. sag, i en liste")
    t_show = tsub.add_parser("show", help="sag, resumé, maskeret samtale og historik")
    for name, help_text in (("claim", "tag sagen"), ("note", "tilføj et notat"),
                            ("close", "luk sagen med en løsning"), ("reopen", "genåbn sagen")):
        action = tsub.add_parser(name, help=help_text)
        action.add_argument("id")
        action.add_argument("--agent", default="", help="dine initialer")
        if name == "note":
            action.add_argument("text", help="notatet")
        if name == "close":
            action.add_argument("--note", default="", help="hvad der blev gjort")
        if name == "reopen":
            action.add_argument("--reason", default="", help="hvorfor sagen genåbnes")
    t_show.add_argument("id")
    t_show.add_argument("--cpr", action="store_true",
                        help="vis det fulde CPR-nummer (til den, der ringer borgeren op)")
    for parser_ in tsub.choices.values():
        _common(parser_, suppress=True)
    tickets.set_defaults(handler=cmd_tickets)

    chat = sub.add_parser("chat", help="chat med botten i terminalen (virker også i et pipe)")
    _common(chat, suppress=True)
    chat.add_argument("--debug", action="store_true",
                      help="vis intent, sikkerhed, slots og flows efter hvert svar")
    chat.add_argument("--sender", type=_sender,
                      help="fortsæt denne afsenders samtale (standard: en ny)")
    chat.set_defaults(handler=cmd_chat)

    test = sub.add_parser("test", help="kør scriptede dialogtests (filer eller mapper med *.yml)")
    _common(test, suppress=True)
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument("--json", action="store_true", help="resultatet som JSON")
    test.add_argument("--summary", action="store_true",
                      help="andel bestået i alt, pr. flow og pr. fejltype")
    test.set_defaults(handler=cmd_test)

    console = sub.add_parser("console", help="konsollen for ledere, medarbejdere og testere")
    _common(console, suppress=True)
    console.set_defaults(handler=cmd_console)

    serve = sub.add_parser("serve", help="borgernes tekstkanal: Rasa-kompatibel REST-server")
    _common(serve, suppress=True)
    serve.add_argument("--host", default="127.0.0.1", help="adresse (127.0.0.1)")
    serve.add_argument("--port", type=int, default=5005, help="port (5005)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="antal arbejdsprocesser på samme port (1; over 1 kræver PostgreSQL)")
    serve.set_defaults(handler=cmd_serve)

    actions = sub.add_parser("actions", help="kcbots handlinger på Rasas action-server")
    _common(actions, suppress=True)
    actions.add_argument("--host", default="127.0.0.1", help="adresse (127.0.0.1)")
    actions.add_argument("--port", type=int, default=5055, help="port (5055)")
    actions.set_defaults(handler=cmd_actions)

    report = sub.add_parser("report", help="SLA-rapport for en uge, måned eller et kvartal")
    _common(report, suppress=True)
    report.add_argument("--period", choices=("week", "month", "quarter"), default="week",
                        help="week (jobcenterenheder), month (CDU), quarter (følgegruppen)")
    report.add_argument("--date", help="en dag i perioden (standard: i dag)")
    report.add_argument("--format", choices=("md", "csv", "html", "xlsx"), default="md",
                        help="md eller csv (til skærmen), html (med grafer) eller xlsx")
    report.add_argument("--output", metavar="FIL",
                        help="skriv til en fil; html og xlsx gemmes ellers i mappen "
                             "kcbot-rapporter under dine dokumenter")
    report.add_argument("--overwrite", action="store_true",
                        help="erstat en eksisterende fil (ellers afvises det)")
    report.set_defaults(handler=cmd_report)

    simulate = sub.add_parser("simulate", help="fyld databasen med realistisk demotrafik")
    _common(simulate, suppress=True)
    simulate.add_argument("--days", type=int, default=30, help="antal dage bagud (30)")
    simulate.add_argument("--per-day", type=int, default=200, help="borgere pr. dag (200)")
    simulate.add_argument("--seed", type=int, help="samme seed giver samme trafik")
    simulate.set_defaults(handler=cmd_simulate)

    content = sub.add_parser("content", help="vejledningstekster og regler og deres kilder")
    _common(content, suppress=True)
    content.add_argument("--stale", type=int, metavar="DAGE",
                         help="kun det, der ikke er gennemgået i så mange dage")
    content.add_argument("--on", metavar="DATO",
                         help="hvad der ændres den dag: tekster, regler og registreringer, "
                              "fx --on 2027-01-01")
    content.add_argument("--json", action="store_true", help="som JSON")
    content.set_defaults(handler=cmd_content)

    bench = sub.add_parser("bench", help="mål kold start, ture pr. sekund, svartid og hukommelse")
    _common(bench, suppress=True)
    bench.add_argument("--conversations", type=int, default=2000, metavar="N",
                       help="antal simulerede samtaler (2000)")
    bench.add_argument("--json", action="store_true", help="tallene som JSON")
    bench.add_argument("--rest", action="store_true",
                       help="REST-kanalen mod en bar Sanic-ekko-app, samme klient og belastning")
    bench.add_argument("--concurrency", type=int, default=None, metavar="N",
                       help="samtidige afsendere ved --rest (standard: 1, 10 og 100)")
    bench.add_argument("--growth", action="store_true",
                       help="rapporter, køen og konsollens opdatering mod databasens størrelse "
                            "(7, 30 og 120 dage, eller --db)")
    bench.add_argument("--days", default="7,30,120", metavar="D,D,…",
                       help="databasernes længde i dage ved --growth (7,30,120)")
    bench.add_argument("--per-day", type=int, default=300, metavar="N",
                       help="samtaler pr. dag ved --growth (300)")
    bench.add_argument("--workers", type=int, default=None, metavar="N",
                       help="ved --rest --database-url: PostgreSQL med 1 og N arbejdere ved "
                            "siden af SQLite med 1 (2)")
    bench.set_defaults(handler=cmd_bench)

    outbox = sub.add_parser("outbox", help="udbakken: send, vis og send igen")
    _common(outbox, suppress=True)
    osub = outbox.add_subparsers(dest="action", metavar="HANDLING", required=True)
    osub.add_parser("send", help="send alt, der venter, én gang (SMTP), og afslut")
    o_list = osub.add_parser("list", help="beskeder i udbakken")
    o_list.add_argument("--status", choices=("afventer", "sender", "sendt", "fejlet"))
    o_list.add_argument("--json", action="store_true", help="som JSON")
    o_retry = osub.add_parser("retry", help="send en fejlet besked igen ved næste kørsel")
    o_retry.add_argument("id", type=int)
    for parser_ in osub.choices.values():
        _common(parser_, suppress=True)
    outbox.set_defaults(handler=cmd_outbox)

    purge = sub.add_parser("purge", help="slet eller anonymisér data ældre end deres "
                           "opbevaringsperiode (KCBOT_RETENTION_*)")
    _common(purge, suppress=True)
    purge.set_defaults(handler=cmd_purge)

    db = sub.add_parser("db", help="vis databasens placering og skema-version")
    _common(db, suppress=True)
    dsub = db.add_subparsers(dest="action", metavar="HANDLING")
    d_migrate = dsub.add_parser("migrate", help="kopiér SQLite-databasen (--db) til PostgreSQL")
    d_migrate.add_argument("--to", required=True, metavar="URL",
                           help="den nye, tomme PostgreSQL-database: postgresql://…")
    _common(d_migrate, suppress=True)
    db.set_defaults(handler=cmd_db)
    return parser


MAX_FOLDS = 50
MAX_SIMULATE_DAYS = 3660
MAX_PER_DAY = 10_000
MAX_STALE_DAYS = 36_500
MIN_YEAR, MAX_YEAR = 1900, 2999


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(getattr(args, "db", None), getattr(args, "database_url", None))


def make_clock(args: argparse.Namespace) -> Clock:
    return FrozenClock(parse_local(args.now)) if getattr(args, "now", None) else SystemClock()


def cmd_nlu(args: argparse.Namespace) -> int:
    from kcbot.config import data_path
    from kcbot.nlu import NLU, load_training_data

    settings = _settings(args)
    if args.evaluate:
        from kcbot.nlu.evaluate import evaluate

        if not 2 <= args.folds <= MAX_FOLDS:
            raise KcbotError(f"--folds skal være mellem 2 og {MAX_FOLDS}.")
        result = evaluate(
            load_training_data(data_path("intents")), args.folds, settings.nlu_threshold
        )
        print(json.dumps(result.as_dict(), ensure_ascii=False) if args.json else result.report())
        return 0
    nlu = NLU.load(settings)
    clock = make_clock(args)
    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        result = nlu.parse(text, clock.today()).as_dict()
        out.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()
    return 0


def cmd_tickets(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.labels import clock_time, label, when
    from kcbot.store import Store
    from kcbot.tickets import TicketService

    settings = _settings(args)
    clock = make_clock(args)

    async def run() -> None:
        async with Store.connect(settings.store_target, clock) as store:
            service = TicketService.open(store)
            now = clock.now()
            if args.action == "list":
                tickets = await service.list(args.queue, args.status, args.overdue)
                if args.json:
                    print(json.dumps([t.as_json() for t in tickets], ensure_ascii=False))
                    return
                for t in tickets:
                    print(f"{t.id}  {when(t.due):<19} {label('sla', t.sla(now)):<15} "
                          f"{label('queue', t.queue):<15} {label('status', t.status):<10} "
                          f"{label('topic', t.category):<27} {t.summary[:60]}")
                print(f"{len(tickets)} sager")
            elif args.action == "show":
                t = await service.get(args.id)
                print(f"{t.id}  {label('topic', t.category)}  kø {label('queue', t.queue)}  "
                      f"status {label('status', t.status)}  ({label('sla', t.sla(now))})")
                print(f"oprettet {when(t.created)}  frist {when(t.due)}  agent {t.agent or '-'}")
                cpr = store.open_cpr(t.cpr) if args.cpr and t.cpr else t.cpr_maskeret
                print(f"borger: {t.navn or '-'}  CPR {cpr or '-'}  tlf {t.telefon or '-'}  "
                      f"gruppe {label('borgergruppe', t.borgergruppe)}")
                print(f"resumé: {t.summary}")
                if t.resolution:
                    print(f"løsning: {t.resolution}")
                if t.conversation_id:
                    print("samtale:")
                    for turn in await store.turns(t.conversation_id):
                        who = "borger" if turn.speaker == "user" else "kcbot"
                        text = turn.text.replace("\n", "\n" + " " * (len(who) + 10))
                        print(f"  {clock_time(turn.time)} {who}: {text}")
                print("historik:")
                for h in await service.history(t.id):
                    print(f"  {when(str(h['time']))} {h['agent'] or '-'} "
                          f"{label('action', str(h['action']))} {h['detail'] or ''}")
            else:
                operation = {
                    "claim": lambda: service.claim(args.id, args.agent),
                    "note": lambda: service.note(args.id, args.agent, args.text),
                    "close": lambda: service.close(args.id, args.agent, args.note),
                    "reopen": lambda: service.reopen(args.id, args.agent, args.reason),
                }[args.action]
                t = await operation()
                print(f"{t.id}: status {label('status', t.status)}, agent {t.agent}")

    asyncio.run(run())
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot import datakey
    from kcbot.store import MIGRATIONS, Store

    settings = _settings(args)
    if getattr(args, "action", None) == "migrate":
        return _db_migrate(args)

    async def info() -> None:
        async with Store.connect(settings.store_target, make_clock(args)) as store:
            version = await store.schema_version()
            print(f"database: {store.location}")
            print(f"skema-version: {version} (denne kcbot: {len(MIGRATIONS)})")
            print(f"samtaler: {await store.conversation_count()}")
        print(f"datanøgle (CPR-kryptering): {datakey.describe()}")

    asyncio.run(info())
    return 0


def _db_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.config import _checked_url
    from kcbot.store.copy import copy_to_postgres
    from kcbot.store.db import SQLiteStore
    from kcbot.store.postgres import PostgresStore

    url = _checked_url(args.to, "--to")
    source_path = Settings.from_env(getattr(args, "db", None), None).db_path
    if not source_path.exists():
        raise KcbotError(f"Der er ingen SQLite-database i {source_path} at kopiere.")
    clock = make_clock(args)

    async def run() -> None:
        async with SQLiteStore.connect(source_path, clock) as source, \
                PostgresStore.connect(url, clock) as target:
            print(f"kopierer {source.location} til {target.location}")
            await copy_to_postgres(source, target, lambda t: print(t.line(), flush=True))
            print("Kopien er kontrolleret: samme antal rækker og samme kontrolsum i hver "
                  "tabel. Brug nu KCBOT_DATABASE_URL (og samme KCBOT_DATA_KEY).")

    asyncio.run(run())
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.channels.terminal import chat
    from kcbot.dialogue import Engine

    async def run() -> int:
        engine = await Engine.open(_settings(args), make_clock(args))
        try:
            return await chat(engine, sender=args.sender, debug=args.debug)
        finally:
            await engine.close()

    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # binary input is a message, not a crash
    return asyncio.run(run())


def cmd_test(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from kcbot.dialogue.scripted import DialogueResult, collect_files, run_files
    from kcbot.dialogue.summary import summarise

    files = collect_files([Path(p) for p in args.paths])

    def line(result: DialogueResult) -> None:
        if args.json:
            return
        if result.passed:
            print(f"ok   {result.name}")
        else:
            print(f"FEJL {result.name}: " + "; ".join(result.failures))

    results = asyncio.run(run_files(files, _settings(args), on_result=line))
    failed = sum(not r.passed for r in results)
    if args.json:
        report: dict[str, object] = {"passed": len(results) - failed, "failed": failed}
        if args.summary:
            report["summary"] = summarise(results).as_dict()
        report["dialogues"] = [r.as_dict() for r in results]
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif args.summary:
        print()
        print(summarise(results).report())
    else:
        print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_console(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.firstrun import FirstRun, demo_path, offer, unfinished, unfinished_fill
    from kcbot.store import Store

    settings = _settings(args)
    clock = make_clock(args)

    async def count(path) -> int:  # type: ignore[no-untyped-def]
        async with Store.connect(path, clock) as store:
            return await store.conversation_count()

    start = FirstRun(settings)
    # a shared PostgreSQL store is the municipality's: no demo traffic is offered there
    if settings.database_url is None and sys.stdin.isatty() and sys.stdout.isatty():
        resumed = unfinished_fill(settings)  # the default store's fill was interrupted
        if resumed is not None:
            start = resumed
        elif asyncio.run(count(settings.db_path)) == 0:
            demo = demo_path(settings.db_path)
            start = offer(settings, asyncio.run(count(demo))
                          if demo.exists() and not unfinished(demo) else 0)
    from kcbot.console.app import run_console

    run_console(start, clock)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from kcbot.channels.guard import GuardedProtocol, RestLimits, raise_file_limit
    from kcbot.channels.rest import create_app, is_loopback
    from kcbot.channels.workers import WORKER_INDEX_ENV, serve_workers, worker_socket
    from kcbot.config import IdentitySettings, RetentionSettings, SmtpSettings, WebchatSettings

    settings = _settings(args)
    sock = worker_socket(args.host, args.port)  # in a worker of `serve --workers N`; the
    # parent checked everything below
    token = os.environ.get("KCBOT_TOKEN") or None
    smtp = SmtpSettings.from_env()
    if sock is None:
        if args.workers < 1:
            raise KcbotError("--workers skal være mindst 1.")
        if args.workers > 1 and settings.database_url is None:
            raise KcbotError(
                "--workers over 1 kræver PostgreSQL (--database-url eller KCBOT_DATABASE_URL): "
                "SQLite har én skriver ad gangen og holder rækkefølgen pr. afsender i én "
                "proces, så flere arbejdere på samme fil giver ingen gevinst, kun længere "
                "svartider.")
        if token is None and not is_loopback(args.host):
            print(f"kcbot: ADVARSEL: {args.host} er ikke kun denne maskine, og der er ingen "
                  "KCBOT_TOKEN. Alle på netværket kan skrive som en hvilken som helst borger.",
                  file=sys.stderr)
        for warning in _delivery_warnings(smtp, public=not is_loopback(args.host)):
            print(f"kcbot: ADVARSEL: {warning}", file=sys.stderr)
        _check_address(args.host, args.port)
        if args.workers > 1:
            # the URL goes by the environment, not the command line (ps shows that)
            os.environ["KCBOT_DATABASE_URL"] = str(settings.database_url)
            child = [*(["--now", args.now] if getattr(args, "now", None) else []),
                     *(["-v"] if getattr(args, "verbose", False) else [])]
            return serve_workers(child, args.host, args.port, args.workers)
    limits = RestLimits.from_env()
    before, after = raise_file_limit()
    if after < 4 * limits.connections_per_ip:
        print(f"kcbot: ADVARSEL: kun {after} åbne filer tilladt (ulimit -n); hæv grænsen, så "
              "mange forbindelser ikke kan udsulte borgerne.", file=sys.stderr)
    # one worker purges at night; the others would only wait for its locks
    purging = os.environ.get(WORKER_INDEX_ENV, "0") == "0"
    app = create_app(settings, make_clock(args), token=token, limits=limits,
                     identity=IdentitySettings.from_env(), smtp=smtp,
                     webchat=WebchatSettings.from_env(),
                     retention=RetentionSettings.from_env() if purging else None,
                     name=f"kcbot{os.environ.get(WORKER_INDEX_ENV, '')}")
    where: dict[str, Any] = ({"sock": sock} if sock is not None
                             else {"host": args.host, "port": args.port})
    app.run(**where, single_process=True, access_log=False, motd=False,
            protocol=GuardedProtocol)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.config import RetentionSettings
    from kcbot.store import Store, purge

    settings = _settings(args)
    retention = RetentionSettings.from_env()
    clock = make_clock(args)

    async def run() -> None:
        async with Store.connect(settings.store_target, clock) as store:
            report = await purge(store, clock.now(), retention)
        print(report.line())

    asyncio.run(run())
    return 0


def _delivery_warnings(smtp, public: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """What an operator must know before citizens are told 'jobcentret har fået besked'."""
    from kcbot.datakey import DataKey
    from kcbot.delivery import Recipients

    warnings = []
    if not smtp.configured:
        warnings.append("SMTP er ikke sat op (KCBOT_SMTP_HOST, KCBOT_SMTP_FROM): "
                        "registreringer bliver liggende i udbakken og sendes ikke.")
    for recipient in Recipients.load().placeholders():
        env = "KCBOT_RECIPIENT_" + recipient.key.upper().replace("-", "_")
        warnings.append(f"modtageren '{recipient.key}' har stadig pladsholder-adressen "
                        f"{recipient.adresse}; sæt {env} eller ret dialogues/modtagere.yml. "
                        "Intet sendes dertil før da.")
    if public and DataKey.load().generated:
        warnings.append("CPR-numre krypteres med en nøgle, kcbot selv har lavet og gemt på "
                        "denne maskine. Sæt KCBOT_DATA_KEY fra jeres hemmelighedslager i drift.")
    return warnings


def cmd_outbox(args: argparse.Namespace) -> int:
    import asyncio

    from kcbot.config import SmtpSettings
    from kcbot.labels import when
    from kcbot.store import Store

    settings = _settings(args)
    clock = make_clock(args)

    async def run() -> int:
        async with Store.connect(settings.store_target, clock) as store:
            if args.action == "list":
                rows = [store.outbox_dict(r) for r in await store.outbox_list(args.status)]
                if args.json:
                    print(json.dumps(rows, ensure_ascii=False))
                    return 0
                for r in rows:
                    print(f"{r['id']:>6}  {when(r['time']):<19}  {r['status']:<8} "
                          f"{r['recipient']:<14} {r['navn'] or '-':<22} "
                          f"{r['cpr_maskeret'] or '-':<11}  {r['subject'][:40]}"
                          + (f"  ({r['last_error'][:60]})" if r["last_error"] else ""))
                print(f"{len(rows)} beskeder")
                return 0
            if args.action == "retry":
                row = await store.retry_outbox(args.id)
                print(f"Besked {row['id']} sendes igen ved næste kørsel (kcbot outbox send).")
                return 0
            from kcbot.delivery import Delivery

            smtp = SmtpSettings.from_env()
            if not smtp.configured:
                print("kcbot: SMTP er ikke sat op: sæt KCBOT_SMTP_HOST og KCBOT_SMTP_FROM "
                      "(se README, 'Identitet, privatliv og levering').", file=sys.stderr)
                return EXIT_USAGE
            report = await Delivery(store, smtp).run_once()
            print(report.line())
            return 1 if report.failed or report.held else 0

    return asyncio.run(run())


def _check_address(host: str, port: int) -> None:
    """Say in Danish why the server cannot listen, before Sanic says it in a traceback."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise KcbotError(f"Kan ikke lytte på {host}:{port}: {reason}. Vælg en anden "
                         "--host eller --port.") from None


def cmd_actions(args: argparse.Namespace) -> int:
    """rasa-sdk's action server for kcbot's actions, each call's shape checked first
    (``kcbot.channels.actions_server``)."""
    import os

    _check_address(args.host, args.port)
    env = {**os.environ, "SANIC_HOST": args.host}
    if args.db:
        env["KCBOT_DB"] = args.db
    argv = [sys.executable, "-m", "kcbot.channels.actions_server", "--port", str(args.port)]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def cmd_report(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import date
    from pathlib import Path

    from kcbot.report_formats import ReportData, collect, content, write
    from kcbot.store import Store

    clock = make_clock(args)
    try:
        on = date.fromisoformat(args.date) if args.date else clock.now().date()
    except ValueError:
        raise KcbotError(f"--date {args.date!r} er ikke en dato (ÅÅÅÅ-MM-DD).") from None
    if not MIN_YEAR <= on.year <= MAX_YEAR:
        raise KcbotError(f"--date {on.isoformat()}: vælg en dato mellem år {MIN_YEAR} og "
                         f"{MAX_YEAR}.")

    async def run() -> ReportData:
        async with Store.connect(_settings(args).store_target, clock) as store:
            return await collect(store, args.period, on, clock.now())

    data = asyncio.run(run())
    if args.output is None and args.format in ("md", "csv"):
        print(content(data, args.format), end="")
        return 0
    path = write(data, args.format, Path(args.output) if args.output else None,
                 overwrite=args.overwrite)
    print(f"Rapporten er skrevet til {path}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    from datetime import timedelta

    from kcbot.simulate import simulate

    if not (1 <= args.days <= MAX_SIMULATE_DAYS and 1 <= args.per_day <= MAX_PER_DAY):
        raise KcbotError(f"--days skal være 1 til {MAX_SIMULATE_DAYS} og --per-day 1 til "
                         f"{MAX_PER_DAY}.")
    end = make_clock(args).now()
    first = (end - timedelta(days=args.days)).date()
    settings = _settings(args)
    shown: contextlib.AbstractContextManager[object]
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("dage"), console=Console(stderr=True), transient=True)
        task = bar.add_task("Simulerer …", total=args.days)
        shown = bar

        def progress(day, result) -> None:  # type: ignore[no-untyped-def]
            bar.update(task, completed=(day - first).days,
                       description=f"{day:%d.%m.%Y}: {result.conversations} samtaler")
    else:  # a log: one line a day
        shown = contextlib.nullcontext()

        def progress(day, result) -> None:  # type: ignore[no-untyped-def]
            print(f"{day:%d.%m.%Y}: {result.conversations} samtaler", file=sys.stderr,
                  flush=True)

    with shown:
        result = asyncio.run(simulate(settings, args.days, args.per_day, args.seed, end,
                                      progress))
    print(f"{result.conversations} samtaler, {result.turns} beskeder, "
          f"{result.tickets_closed} sager lukket af medarbejdere.", file=sys.stderr)
    return 0


def cmd_content(args: argparse.Namespace) -> int:
    from kcbot.config import data_path
    from kcbot.dialogue.content import content_items, stale

    if args.on is not None:
        return _content_changes(args)
    items = content_items(data_path("dialogues"))
    if args.stale is not None:
        if not 0 <= args.stale <= MAX_STALE_DAYS:
            raise KcbotError(f"--stale skal være 0 til {MAX_STALE_DAYS} dage.")
        items = stale(items, make_clock(args).now().date(), args.stale)
    if args.json:
        print(json.dumps([item.as_dict() for item in items], ensure_ascii=False, indent=2))
        return 0
    for item in items:
        reviewed = item.reviewed.isoformat() if item.reviewed else "aldrig"
        print(f"{reviewed}  {item.file}  {item.name}\n            kilde: {item.source}")
    label = f"ikke gennemgået i {args.stale} dage" if args.stale is not None else "i alt"
    print(f"{len(items)} tekster og regelfiler {label}")
    return 0


def _content_changes(args: argparse.Namespace) -> int:
    from datetime import date

    from kcbot.config import data_path
    from kcbot.dialogue.versions import changes_on

    try:
        day = date.fromisoformat(args.on)
    except ValueError:
        raise KcbotError(f"--on {args.on!r} er ikke en dato (ÅÅÅÅ-MM-DD).") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise KcbotError(f"--on {day.isoformat()}: vælg en dato mellem år {MIN_YEAR} og "
                         f"{MAX_YEAR}.")
    changes = changes_on(data_path("dialogues"), day)
    if args.json:
        print(json.dumps([c.as_dict() for c in changes], ensure_ascii=False, indent=2))
        return 0
    kinds = {"tekst": "tekster", "regel": "regler", "registrering": "registreringer",
             "dato": "skæringsdatoer"}
    for kind, heading in kinds.items():
        these = [c for c in changes if c.kind == kind]
        if not these:
            continue
        print(f"{heading.capitalize()} ({len(these)}):")
        for c in these:
            reviewed = c.reviewed.isoformat() if c.reviewed else "aldrig"
            print(f"  {c.change:<11} {c.file}  {c.name}  (gennemgået {reviewed})\n"
                  f"              kilde: {c.source}")
    print(f"{len(changes)} ændringer den {day.isoformat()}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from kcbot.bench import print_result, run_bench

    if args.conversations < 1 or (args.concurrency is not None and args.concurrency < 1):
        raise KcbotError("--conversations og --concurrency skal være mindst 1.")
    url = _settings(args).database_url if args.rest else None
    if args.rest and (args.workers is not None or url):
        from kcbot.bench_scale import print_scale, run_scale_bench

        if url is None:
            raise KcbotError("--workers kræver --database-url (eller KCBOT_DATABASE_URL).")
        workers = 2 if args.workers is None else args.workers
        if not 1 <= workers <= 16:
            raise KcbotError("--workers skal være 1 til 16.")
        print_scale(run_scale_bench(url, workers, args.concurrency or 100), args.json)
        return 0
    if args.rest:
        from kcbot.bench_rest import print_rests, run_rest_bench

        levels = (args.concurrency,) if args.concurrency else (1, 10, 100)
        print_rests([run_rest_bench(level) for level in levels], args.json)
        return 0
    if args.growth:
        from pathlib import Path

        from kcbot.bench_growth import print_growth, run_growth

        try:
            days = tuple(int(d) for d in args.days.split(","))
        except ValueError:
            days = ()
        if not days or min(days) < 1 or max(days) > MAX_SIMULATE_DAYS or not (
                1 <= args.per_day <= MAX_PER_DAY):
            raise KcbotError(f"--days skal være dage fra 1 til {MAX_SIMULATE_DAYS} adskilt af "
                             f"komma, og --per-day 1 til {MAX_PER_DAY}.")
        given = getattr(args, "db", None)  # only a --db on the command line, not KCBOT_DB
        if given and not Path(given).is_file():
            raise KcbotError(f"Databasen {given} findes ikke.")

        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        print_growth(run_growth(Settings.from_env(None), days, args.per_day,
                                [Path(given)] if given else None, progress), args.json)
        return 0
    print_result(run_bench(args.conversations, _settings(args)), args.json)
    return 0


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CprMaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("kcbot")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(bool(getattr(args, "verbose", False)))
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        handler = cmd_console  # bare `kcbot` opens the console
    try:
        return handler(args)
    except KcbotError as exc:
        print(f"kcbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:  # a store that fails after it opened: damaged, full, locked
        print(f"kcbot: Databasen fejlede: {exc}. Tjek den med 'sqlite3 <fil> \"PRAGMA "
              "integrity_check\"', eller brug en anden med --db.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        asyncpg = sys.modules.get("asyncpg")  # loaded only when the store is PostgreSQL
        if asyncpg is None or not isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError):
            raise
        print(f"kcbot: PostgreSQL-databasen fejlede: {exc}. Prøv igen, eller tjek serveren.",
              file=sys.stderr)
        return EXIT_USAGE
