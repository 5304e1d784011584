"""``export --format ftm``: every entity as an FtM party, every measure as a ``Sanction``.

One JSON object a line, as OpenSanctions writes its entity files. Ids derive from ours
(``st-<entity id>``, ``st-sanction-<measure id>``), so the same store exports the same
lines. The export says what the record believes now (corrections applied, retracted
events left out). Dates follow :mod:`events_log.ftm.dates`: a date with no FtM prefix
that contains it is left out of its property and told in the ``summary``. ``first_seen``
is the day the imposition's source was published (else recorded), so an undated or
open-start imposition reads back as "before then"; ``last_seen`` is the latest such day of
the measure's events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import IO, Any

from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from domain.dates import DateInterval
from domain.fold import build_record
from domain.record import SANCTION_LAPSED, EntityRecord, MeasureRecord, Recorded, believe
from events_log.app import SanctionsApp
from events_log.ftm.dates import prefix_date

DATASET = "sanctions_tracker"

SCHEMA_OF_KIND = {
    "person": "Person",
    "individual": "Person",
    "company": "Company",
    "bank": "Company",
    "organisation": "Organization",
    "organization": "Organization",
    "vessel": "Vessel",
}
DEFAULT_SCHEMA = "LegalEntity"

# How a measure stands at the end of the record, in the words of FtM's ``status``.
STATUS_IN_FORCE = "active"
STATUS_WAIVED = "waived"
STATUS_LAPSED = "expired"
STATUS_LIFTED = "lifted"


def party_id(entity_id: str) -> str:
    return "st-" + entity_id.replace("-", "")


def sanction_id(measure_id: str) -> str:
    return "st-sanction-" + measure_id


def records(app: SanctionsApp) -> list[EntityRecord]:
    """Every entity's believed record, by name (then id), from one pass over the log."""
    grouped: dict[str, list[Recorded]] = {}
    for event in app.iter_recorded():
        grouped.setdefault(event.entity_id, []).append(event)
    found = [
        build_record(entity_id, believe(events).facts, strict=False)
        for entity_id, events in grouped.items()
    ]
    return sorted((r for r in found if r.name), key=lambda r: (r.name.casefold(), r.entity_id))


def party(record: EntityRecord) -> EntityProxy:
    proxy = model.make_entity(SCHEMA_OF_KIND.get(record.kind, DEFAULT_SCHEMA))
    proxy.id = party_id(record.entity_id)
    proxy.add("name", record.name)
    for alias in record.aliases:
        proxy.add("alias", alias)
    if record.country:
        code = registry.country.clean(record.country)
        if code is not None:
            proxy.add("country", code)
        else:
            proxy.add("notes", f"country: {record.country}")
    number = "registrationNumber" if proxy.schema.is_a("Vessel") else "idNumber"
    for identifier in record.identifiers:
        proxy.add(number, identifier)
    registered = next((f for f in record.facts if f.type == "entity_registered"), None)
    if registered is not None and registered.source.url:
        proxy.add("sourceUrl", registered.source.url, quiet=True)
    in_force = any(m.ending is None for m in record.measures)
    proxy.add("topics", "sanction" if in_force else None, quiet=True)
    return proxy


def sanction(record: EntityRecord, measure: MeasureRecord) -> EntityProxy:
    imposition, ending = measure.imposition, measure.ending
    proxy = model.make_entity("Sanction")
    proxy.id = sanction_id(measure.measure_id)
    proxy.add("entity", party_id(record.entity_id))
    proxy.add("authority", measure.authority)
    proxy.add("program", measure.program)
    proxy.add("reason", imposition.get("reason"), quiet=True)
    proxy.add("startDate", prefix_date(imposition.effective), quiet=True)
    if ending is not None:
        proxy.add("endDate", prefix_date(ending.effective), quiet=True)
    proxy.add("status", status_word(measure))
    proxy.add("sourceUrl", imposition.source.url, quiet=True)
    proxy.add("publisher", imposition.source.publisher, quiet=True)
    proxy.add("summary", summary(measure))
    return proxy


def status_word(measure: MeasureRecord) -> str:
    if measure.ending is not None:
        return STATUS_LAPSED if measure.ending.type == SANCTION_LAPSED else STATUS_LIFTED
    return STATUS_WAIVED if measure.is_waived_now() else STATUS_IN_FORCE


def summary(measure: MeasureRecord) -> str:
    """The measure's dates in our words, and what FtM's date properties leave out."""
    parts = [f"{measure.label()}: imposed {_when(measure.imposition.effective)}"]
    for step in measure.steps:
        parts.append(f"{step.type.replace('_', ' ')} {_when(step.effective)}")
    if measure.ending is not None:
        word = "lapsed" if measure.ending.type == SANCTION_LAPSED else "lifted"
        parts.append(f"{word} {_when(measure.ending.effective)}")
    text = "; ".join(parts)
    gaps = [
        f"the {what} date ({_when(event.effective)}) fits no FtM date, so {name} is left out"
        for what, name, event in (
            ("imposition", "startDate", measure.imposition),
            ("ending", "endDate", measure.ending),
        )
        if event is not None and prefix_date(event.effective) is None
    ]
    return text + ("; " + "; ".join(gaps) if gaps else "")


def _when(interval: DateInterval | None) -> str:
    return "at an unknown date" if interval is None else interval.describe()


def source_day(event: Recorded) -> date:
    return event.source.published or event.recorded_at.date()


def line(proxy: EntityProxy, first_seen: date | None, last_seen: date | None) -> str:
    data: dict[str, Any] = proxy.to_dict()
    data["datasets"] = [DATASET]
    if first_seen is not None:
        data["first_seen"] = f"{first_seen.isoformat()}T00:00:00"
    if last_seen is not None:
        data["last_seen"] = f"{last_seen.isoformat()}T00:00:00"
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def lines(found: Sequence[EntityRecord]) -> Iterator[str]:
    """Each party, then its Sanctions."""
    for record in found:
        days = [source_day(f) for f in record.facts]
        yield line(party(record), min(days, default=None), max(days, default=None))
        for measure in record.measures:
            events = measure.chain()
            yield line(
                sanction(record, measure),
                source_day(measure.imposition),
                max(source_day(e) for e in events),
            )


def export(app: SanctionsApp, out: IO[str]) -> int:
    """Write the store as FtM entities, one a line. Returns how many lines."""
    count = 0
    for text in lines(records(app)):
        out.write(text + "\n")
        count += 1
    return count
