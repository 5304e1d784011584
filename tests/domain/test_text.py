"""Text a user gives must be printable, on one line, and not blank."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolationError
from domain.text import CONTROL, check_text, control_character


class TestCheckText:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "name must not be empty or blank (got '')"),
            ("  ", "name must not be empty or blank (got '  ')"),
            ("A\nB", "name 'A\\nB' holds the control character '\\n' (U+000A LINE FEED) at "
                     "position 2: names and sources must be printable text on one line"),
            ("\x1b[2J", "name '\\x1b[2J' holds the control character '\\x1b' (U+001B ESCAPE) "
                        "at position 1: names and sources must be printable text on one line"),
            ("x\x85", "name 'x\\x85' holds the control character '\\x85' (U+0085 control "
                      "character) at position 2: names and sources must be printable text on "
                      "one line"),
        ],
    )  # fmt: skip
    def test_blank_text_and_control_characters_are_refused(self, value: str, message: str) -> None:
        with pytest.raises(RuleViolationError) as raised:
            check_text("name", value)

        assert str(raised.value) == message

    def test_optional_text_may_be_absent_but_not_blank(self) -> None:
        check_text("reason", None, required=False)

        with pytest.raises(RuleViolationError, match=r"^reason ' ' is blank"):
            check_text("reason", " ", required=False)

    def test_printable_text_in_any_script_passes(self) -> None:
        check_text("name", "珠海振戎公司 Société Générale")


class TestControlCharacters:
    def test_the_pattern_matches_exactly_the_unicode_control_category(self) -> None:
        by_category = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}

        by_pattern = {c for c in range(sys.maxunicode + 1) if CONTROL.match(chr(c))}

        assert by_pattern == by_category
        assert len(by_category) == 65

    @given(st.text())
    def test_the_first_control_character_is_the_one_a_scan_by_category_finds(
        self, text: str
    ) -> None:
        scanned = next(
            ((i, c) for i, c in enumerate(text) if unicodedata.category(c) == "Cc"), None
        )

        assert control_character(text) == scanned
