"""SSDA903 rules against the DfE community validator's own test cases.

Each case below is the fixture of the rule's test in `csc-validator-be-903` 0.1.17
(`lac_validator/rules/lac20xx_yy/rule_<code>.py`, MIT), re-expressed: the same rows, and the
rows the reference flags. Our suite must flag exactly those rows, except where the rule's
`reference_note` documents a reading of the DfE rule text that differs (tested here too).
Row positions are computed in the test only; evidence never carries them.
"""

from __future__ import annotations

from typing import Any

import pytest

from csc_mlflow.quality._suite import load_suite

from .dfe_cases import NA, flagged

HEADER = "ssda903/header@2024-25"
EPISODES = "ssda903/episodes@2024-25"

CASES: list[tuple[str, str, dict[str, list[Any]], list[int]]] = [
    ("903-101", HEADER, {"SEX": ["M", "F", "U", 1, "X", NA]}, [3, 4, 5]),
    (
        "903-168",
        HEADER,
        {
            "UPN": [
                "UN3", "E07295962325C1556", "UN5", "UN7", "UPN3sDSG", "X06805040829A",
                "5035247309594", NA, "L086819786126", "K06014812931", "J000947841350156",
                "M0940709", "I072272729588", "N075491517151", "Z041674136429",
                "E043016488226", "S074885779408",
            ]
        },
        [1, 3, 4, 6, 9, 10, 11, 12, 16],
    ),
    (
        "903-444",
        HEADER,
        {
            "UPN": ["UN1", "UN2", "UN3", "UN4", "UN5", "UN1", "SINGLE1", "DUPLICATE1",
                    "DUPLICATE1", "DUPLICATE2", "DUPLICATE2"]
        },
        [7, 8, 9, 10],
    ),
    (
        "903-217t",
        EPISODES,
        {
            "PLACE": ["P2", "P2", "P2", "P1"],
            "DECOM": ["01/01/2023"] * 4,
            "DEC": ["01/11/2023", "28/10/2023", NA, "01/11/2023"],
        },
        [0, 2],
    ),
    (
        "903-178",
        EPISODES,
        {
            "PLACE_PROVIDER": ["PR0", "PR1", "", NA, "", NA, "pr4"],
            "PLACE": ["U1", "T0", "U2", "Z1", "T1", NA, "U1"],
        },
        [1, 2, 4, 6],
    ),
    (
        "903-355",
        EPISODES,
        {
            "DECOM": ["01/01/2000", "01/02/2000", "01/03/2000", "01/04/2000", "01/05/2000",
                      "01/06/2000", "04/05/2000"],
            "DEC": ["01/01/2000", "01/03/2000", NA, "01/04/2000", "03/05/2000", "01/06/2000",
                    "01/05/2000"],
        },
        [0, 3, 5],
    ),
    (
        "903-527",
        EPISODES,
        {
            "PLACE": ["P1", "A3", "K1", "R2", "P1", "X1"],
            "PLACE_PROVIDER": ["PR1", "PR3", "PR4", "PR1", "PR1", "PR1"],
        },
        [0, 3, 4],
    ),
    (
        "903-550",
        EPISODES,
        {
            "PLACE": ["P1", "P0", "T1", "T3", "T1", "P1", "P0"],
            "PLACE_PROVIDER": ["PR0", "PR2", "PR4", "PR0", NA, "PR0", "PR0"],
        },
        [3, 6],
    ),
    (
        "903-528",
        EPISODES,
        {
            "PLACE": ["P1", "A3", "K1", "P1", "P1", "R2"],
            "PLACE_PROVIDER": ["PR2", "PR3", "PR2", "PR4", "PR5", "PR2"],
        },
        [0, 5],
    ),
    (
        "903-529",
        EPISODES,
        {
            "PLACE_PROVIDER": ["PR0", "PR1", "PR3", "PR3", NA, "PR3"],
            "PLACE": ["U1", "U2", "U3", "T1", NA, "A3"],
        },
        [2, 5],
    ),
    (
        "903-530",
        EPISODES,
        {
            "PLACE": ["P1", "A3", "K1", "P1", "P1", "P1"],
            "PLACE_PROVIDER": ["PR4", "PR3", "PR4", "PR4", "PR5", "PRO"],
        },
        [0, 3],
    ),
    (
        "903-531",
        EPISODES,
        {
            "PLACE": ["P1", "A3", "K1", "P1", "P1", "P1"],
            "PLACE_PROVIDER": ["PR5", "PR3", "PR4", "PR4", "PR5", "PRO"],
        },
        [0, 4],
    ),
    (
        "903-501",
        EPISODES,
        {
            "CHILD": ["111", "111", "111", "111", "222", "333", "333", "444", "444", "444"],
            "DECOM": ["01/06/2020", "02/06/2020", "06/06/2020", "08/06/2020", "10/06/2020",
                      "04/06/2020", "05/06/2020", "08/06/2020", "08/06/2020", "15/06/2020"],
            "DEC": ["04/06/2020", "06/06/2020", NA, "09/06/2020", "11/06/2020", "07/06/2020",
                    NA, "09/06/2020", "10/06/2020", NA],
        },
        [1, 6, 8],
    ),
    (
        "903-380",
        EPISODES,
        {"RNE": ["S", "L", "P", "B", "P", NA], "PLACE": ["U1", "T0", "U2", "Z1", "T1", NA]},
        [1],
    ),
    (
        "903-381",
        EPISODES,
        {"REC": ["X1", "PR1", "X1", NA, "X1", NA], "PLACE": ["T3", "T0", "U2", "T2", "T1", NA]},
        [1],
    ),
    (
        "903-302",
        EPISODES,
        {
            "CHILD": ["101", "102", "101", "102", "103", "104", "104"],
            "DECOM": ["16/03/2021", "17/06/2020", "20/03/2020", NA, "23/08/2020", "01/02/1988",
                      "03/04/1994"],
            # the Header's DOB joined to each episode
            "DOB": ["16/03/2021", "23/09/2019", "16/03/2021", "23/09/2019", "31/12/2020",
                    "01/01/1995", "01/01/1995"],
        },
        [2, 4, 5],
    ),
    (
        "903-352",
        EPISODES,
        {
            "CHILD": ["101", "102", "101", "102", "103"],
            "RNE": ["S", "S", "X1", NA, "S"],
            "DECOM": ["16/03/2021", "17/06/2020", "20/03/2020", NA, "23/08/2020"],
            "DOB": ["16/03/2005", "23/09/2002", "16/03/2005", "23/09/2002", "31/12/2000"],
        },
        [4],
    ),
    (
        "903-365",
        EPISODES,
        {
            "CHILD": ["101", "101", "101", "2002", "2002", "2002", "2002", "2002"],
            "DECOM": ["01/01/2000", "01/01/2001", "20/12/2001", "01/01/2000", "10/01/2000",
                      "01/01/2002", "01/02/2002", "11/01/2002"],
            "DEC": ["01/01/2001", "20/12/2001", "12/01/2002", "10/01/2000", "23/01/2001",
                    "18/01/2002", "19/02/2002", "25/01/2002"],
            "LS": ["V3", "X", "V3", "V3", "X", "V3", "V3", "J2"],
        },
        [0, 2, 6],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "ref", "columns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule_flags_the_rows_the_dfe_validator_flags(
    rule: str, ref: str, columns: dict[str, list[Any]], expected: list[int]
) -> None:
    assert flagged(ref, rule, columns) == expected


def test_903_361_to_363_count_consecutive_episodes_and_open_ones_as_one_period() -> None:
    # Our own cases, from the reference's logic (its fixtures for 361-363 need its full
    # episode layout): back-to-back L2 episodes of 12 and 12 days are one 24-day order (over 21: both flagged);
    # an open L1 runs to the collection end (2025-03-31); an L1 of 3 days is within 72 hours.
    rows = flagged(
        EPISODES,
        "903-362",
        {
            "CHILD": ["1", "1", "2"],
            "LS": ["L2", "L2", "L2"],
            "DECOM": ["01/01/2025", "13/01/2025", "01/01/2025"],
            "DEC": ["13/01/2025", "25/01/2025", "13/01/2025"],
        },
    )
    assert rows == [0, 1]
    rows = flagged(
        EPISODES,
        "903-361",
        {
            "CHILD": ["1", "2"],
            "LS": ["L1", "L1"],
            "DECOM": ["25/03/2025", "01/01/2025"],
            "DEC": [NA, "04/01/2025"],
        },
    )
    assert rows == [0]


def test_903_141_flags_a_blank_start_where_the_reference_does_not() -> None:
    # Documented in the rule's reference_note: the DfE text ("not a valid date") and a
    # start every episode has; the reference skips blanks.
    assert flagged(EPISODES, "903-141", {"DECOM": ["01/01/2024", NA]}) == [1]
    note = next(r for r in load_suite(EPISODES).rules if r.rule == "903-141").reference_note
    assert note is not None
    assert "skips a blank DECOM" in note


def test_903_354_checks_the_end_as_the_rule_text_says_and_the_start_as_the_reference_does() -> None:
    # The reference's case (collection end 01/04/2021 there; 31/03/2025 for this suite): it
    # flags starts after the end. Our reading also flags an end after it (reference_note).
    rows = flagged(
        EPISODES,
        "903-354",
        {
            "DECOM": ["01/01/2025", "19/02/2010", "01/01/2026", "01/04/2025", NA, "01/03/2025"],
            "DEC": [NA, NA, NA, NA, NA, "02/04/2025"],
        },
    )
    assert rows == [2, 3, 5]


def test_903_146_accepts_k3_where_the_reference_has_a_lower_case_typo() -> None:
    rows = flagged(EPISODES, "903-146", {"PLACE": ["K3", "P2", "Z1", "Q9", NA]})
    assert rows == [3]
