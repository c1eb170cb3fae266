"""CIN census rules against the DfE community validator's own test cases.

Each case is the fixture of the rule's test in `csc-validator-be-cin` 0.1.13
(`cin_validator/rules/cin20xx_yy/rule_<code>.py`, MIT), re-expressed on the child-level CIN
table (a child protection plan's rows carry a plan start date).
"""

from __future__ import annotations

from typing import Any

import pytest

from .dfe_cases import NA, flagged

CIN = "cin/child@2024-25"
PLAN = "01/06/2024"

CASES: list[tuple[str, dict[str, list[Any]], list[int]]] = [
    ("CIN-4180", {"Sex": ["M", NA, 7, "Male", "F", "U", "U", "U"]}, [1, 2, 3]),
    ("CIN-4220", {"Ethnicity": ["ABAB", "AIND", "AOTH", NA, "MOTH", "WOTH", "AAAA"]}, [0, 3, 6]),
    (
        "CIN-8910",
        {
            "LatestCategoryOfAbuse": ["NEG", "AAA", "BBB", NA, "PHY", "EMO", "MUL"],
            "CPPstartDate": [PLAN] * 7,
        },
        [1, 2, 3],
    ),
]


@pytest.mark.parametrize(("rule", "columns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule_flags_the_rows_the_dfe_validator_flags(
    rule: str, columns: dict[str, list[Any]], expected: list[int]
) -> None:
    assert flagged(CIN, rule, columns) == expected


def test_8910_judges_only_rows_with_a_child_protection_plan() -> None:
    rows = flagged(CIN, "CIN-8910", {"LatestCategoryOfAbuse": [NA, NA], "CPPstartDate": [PLAN, NA]})
    assert rows == [0]
