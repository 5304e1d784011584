"""Text as a terminal shows it: control characters escaped, widths counted in columns.

A stored text may hold anything an older version or another program let in: a newline
would break a table row, an escape sequence would repaint the screen. Tables show such
characters escaped (``\\n``, ``\\x1b``), and measure text by display width: a wide (CJK)
character takes two columns, a combining mark none.
"""

from __future__ import annotations

import os
import unicodedata
from typing import IO

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Invisible characters that change how the text around them is shown (bidirectional
# overrides and isolates), escaped like control characters.
_FORMAT_ESCAPED = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def escape(text: str) -> str:
    """The text with control characters (and direction overrides) written as escapes."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if unicodedata.category(char) == "Cc" or char in _FORMAT_ESCAPED:
            out.append(_NAMED.get(char) or _code(char))
        else:
            out.append(char)
    return "".join(out)


def _code(char: str) -> str:
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def char_width(char: str) -> int:
    """Columns one (printable) character takes: 2 for wide, 0 for combining, else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """Columns the (escaped) text takes on a terminal."""
    return sum(char_width(char) for char in text)


def fit(text: str, columns: int) -> str:
    """The escaped text cut to at most ``columns`` columns, ending in ``~`` when cut."""
    shown = escape(text)
    if width(shown) <= columns:
        return shown
    out, used = [], 0
    for char in shown:
        if used + char_width(char) > columns - 1:
            break
        out.append(char)
        used += char_width(char)
    return "".join(out) + "~"


def pad(text: str, columns: int) -> str:
    """The escaped text cut to ``columns`` columns and padded with spaces to exactly them."""
    shown = fit(text, columns)
    return shown + " " * (columns - width(shown))


def wrap(text: str, columns: int, indent: int = 0, subsequent: int | None = None) -> list[str]:
    """Escaped text in lines of at most ``columns`` columns, broken at spaces, and inside
    a word only when the word alone is longer than a line."""
    first = " " * indent
    later = " " * (indent + 2 if subsequent is None else subsequent)
    lines: list[str] = []
    line, used = first, width(first)
    for word in escape(text).split():
        size = width(word)
        prefix = " " if line.strip() else ""
        if line.strip() and used + len(prefix) + size > columns:
            lines.append(line)
            line, used, prefix = later, width(later), ""
        while used + size > columns and size > 0:  # a word longer than a whole line
            room = columns - used
            head, tail = _split_at(word, room)
            lines.append(line + head)
            line, used, word, size = later, width(later), tail, width(tail)
        line += prefix + word
        used += len(prefix) + size
    if line.strip() or not lines:
        lines.append(line)
    return lines


def _split_at(word: str, columns: int) -> tuple[str, str]:
    used = 0
    for index, char in enumerate(word):
        if used + char_width(char) > columns:
            return word[: max(index, 1)], word[max(index, 1) :]
        used += char_width(char)
    return word, ""


def can_encode_everything(stream: IO[str]) -> bool:
    """Whether the stream's encoding is a Unicode one (else text must be escaped for it)."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    return encoding.startswith(("utf-8", "utf8", "utf-16", "utf-32"))


def escape_unencodable(stream: IO[str]) -> None:
    """Let a text stream in a non-Unicode encoding (``PYTHONIOENCODING=ascii``) write what
    it cannot encode as backslash escapes (``\\xe9``, ``\\u4e2d``), instead of failing."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and not can_encode_everything(stream):
        reconfigure(errors="backslashreplace")


def discard_output(stream: IO[str]) -> None:
    """After a failed write to standard output (a full disk), send what is still buffered
    to the null device, so that the exit's final flush cannot fail a second time."""
    try:
        fileno = stream.fileno()
    except (OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fileno)
    finally:
        os.close(null)
