"""The verbs that write: ``init``, ``append``, ``import``, ``link`` and ``unlink``, each
parsed by ``cli.py`` and working through the console (``projections.console``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from domain.dates import parse_day
from domain.entity import Entity
from domain.errors import RuleViolationError
from events_log import append
from events_log.app import SanctionsApp
from events_log.store import (
    mark_initialised,
    resolve_store,
    translate_errors,
    writer_turn,
)
from projections import console
from projections.console import (
    Context,
    UsageError,
    effective_of,
    open_app,
    prepare,
    source_of,
)


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    config = resolve_store(args.store, ctx.environ)
    prepare(config)
    with writer_turn(config), translate_errors(config):
        app = SanctionsApp(config)
        if not prepare(config):
            ctx.print(f"store {config.display} already exists ({app.max_position()} entries)")
            return 0
        loaded = None if args.empty else console.load_bundled(app)
        mark_initialised(config)
    if loaded is None:
        ctx.print(f"created empty store {config.display}")
    else:
        ctx.print(f"created store {config.display} with {loaded.summary()}")
    return 0


def cmd_append(args: argparse.Namespace, ctx: Context) -> int:
    source = source_of(args)
    effective = effective_of(args.date, source)
    kind: str = args.kind
    app = open_app(args.store, ctx)
    envelope: dict[str, Any] = {"effective": effective, "source": source}
    if kind == "registration":
        if len(args.entity) != 1:
            msg = "registration takes exactly one --entity (the canonical name)"
            raise RuleViolationError(msg)
        entity_id = app.register_entity(
            name=args.entity[0],
            kind=args.entity_kind,
            country=args.country,
            aliases=args.alias,
            identifiers=args.identifier,
            correlation_id=args.correlation,
            **envelope,
        )
        ctx.print(f"registered {args.entity[0]} ({entity_id.hex[:8]})")
        return 0
    if kind in ("correction", "retraction"):
        return _append_fix(args, app, ctx, envelope)
    recorded = append.record(app, kind, vars(args), envelope)
    for entity_id, event_id in recorded:
        name = app.entity(entity_id).record().name
        ctx.print(f"recorded {kind} {event_id[:8]} for {name}")
    return 0


_CORRECTION_FIELDS = {
    "authority": "authority",
    "program": "program",
    "reason": "reason",
    "measure": "measure_id",
    "requested_by": "requested_by",
    "forum": "forum",
    "summary": "summary",
    "outcome": "outcome",
    "name": "name",
    "alias": "alias",
    "identifier": "identifier",
    "country": "country",
}


def _append_fix(
    args: argparse.Namespace, app: SanctionsApp, ctx: Context, envelope: dict[str, Any]
) -> int:
    entity_id, target = app.find_event(args.target)
    if args.kind == "retraction":
        event_ids = app.act(
            [entity_id], lambda e: e.retract(target.event_id, args.reason, **envelope)
        )
        ctx.print(f"recorded retraction {event_ids[0][:8]} of {target.event_id[:8]}")
        return 0
    if args.entity is not None:
        others = [o for o in _CORRECTION_FIELDS if getattr(args, o, None) is not None]
        if others or args.date is not None:
            msg = (
                "a correction that moves an event to another entity cannot change other "
                "fields at the same time: move it, then correct the new event"
            )
            raise RuleViolationError(msg)
        reason = f"concerns another entity ({args.entity}), per {envelope['source'].title}"
        retraction, copy = app.move_event(
            target.event_id,
            app.find(args.entity),
            reason,
            effective=None,
            source=envelope["source"],
        )
        ctx.print(
            f"recorded retraction {retraction[:8]} of {target.event_id[:8]} and "
            f"{target.type} {copy[:8]} for {app.entity(app.find(args.entity)).record().name}"
        )
        return 0
    changes: dict[str, Any] = {}
    if args.date is not None:
        changes["effective"] = envelope["effective"]
    for option, field in _CORRECTION_FIELDS.items():
        value = getattr(args, option, None)
        if value is not None:
            changes[field] = value
    envelope = {**envelope, "effective": None}

    def correct(entity: Entity) -> str:
        if "measure_id" in changes:
            changes["measure_id"] = entity.resolve_measure(changes["measure_id"])
        return entity.correct(target.event_id, changes, **envelope)

    event_ids = app.act([entity_id], correct)
    ctx.print(f"recorded correction {event_ids[0][:8]} of {target.event_id[:8]}")
    return 0


def cmd_import_ftm(args: argparse.Namespace, ctx: Context) -> int:
    from events_log.ftm.files import check_paths, import_paths

    if args.observed is not None:
        msg = "--observed applies to OFAC snapshots; FtM records and delta versions carry dates"
        raise UsageError(msg)
    paths = [Path(name) for name in args.files]
    check_paths(paths)
    for line in import_paths(open_app(args.store, ctx), paths, args.format):
        ctx.print(line)
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from events_log.jsonl_files import import_files
    from events_log.lists.files import JSONL, detect_format

    _removal_share(args)
    if args.git is not None or args.path is not None:
        return _import_git(args, ctx)
    if not args.files:
        msg = "import needs FILE ..., or --git REPO --path FILE"
        raise UsageError(msg)
    if args.format in ("ftm", "ftm-delta"):
        return cmd_import_ftm(args, ctx)
    formats = {args.format or detect_format(Path(name)) for name in args.files}
    if formats != {JSONL}:
        if len(formats) > 1:
            msg = (
                "import either JSON Lines files or OFAC snapshots in one command, not both: "
                "the snapshots are taken in date order, the JSON Lines files in the order given"
                if formats == {JSONL, "ofac-sdn-csv"}
                else f"import the copies of one list at a time, not {', '.join(sorted(formats))}"
            )
            raise UsageError(msg)
        return _import_copies(args, ctx, formats.pop())
    if args.observed is not None:
        msg = "--observed applies to OFAC snapshots (--format ofac-sdn-csv), not to JSON Lines"
        raise UsageError(msg)
    app = open_app(args.store, ctx)
    for done in import_files(app, [Path(name) for name in args.files]):
        ctx.print(done.summary())
    return 0


def _removal_share(args: argparse.Namespace) -> float:
    if not 0 <= args.max_removal <= 100:
        msg = f"--max-removal {args.max_removal:g} must be a percentage from 0 to 100"
        raise UsageError(msg)
    return float(args.max_removal) / 100


def _import_copies(args: argparse.Namespace, ctx: Context, format_name: str) -> int:
    from events_log.lists.imports import import_files
    from events_log.lists.progress import ProgressBar

    paths = [Path(name) for name in args.files]
    for path in paths:
        if not path.is_file():
            msg = f"import file {str(path)!r} does not exist"
            raise RuleViolationError(msg)
    observed = parse_day(args.observed) if args.observed else None
    share = _removal_share(args)
    app = open_app(args.store, ctx)
    bar = ProgressBar(ctx.err, enabled=not args.quiet and ctx.err.isatty())
    try:
        results = import_files(
            app,
            format_name,
            paths,
            observed=observed,
            allow_mass_removal=args.allow_mass_removal,
            max_removal_share=share,
            progress=bar,
        )
    finally:
        bar.close()
    for result in results:
        ctx.print(result.summary())
        for note in result.notes:
            ctx.note(note)
    if len(results) > 1:
        events = sum(r.events for r in results)
        ctx.print(f"imported {len(results)} {results[0].short} snapshots: {events} new events")
    return 0


def _import_git(args: argparse.Namespace, ctx: Context) -> int:
    from events_log.lists.importer import SnapshotResult
    from events_log.lists.imports import import_git
    from events_log.lists.progress import ProgressBar

    if args.git is None or args.path is None or args.files:
        msg = "--git REPO and --path FILE go together, without FILE arguments"
        raise UsageError(msg)
    if args.observed is not None:
        msg = "--observed does not apply to a git history: each commit gives its own day"
        raise UsageError(msg)
    if args.format == "jsonl":
        msg = "--format jsonl does not apply to a git history: give a list format"
        raise UsageError(msg)
    share = _removal_share(args)
    app = open_app(args.store, ctx)
    bar = ProgressBar(ctx.err, enabled=not args.quiet and ctx.err.isatty())
    try:
        results = import_git(
            app,
            Path(args.git),
            args.path,
            args.format,
            allow_mass_removal=args.allow_mass_removal,
            max_removal_share=share,
            progress=bar,
        )
    finally:
        bar.close()
    imported = [r for r in results if isinstance(r, SnapshotResult)]
    for result in results:
        if isinstance(result, SnapshotResult):
            ctx.print(result.summary())
            for note in result.notes:
                ctx.note(note)
        else:
            ctx.note(result.summary())
    events = sum(r.events for r in imported)
    known = sum(1 for r in imported if r.already_on_record)
    ctx.print(
        f"read {len(results)} versions of {args.path} from {args.git}: "
        f"{len(imported) - known} imported, {known} already on record, "
        f"{len(results) - len(imported)} skipped; {events} new events"
    )
    return 0


def cmd_link(args: argparse.Namespace, ctx: Context) -> int:
    from events_log import link_file, links

    if args.from_file:
        if args.names or args.reason:
            msg = "link --from-file takes no NAME and no --reason: each line gives its own"
            raise UsageError(msg)
        default = source_of(args) if args.source else None
        result = link_file.link_file(open_app(args.store, ctx), Path(args.from_file), default)
        ctx.print(
            f"linked {result.linked} pair(s) from {Path(args.from_file).name} "
            f"({result.lines} lines, {result.already} already linked)"
        )
        return 0
    if len(args.names) != 2:
        msg = f"link takes two entities (NAME NAME), not {len(args.names)}; or --from-file"
        raise UsageError(msg)
    if args.source is None:
        msg = "link needs --source: who judged that the two are one party"
        raise UsageError(msg)
    app = open_app(args.store, ctx)
    link_id = links.link(app, args.names[0], args.names[1], source_of(args), args.reason)
    ctx.print(f"linked {args.names[0]} and {args.names[1]} (link {link_id[:8]})")
    return 0


def cmd_unlink(args: argparse.Namespace, ctx: Context) -> int:
    from events_log import links

    app = open_app(args.store, ctx)
    link_id = links.unlink(app, args.names[0], args.names[1], source_of(args))
    ctx.print(f"unlinked {args.names[0]} and {args.names[1]} (link {link_id[:8]})")
    return 0
