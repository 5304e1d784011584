"""Command line for the sanctions status tracker: parse, make one call, format."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from eventsourcing.persistence import PersistenceError

from domain.dates import DateInterval, as_of_period, parse_date, parse_day, parse_instant
from domain.entity import Entity
from domain.errors import DomainError, RuleViolationError
from domain.record import EntityRecord, Source
from events_log import append
from events_log.app import SanctionsApp
from events_log.bundled import load_bundled
from events_log.store import (
    StoreConfig,
    mark_initialised,
    prepare_store,
    resolve_store,
    store_failure,
    translate_errors,
    writer_turn,
)
from projections import (
    event_render,
    json_tables,
    parties,
    party_render,
    render,
    terminal,
    timeline,
    verify,
)
from projections.parties import Party
from projections.stream import json_chunks
from projections.views import (
    EntityView,
    Horizon,
    explain,
    history,
    iter_diff,
    replay,
)


class UsageError(DomainError):
    """The command line itself is wrong: an unknown option, a missing argument."""


class OutputError(DomainError):
    """Standard output cannot be written (a full disk, a closed device)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"cannot write the output: {error.strerror or error}")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


FORMATS = ("table", "json", "csv")


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        help="SQLite file or postgresql://user:pass@host:port/db "
        "(default: $SANCTIONS_STORE, else $XDG_DATA_HOME/sanctions-tracker/events.sqlite)",
    )


