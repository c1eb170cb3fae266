"""Every shipped DfE rule against the DfE community validator's own test cases.

For each rule of each shipped suite, the reference's test module for the version of the rule
in force in the suite's collection year (``tests/fixtures/dfe_reference``, extracted by
``benchmarks/_dfe_reference_cases.py``) is replayed: the same tables, and our rule must flag
exactly the rows of the suite's table that the reference flags.
"""

from __future__ import annotations

import re

import pytest

from .conftest import REPO
from .dfe_reference import (
    COLLECTION,
    cases,
    index,
    our_flags,
    reference_code,
    rule_of,
    shipped_rules,
    suite_of,
)

RULES = [*shipped_rules("ssda903"), *shipped_rules("cin")]

DOCUMENTED: dict[str, dict[int, list[str]]] = {
    # A blank DECOM is "not a valid date" in the DfE text; the reference skips blanks.
    "903-141": {0: ["2", "3", "4"]},
    # Open plans counted per child, as the rule says; the reference counts per child and CPPID.
    "CIN-8935": {0: ["0", "1", "2", "4", "5"]},
}
"""Where we read the DfE rule text differently from the reference: what we flag instead, on
its own case (the rule's ``reference_note`` says why)."""


def test_every_shipped_rule_is_in_force_in_its_collection_year() -> None:
    misplaced = []
    for ref, rule in RULES:
        year = str(suite_of(ref).collection_year)
        if reference_code(rule) not in index()[COLLECTION[ref.split("/")[0]]][year]:
            misplaced.append(f"{ref} {rule}")
    assert misplaced == []


@pytest.mark.parametrize(("ref", "rule"), RULES, ids=[f"{r}:{c}" for r, c in RULES])
def test_rule_flags_exactly_the_rows_the_dfe_validator_flags(ref: str, rule: str) -> None:
    suite = suite_of(ref)
    calls = cases(suite, rule)
    assert calls, f"no reference test case for {rule} in {suite.collection_year}"
    compared = 0
    for number, call in enumerate(calls):
        ours = our_flags(suite, rule, call)
        if ours is None:  # the call leaves out a table our rule reads: neither side runs
            continue
        theirs = sorted(str(label) for label in call.flagged.get(str(suite.table), []))
        if number in DOCUMENTED.get(rule, {}):
            assert rule_of(suite, rule).reference_note, f"{rule} differs without a note"
            theirs = DOCUMENTED[rule][number]
        assert ours == theirs, f"{rule} call {number}: ours {ours}, reference {theirs}"
        compared += 1
    assert compared, f"none of the reference's cases for {rule} has the {suite.table} table"


@pytest.mark.parametrize(
    ("collection", "year", "least"),
    [
        ("ssda903", "2024-25", 150),
        ("ssda903", "2025-26", 150),
        ("cin", "2024-25", 60),
        ("cin", "2025-26", 60),
    ],
)
def test_every_reference_rule_is_shipped_or_listed_as_remaining(
    collection: str, year: str, least: int
) -> None:
    listed = (REPO / "docs" / "rules-remaining.md").read_text()
    title = "SSDA903" if collection == "ssda903" else "CIN census"
    section = listed.split(f"### {title} {year}")[1].split("###")[0]
    shipped = {rule for ref, rule in RULES if ref.startswith(collection) and ref.endswith(year)}
    prefix = "903" if collection == "ssda903" else "CIN"
    for code in index()[COLLECTION[collection]][year]:
        rule = f"{prefix}-{code}"
        assert (rule in shipped) != bool(re.search(rf"\b{re.escape(rule)}\b", section)), rule
    assert len(shipped) >= least
