"""Text a user gives must be printable, on one line, and not blank."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolationError
from domain.text import check_text, control_character


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


class TestControlCharacter:
    def test_every_code_point_is_control_exactly_when_unicode_says_cc(self) -> None:
        found = [c for c in range(sys.maxunicode + 1) if control_character(chr(c)) is not None]

        assert found == [
            c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"
        ]

    @given(st.text())
    def test_the_first_control_character_and_its_position(self, text: str) -> None:
        expected = next(
            ((i, ch) for i, ch in enumerate(text) if unicodedata.category(ch) == "Cc"), None
        )

        assert control_character(text) == expected
