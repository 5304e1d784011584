"""A deterministic synthetic record: many entities, a realistic mix of events.

Each entity has 1 to 50 events (most have a few, some many: mean about 9.5): a
registration, sometimes an alias or an identifier, one to four measures (several
authorities and programs) that may be waived, lapse or be lifted, delisting requests and
decisions, negotiations and reported activities, and now and then a correction or a
retraction. Dates are imprecise the way sources are: days, months, years, thirds of a
decade, ranges, open starts and open ends. Sources vary. Same seed, same record.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import attrs

from domain.dates import DateInterval
from domain.record import SANCTION_LAPSED, SANCTION_LIFTED, Source

AUTHORITIES = [
    ("US State Dept", "INKSNA"),
    ("OFAC", "NPWMD"),
    ("OFAC", "IFSR"),
    ("OFAC", "SDGT"),
    ("EU Council", "Iran restrictive measures"),
    ("UN Security Council", "1718 Committee"),
    ("US Congress", "Tiananmen sanctions"),
    ("US Commerce Dept", "Entity List"),
]
FORUMS = ["JCCT", "S&ED", "G20", "UN General Assembly", "bilateral talks"]
REQUESTERS = ["China", "Ministry of Commerce", "the entity", "Russia", "Iran"]
KINDS = ["company", "company", "company", "bank", "person", "vessel", "state"]
PUBLISHERS = ["Washington Free Beacon", "Federal Register", "Reuters", "OFAC", "EU OJ"]
FIRST_DAY = date(1985, 1, 1).toordinal()
LAST_DAY = date(2023, 12, 31).toordinal()

NAMESPACE = uuid5(NAMESPACE_URL, "sanctions-tracker:bench")


@attrs.frozen
class Step:
    """One command: its kind, its date, its source and its own fields."""

    kind: str
    effective: DateInterval | None
    source: Source
    fields: dict[str, Any]


@attrs.frozen
class SyntheticEntity:
    entity_id: UUID
    name: str
    kind: str
    country: str | None
    steps: list[Step]

    @property
    def events(self) -> int:
        return len(self.steps) + 1


def event_count(rng: random.Random) -> int:
    """1 to 50 events, mostly few: a capped exponential with mean about 9.5."""
    return min(50, 1 + int(rng.expovariate(1 / 9)))


def interval(rng: random.Random, day: int, *, opening: bool = False) -> DateInterval:
    """An imprecise date whose first possible day is ``day`` or later (open start aside)."""
    when = date.fromordinal(min(day, LAST_DAY))
    shape = rng.random()
    if shape < 0.35:
        return DateInterval(when.isoformat(), when, when + timedelta(days=1), "exact")
    if shape < 0.60:
        first = when.replace(day=1)
        until = (first + timedelta(days=32)).replace(day=1)
        return DateInterval(first.strftime("%Y-%m"), first, until, "month")
    if shape < 0.80:
        first = date(when.year, 1, 1) if when.month == 1 and when.day == 1 else when
        until = date(when.year + 1, 1, 1)
        if first == until:
            until = first + timedelta(days=1)
        return DateInterval(str(when.year), first, until, "year")
    if shape < 0.88:
        until = when + timedelta(days=rng.randint(30, 900))
        return DateInterval(f"{when.isoformat()}/{until.isoformat()}", when, until, "range")
    if shape < 0.94 and opening:
        return DateInterval(f"..{when.isoformat()}", None, when + timedelta(days=1), "open")
    return DateInterval(f"{when.isoformat()}..", when, None, "open end")


def source(rng: random.Random, day: int) -> Source:
    published = date.fromordinal(min(day + rng.randint(0, 400), LAST_DAY + 400))
    return Source(
        title=f"Report {rng.randint(1, 10**6)}",
        publisher=rng.choice(PUBLISHERS),
        published=published,
        quote="sanctions were imposed on the company" if rng.random() < 0.5 else None,
    )


def entity(rng: random.Random, number: int, seed: int) -> SyntheticEntity:
    """One entity and its steps, in an order the aggregate's rules accept."""
    target = event_count(rng)
    day = rng.randint(FIRST_DAY, LAST_DAY - 3000)
    steps: list[Step] = []

    def add(kind: str, effective: DateInterval | None, **fields: Any) -> None:
        steps.append(Step(kind, effective, source(rng, day), fields))

    if target > 1 and rng.random() < 0.3:
        add("alias", None, alias=f"Alias {seed}-{number}")
    if len(steps) + 1 < target and rng.random() < 0.3:
        add("identifier", None, identifier=f"bench:{seed}-{number}")
    measures = min(1 + int(rng.random() * 4), max(0, target - 1 - len(steps)))
    for index in range(measures):
        day += rng.randint(0, 400)
        authority, program = AUTHORITIES[rng.randrange(len(AUTHORITIES))]
        add(
            "impose",
            interval(rng, day, opening=True),
            authority=authority,
            program=program,
            index=index,
        )
    open_measures = list(range(measures))
    while len(steps) + 1 < target:
        day += rng.randint(1, 300)
        roll = rng.random()
        if open_measures and roll < 0.25:
            measure = open_measures.pop(rng.randrange(len(open_measures)))
            ending = SANCTION_LAPSED if rng.random() < 0.5 else SANCTION_LIFTED
            add("end", interval(rng, day), measure=measure, ending=ending)
        elif open_measures and roll < 0.32 and len(steps) + 2 < target:
            measure = rng.choice(open_measures)
            add("waive", interval(rng, day), measure=measure)
            day += rng.randint(30, 600)
            add("end-waiver", interval(rng, day), measure=measure)
        elif roll < 0.45:
            add("request", interval(rng, day), requested_by=rng.choice(REQUESTERS))
            if len(steps) + 1 < target and rng.random() < 0.5:
                day += rng.randint(30, 400)
                add("decide", interval(rng, day), outcome=rng.choice(["granted", "denied"]))
        elif roll < 0.70:
            add("negotiation", interval(rng, day), forum=rng.choice(FORUMS))
        elif roll < 0.95 or len(steps) < 2:
            add("activity", interval(rng, day), summary="reported sale of dual-use parts")
        elif roll < 0.98:
            add("correct", None, target=rng.randrange(len(steps)), shift=rng.randint(1, 90))
        else:
            add("retract", None, target=rng.randrange(len(steps)))
    return SyntheticEntity(
        entity_id=uuid5(NAMESPACE, f"{seed}:{number}"),
        name=f"Synthetic {rng.choice(['Trading', 'Industries', 'Bank', 'Shipping'])} {number}",
        kind=rng.choice(KINDS),
        country=rng.choice(["China", "Iran", "Russia", "DPRK", None]),
        steps=steps[: target - 1],
    )


def entities(events: int, seed: int = 2013) -> Iterator[SyntheticEntity]:
    """Entities until about ``events`` events, generated one at a time (streamed)."""
    rng = random.Random(seed)
    total = 0
    number = 0
    while total < events:
        item = entity(rng, number, seed)
        number += 1
        total += item.events
        yield item