def _views_options(parser: argparse.ArgumentParser, *, as_of: bool = True) -> None:
    if as_of:
        parser.add_argument(
            "--as-of",
            metavar="WHEN",
            help="a day (end of it), month, year or range, e.g. 2010, 2013-10-04 (default: today)",
        )
    parser.add_argument(
        "--recorded-by",
        metavar="T",
        help="only what the store held at this instant (ISO timestamp, or a day: its end); "
        "answered by folding the log, not from the status timeline",
    )
    parser.add_argument(
        "--reported-by",
        metavar="D",
        help="only events whose source was published on or before this day "
        "(folded from the log, like --recorded-by)",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="sanctions",
        description="Event-sourced sanctions status tracker: every sanction action is an "
        "immutable, sourced event; ask the status of any entity as of any date.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    init = commands.add_parser("init", help="create the store (with the bundled dataset)")
    _store_option(init)
    init.add_argument("--empty", action="store_true", help="create an empty store")

    status = commands.add_parser("status", help="status of entities as of a date")
    _store_option(status)
    status.add_argument("names", nargs="*", metavar="NAME", help="entities (default: all)")
    _views_options(status)
    status.add_argument("--format", choices=FORMATS, default="table")

    hist = commands.add_parser("history", help="one entity's events in effective order")
    _store_option(hist)
    hist.add_argument("name", metavar="NAME")
    _views_options(hist, as_of=False)
    hist.add_argument("--format", choices=("table", "json"), default="table")

    rep = commands.add_parser("replay", help="chronology with the status after each event")
    _store_option(rep)
    rep.add_argument("names", nargs="*", metavar="NAME", help="entities (default: all)")
    rep.add_argument("--from", dest="start", metavar="D", help="first day shown")
    rep.add_argument("--to", dest="end", metavar="D", help="last day shown")
    _views_options(rep, as_of=False)
    rep.add_argument("--format", choices=("table", "json"), default="table")

    append = commands.add_parser("append", help="record a new event")
    kinds = append.add_subparsers(dest="kind", metavar="KIND", parser_class=Parser)
    kinds.required = True
    for kind, help_text in APPEND_KINDS.items():
        sub = kinds.add_parser(kind, help=help_text, description=help_text)
        _store_option(sub)
        _append_options(sub, kind)

    imp = commands.add_parser(
        "import",
        help="import events (JSON Lines), published list copies (OFAC, ISN, UN) from files "
        "or from a git history, or FtM files and delta feeds",
    )
    _store_option(imp)
    imp.add_argument("files", nargs="*", metavar="FILE", help="files; .gz is read directly")
    imp.add_argument(
        "--format",
        choices=("jsonl", "ofac-sdn-csv", "isn-csv", "un-sc-xml", "ftm", "ftm-delta"),
        default=None,
        help="default: from the file's first bytes, else its name (.jsonl, .csv, .xml)",
    )
    imp.add_argument("--git", metavar="REPO", help="a git repository (bare or a clone)")
    imp.add_argument("--path", metavar="FILE", help="with --git: the list file's path in it")
    imp.add_argument(
        "--observed",
        metavar="D",
        help="day a list copy was taken (default: the YYYY-MM-DD in its file name)",
    )
    imp.add_argument(
        "--allow-mass-removal",
        action="store_true",
        help="accept a snapshot that delists more than --max-removal of the list at once",
    )
    imp.add_argument(
        "--max-removal",
        metavar="PERCENT",
        type=float,
        default=10.0,
        help="largest share of the list one snapshot may delist (default: 10)",
    )
    imp.add_argument("--quiet", action="store_true", help="no progress on standard error")

    exp = commands.add_parser(
        "export", help="write the whole log as JSON Lines, or the record as FtM entities"
    )
    _store_option(exp)
    exp.add_argument("--format", choices=("jsonl", "ftm"), default="jsonl")
    exp.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")

    ent = commands.add_parser("entities", help="list entities, optionally matching QUERY")
    _store_option(ent)
    ent.add_argument("query", nargs="?", metavar="QUERY")
    ent.add_argument("--format", choices=("table", "json"), default="table")

    why = commands.add_parser(
        "explain", help="why an entity has its status: the deciding events and sources"
    )
    _store_option(why)
    why.add_argument("name", metavar="NAME")
    _views_options(why)
    why.add_argument("--format", choices=("table", "json"), default="table")

    dif = commands.add_parser("diff", help="entities whose status changed between two dates")
    _store_option(dif)
    dif.add_argument("names", nargs="*", metavar="NAME", help="entities (default: all)")
    dif.add_argument("--from", dest="start", required=True, metavar="D")
    dif.add_argument("--to", dest="end", required=True, metavar="D")
    _views_options(dif, as_of=False)
    dif.add_argument("--format", choices=("table", "json"), default="table")

    log = commands.add_parser("log", help="the whole log in recorded order")
    _store_option(log)
    log.add_argument("--format", choices=("table", "json"), default="table")

    reb = commands.add_parser(
        "rebuild",
        help="rebuild the status timeline from the whole log",
        description="Drop the status timeline (the materialised status of every entity over "
        "time, which 'status' without names reads) and project the whole log again. It is "
        "kept up to date after each write and caught up before each read, so this is only "
        "needed after a change of the status rules. Views with --recorded-by or "
        "--reported-by are not materialised: they fold the log.",
    )
    _store_option(reb)

    ver = commands.add_parser(
        "verify",
        help="prove the log untouched: recompute its hash chain and compare",
        description="Recompute the hash chain over every stored event, in log order, and "
        "compare it with the chain kept beside the log. Prints the head (last position and "
        "its hash) and exits 0 when they match; otherwise names the first position where "
        "the log no longer matches and exits 1. With --head, also checks that the log "
        "extends a head printed earlier.",
    )
    _store_option(ver)
    ver.add_argument(
        "--head", metavar="H", help="a head printed earlier: POSITION:HASH, or the hash alone"
    )
    ver.add_argument("--format", choices=("table", "json"), default="table")

    pic = commands.add_parser(
        "timeline", help="draw entities' measures over time as an SVG or PNG picture"
    )
    _store_option(pic)
    pic.add_argument("names", nargs="+", metavar="NAME")
    pic.add_argument("--output", "-o", required=True, metavar="FILE", help="FILE.svg or FILE.png")
    pic.add_argument("--from", dest="start", metavar="D", help="first day shown")
    pic.add_argument("--to", dest="end", metavar="D", help="last day shown")

    rpt = commands.add_parser("report", help="one self-contained HTML report to share or print")
    _store_option(rpt)
    rpt.add_argument("names", nargs="*", metavar="NAME", help="entities (default: all)")
    _views_options(rpt)
    rpt.add_argument("--output", "-o", required=True, metavar="FILE", help="FILE.html")

    srv = commands.add_parser("serve", help="a local web page and JSON API over the store")
    _store_option(srv)
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    srv.add_argument("--read-only", action="store_true", help="refuse every write")
    _link_parsers(commands)
    return parser


def _link_parsers(commands: Any) -> None:
    lnk = commands.add_parser(
        "link",
        help="say that two entities are one party (with a source and a reason)",
        description="Record that A and B (names, aliases, identifiers or ids) are one party. "
        "Links are transitive; every query by a member then answers for the whole party. "
        "--from-file takes reviewed links in bulk, one JSON object a line: "
        '{"a": NAME, "b": NAME, "reason": TEXT, "source": TEXT}.',
    )
    _store_option(lnk)
    lnk.add_argument("names", nargs="*", metavar="NAME", help="the two entities")
    lnk.add_argument("--from-file", metavar="FILE", help="links in bulk (JSON Lines)")
    for sub in (lnk, unl := commands.add_parser("unlink", help="withdraw a link")):
        sub.add_argument(
            "--source", required=sub is unl, metavar="TEXT", help="who judged it (title)"
        )
        sub.add_argument("--source-date", metavar="D", help="the source's publication day")
        sub.add_argument("--publisher", metavar="TEXT")
        sub.add_argument("--url", metavar="URL")
        sub.add_argument("--quote", metavar="TEXT")
    lnk.add_argument("--reason", metavar="TEXT", help="why they are one party")
    _store_option(unl)
    unl.add_argument("names", nargs=2, metavar="NAME", help="the two entities")
    mat = commands.add_parser(
        "match",
        help="candidate links for names, or pairs across all entities, scored with reasons",
        description="Propose entities that may be one party: for each NAME (a name, alias or "
        "identifier on record, or any text), else pairs across all entities. Never links: "
        "review the candidates, then 'link' them.",
    )
    _store_option(mat)
    mat.add_argument("names", nargs="*", metavar="NAME")
    mat.add_argument("--min-score", type=float, default=0.5, metavar="S", help="0 to 1 (0.5)")
    mat.add_argument("--format", choices=("table", "json"), default="table")


APPEND_KINDS = {
    "registration": "register a new entity",
    "alias": "add an alias to an entity",
    "identifier": "add an identifier (SCHEME:VALUE) to an entity",
    "imposition": "a sanction measure starts",
    "lapse": "a measure ends by expiry",
    "lifting": "a measure ends by decision (delisted, revoked, removed)",
    "waiver": "a measure is suspended",
    "waiver-end": "a waiver ends: the measure is back in force",
    "delisting-request": "someone asks for the entity's removal",
    "delisting-decision": "a delisting request is granted or denied",
    "negotiation": "the entity's sanctions came up in a forum",
    "activity": "alleged illicit activity was reported",
    "correction": "replace fields of an earlier event (give --target, no --entity)",
    "retraction": "withdraw an earlier event (give --target and --reason)",
}

_MEASURE_KINDS = append.MEASURE_KINDS


def _append_options(sub: argparse.ArgumentParser, kind: str) -> None:
    if kind not in ("correction", "retraction"):
        sub.add_argument(
            "--entity",
            action="append",
            required=True,
            metavar="NAME",
            help="name, alias, identifier or id; repeat for one action on several entities",
        )
    if kind != "retraction":
        sub.add_argument(
            "--date",
            required=kind != "correction",
            metavar="WHEN",
            help="when it happened: 2013-02-05, 2013-08, 2013, 2000/2003, ..2013-10-04, "
            "2007.., 'early 2000s', 'within the past two months', 'in the past'",
        )
    else:
        sub.add_argument("--date", metavar="WHEN", help="when the retraction was made")
    sub.add_argument("--source", required=True, metavar="TEXT", help="title of the source")
    sub.add_argument("--source-date", metavar="D", help="the source's publication day")
    sub.add_argument("--publisher", metavar="TEXT")
    sub.add_argument("--url", metavar="URL")
    sub.add_argument("--quote", metavar="TEXT", help="the source's own words")
    sub.add_argument("--correlation", metavar="ID", help="correlation id shared with other events")
    if kind == "registration":
        sub.add_argument("--kind", required=True, dest="entity_kind", metavar="K")
        sub.add_argument("--country", metavar="C")
        sub.add_argument("--alias", action="append", default=[], metavar="A")
        sub.add_argument("--identifier", action="append", default=[], metavar="SCHEME:VALUE")
    elif kind == "alias":
        sub.add_argument("--alias", required=True, metavar="A")
    elif kind == "identifier":
        sub.add_argument("--identifier", required=True, metavar="SCHEME:VALUE")
    elif kind == "imposition":
        sub.add_argument("--authority", required=True, metavar="A")
        sub.add_argument("--program", required=True, metavar="P")
        sub.add_argument("--reason", metavar="TEXT")
    elif kind in _MEASURE_KINDS:
        sub.add_argument("--measure", metavar="ID", help="measure id (inferred when one fits)")
    elif kind == "delisting-request":
        sub.add_argument("--requested-by", required=True, metavar="WHO")
        sub.add_argument("--forum", metavar="F")
    elif kind == "delisting-decision":
        sub.add_argument("--outcome", required=True, choices=("granted", "denied"))
        sub.add_argument("--request", metavar="EVENT_ID")
    elif kind == "negotiation":
        sub.add_argument("--forum", required=True, metavar="F")
        sub.add_argument("--summary", metavar="TEXT")
    elif kind == "activity":
        sub.add_argument("--summary", required=True, metavar="TEXT")
    elif kind == "correction":
        sub.add_argument("--target", required=True, metavar="EVENT_ID")
        sub.add_argument(
            "--entity",
            metavar="NAME",
            help="the event concerns this entity instead: recorded as a retraction on the "
            "old entity and the same fact on this one, with a shared correlation id",
        )
        for option in (
            "--authority",
            "--program",
            "--reason",
            "--measure",
            "--requested-by",
            "--forum",
            "--summary",
            "--outcome",
            "--name",
            "--alias",
            "--identifier",
            "--country",
        ):
            sub.add_argument(option, metavar="VALUE", help="new value")
    elif kind == "retraction":
        sub.add_argument("--target", required=True, metavar="EVENT_ID")
        sub.add_argument("--reason", required=True, metavar="TEXT")


# -- helpers ----------------------------------------------------------------------------


class Context:
    """Standard streams and environment, passed in so tests can call ``main`` directly."""

    def __init__(self, out: IO[str], err: IO[str], environ: dict[str, str], today: date) -> None:
        self.out = out
        self.err = err
        self.environ = environ
        self.today = today
        self.store: StoreConfig | None = None  # the store a command opened

    def print(self, text: str = "") -> None:
        self.write(text + "\n")

    def print_json(self, data: Any) -> None:
        """Indented for a person at a terminal; compact (and much faster) into a pipe.
        Non-ASCII characters as JSON escapes when the output's encoding is not Unicode."""
        indent = 2 if self.out.isatty() else None
        ascii_only = not terminal.can_encode_everything(self.out)
        self.write(json.dumps(data, indent=indent, ensure_ascii=ascii_only) + "\n")

    def write(self, text: str) -> None:
        with self.writing():
            self.out.write(text)

    def flush(self) -> None:
        with self.writing():
            self.out.flush()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Report a failure to write standard output (a full disk) as an OutputError."""
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error) from None

    def print_lines(self, lines: Iterable[str], end: str = "\n") -> None:
        """Each line as it comes (``end`` after each)."""
        for line in lines:
            self.write(line + end)

    def stream_json(self, head: dict[str, Any], key: str, items: Iterable[Any]) -> None:
        """``print_json({**head, key: [*items]})``, one item at a time."""
        indent = 2 if self.out.isatty() else None
        ascii_only = not terminal.can_encode_everything(self.out)
        for chunk in json_chunks(head, key, items, indent, ascii_only=ascii_only):
            self.write(chunk)
        self.write("\n")

    def note(self, text: str) -> None:
        self.err.write(text + "\n")


def open_app(store_arg: str | None, ctx: Context, *, load: bool = True) -> SanctionsApp:
    """Open the store, creating it with the bundled dataset if it is new."""
    config = resolve_store(store_arg, ctx.environ)
    ctx.store = config
    if not _prepare(config):
        with translate_errors(config):
            return SanctionsApp(config)
    # A new store: one process at a time creates and loads it; the others then find it made.
    with writer_turn(config), translate_errors(config):
        app = SanctionsApp(config)
        if load and _prepare(config):
            loaded = load_bundled(app)
            mark_initialised(config)
            ctx.note(
                f"note: created store {config.display} with the bundled dataset "
                f"({loaded.summary()}); 'sanctions init --empty' makes an empty one"
            )
    return app


def _prepare(config: StoreConfig) -> bool:
    """Check the store can be opened (creating an SQLite file's folder); True when new.

    Called before the library opens the store too, so that a wrong password or an absent
    server is reported at once, with the store's own reason.
    """
    return prepare_store(config)


def parse_as_of(text: str | None, ctx: Context) -> DateInterval:
    return as_of_period(text, ctx.today)


def parse_horizon(args: argparse.Namespace) -> Horizon:
    recorded_by = None
    if getattr(args, "recorded_by", None) is not None:
        recorded_by = parse_instant(args.recorded_by)
    reported_by = None
    if getattr(args, "reported_by", None) is not None:
        reported_by = parse_day(args.reported_by)
    return Horizon(recorded_by=recorded_by, reported_by=reported_by)


def _source(args: argparse.Namespace) -> Source:
    return append.source_of(vars(args))


def _effective(text: str | None, source: Source) -> DateInterval | None:
    return append.effective_of(text, source)


# -- commands ---------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    config = resolve_store(args.store, ctx.environ)
    _prepare(config)
    with writer_turn(config), translate_errors(config):
        app = SanctionsApp(config)
        if not _prepare(config):
            ctx.print(f"store {config.display} already exists ({app.max_position()} entries)")
            return 0
        loaded = None if args.empty else load_bundled(app)
        mark_initialised(config)
    if loaded is None:
        ctx.print(f"created empty store {config.display}")
    else:
        ctx.print(f"created store {config.display} with {loaded.summary()}")
    return 0


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


def cmd_append(args: argparse.Namespace, ctx: Context) -> int:
    source = _source(args)
    effective = _effective(args.date, source)
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


def cmd_link(args: argparse.Namespace, ctx: Context) -> int:
    from events_log import link_file, links

    if args.from_file:
        if args.names or args.reason:
            msg = "link --from-file takes no NAME and no --reason: each line gives its own"
            raise UsageError(msg)
        default = _source(args) if args.source else None
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
    link_id = links.link(app, args.names[0], args.names[1], _source(args), args.reason)
    ctx.print(f"linked {args.names[0]} and {args.names[1]} (link {link_id[:8]})")
    return 0


def cmd_unlink(args: argparse.Namespace, ctx: Context) -> int:
    from events_log import links

    app = open_app(args.store, ctx)
    link_id = links.unlink(app, args.names[0], args.names[1], _source(args))
    ctx.print(f"unlinked {args.names[0]} and {args.names[1]} (link {link_id[:8]})")
    return 0


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


COMMANDS: dict[str, Callable[[argparse.Namespace, Context], int]] = {
    "init": cmd_init,
    "status": cmd_status,
    "history": cmd_history,
    "replay": cmd_replay,
    "append": cmd_append,
    "import": cmd_import,
    "export": cmd_export,
    "entities": cmd_entities,
    "log": cmd_log,
    "explain": cmd_explain,
    "diff": cmd_diff,
    "rebuild": cmd_rebuild,
    "verify": cmd_verify,
    "timeline": cmd_timeline,
    "report": cmd_report,
    "serve": cmd_serve,
    "link": cmd_link,
    "unlink": cmd_unlink,
    "match": cmd_match,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    environ: dict[str, str] | None = None,
    today: date | None = None,
) -> int:
    ctx = Context(
        out=stdout or sys.stdout,
        err=stderr or sys.stderr,
        environ=dict(os.environ) if environ is None else environ,
        today=today or datetime.now(UTC).date(),
    )
    if stdout is None:
        terminal.escape_unencodable(sys.stdout)
    try:
        args = build_parser().parse_args(argv)
        code = COMMANDS[args.command](args, ctx)
        ctx.flush()
    except DomainError as error:
        if isinstance(error, OutputError) and stdout is None:
            terminal.discard_output(sys.stdout)
        ctx.err.write(f"error: {error}\n")
        return 2
    except (PersistenceError, sqlite3.Error) as error:
        if ctx.store is None:
            raise
        ctx.err.write(f"error: {store_failure(ctx.store, error)}\n")
        return 2
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
