"""Parties: links are transitive, unlinks split, and the refusals of DESIGN.md §10."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dates import parse_date
from domain.errors import RuleViolationError
from domain.fold import build_record
from domain.party import (
    REQUEST_WITHOUT_MEASURE,
    Parties,
    by_source,
    conflicts,
    disagreement,
    merge,
)
from domain.record import (
    DELISTING_REQUESTED,
    ENTITIES_LINKED,
    ENTITIES_UNLINKED,
    ENTITY_REGISTERED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    Recorded,
    Source,
)
from domain.status import Status, cut_after

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = {x: x.upper() for x in "abcdef"}


def half(kind: str, entity: str, other: str, link_id: str) -> Recorded:
    return Recorded(
        type=kind,
        event_id=f"{link_id}-{entity}",
        entity_id=entity,
        effective=None,
        source=Source("Desk review"),
        recorded_at=WHEN,
        fields={"other_id": other, "link_id": link_id, "reason": None},
    )


def linked(a: str, b: str, link_id: str) -> list[Recorded]:
    return [half(ENTITIES_LINKED, a, b, link_id), half(ENTITIES_LINKED, b, a, link_id)]


def unlinked(a: str, b: str, link_id: str) -> list[Recorded]:
    return [half(ENTITIES_UNLINKED, a, b, link_id), half(ENTITIES_UNLINKED, b, a, link_id)]


class TestParties:
    def test_an_entity_without_links_is_a_party_of_its_own(self) -> None:
        parties = Parties()

        assert parties.members("a") == ("a",)
        assert parties.groups() == []

    def test_links_are_transitive(self) -> None:
        parties = Parties([*linked("a", "b", "1"), *linked("c", "b", "2")])

        assert parties.members("a") == ("a", "b", "c")
        assert parties.members("c") == ("a", "b", "c")
        assert parties.groups() == [("a", "b", "c")]

    def test_an_unlink_splits_the_party_where_the_link_was(self) -> None:
        events = [*linked("a", "b", "1"), *linked("b", "c", "2"), *linked("d", "e", "3")]

        parties = Parties([*events, *unlinked("b", "a", "1")])

        assert parties.members("a") == ("a",)
        assert parties.members("b") == ("b", "c")
        assert parties.members("e") == ("d", "e")

    def test_an_unlink_of_an_older_link_leaves_a_newer_one_alone(self) -> None:
        events = [*linked("a", "b", "1"), *unlinked("a", "b", "1"), *linked("a", "b", "2")]

        parties = Parties([*events, *unlinked("a", "b", "1")])

        assert parties.members("a") == ("a", "b")

    def test_a_cycle_of_links_is_one_party_until_every_path_is_withdrawn(self) -> None:
        # Made from a file of links recorded before the rule, or by concurrent writers.
        events = [*linked("a", "b", "1"), *linked("b", "c", "2"), *linked("c", "a", "3")]

        parties = Parties([*events, *unlinked("a", "b", "1")])

        assert parties.members("a") == ("a", "b", "c")

    @given(
        st.lists(
            st.tuples(st.booleans(), st.sampled_from("abcdef"), st.sampled_from("abcdef")),
            max_size=40,
        )
    )
    def test_the_links_within_a_party_are_every_link_between_its_members_in_order(
        self, steps: list[tuple[bool, str, str]]
    ) -> None:
        events: list[Recorded] = []
        ids: dict[tuple[str, str], str] = {}  # the link id in force of each pair, if any
        for number, (linking, a, b) in enumerate(steps):
            key = (min(a, b), max(a, b))
            if linking:
                ids.setdefault(key, str(number))
                events += linked(a, b, ids[key])
            elif key in ids:
                events += unlinked(b, a, ids.pop(key))

        parties = Parties(events)

        for members in [*parties.groups(), ("a",), ("a", "b", "c")]:
            scanned = [k for k, link in parties.links.items() if set(k) <= set(members)]
            assert [link.entity_ids for link in parties.links_within(members)] == scanned


class TestLinkRules:
    def test_linking_an_entity_to_itself_is_refused(self) -> None:
        with pytest.raises(RuleViolationError, match="'A' cannot be linked to itself"):
            Parties().check_link("a", "a", NAMES)

    def test_linking_to_a_member_of_the_own_party_is_refused(self) -> None:
        parties = Parties([*linked("a", "b", "1"), *linked("b", "c", "2")])

        with pytest.raises(RuleViolationError, match=r"'A' and 'C' are already one party \(thr"):
            parties.check_link("a", "c", NAMES)
        with pytest.raises(RuleViolationError, match=r"one party \(directly\)"):
            parties.check_link("b", "a", NAMES)

    def test_unlinking_what_is_not_linked_is_refused(self) -> None:
        parties = Parties([*linked("a", "b", "1"), *linked("b", "c", "2")])

        with pytest.raises(RuleViolationError, match="'A' and 'D' are not linked: nothing"):
            parties.check_unlink("a", "d", NAMES)
        with pytest.raises(RuleViolationError, match="not linked directly"):
            parties.check_unlink("a", "c", NAMES)
        assert parties.check_unlink("b", "a", NAMES).link_id == "1"


def fact(
    event_type: str, event_id: str, entity: str, date_text: str, source: str, **fields: str
) -> Recorded:
    return Recorded(
        type=event_type,
        event_id=event_id,
        entity_id=entity,
        effective=parse_date(date_text, published=date(2013, 10, 4)),
        source=Source(source, published=date(2013, 10, 4)),
        recorded_at=WHEN,
        fields=fields,
    )


def norinco(source: str = "Article") -> list[Recorded]:
    return [
        fact(ENTITY_REGISTERED, "n0", "n", "in the past", source, name="Norinco", kind="company"),
        fact(SANCTION_IMPOSED, "n1", "n", "early 2000s", source, authority="US", program="P"),
        fact(SANCTION_LAPSED, "n2", "n", "2007", source, measure_id="n1"),
    ]


def isn_norinco() -> list[Recorded]:
    return [
        fact(ENTITY_REGISTERED, "i0", "i", "2003", "ISN", name="NORINCO", kind="company"),
        fact(SANCTION_IMPOSED, "i1", "i", "2003-05-23", "ISN", authority="State", program="EO"),
    ]


class TestPartyRecords:
    def test_a_party_keeps_the_first_members_name_and_every_members_measures(self) -> None:
        party = merge([build_record("n", norinco()), build_record("i", isn_norinco())])

        assert party.name == "Norinco"
        assert [m.measure_id for m in party.measures] == ["n1", "i1"]

    def test_each_source_gives_its_own_status_and_they_disagree(self) -> None:
        party = merge([build_record("n", norinco()), build_record("i", isn_norinco())])

        sources = by_source(party, cut_after(date(2010, 12, 31)))

        assert [(s.source, s.status) for s in sources] == [
            ("Article", Status.LAPSED),
            ("ISN", Status.SANCTIONED),
        ]
        assert disagreement(sources) is True

    def test_an_uncertain_source_does_not_make_a_disagreement(self) -> None:
        party = merge([build_record("n", norinco()), build_record("i", isn_norinco())])

        sources = by_source(party, cut_after(date(2007, 6, 1)))

        assert [s.status for s in sources] == [Status.UNCERTAIN, Status.SANCTIONED]
        assert disagreement(sources) is False


class TestConflicts:
    def test_a_request_with_every_measure_ended_is_a_conflict(self) -> None:
        events = [
            *norinco(),
            fact(
                DELISTING_REQUESTED,
                "n3",
                "n",
                "within the past two months",
                "Article",
                requested_by="MOFCOM",
            ),
        ]

        [conflict] = conflicts(build_record("n", events))

        assert (conflict.kind, conflict.event.event_id) == (REQUEST_WITHOUT_MEASURE, "n3")
        assert "every measure on record had ended by then" in conflict.message

    def test_a_measure_of_another_member_in_force_then_settles_it(self) -> None:
        request = fact(
            DELISTING_REQUESTED,
            "n3",
            "n",
            "within the past two months",
            "Article",
            requested_by="MOFCOM",
        )
        party = merge([build_record("n", [*norinco(), request]), build_record("i", isn_norinco())])

        assert conflicts(party) == []

    @pytest.mark.parametrize(
        ("lapse", "expected"),
        [
            ("2013-08-04", 0),  # may have lapsed on the request's first possible day
            ("2013-08-03", 1),  # surely lapsed the day before the request could be made
        ],
    )
    def test_a_measure_ending_on_the_requests_first_day_may_still_be_in_force(
        self, lapse: str, expected: int
    ) -> None:
        events = [
            norinco()[0],
            norinco()[1],
            fact(SANCTION_LAPSED, "n2", "n", lapse, "Article", measure_id="n1"),
            fact(
                DELISTING_REQUESTED,
                "n3",
                "n",
                "within the past two months",
                "Article",
                requested_by="MOFCOM",
            ),
        ]

        assert len(conflicts(build_record("n", events))) == expected
