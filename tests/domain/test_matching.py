"""Scoring candidate links: the field's normalisation, acronyms, identifiers, common words."""

from __future__ import annotations

import pytest

from domain.matching import Names, acronyms, common_words, initials, normalised, score


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zhuhai Zhenrong Co.", "zhuhai zhenrong"),
        ("ZHUHAI ZHENRONG COMPANY LIMITED", "zhuhai zhenrong"),  # legal forms go
        ("China North Industries Group (NORINCO)", "china north industries group"),
        ("Kunlun Bank", "kunlun bank"),
    ],
)
def test_names_are_normalised_the_way_the_field_does_it(name: str, expected: str) -> None:
    assert normalised(name) == expected


def test_acronyms_in_brackets_and_initials() -> None:
    assert acronyms("China Precision Machinery Import-Export Corp. (CPMIEC)") == {"cpmiec"}
    assert acronyms("Something (China)") == set()  # a word, not an acronym
    assert initials("China Precision Machinery Import/Export Corporation") == "cpmiec"


def test_a_shared_identifier_is_the_strongest_reason() -> None:
    found = score(Names.of(["A"], ["ofac-sdn:9753"]), Names.of(["B"], ["OFAC-SDN:9753"]))

    assert (found.score, found.reasons) == (1.0, ("same identifier ofac-sdn:9753",))


def test_an_acronym_in_brackets_that_is_the_others_alias_is_a_reason() -> None:
    article = Names.of(["China North Industries Corp.", "Norinco"])

    found = score(article, Names.of(["China North Industrial Corp. (NORINCO)"]))

    assert "acronym in brackets (NORINCO) is the other's name or alias" in found.reasons
    assert found.score > 0.9


def test_names_alike_only_through_common_words_score_low() -> None:
    common = {"bank"}

    found = score(Names.of(["Kumgang Bank"]), Names.of(["Kunlun Bank"]), common)

    assert found.score == 0.4
    assert found.reasons[0].startswith("only common words shared: bank")


def test_common_words_are_those_of_many_entities() -> None:
    names = [Names.of([f"Bank {n}"]) for n in range(10)] + [Names.of(["Kunlun Holding"])]

    assert common_words(names, share=0.1, least=2) == {"bank"}
