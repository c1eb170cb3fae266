"""The derived columns rules read from other rows of the same child (``quality._views``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_mlflow.quality._views import collection_end, derive

END = collection_end("2024-25")


def _episodes(**columns: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for column in ("DECOM", "DEC", "DOB"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def test_collection_end_is_31_march_of_the_second_year() -> None:
    assert collection_end("2024-25") == pd.Timestamp("2025-03-31")
    assert collection_end(None) is None


def test_period_days_joins_back_to_back_episodes_of_one_child_with_the_same_value() -> None:
    frame = _episodes(
        CHILD=["a", "a", "a", "b", "a"],
        LS=["L2", "L2", "C2", "L2", "L2"],
        DECOM=["2025-01-13", "2025-01-01", "2025-01-25", "2025-01-01", "2025-02-10"],
        DEC=["2025-01-25", "2025-01-13", "2025-02-10", "2025-01-05", None],
    )
    days = derive(frame, "period_days", "LS", "CHILD", END)
    # rows 0 and 1 (out of order in the frame) are one 24-day period; row 2 another status;
    # child b's own 4 days; row 4 starts after a C2 episode and is open to 2025-03-31.
    assert days.tolist() == [24, 24, 16, 4, 49]


def test_period_days_leaves_rows_without_a_start_blank() -> None:
    frame = _episodes(CHILD=["a"], LS=["L1"], DECOM=[None], DEC=["2025-01-01"])
    assert np.isnan(derive(frame, "period_days", "LS", "CHILD", END).iloc[0])


def test_days_to_end_runs_an_open_episode_to_the_collection_end() -> None:
    frame = _episodes(DECOM=["2025-03-01", "2025-03-01"], DEC=["2025-03-05", None])
    assert derive(frame, "days_to_end", "DECOM", "DEC", END).tolist() == [4, 30]


def test_first_of_child_marks_each_childs_earliest_episode_once() -> None:
    frame = _episodes(
        CHILD=["a", "a", "b", "b", "c"],
        DECOM=["2020-02-01", "2020-01-01", "2020-01-01", "2020-01-01", None],
    )
    assert derive(frame, "first_of_child", "CHILD", "DECOM", END).tolist() == [0, 1, 1, 0, 0]


def test_age_years_counts_the_birthday_itself() -> None:
    frame = _episodes(
        DOB=["2007-03-16", "2007-03-16", "2008-02-29", None],
        DECOM=["2025-03-16", "2025-03-15", "2026-02-28", "2025-01-01"],
    )
    ages = derive(frame, "age_years", "DOB", "DECOM", END)
    assert ages.tolist()[:3] == [18, 17, 17]
    assert np.isnan(ages.iloc[3])
