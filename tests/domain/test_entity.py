"""The entity aggregate: its commands emit the right events and refuse bad ones."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dates import DateInterval, parse_date
from domain.entity import Entity, register
from domain.errors import NotFoundError, RuleViolationError
from domain.record import MeasureRecord, Recorded, Source, believe

SOURCE = Source(title="State Department notice", published=date(2020, 1, 1))
INKSNA = "US State Dept / INKSNA"
NPWMD = "OFAC / NPWMD"


def when(text: str) -> DateInterval:
    return parse_date(text, cap=False)


def acme() -> Entity:
    return register(name="Acme", kind="company", country=None, source=SOURCE, effective=None)


def impose_inksna(entity: Entity, date_text: str = "2013") -> str:
    return entity.impose("US State Dept", "INKSNA", None, effective=when(date_text), source=SOURCE)


def impose_npwmd(entity: Entity, date_text: str = "2013") -> str:
    return entity.impose("OFAC", "NPWMD", None, effective=when(date_text), source=SOURCE)


def lapse(entity: Entity, measure_id: str, date_text: str) -> str:
    return entity.end_measure(
        "sanction_lapsed", measure_id, effective=when(date_text), source=SOURCE
    )


def measure_of(entity: Entity, measure_id: str) -> MeasureRecord:
    measure = entity.record().measure(measure_id)
    assert measure is not None
    return measure


def believed(entity: Entity, event_id: str) -> Recorded:
    return next(f for f in believe(entity.events).facts if f.event_id == event_id)


class TestRegistration:
    def test_registering_emits_one_registered_event(self) -> None:
        entity = acme()

        assert [type(e) for e in entity.pending_events] == [Entity.Registered]
        assert [(e.type, e.get("name"), e.get("kind")) for e in entity.events] == [
            ("entity_registered", "Acme", "company")
        ]

    def test_an_empty_name_is_refused(self) -> None:
        with pytest.raises(RuleViolationError, match=r"^name must not be empty or blank"):
            register(name="  ", kind="company", country=None, source=SOURCE, effective=None)


class TestImposition:
    def test_an_imposition_emits_a_sanction_imposed_event(self) -> None:
        entity = acme()

        measure_id = impose_inksna(entity)

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.SanctionImposed)
        assert (event.event_id, event.authority, event.program) == (
            measure_id,
            "US State Dept",
            "INKSNA",
        )
        assert entity.events[-1].type == "sanction_imposed"
        assert entity.record().measure(measure_id) is not None

    def test_an_imposition_without_an_authority_is_refused(self) -> None:
        entity = acme()

        with pytest.raises(RuleViolationError, match=r"^authority must not be empty or blank"):
            entity.impose(" ", "INKSNA", None, effective=when("2013"), source=SOURCE)

        assert len(entity.pending_events) == 1


class TestLapseAndLifting:
    def test_a_lapse_emits_a_sanction_lapsed_event_naming_the_measure(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)

        event_id = lapse(entity, measure_id, "2015")

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.SanctionLapsed)
        assert (event.event_id, event.measure_id) == (event_id, measure_id)
        assert measure_of(entity, measure_id).ending is not None

    def test_a_lifting_emits_a_sanction_lifted_event(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)

        entity.end_measure("sanction_lifted", measure_id, effective=when("2015"), source=SOURCE)

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.SanctionLifted)
        assert event.measure_id == measure_id

    @pytest.mark.parametrize("event_type", ["sanction_lapsed", "sanction_lifted"])
    def test_ending_a_measure_not_on_record_is_refused(self, event_type: str) -> None:
        entity = acme()
        impose_inksna(entity)

        with pytest.raises(NotFoundError) as error:
            entity.end_measure(event_type, "deadbeef", effective=when("2015"), source=SOURCE)

        assert str(error.value) == "measure 'deadbeef' is not on record for entity 'Acme'"
        assert len(entity.pending_events) == 2

    def test_ending_an_already_ended_measure_is_refused_naming_the_measure(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse(entity, measure_id, "2015")

        with pytest.raises(RuleViolationError) as error:
            entity.end_measure("sanction_lifted", measure_id, effective=when("2016"), source=SOURCE)

        assert str(error.value) == (
            f"measure {measure_id[:8]} ({INKSNA}) already lapsed (2015): no lifting after its end"
        )
        assert len(entity.pending_events) == 3

    def test_a_lapse_dated_before_its_imposition_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2013")

        with pytest.raises(RuleViolationError) as error:
            lapse(entity, measure_id, "2006")

        assert (
            str(error.value)
            == f"lapse date 2006 is before imposition date 2013 of measure {INKSNA}"
        )
        assert len(entity.pending_events) == 2

    def test_a_lapse_in_the_same_year_as_its_imposition_is_accepted(self) -> None:
        # Both "2013": the lapse may follow the imposition within the year.
        entity = acme()
        measure_id = impose_inksna(entity, "2013")

        lapse(entity, measure_id, "2013")

        assert isinstance(entity.pending_events[-1], Entity.SanctionLapsed)

    def test_a_lapse_on_the_day_of_its_imposition_is_accepted(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2013-05-01")

        lapse(entity, measure_id, "2013-05-01")

        assert isinstance(entity.pending_events[-1], Entity.SanctionLapsed)


class TestWaivers:
    def test_a_waiver_and_its_end_emit_their_events(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)

        entity.waive(measure_id, effective=when("2014"), source=SOURCE)
        entity.end_waiver(measure_id, effective=when("2015"), source=SOURCE)

        assert [type(e) for e in entity.pending_events[-2:]] == [
            Entity.SanctionWaived,
            Entity.WaiverEnded,
        ]
        assert measure_of(entity, measure_id).steps[-1].type == "waiver_ended"

    def test_a_waiver_end_without_a_waiver_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)

        with pytest.raises(RuleViolationError) as error:
            entity.end_waiver(measure_id, effective=when("2015"), source=SOURCE)

        assert str(error.value) == (
            f"measure {measure_id[:8]} ({INKSNA}) is not waived: no waiver to end"
        )
        assert len(entity.pending_events) == 2

    def test_a_second_waiver_while_waived_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        entity.waive(measure_id, effective=when("2014"), source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.waive(measure_id, effective=when("2015"), source=SOURCE)

        assert str(error.value) == f"measure {measure_id[:8]} ({INKSNA}) is already waived"

    @pytest.mark.parametrize(
        ("waiver", "waiver_end"),
        [
            # the end is only known to the year, which contains the waiver's month
            ("2013-06", "2013"),
            # the end is only known to be before 2014: it can follow a June 2013 waiver
            ("2013-06", "..2013"),
            # the end is known to be after the waiver started, no later bound
            ("2013-06-15", "2013-06.."),
        ],
    )
    def test_a_waiver_end_with_a_coarser_date_that_can_follow_the_waiver_is_accepted(
        self, waiver: str, waiver_end: str
    ) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2012")
        entity.waive(measure_id, effective=when(waiver), source=SOURCE)

        entity.end_waiver(measure_id, effective=when(waiver_end), source=SOURCE)

        assert isinstance(entity.pending_events[-1], Entity.WaiverEnded)
        steps = measure_of(entity, measure_id).steps
        assert [s.type for s in steps] == ["sanction_waived", "waiver_ended"]

    def test_a_waiver_end_dated_before_its_waiver_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2012")
        entity.waive(measure_id, effective=when("2014"), source=SOURCE)

        with pytest.raises(RuleViolationError):
            entity.end_waiver(measure_id, effective=when("2013"), source=SOURCE)

        assert len(entity.pending_events) == 3


class TestDelisting:
    def test_a_request_emits_a_delisting_requested_event(self) -> None:
        entity = acme()

        request_id = entity.request_delisting(
            "China", "JCCT", effective=when("2013"), source=SOURCE
        )

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.DelistingRequested)
        assert (event.event_id, event.requested_by, event.forum) == (request_id, "China", "JCCT")

    def test_a_decision_closes_the_only_open_request(self) -> None:
        entity = acme()
        request_id = entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)

        entity.decide_delisting(None, "denied", effective=when("2014"), source=SOURCE)

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.DelistingDecided)
        assert (event.request_id, event.outcome) == (request_id, "denied")

    def test_a_decision_without_a_request_is_refused(self) -> None:
        entity = acme()

        with pytest.raises(RuleViolationError) as error:
            entity.decide_delisting(None, "granted", effective=when("2014"), source=SOURCE)

        assert str(error.value) == "entity 'Acme' has no delisting request awaiting a decision"
        assert len(entity.pending_events) == 1

    def test_a_decision_naming_an_unknown_request_is_refused(self) -> None:
        entity = acme()
        entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)

        with pytest.raises(NotFoundError) as error:
            entity.decide_delisting("deadbeef", "granted", effective=when("2014"), source=SOURCE)

        assert str(error.value) == "delisting request 'deadbeef' is not on record for 'Acme'"

    def test_a_decision_dated_before_its_request_is_refused(self) -> None:
        entity = acme()
        entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.decide_delisting(None, "granted", effective=when("2012"), source=SOURCE)

        assert str(error.value) == (
            "decision date 2012 is before request date 2013 of delisting request"
        )

    def test_a_second_decision_on_a_request_is_refused(self) -> None:
        entity = acme()
        request_id = entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)
        entity.decide_delisting(None, "denied", effective=when("2014"), source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.decide_delisting(request_id, "granted", effective=when("2015"), source=SOURCE)

        assert str(error.value) == f"delisting request {request_id!r} is already decided"

    def test_an_outcome_other_than_granted_or_denied_is_refused(self) -> None:
        entity = acme()
        entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.decide_delisting(None, "maybe", effective=when("2014"), source=SOURCE)

        assert str(error.value) == "outcome 'maybe' must be 'granted' or 'denied'"


class TestMeasureInference:
    def test_the_one_open_measure_is_inferred(self) -> None:
        entity = acme()
        ended = impose_inksna(entity)
        open_measure = impose_npwmd(entity)
        lapse(entity, ended, "2015")

        inferred = entity.infer_measure("sanction_lapsed")

        assert inferred == open_measure

    def test_the_one_waived_measure_is_inferred_for_a_waiver_end(self) -> None:
        entity = acme()
        impose_inksna(entity)
        waived = impose_npwmd(entity)
        entity.waive(waived, effective=when("2014"), source=SOURCE)

        inferred = entity.infer_measure("waiver_ended")

        assert inferred == waived

    def test_with_no_measure_to_end_the_error_says_why(self) -> None:
        entity = acme()

        with pytest.raises(RuleViolationError) as error:
            entity.infer_measure("sanction_lapsed")

        assert str(error.value) == (
            "entity 'Acme' has no measure that a lapse can apply to (no measure in force or waived)"
        )

    def test_with_several_measures_that_fit_the_error_lists_the_choices(self) -> None:
        entity = acme()
        first = impose_inksna(entity)
        second = impose_npwmd(entity)

        with pytest.raises(RuleViolationError) as error:
            entity.infer_measure("sanction_lifted")

        assert str(error.value) == (
            "entity 'Acme' has 2 measures a lifting fits: name one with --measure: "
            f"{first[:8]} ({INKSNA}), {second[:8]} ({NPWMD})"
        )

    def test_a_short_program_name_is_not_mistaken_for_an_id_prefix(self) -> None:
        # Program "B" must name the measure whose program is B, not the measure whose
        # id happens to start with "b".
        entity = acme()
        entity.impose("X", "A", None, effective=when("2013"), source=SOURCE, event_id="b" * 32)
        program_b = entity.impose(
            "X", "B", None, effective=when("2013"), source=SOURCE, event_id="a" * 32
        )

        resolved = entity.resolve_measure("B")

        assert resolved == program_b

    def test_a_measure_is_resolved_from_its_program_name(self) -> None:
        entity = acme()
        impose_inksna(entity)
        npwmd = impose_npwmd(entity)

        resolved = entity.resolve_measure("npwmd")

        assert resolved == npwmd


class TestCorrections:
    def test_a_correction_emits_an_event_corrected_with_the_changes(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")

        entity.correct(lapse_id, {"effective": when("2016")}, effective=None, source=SOURCE)

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.EventCorrected)
        assert (event.target, event.changes) == (lapse_id, {"effective": when("2016")})
        assert believed(entity, lapse_id).effective == when("2016")
        assert believe(entity.events).belief[lapse_id] == "corrected"

    def test_a_correction_making_a_lapse_precede_its_imposition_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2013")
        lapse_id = lapse(entity, measure_id, "2015")

        with pytest.raises(RuleViolationError) as error:
            entity.correct(lapse_id, {"effective": when("2010")}, effective=None, source=SOURCE)

        assert (
            str(error.value)
            == f"lapse date 2010 is before imposition date 2013 of measure {INKSNA}"
        )
        assert len(entity.pending_events) == 3

    def test_a_correction_moving_an_imposition_after_its_lapse_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity, "2013")
        lapse(entity, measure_id, "2015")

        with pytest.raises(RuleViolationError) as error:
            entity.correct(measure_id, {"effective": when("2016")}, effective=None, source=SOURCE)

        assert (
            str(error.value)
            == f"lapse date 2015 is before imposition date 2016 of measure {INKSNA}"
        )

    def test_the_latest_correction_wins(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")
        entity.correct(lapse_id, {"effective": when("2016")}, effective=None, source=SOURCE)

        entity.correct(lapse_id, {"effective": when("2017")}, effective=None, source=SOURCE)

        assert believed(entity, lapse_id).effective == when("2017")

    def test_retracting_a_correction_restores_the_belief_it_replaced(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")
        entity.correct(lapse_id, {"effective": when("2016")}, effective=None, source=SOURCE)
        latest = entity.correct(
            lapse_id, {"effective": when("2017")}, effective=None, source=SOURCE
        )

        entity.retract(latest, "misread the notice", effective=None, source=SOURCE)

        assert believed(entity, lapse_id).effective == when("2016")
        assert believe(entity.events).belief[latest] == "retracted"

    def test_retracting_the_only_correction_restores_the_original(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")
        correction = entity.correct(
            lapse_id, {"effective": when("2016")}, effective=None, source=SOURCE
        )

        entity.retract(correction, "misread the notice", effective=None, source=SOURCE)

        assert believed(entity, lapse_id).effective == when("2015")
        assert believe(entity.events).belief[lapse_id] == "current"

    def test_a_field_that_the_event_does_not_have_cannot_be_corrected(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")

        with pytest.raises(RuleViolationError) as error:
            entity.correct(lapse_id, {"authority": "OFAC"}, effective=None, source=SOURCE)

        assert str(error.value) == (
            "field 'authority' cannot be corrected on a lapse; correctable: effective, measure_id"
        )

    def test_a_correction_of_a_correction_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")
        correction = entity.correct(
            lapse_id, {"effective": when("2016")}, effective=None, source=SOURCE
        )

        with pytest.raises(RuleViolationError) as error:
            entity.correct(correction, {"effective": when("2017")}, effective=None, source=SOURCE)

        assert str(error.value) == (
            f"event {correction[:8]} is a correction: correct the original event "
            "instead, or retract this one"
        )

    def test_a_correction_of_an_event_not_on_record_is_refused(self) -> None:
        entity = acme()

        with pytest.raises(NotFoundError) as error:
            entity.correct("deadbeef", {"effective": when("2016")}, effective=None, source=SOURCE)

        assert str(error.value) == "event 'deadbeef' is not on record for entity 'Acme'"


class TestRetractions:
    def test_a_retraction_removes_the_event_from_the_record(self) -> None:
        entity = acme()
        mention = entity.mention_negotiation("JCCT", None, effective=when("2013"), source=SOURCE)

        entity.retract(mention, "wrong company", effective=None, source=SOURCE)

        event = entity.pending_events[-1]
        assert isinstance(event, Entity.EventRetracted)
        assert (event.target, event.reason) == (mention, "wrong company")
        assert entity.record().negotiations == ()

    def test_a_retraction_of_a_retraction_is_refused(self) -> None:
        entity = acme()
        mention = entity.mention_negotiation("JCCT", None, effective=when("2013"), source=SOURCE)
        retraction = entity.retract(mention, "wrong company", effective=None, source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.retract(retraction, "it was right", effective=None, source=SOURCE)

        assert str(error.value) == (
            f"event {retraction[:8]} is a retraction: a retraction cannot be retracted"
        )
        assert len(entity.pending_events) == 3

    def test_retracting_twice_is_refused(self) -> None:
        entity = acme()
        mention = entity.mention_negotiation("JCCT", None, effective=when("2013"), source=SOURCE)
        entity.retract(mention, "wrong company", effective=None, source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.retract(mention, "still wrong", effective=None, source=SOURCE)

        assert str(error.value) == f"event {mention[:8]} is already retracted"

    def test_a_retraction_needs_a_reason(self) -> None:
        entity = acme()
        mention = entity.mention_negotiation("JCCT", None, effective=when("2013"), source=SOURCE)

        with pytest.raises(RuleViolationError, match=r"^reason must not be empty or blank"):
            entity.retract(mention, " ", effective=None, source=SOURCE)

    def test_retracting_an_imposition_that_has_a_lapse_is_refused(self) -> None:
        entity = acme()
        measure_id = impose_inksna(entity)
        lapse_id = lapse(entity, measure_id, "2015")

        with pytest.raises(RuleViolationError) as error:
            entity.retract(measure_id, "wrong company", effective=None, source=SOURCE)

        assert str(error.value) == (
            f"imposition {measure_id[:8]} has later events (lapse {lapse_id[:8]}): "
            "retract those first"
        )
        assert len(entity.pending_events) == 3

    def test_retracting_a_decided_request_is_refused(self) -> None:
        entity = acme()
        request_id = entity.request_delisting("China", None, effective=when("2013"), source=SOURCE)
        decision_id = entity.decide_delisting(None, "denied", effective=when("2014"), source=SOURCE)

        with pytest.raises(RuleViolationError) as error:
            entity.retract(request_id, "no such request", effective=None, source=SOURCE)

        assert str(error.value) == (
            f"delisting request {request_id[:8]} has a decision ({decision_id[:8]}): "
            "retract that first"
        )
