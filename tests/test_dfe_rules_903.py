"""SSDA903 rules: our own cases beyond the DfE validator's (``test_dfe_reference.py`` runs
every one of its test cases), and the readings of the DfE rule text that differ from it, each
documented in the rule's ``reference_note``. Row positions are computed in the test only.
"""

from __future__ import annotations

from csc_mlflow.quality._suite import load_suite

from .dfe_cases import NA, flagged

HEADER = "ssda903/header@2024-25"
EPISODES = "ssda903/episodes@2024-25"


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


def test_903_388_orders_an_episode_without_a_start_last_among_the_childs() -> None:
    # reference_note: the reference orders it first (it fills a blank DECOM with 1901). Here an
    # X1 episode without a start is the child's last, so it has no continuation: flagged.
    rows = flagged(
        EPISODES,
        "903-388",
        {
            "CHILD": ["1", "1", "1"],
            "DECOM": ["01/01/2024", "01/02/2024", NA],
            "DEC": ["01/02/2024", NA, "05/03/2024"],
            "REC": ["X1", NA, "X1"],
        },
    )
    assert rows == [2]
    note = next(r for r in load_suite(EPISODES).rules if r.rule == "903-388").reference_note
    assert note is not None
    assert "01/01/1901" in note
