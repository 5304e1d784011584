"""The verbs that read: ``status``, ``history``, ``replay``, ``explain``, ``diff``, ``export``,
``entities``, ``log``, ``verify``, ``match``, ``timeline``, ``report``, ``serve`` and
``rebuild`` (which remakes the status timeline from the log), each parsed by ``cli.py``."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from domain.dates import DateInterval, parse_date
from domain.record import EntityRecord
from events_log.app import SanctionsApp
from events_log.store import (
    translate_errors,
)
from projections import (
    event_render,
    json_tables,
    parties,
    party_render,
    render,
    timeline,
    verify,
)
from projections.console import (
    Context,
    UsageError,
    open_app,
    parse_as_of,
    parse_horizon,
)
from projections.parties import Party
from projections.views import (
    EntityView,
    Horizon,
    explain,
    history,
    iter_diff,
    replay,
)


def _parties_for(app: SanctionsApp, names: Sequence[str], horizon: Horizon) -> list[Party]:
    if not names:
        return parties.all_parties(app, horizon)
    return parties.parties_for(app, names, horizon)


def _records_for(app: SanctionsApp, names: Sequence[str], horizon: Horizon) -> list[Any]:
    return [p.record for p in _parties_for(app, names, horizon)]


def _names(found: Sequence[Party]) -> dict[str, str]:
    return {k: v for p in found if p.linked for k, v in p.names().items()}


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    as_of = parse_as_of(args.as_of, ctx)
    horizon = parse_horizon(args)
    app = open_app(args.store, ctx)
    if not args.names and horizon == Horizon():
        # Every entity, everything recorded: the status timeline's rows answer, one entity
        # at a time (the query closed at once when the reader goes away, before the store
        # is), and linked entities answer as their parties.
        if args.format == "json":
            with contextlib.closing(parties.status_texts(app, as_of)) as texts:
                ctx.stream_json(render.status_head_json(as_of, horizon), "entities", texts)
            return 0
        with contextlib.closing(parties.status_fields(app, as_of)) as fields:
            if args.format == "csv":
                ctx.print_lines(json_tables.status_csv_lines(fields), end="")
            else:
                ctx.print_lines(json_tables.status_table_lines(fields, as_of, horizon))
    else:
        found = _parties_for(app, args.names, horizon)
        _print_status([parties.party_view(p, as_of) for p in found], args, ctx, as_of, horizon)
    return 0


def _print_status(
    views: Iterable[EntityView],
    args: argparse.Namespace,
    ctx: Context,
    as_of: DateInterval,
    horizon: Horizon,
) -> None:
    if args.format == "json":
        entities = (render.entity_json(v) for v in views)
        ctx.stream_json(render.status_head_json(as_of, horizon), "entities", entities)
    elif args.format == "csv":
        ctx.print_lines(render.status_csv_lines(views), end="")
    else:
        ctx.print_lines(render.status_table_lines(views, as_of, horizon))
        if args.names:
            for item in views:
                ctx.print()
                ctx.print(render.detail_block(item))


def cmd_history(args: argparse.Namespace, ctx: Context) -> int:
    horizon = parse_horizon(args)
    app = open_app(args.store, ctx)
    (party,) = parties.parties_for(app, [args.name], horizon)
    if args.format == "json":
        ctx.print_json(party_render.history_json(party, horizon))
    else:
        entries = history(party.events, horizon)
        ctx.print(event_render.history_table(party.record, entries, _names([party])))
    return 0


def cmd_replay(args: argparse.Namespace, ctx: Context) -> int:
    horizon = parse_horizon(args)
    start = None if args.start is None else parse_date(args.start, cap=False).start
    end_interval = None if args.end is None else parse_date(args.end, cap=False)
    end = end_interval.last_day if end_interval else None
    app = open_app(args.store, ctx)
    found = _parties_for(app, args.names, horizon)
    steps = replay([p.record for p in found], start, end)
    if args.format == "json":
        ctx.print_json(event_render.replay_json(steps))
    else:
        ctx.print(event_render.replay_table(steps, _names(found)))
    return 0


def cmd_explain(args: argparse.Namespace, ctx: Context) -> int:
    as_of = parse_as_of(args.as_of, ctx)
    horizon = parse_horizon(args)
    app = open_app(args.store, ctx)
    (party,) = parties.parties_for(app, [args.name], horizon)
    explanation = explain(parties.party_view(party, as_of))
    if args.format == "json":
        data = render.explain_json(explanation, as_of, horizon)
        ctx.print_json(data)
    else:
        ctx.print(render.explain_table(explanation, as_of, horizon))
    return 0


def cmd_diff(args: argparse.Namespace, ctx: Context) -> int:
    start = parse_as_of(args.start, ctx)
    end = parse_as_of(args.end, ctx)
    horizon = parse_horizon(args)
    app = open_app(args.store, ctx)
    if not args.names and horizon == Horizon():
        # Every entity: the timeline tells which changed; only those are folded.
        records: Iterable[EntityRecord] = parties.changed_parties(
            app, timeline.changed(app, start, end), horizon
        )
    else:
        records = _records_for(app, args.names, horizon)
    changes = iter_diff(records, start, end)
    if args.format == "json":
        entities = (render.change_entity_json(c) for c in changes)
        ctx.stream_json(render.diff_head_json(start, end, horizon), "entities", entities)
    else:
        ctx.print_lines(render.diff_table_lines(changes, start, end, horizon))
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from events_log.ftm.files import export_ftm, require_ftm
    from events_log.jsonl import export
    from events_log.jsonl_files import export_file

    what = "events"
    if args.format == "ftm":
        require_ftm()  # before the store opens
        export, what = export_ftm, "FtM entities"
    app = open_app(args.store, ctx)
    if args.output is not None:
        count = export_file(app, Path(args.output), export)
        ctx.note(f"exported {count} {what} to {args.output}")
    else:
        with ctx.writing():
            export(app, ctx.out)
    return 0


def cmd_entities(args: argparse.Namespace, ctx: Context) -> int:
    app = open_app(args.store, ctx)
    found = parties.matching(parties.all_parties(app, Horizon()), args.query)
    if args.format == "json":
        ctx.print_json(party_render.entities_json(found))
    else:
        ctx.print(party_render.entities_table(found))
    return 0


def cmd_rebuild(args: argparse.Namespace, ctx: Context) -> int:
    app = open_app(args.store, ctx)
    count = timeline.rebuild(app)
    ctx.print(f"rebuilt the status timeline from {count} log entries")
    return 0


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    given = None if args.head is None else verify.parse_head(args.head)
    app = open_app(args.store, ctx)
    with translate_errors(app.store):
        result = verify.verify(app, given)
    if args.format == "json":
        ctx.print_json(verify.report_json(result))
    elif result.ok:
        ctx.print("\n".join(verify.report_lines(result)))
    else:
        ctx.note(f"error: {verify.error_line(result)}")
    return 0 if result.ok else 1


def cmd_match(args: argparse.Namespace, ctx: Context) -> int:
    try:
        from projections import match
    except ModuleNotFoundError as missing:
        msg = (
            f"match needs the {missing.name} library: pip install -e '.[match]' "
            "(it builds PyICU: apt-get install libicu-dev pkg-config g++ first)"
        )
        raise UsageError(msg) from None

    if not 0 <= args.min_score <= 1:
        msg = f"--min-score {args.min_score:g} must be from 0 to 1"
        raise UsageError(msg)
    index = match.Index(open_app(args.store, ctx))
    if args.names:
        found = [index.matches(name, args.min_score) for name in args.names]
        table, data = match.match_table(found), match.matches_json(found)
    else:
        pairs = index.pairs(args.min_score)
        table, data = match.pairs_table(pairs), match.pairs_json(pairs)
    ctx.print_json(data) if args.format == "json" else ctx.print(table)
    return 0


def cmd_log(args: argparse.Namespace, ctx: Context) -> int:
    app = open_app(args.store, ctx)
    events = list(app.iter_recorded())
    if args.format == "json":
        data = {"events": [event_render.event_json(e) for e in events]}
        ctx.print_json(data)
    else:
        names = {}
        for event in events:
            if event.type == "entity_registered":
                names[event.entity_id] = event.get("name")
        ctx.print(event_render.log_table(events, names))
    return 0


def cmd_timeline(args: argparse.Namespace, ctx: Context) -> int:
    from projections import picture  # matplotlib: imported only for a picture

    start = parse_date(args.start, cap=False).start if args.start else None
    end_interval = parse_date(args.end, cap=False) if args.end else None
    end = end_interval.last_day if end_interval else None
    fmt = picture.format_of(args.output)
    app = open_app(args.store, ctx)
    records = _records_for(app, args.names, Horizon())
    size = picture.write(args.output, picture.entity_groups(records), fmt, start=start, end=end)
    ctx.print(f"wrote {args.output} ({fmt}, {size} bytes, {len(records)} entities)")
    return 0


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    from projections import report  # jinja2 and matplotlib: imported only for a report

    as_of = parse_as_of(args.as_of, ctx)
    horizon = parse_horizon(args)
    report.check_path(args.output)
    app = open_app(args.store, ctx)
    records = _records_for(app, args.names, horizon)
    size = report.write_report(args.output, records, as_of, horizon, ctx.today)
    ctx.print(f"wrote {args.output} ({size} bytes, {len(records)} entities)")
    return 0


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    from projections import web

    app = open_app(args.store, ctx)
    return web.serve(app, args.host, args.port, read_only=args.read_only, note=ctx.note)
