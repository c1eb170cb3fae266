"""The derived columns rules read from other rows of the same child (``quality._views``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._views import collection_end, collection_start, derive, table_view

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


def test_neighbours_follow_start_order_within_a_child_only() -> None:
    frame = _episodes(
        CHILD=["a", "a", "b", "a"],
        DECOM=["2024-01-03", "2024-01-01", "2024-01-01", "2024-01-02"],
        LS=["V3", "V4", "C2", None],
    )
    previous = derive(frame, "previous_value", "LS", "CHILD", END)
    assert previous.isna().tolist() == [True, True, True, False]  # row 0 follows a blank LS
    assert previous.iloc[3] == "V4"
    nxt = derive(frame, "next_value", "LS", "CHILD", END)
    assert nxt.isna().tolist() == [True, True, True, False]
    assert nxt.iloc[3] == "V3"


def test_rows_and_values_of_child_count_and_list_a_childs_codes() -> None:
    frame = _episodes(CHILD=["a", "a", "a", "b"], PLACE=["T3", "T3", "U6", None])
    rows = derive(frame, "rows_of_child", "PLACE", "CHILD", END)
    assert rows.tolist()[:3] == [2, 2, 1]
    assert np.isnan(rows.iloc[3])
    values = derive(frame, "values_of_child", "PLACE", "CHILD", END)
    assert values.tolist() == ["|T3|U6|", "|T3|U6|", "|T3|U6|", "||"]


def test_collection_dates_and_later_birthdays() -> None:
    frame = _episodes(DOB=["2008-02-29", "2010-05-01"])
    start = collection_start("2024-25")
    assert start == pd.Timestamp("2024-04-01")
    assert derive(frame, "collection_start", "", "", END, start).tolist() == [start, start]
    assert derive(frame, "collection_end", "", "", END, start).tolist() == [END, END]
    later = derive(frame, "years_later", "DOB", "18", END)
    assert later.tolist() == [pd.Timestamp("2026-02-28"), pd.Timestamp("2028-05-01")]


def test_a_view_keeps_the_tables_rows_and_joins_the_childs_facts() -> None:
    episodes = pd.DataFrame({"CHILD": ["a", "b", "a", "z"]}, index=[7, 3, 9, 1])
    header = pd.DataFrame(
        {
            "CHILD": ["a", "b", "a"],
            "DOB": pd.to_datetime(["2010-01-01", "2011-01-01", "1999-01-01"]),
        }
    )
    last = pd.DataFrame(
        {
            "CHILD": ["a", "a"],
            "DECOM": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "PLACE": ["U1", "U6"],
        }
    )
    view = table_view(
        {"Episodes": episodes, "Header": header, "Episodes_last": last, "OC3": header},
        "Episodes",
        {
            "Header": {"DOB": "DOB"},
            "Episodes_last@latest": {"PLACE": "LY_PLACE"},
            "OC3@count": {"rows": "N_OC3"},
        },
    )
    assert view.index.tolist() == [7, 3, 9, 1]
    assert view["DOB"].tolist()[:3] == [
        pd.Timestamp("2010-01-01"),
        pd.Timestamp("2011-01-01"),
        pd.Timestamp("2010-01-01"),
    ]
    assert pd.isna(view["DOB"].iloc[3])
    assert view["LY_PLACE"].iloc[0] == "U6"
    assert view["LY_PLACE"].iloc[2] == "U6"
    assert pd.isna(view["LY_PLACE"].iloc[1])
    assert view["N_OC3"].tolist() == [2, 1, 2, 0]


def test_a_view_names_the_column_that_clashes() -> None:
    frame = pd.DataFrame({"CHILD": ["a"], "DOB": [None]})
    with pytest.raises(DataError, match="column 'DOB' exists in both; name it apart"):
        table_view({"OC2": frame, "Header": frame}, "OC2", {"Header": {"DOB": "DOB"}})


def test_a_view_lists_each_childs_values_of_another_table() -> None:
    header = pd.DataFrame({"CHILD": ["a", "b", "c"]})
    episodes = _episodes(CHILD=["a", "a", "b", "a"], LS=["V3", "C2", None, "V3"])
    view = table_view(
        {"Header": header, "Episodes": episodes}, "Header", {"Episodes@values": {"LS": "LSV"}}
    )
    assert view["LSV"].tolist() == ["|C2|V3|", "|?|", "||"]  # ? a blank, || no rows


def test_blank_rows_group_and_weekday_derivations() -> None:
    frame = pd.DataFrame(
        {"LAchildID": ["a", "a", "a", "b"], "CINdetailsID": ["1", "1", "2", "1"],
         "END": pd.to_datetime([None, None, None, "2024-06-01"])}
    )  # fmt: skip
    group = derive(frame, "group_of", "LAchildID", "CINdetailsID", END)
    assert group.tolist() == ["a|1", "a|1", "a|2", "b|1"]
    blank = derive(frame.assign(G=group), "blank_rows_of_child", "END", "G", END)
    assert blank.tolist() == [2, 2, 1, 0]
    by_child = derive(frame, "blank_rows_of_child", "END", "LAchildID", END)
    assert by_child.tolist() == [3, 3, 3, 0]
    days = pd.DataFrame({"D": pd.to_datetime(["2024-06-01", "2024-06-03", None])})
    weekday = derive(days, "weekday", "D", "", END)  # a Saturday, a Monday, blank
    assert weekday.tolist()[:2] == [5.0, 0.0]
    assert np.isnan(weekday.iloc[2])


def test_upn_check_follows_the_dfe_weights_and_leaves_other_shapes_to_other_rules() -> None:
    upns = ["A123456789012", "B123456789012", "T800000000000", "H800000000000", "A12", None,
            "AA23456789012"]  # fmt: skip
    checked = derive(pd.DataFrame({"UPN": upns}), "upn_check", "UPN", "", END)
    # 1*2 + 2*3 + ... + 2*13 = 368 = 23*16 + 0 -> A;  8*2 = 16 -> T (the guide's table)
    assert checked.tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert checked.iloc[4:].isna().all()  # other shapes: 1540, 1550 and the like judge them


def test_upper_compares_codes_regardless_of_case() -> None:
    frame = pd.DataFrame({"ETHNIC": ["nobt", "WBRI", None]})
    upper = derive(frame, "upper", "ETHNIC", "", END)
    assert upper.tolist()[:2] == ["NOBT", "WBRI"]
    assert pd.isna(upper.iloc[2])
