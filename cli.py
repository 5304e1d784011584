"""Command line for the sanctions status tracker: the parser, and one verb per command
(``events_log/write_verbs.py``, ``projections/read_verbs.py``) called through the console."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any, NoReturn

from eventsourcing.persistence import PersistenceError

from domain.errors import DomainError
from events_log import append, write_verbs
from events_log.store import (
    store_failure,
)
from projections import (
    read_verbs,
    terminal,
)
from projections.console import Context, OutputError, UsageError


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


COMMANDS: dict[str, Callable[[argparse.Namespace, Context], int]] = {
    "init": write_verbs.cmd_init,
    "status": read_verbs.cmd_status,
    "history": read_verbs.cmd_history,
    "replay": read_verbs.cmd_replay,
    "append": write_verbs.cmd_append,
    "import": write_verbs.cmd_import,
    "export": read_verbs.cmd_export,
    "entities": read_verbs.cmd_entities,
    "log": read_verbs.cmd_log,
    "explain": read_verbs.cmd_explain,
    "diff": read_verbs.cmd_diff,
    "rebuild": read_verbs.cmd_rebuild,
    "verify": read_verbs.cmd_verify,
    "timeline": read_verbs.cmd_timeline,
    "report": read_verbs.cmd_report,
    "serve": read_verbs.cmd_serve,
    "link": write_verbs.cmd_link,
    "unlink": write_verbs.cmd_unlink,
    "match": read_verbs.cmd_match,
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
