"""The bad-input matrix as data: command lines that must be refused in one line.

Each case is a command line without ``--store`` (the test adds the shared store of the
run, SQLite or PostgreSQL) unless it names a store of its own, and the words its one
``error:`` line must hold (the value or the rule). ``{files}`` is the folder of the
test's prepared input files; ``{readonly}``, ``{foreign}`` and ``{notdb}`` are SQLite
files made for the cases that are about the store itself (a read-only store, another
program's database, a file that is no database).
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    argv: tuple[str, ...]
    needle: str  # words the error line must hold
    exit: int = 2


def case(*argv: str, needle: str = "") -> Case:
    return Case(argv, needle)


SOURCE = ("--source", "Test report", "--source-date", "2014-01-15")
NORINCO = "Norinco"
CHINA = "China"
CHEMBAY = "Chembay"  # no measure and no delisting request in the bundled dataset
IMPOSITION = "d90d9d5b"  # an imposition on China in the bundled dataset

# Dates no §4 form allows, each with the words its refusal names.
BAD_DATES: list[tuple[str, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("-2013", "not in a known form"),
    ("+2013", "not in a known form"),
    ("\u0662\u0660\u0661\u0663", "U+0662"),  # Arabic-Indic digits
    ("\uff12\uff10\uff11\uff13", "U+FF12"),  # full-width digits
    ("2013\n", "U+000A"),
    ("20\x1b13", "U+001B"),
    ("2013-13", "not a calendar date"),
    ("2013-02-30", "not a calendar date"),
    ("0000", "out of range"),
    ("9999-12", "out of range"),
    ("9999-12-31", "out of range"),
    ("9999", "out of range"),
    ("9990s", "out of range"),
    ("late 9990s", "out of range"),
    ("2013-1-5", "not in a known form"),
    ("2013.10.04", "not in a known form"),
    ("2014/2013", "reversed"),
    ("tomorrow", "cannot read"),
    ("2013-10-04T10:00", "time of day"),
]

DATE_OPTIONS: list[tuple[str, ...]] = [
    ("status", "--as-of"),
    ("explain", NORINCO, "--as-of"),
    ("append", "negotiation", "--entity", NORINCO, "--forum", "JCCT", *SOURCE, "--date"),
]

# Fewer dates through the other options: the same parser answers.
SOME_DATES = ["", "-2013", "\uff12\uff10\uff11\uff13", "9999-12-31", "2013\n"]
BAD_INSTANTS = [
    "",
    " ",
    "-2013-10-04",
    "\uff12\uff10\uff11\uff13-10-04",
    "2013-10-04\n",
    "2013-13-01",
    "yesterday",
    "2013-10-04T25:00",
]
OTHER_DATE_OPTIONS: list[tuple[str, ...]] = [
    ("replay", "--from"),
    ("replay", "--to"),
    ("diff", "--from", "2010", "--to"),
    ("diff", "--to", "2010", "--from"),
    ("status", "--reported-by"),
    ("history", NORINCO, "--reported-by"),
    (
        "append",
        "activity",
        "--entity",
        NORINCO,
        "--summary",
        "x",
        "--date",
        "2013",
        "--source",
        "T",
        "--source-date",
    ),
    ("import", "{files}/good.jsonl", "--format", "ofac-sdn-csv", "--observed"),
]

# A text option of an append kind: (command line before the option, the option, the rule).
TEXT_OPTIONS: list[tuple[tuple[str, ...], str]] = [
    (("append", "registration", "--kind", "company", "--date", "2013", *SOURCE), "--entity"),
    (("append", "registration", "--entity", "New Co", "--date", "2013", *SOURCE), "--kind"),
    (
        (
            "append",
            "registration",
            "--entity",
            "New Co",
            "--kind",
            "company",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--country",
    ),
    (
        (
            "append",
            "registration",
            "--entity",
            "New Co",
            "--kind",
            "company",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--alias",
    ),
    (("append", "alias", "--entity", NORINCO, "--date", "2013", *SOURCE), "--alias"),
    (("append", "identifier", "--entity", NORINCO, "--date", "2013", *SOURCE), "--identifier"),
    (
        ("append", "imposition", "--entity", NORINCO, "--program", "P", "--date", "2013", *SOURCE),
        "--authority",
    ),
    (
        (
            "append",
            "imposition",
            "--entity",
            NORINCO,
            "--authority",
            "A",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--program",
    ),
    (
        (
            "append",
            "imposition",
            "--entity",
            NORINCO,
            "--authority",
            "A",
            "--program",
            "P",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--reason",
    ),
    (
        ("append", "delisting-request", "--entity", NORINCO, "--date", "2013", *SOURCE),
        "--requested-by",
    ),
    (
        (
            "append",
            "delisting-request",
            "--entity",
            NORINCO,
            "--requested-by",
            "China",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--forum",
    ),
    (("append", "negotiation", "--entity", NORINCO, "--date", "2013", *SOURCE), "--forum"),
    (
        (
            "append",
            "negotiation",
            "--entity",
            NORINCO,
            "--forum",
            "JCCT",
            "--date",
            "2013",
            *SOURCE,
        ),
        "--summary",
    ),
    (("append", "activity", "--entity", NORINCO, "--date", "2013", *SOURCE), "--summary"),
    (
        (
            "append",
            "activity",
            "--entity",
            NORINCO,
            "--summary",
            "s",
            "--date",
            "2013",
            "--source-date",
            "2014-01-15",
        ),
        "--source",
    ),
    (
        ("append", "activity", "--entity", NORINCO, "--summary", "s", "--date", "2013", *SOURCE),
        "--publisher",
    ),
    (
        ("append", "activity", "--entity", NORINCO, "--summary", "s", "--date", "2013", *SOURCE),
        "--quote",
    ),
    (
        ("append", "activity", "--entity", NORINCO, "--summary", "s", "--date", "2013", *SOURCE),
        "--url",
    ),
    (("append", "retraction", "--target", IMPOSITION, *SOURCE), "--reason"),
    (("append", "correction", "--target", IMPOSITION, *SOURCE), "--program"),
]
BAD_TEXTS: list[tuple[str, str]] = [
    ("", "blank"),
    ("   ", "blank"),
    ("line\nbreak", "U+000A"),
    ("esc\x1b[31mred", "U+001B"),
    ("tab\there", "U+0009"),
    ("nul\x00", "U+0000"),
    ("del\x7f", "U+007F"),
    ("c1\x85next", "U+0085"),
]

STORES: list[tuple[str, str]] = [
    ("mysql://u:secret@h/db", "mysql://"),
    ("MYSQL://u:secret@h/db", "MYSQL://"),
    ("sqlite:///tmp/x.sqlite", "sqlite://"),
    ("http://u:secret@example.org/db", "http://"),
    ("postgresql://u:secret@h:99999/db", "bad port"),
    ("postgresql://u:secret@/db", "postgresql://user:password@host:port/dbname"),
    ("POSTGRES://u:secret@h:5432/", "postgresql://user:password@host:port/dbname"),
    ("{foreign}", "another program"),
    ("{notdb}", "not a database"),
    ("{files}", "is a directory"),
]
VERBS_FOR_STORES: list[tuple[str, ...]] = [
    ("init",),
    ("status",),
    ("append", "activity", "--entity", NORINCO, "--summary", "s", "--date", "2013", *SOURCE),
    ("import", "{files}/good.jsonl"),
    ("export",),
    ("log",),
    ("rebuild",),
]

READ_ONLY: list[tuple[str, ...]] = [
    ("append", "activity", "--entity", NORINCO, "--summary", "s", "--date", "2013", *SOURCE),
    (
        "append",
        "registration",
        "--entity",
        "New Co",
        "--kind",
        "company",
        "--date",
        "2013",
        *SOURCE,
    ),
    ("append", "alias", "--entity", NORINCO, "--alias", "NRC", "--date", "2013", *SOURCE),
    ("append", "retraction", "--target", IMPOSITION, "--reason", "wrong", *SOURCE),
    ("import", "{files}/good.jsonl"),
    ("rebuild",),
]

IMPORTS: list[Case] = [
    case("import", "{files}/missing.jsonl", needle="does not exist"),
    case("import", "{files}", needle="directory"),
    case("import", "{files}/binary.jsonl", needle="UTF-8"),
    case("import", "{files}/utf16.jsonl", needle="UTF-8"),
    case("import", "{files}/latin1.jsonl", needle="UTF-8"),
    case("import", "{files}/sdn.csv.gz", "--format", "jsonl", needle="not valid JSON"),
    case("import", "{files}/good.jsonl", "{files}/garbage.jsonl", needle="garbage.jsonl:1"),
    case("import", "{files}/good.jsonl", "{files}/late-error.jsonl", needle="late-error.jsonl:2"),
    case("import", "{files}/duplicate-field.jsonl", needle="duplicate-field.jsonl:1"),
    case("import", "{files}/reused-key.jsonl", needle="reused-key.jsonl:2"),
    case("import", "{files}/good.jsonl", "{files}/good-changed.jsonl", needle="good.jsonl:1"),
    case("import", "{files}/not-object.jsonl", needle="JSON object"),
    case("import", "{files}/no-key.jsonl", needle="'key'"),
    case("import", "{files}/bad-type.jsonl", needle="type"),
    case("import", "{files}/control-name.jsonl", needle="U+001B"),
    case("import", "{files}/empty-alias.jsonl", needle="alias"),
    case("import", "{files}/empty-date.jsonl", needle="empty"),
    case("import", "{files}/far-date.jsonl", needle="out of range"),
    case("import", "{files}/fullwidth-date.jsonl", needle="U+FF12"),
    case("import", "{files}/empty-source-date.jsonl", needle="empty"),
    case("import", "{files}/unknown-entity.jsonl", needle="not on record"),
    case("import", "{files}/good.jsonl", "--max-removal", "-5", needle="-5"),
    case("import", "{files}/good.jsonl", "--max-removal", "150", needle="150"),
    case("import", "{files}/good.jsonl", "--max-removal", "nan", needle="percentage"),
    case("import", "{files}/good.jsonl", "--max-removal", "ten", needle="ten"),
    case("import", "{files}/good.jsonl", "--observed", "2021-08-18", needle="--observed"),
    case("import", "{files}/good.jsonl", "--format", "xml", needle="xml"),
    case("import", "{files}/garbage.csv", "--format", "ofac-sdn-csv", needle="garbage.csv"),
    case("import", "{files}/sdn-2021-08-18.csv", "{files}/good.jsonl", needle="either"),
    case("import", needle="FILE"),
    # the list readers: faulty copies, each one line with nothing written
    case(
        "import",
        "{files}/garbage.csv",
        "--format",
        "isn-csv",
        "--observed",
        "2017-01-01",
        needle="NUL bytes",
    ),
    case("import", "{files}/isn-2017-01-01.csv", needle="isn-2017-01-01.csv"),
    case("import", "{files}/utf16-isn-2017-01-01.csv", "--format", "isn-csv", needle="UTF-16"),
    case("import", "{files}/isn-cut-2017-01-01.csv", needle="cut short"),
    case("import", "{files}/un-sc-2023-03-27.xml", needle="cannot be read"),
    case("import", "{files}/entities-2023-03-27.xml", needle="cannot be read"),
    case(
        "import",
        "{files}/garbage.csv",
        "--format",
        "un-sc-xml",
        "--observed",
        "2016-01-01",
        needle="cannot be read",
    ),
    case("import", "{files}/good.jsonl", "--format", "isn-csv", needle="cannot tell when"),
    # git histories
    case("import", "--git", "{files}", "--path", "isn.csv", needle="cannot be read"),
    case("import", "--git", "{files}/no-such-repo", "--path", "isn.csv", needle="does not exist"),
    case("import", "--git", "{files}", needle="--path"),
    case("import", "--path", "isn.csv", needle="--git"),
    case("import", "{files}/good.jsonl", "--git", "{files}", "--path", "x", needle="FILE"),
    case("import", "--git", "{files}", "--path", "x", "--observed", "2016-01-01", needle="commit"),
    case("import", "--git", "{files}", "--path", "x", "--format", "jsonl", needle="jsonl"),
]

OTHERS: list[Case] = [
    case("frobnicate", needle="frobnicate"),
    case("status", "--format", "xml", needle="xml"),
    case("status", "Nobody At All", needle="not on record"),
    case("status", "", needle="not on record"),
    case("status", "a\nb", needle="not on record"),
    case("status", "--as-of", "..2013", needle="both ends"),
    case("status", "--as-of", "2007..", needle="both ends"),
    case("history", needle="NAME"),
    case("history", "", needle="not on record"),
    case("history", "Nobody", "--format", "csv", needle="csv"),
    case("replay", "Nobody", needle="not on record"),
    case("replay", "--from", "2013", "--to", "2010", needle=""),
    case("explain", needle="NAME"),
    case("explain", "Nobody", needle="not on record"),
    case("diff", "--from", "2010", needle="--to"),
    case("diff", "--from", "2010", "--to", "2013", "Nobody", needle="not on record"),
    case("entities", "--format", "csv", needle="csv"),
    case("entities", "a", "b", needle="unrecognized"),
    case("log", "--format", "csv", needle="csv"),
    case("rebuild", "--now", needle="--now"),
    case("init", "--full", needle="--full"),
    case("export", "--output", "{files}", needle="directory"),
    case("export", "--output", "{files}/no/such/folder/out.jsonl", needle="does not exist"),
    case("export", "--format", "csv", needle="csv"),
    case("append", needle="KIND"),
    case("append", "bribery", needle="bribery"),
    case(
        "append",
        "activity",
        "--entity",
        "Nobody",
        "--summary",
        "s",
        "--date",
        "2013",
        *SOURCE,
        needle="not on record",
    ),
    case("append", "lapse", "--entity", CHEMBAY, "--date", "2013", *SOURCE, needle="measure"),
    case(
        "append",
        "lapse",
        "--entity",
        NORINCO,
        "--measure",
        "nomeasure",
        "--date",
        "2013",
        *SOURCE,
        needle="nomeasure",
    ),
    case("append", "lifting", "--entity", CHEMBAY, "--date", "2013", *SOURCE, needle="measure"),
    case("append", "waiver-end", "--entity", NORINCO, "--date", "2013", *SOURCE, needle="waive"),
    case("append", "waiver", "--entity", CHEMBAY, "--date", "2013", *SOURCE, needle="measure"),
    case(
        "append",
        "delisting-decision",
        "--entity",
        NORINCO,
        "--outcome",
        "maybe",
        "--date",
        "2013",
        *SOURCE,
        needle="maybe",
    ),
    case(
        "append",
        "delisting-decision",
        "--entity",
        CHEMBAY,
        "--outcome",
        "granted",
        "--date",
        "2013",
        *SOURCE,
        needle="request",
    ),
    case("append", "correction", "--target", "abc", "--program", "P", *SOURCE, needle="too short"),
    case(
        "append",
        "correction",
        "--target",
        "ffffffff",
        "--program",
        "P",
        *SOURCE,
        needle="not on record",
    ),
    case(
        "append",
        "retraction",
        "--target",
        "ffffffff",
        "--reason",
        "r",
        *SOURCE,
        needle="not on record",
    ),
    case(
        "append",
        "registration",
        "--entity",
        NORINCO,
        "--kind",
        "company",
        "--date",
        "2013",
        *SOURCE,
        needle="already registered",
    ),
    case(
        "append",
        "registration",
        "--entity",
        "A",
        "--entity",
        "B",
        "--kind",
        "company",
        "--date",
        "2013",
        *SOURCE,
        needle="exactly one",
    ),
    case(
        "append",
        "alias",
        "--entity",
        CHINA,
        "--alias",
        NORINCO,
        "--date",
        "2013",
        *SOURCE,
        needle="already names",
    ),
    case(
        "append",
        "identifier",
        "--entity",
        NORINCO,
        "--identifier",
        "nocolon",
        "--date",
        "2013",
        *SOURCE,
        needle="SCHEME:VALUE",
    ),
    case(
        "append",
        "identifier",
        "--entity",
        NORINCO,
        "--identifier",
        ":9753",
        "--date",
        "2013",
        *SOURCE,
        needle="SCHEME:VALUE",
    ),
    case(
        "append",
        "identifier",
        "--entity",
        NORINCO,
        "--identifier",
        "ofac-sdn:",
        "--date",
        "2013",
        *SOURCE,
        needle="SCHEME:VALUE",
    ),
    case(
        "append",
        "activity",
        "--entity",
        NORINCO,
        "--summary",
        "s",
        "--date",
        "2015",
        *SOURCE,
        needle="publication date",
    ),
    case(
        "append",
        "activity",
        "--entity",
        NORINCO,
        "--summary",
        "s",
        "--date",
        "within the past two months",
        "--source",
        "T",
        needle="relative",
    ),
    case(
        "append",
        "activity",
        "--entity",
        NORINCO,
        "--summary",
        "s",
        "--date",
        "within the past 99999999999 years",
        *SOURCE,
        needle="out of range",
    ),
    case(
        "append",
        "activity",
        "--entity",
        NORINCO,
        "--summary",
        "s",
        "--date",
        "2013",
        "--source",
        "T",
        "--source-date",
        "2013",
        needle="single day",
    ),
]


def _with(option: str, value: str) -> tuple[str, ...]:
    return (option, value)


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for prefix in DATE_OPTIONS:
        cases += [Case((*prefix, text), needle) for text, needle in BAD_DATES]
    for prefix in OTHER_DATE_OPTIONS:
        cases += [Case((*prefix, text), "") for text in SOME_DATES]
    cases += [Case(("status", "--recorded-by", text), "") for text in BAD_INSTANTS]
    for prefix, option in TEXT_OPTIONS:
        for text, needle in BAD_TEXTS:
            cases.append(Case((*prefix, *_with(option, text)), needle))
    for verb in VERBS_FOR_STORES:
        cases += [Case((*verb, "--store", store), needle) for store, needle in STORES]
    cases += [Case((*argv, "--store", "{readonly}"), "read-only") for argv in READ_ONLY]
    return [*cases, *IMPORTS, *OTHERS]


CASES = all_cases()
