"""Text a user gives: names, aliases, identifiers, sources. Printable, and not blank."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from domain.errors import RuleViolationError


def control_character(text: str) -> tuple[int, str] | None:
    """The position and character of the first control character in ``text``, if any.

    Control characters are Unicode category Cc: C0 (newline, tab, ESC, ...), DEL and C1,
    which are exactly U+0000-U+001F and U+007F-U+009F (one search, not a lookup a character).
    """
    found = _CONTROL.search(text)
    return None if found is None else (found.start(), found.group())


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def describe_character(char: str) -> str:
    """``'\\x1b' (U+001B ESCAPE)``: the character as Python writes it, its code and name."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "control character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def check_text(what: str, value: str | None, *, required: bool = True) -> None:
    """Refuse empty or blank text (when required) and text holding a control character."""
    if value is None:
        if required:
            msg = f"{what} is required"
            raise RuleViolationError(msg)
        return
    if not isinstance(value, str):
        msg = f"{what} {value!r} must be text"
        raise RuleViolationError(msg)
    found = control_character(value)
    if found is not None:
        index, char = found
        msg = (
            f"{what} {value!r} holds the control character {describe_character(char)} "
            f"at position {index + 1}: names and sources must be printable text on one line"
        )
        raise RuleViolationError(msg)
    if not value.strip():
        msg = f"{what} {value!r} is blank: give the text, or leave the option out"
        if required:
            msg = f"{what} must not be empty or blank (got {value!r})"
        raise RuleViolationError(msg)


def check_texts(what: str, values: Iterable[str]) -> None:
    for value in values:
        check_text(what, value)


_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}
