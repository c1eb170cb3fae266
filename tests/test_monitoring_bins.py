"""Bins for monitoring: declared labels only, and merging that never leaves a small count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csc_mlflow._policy import MonitoredFeature
from csc_mlflow.datasets import make_monitoring_batch
from csc_mlflow.exceptions import UsageError
from csc_mlflow.monitoring._bins import NOT_LISTED, bin_column, merge_small
from csc_mlflow.monitoring._drift import holm


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=12).flatmap(
        lambda first: st.tuples(
            st.just(first),
            st.lists(st.integers(0, 40), min_size=len(first), max_size=len(first)),
        )
    ),
    st.booleans(),
    st.integers(1, 10),
)
def test_merged_bins_hold_no_small_count(
    counts: tuple[list[int], list[int]], ordered: bool, limit: int
) -> None:
    arrays = [np.array(c) for c in counts]
    groups = merge_small(arrays, ordered=ordered, limit=limit)
    assert sorted(i for g in groups for i in g) == list(range(len(arrays[0])))
    for group in groups:
        if ordered:
            assert group == list(range(group[0], group[-1] + 1))  # only neighbours merge
        if len(groups) > 1:
            for array in arrays:
                total = int(array[group].sum())
                assert total == 0 or total > limit


def test_undeclared_values_never_become_labels() -> None:
    frame = pd.DataFrame({"cin": ["N1", "N2", "ZQXSECRET", None, " ", "N1"]})
    binned = bin_column("cin", MonitoredFeature(column="cin", values=("N1", "N2")), frame)
    assert binned.labels == ("N1", "N2", NOT_LISTED, "Not recorded")
    assert binned.counts().tolist() == [2, 1, 1, 2]
    categorical = bin_column(
        "cin", MonitoredFeature(column="cin", values=("N1", "N2")), frame.astype("category")
    )
    assert categorical.counts().tolist() == [2, 1, 1, 2]


def test_numeric_bins_are_named_from_the_declared_edges() -> None:
    frame = pd.DataFrame({"age": [0.5, 1.0, 4.99, 17.0, np.nan]})
    binned = bin_column("age", MonitoredFeature(column="age", bins=(1, 5, 16)), frame)
    assert binned.labels == (
        "Under 1",
        "1 to under 5",
        "5 to under 16",
        "16 and over",
        "Not recorded",
    )
    assert binned.counts().tolist() == [1, 2, 0, 1, 1]


def test_holm_matches_its_definition() -> None:
    raw = [0.01, 0.04, None, 0.03, 0.5]
    assert holm(raw) == pytest.approx([0.04, 0.09, None, 0.09, 0.5])


def test_monitoring_batches_plant_exactly_what_they_say() -> None:
    stable = make_monitoring_batch(800, seed=4)
    assert stable.attrs["planted"] == {}
    mix = make_monitoring_batch(800, seed=4, cin_mix={"N4": 1.0})
    assert set(mix["cin"]) == {"N4"}
    moved = make_monitoring_batch(800, seed=4, placement_shift=1.0)
    assert not moved["place_latest"].isin(["U1", "U2", "U3", "U4", "U5", "U6"]).any()
    assert (
        moved.attrs["planted"]["placement_shift"]
        == stable["place_latest"].str.startswith("U").sum()
    )
    shifted = make_monitoring_batch(800, seed=4, group_shift={"Black": 2})
    members = shifted.attrs["planted"]["group_shift.Black"]
    assert (shifted["n_episodes"] - stable["n_episodes"]).sum() == 2 * members
    for bad in ({"cin_mix": {"Z9": 1.0}}, {"placement_shift": 1.5}, {"group_shift": {"Green": 1}}):
        with pytest.raises(UsageError):
            make_monitoring_batch(100, **bad)


def test_the_disclosure_attacker_finds_what_a_careless_record_would_give_away() -> None:
    from .disclosure_audit import monitoring_recoveries

    profile = {
        "count": 40,
        "suppress_counts_up_to": 5,
        "features": [
            {
                "feature": "cin",
                "bins": [{"labels": ["N1"], "count": 37}, {"labels": ["N2"], "count": 3}],
            }
        ],
        "groups": [],
    }
    assert monitoring_recoveries("csc.reference_profile", profile) == ["cin/('N2',): 3"]
    hidden = {
        "count": 22,
        "drift": [
            {"feature": "prediction", "bins": [[["Not flagged"], 30, 11], [["Flagged"], 10, 11]]}
        ],
        "groups": [
            {
                "feature": "sex",
                "groups": [
                    {
                        "group": "Male",
                        "count": 18,
                        "metrics": {"selection_rate": {"value": 9 / 18}},
                    },
                    {"group": "Female", "count": "c", "metrics": None},
                    {"group": "Other", "count": "c", "metrics": None},
                ],
            }
        ],
    }
    found = monitoring_recoveries("csc.monitoring", hidden)
    assert any("hidden" in f for f in found), found
