"""``kcbot simulate``: a month of believable traffic through the real engine.

Synthetic citizens arrive over each day's opening hours (more in the morning), with the seeds'
mix of errands (afbud, sick and fit reports, Jobnet, payments first, then the appendices' other
calls), in varied words. They
answer the bot's questions from a profile, as the scripted dialogue runner does; some give up
halfway. Agents claim and close most callback tickets before the deadline, some late, a few not
yet. The clock advances with the traffic, so every time stamp is as it would have been.
Everything lands in the store through the engine and the ticket service; nothing is written
around them.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine

__all__ = ["SimulationResult", "simulate"]

CHANNEL = "demo"  # simulated traffic is marked, so the console can say so
GROUPS = (("dagpenge", 45), ("kontanthjælp", 30), ("sygedagpenge", 15),
          ("ledighedsydelse", 5), ("revalidering", 5))
# (weight, first messages to choose from)
ERRANDS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (24, ("jeg kan ikke komme til min samtale i morgen", "skal melde afbud til et møde",
          "jeg kan ikke komme på torsdag", "afbud til aktivering i morgen",
          "min søn er syg så jeg kan ikke komme til mødet")),
    (12, ("jeg er syg", "vil melde mig syg", "jeg er blevet syg i dag", "sygemelding")),
    (10, ("jeg er rask igen", "vil gerne raskmelde mig", "er rask fra i morgen")),
    (10, ("jeg kan ikke logge på jobnet", "mitid virker ikke", "har glemt min kode til jobnet")),
    (10, ("hvornår kommer mine penge", "jeg har ikke fået min ydelse", "udbetaling")),
    (6, ("jeg skal på ferie", "må jeg holde ferie", "ferie i juli")),
    (6, ("hvornår har I åbent", "åbningstider", "kan jeg ringe nu")),
    (6, ("jeg vil tale med min sagsbehandler", "kan min sagsbehandler ringe mig op")),
    (4, ("jeg glemte mit møde i går", "jeg kom ikke til samtalen")),
    (4, ("jeg er blevet afmeldt på jobnet", "skal tilmelde mig igen")),
    (3, ("jeg kommer for sent", "bussen er forsinket")),
    (2, ("jeg vil klage over min sag", "jeg vil klage")),
    (2, ("jeg skal afmeldes, har fået job",)),
    (1, ("hvad er virksomhedspraktik",)),
    (3, ("hej", "hjælp", "?")),
    # The seeds' other calls (issue 14), weighted by the seeds' own words for how often they
    # come: "mange" 4, "en del" / "ofte" 3, listed as an example 2, mentioned once 1
    # (seed 002, bilag 1, 3, 4 and 5).
    (4, ("hvordan opdaterer jeg mit cv på jobnet", "hvor skriver jeg i min joblog",
         "skal jeg tjekke mine jobforslag")),                          # bilag 4: "mange"
    (3, ("er jeg stadig tilmeldt når jeg er syg", "får jeg stadig sygedagpenge",
         "jeg har fået brev om at jeg er afmeldt men jeg er syg")),    # bilag 5: "en del"
    (3, ("hvem er min sagsbehandler", "hvordan får jeg fat i min beskæftigelseskonsulent")),
    (3, ("jeg har fået et brev jeg ikke forstår", "kan du forklare mit brev")),  # bilag 3
    (3, ("jeg skal på fædreorlov", "jeg har fået et vikariat i 3 uger",
         "jeg skal være vidne i retten", "jeg skal melde fravær")),    # bilag 4: fraværsnoden
    (3, ("hvad er ret og pligt", "hvordan klager jeg over en afgørelse")),  # bilag 4: "ofte"
    (2, ("kan jeg få hjælp til en tandlægeregning", "hvordan søger jeg om enkeltydelse")),
    (2, ("hvordan søger jeg fleksjob", "kan jeg få førtidspension",
         "kan jeg komme i revalidering")),                              # bilag 3: example
    (2, ("kan jeg tage mine dagpenge med til udlandet", "hvad er PD U2",
         "kan jeg søge job i udlandet")),                               # bilag 4
    (1, ("jeg har ingen fast adresse", "jeg er hjemløs hvordan får jeg post")),  # bilag 3
)
REASONS = ("jeg er syg", "jeg har feber", "min datter er syg", "jeg skal til lægen",
           "jeg skal til jobsamtale", "jeg har fået arbejde den dag", "bussen kører ikke",
           "jeg har glemt det", "jeg er ude at rejse", "influenza")
NAMES = ("Sara Jensen", "Ali Hassan", "Mette Hansen", "Peter Nielsen", "Amina Yusuf",
         "Jens Holm", "Lise Berg", "Tomasz Nowak", "Karen Mortensen", "Omar Said")
DATES = ("i morgen", "på torsdag", "fredag", "i dag", "på mandag", "1/12")
GIVE_UP = 0.08  # the share of citizens who stop answering halfway


@dataclass
class SimulationResult:
    conversations: int
    turns: int
    tickets_closed: int


def _profile(rng: random.Random) -> dict[str, str]:
    group = rng.choices([g for g, _ in GROUPS], [w for _, w in GROUPS])[0]
    profile = {
        "borgergruppe": rng.choice([group, f"jeg får {group}", group.capitalize()]),
        "moedetype": rng.choice(["jobsamtale", "1", "tilbud", "jobklub", "opfølgning"]),
        "moededato": rng.choice(DATES),
        "afbud_grund": rng.choice(REASONS),
        "varighed": rng.choice(["en uge", "et par dage", "ved ikke"]),
        "sygemeldt_fra": rng.choice(["fra mit job", "ledig", "1"]),
        "mitid": rng.choice(["ja", "nej"]),
        "navn": rng.choice(NAMES),
        "telefon": f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                   f"{rng.randint(10, 99)}",
        "bekraeftelse": "ja" if rng.random() < 0.9 else "nej",
        "beskrivelse": rng.choice(["om min plan", "min ydelse", "et brev jeg har fået"]),
        "afmelding_aarsag": rng.choice(["job", "barsel", "uddannelse"]),
        "afmeldingsdato": rng.choice(["1/12", "på mandag"]),
        # Guidance the bot gives without seeing the case answers most such questions; the
        # rest want a person (an assumption: the seeds give no figure).
        "hjulpet": "ja" if rng.random() < 0.8 else "nej",
        "brevtype": rng.choice(["1", "partshøring", "en afgørelse", "4", "andet"]),
        "fravaer_type": rng.choice(["ferie", "fædreorlov", "midlertidigt arbejde",
                                    "borgerligt ombud"]),
        "fra_dato": rng.choice(["på mandag", "i dag", "1/12"]),
        "jobnet_emne": rng.choice(["cv", "joblog", "jobforslag"]),
        "ordning": rng.choice(["fleksjob", "førtidspension", "andet"]),
        "cpr": f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(50, 99)}-"
               f"{rng.randint(1000, 9999)}",
    }
    # Answers to questions added later (issue 14) come from a generator of their own, seeded by
    # this citizen, so the same --seed gives the same citizens and errands as before.
    extra = random.Random(f"{profile['telefon']}/{profile['cpr']}")
    profile["klage_om"] = extra.choice(["1", "2", "en afgørelse", "den måde jeg blev behandlet på"])
    profile["indkaldt_af"] = extra.choice(["1", "2", "jobcentret", "a-kassen"])
    return profile


def _arrival(rng: random.Random, day: date, opens: time, closes: time) -> datetime:
    start = datetime.combine(day, opens, TZ)
    span = (datetime.combine(day, closes, TZ) - start).total_seconds()
    # Busiest in the first hours after opening, as a phone queue is.
    return start + timedelta(seconds=span * rng.betavariate(1.3, 2.2))


async def simulate(settings: Settings, days: int, per_day: int, seed: int | None,
                   end: datetime, progress=None) -> SimulationResult:
    rng = random.Random(seed)
    clock = FrozenClock(end - timedelta(days=days))
    engine = await Engine.open(settings, clock)
    tickets = engine.context.tickets
    calendar = engine.context.calendar
    closes: list[tuple[datetime, str, str]] = []  # (when, ticket id, agent)
    result = SimulationResult(0, 0, 0)

    async def work_tickets(until: datetime) -> None:
        while closes and closes[0][0] <= until:
            when, ticket_id, agent = heapq.heappop(closes)
            clock.set(when - timedelta(minutes=rng.randint(5, 60)))
            await tickets.claim(ticket_id, agent)
            clock.set(when)
            await tickets.close(ticket_id, agent, "Borgeren er ringet op.")
            result.tickets_closed += 1

    try:
        for offset in range(days - 1, -1, -1):  # today last, up to now
            day = (end - timedelta(days=offset)).date()
            hours = calendar.day(day)
            if not hours.is_open or hours.opens is None or hours.closes is None:
                continue
            arrivals = sorted(_arrival(rng, day, hours.opens, hours.closes)
                              for _ in range(per_day))
            for number, at in enumerate(arrivals):
                if at > end:
                    break
                await work_tickets(at)
                clock.set(at)
                await _citizen(engine, rng, f"sim-{day:%Y%m%d}-{number}", closes, result)
            if progress:
                progress(day, result)
        await work_tickets(end)
    finally:
        clock.set(end)
        await engine.close()
    return result


async def _citizen(engine: Engine, rng: random.Random, sender: str,
                   closes: list[tuple[datetime, str, str]], result: SimulationResult) -> None:
    clock = engine.clock
    assert isinstance(clock, FrozenClock)
    weights = [w for w, _ in ERRANDS]
    first = rng.choice(rng.choices([m for _, m in ERRANDS], weights)[0])
    profile = _profile(rng)
    patience = rng.randint(1, 3) if rng.random() < GIVE_UP else 25
    turn = await engine.turn(sender, first, channel=CHANNEL)
    result.conversations += 1
    result.turns += 1
    sent = 1
    while not turn.ended and turn.state.requested_slot in profile and sent < patience:
        clock.advance(timedelta(seconds=rng.randint(10, 90)))
        turn = await engine.turn(sender, profile[turn.state.requested_slot], channel=CHANNEL)
        result.turns += 1
        sent += 1
    ticket_id = turn.state.slots.get("ticket_id")
    if ticket_id:
        ticket = await engine.context.tickets.get(ticket_id)
        created, due = datetime.fromisoformat(ticket.created), datetime.fromisoformat(ticket.due)
        fate = rng.random()
        agent = rng.choice(("MK", "LB", "SJ", "AH"))
        if fate < 0.85:
            when = created + (due - created) * rng.uniform(0.1, 0.95)
        elif fate < 0.97:
            when = due + timedelta(hours=rng.uniform(1, 30))
        else:
            when = None  # not yet handled
        if when:
            heapq.heappush(closes, (when, ticket_id, agent))
    if not turn.ended:
        if rng.random() < 0.5 and sent < patience:
            clock.advance(timedelta(seconds=rng.randint(5, 40)))
            await engine.turn(sender, rng.choice(["farvel", "nej tak", "tak, farvel"]),
                              channel=CHANNEL)
            result.turns += 1
        else:
            await engine.end(sender, channel=CHANNEL)  # the chat window was closed
