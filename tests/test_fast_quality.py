"""The fast data-quality path gives exactly what plain Great Expectations gives.

``validate_frame``/``validate_return`` hand GX nanosecond dates and run it on an engine that
filters each distinct row condition once and compares columns within a row column by column;
``fast=False`` validates as GX does unaided. Every shipped suite of every year is run both
ways on scrambled returns (values moved between rows, blanks added, every defect planted), so
that many rules fail with many different counts, and every rule's counts must match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csc_mlflow.datasets import CIN_DEFECT_KINDS, DEFECT_KINDS, make_cin_census, make_ssda903
from csc_mlflow.quality import load_suite
from csc_mlflow.quality._engine import shared_domain_engine
from csc_mlflow.quality._return import validate_return
from csc_mlflow.quality._validate import run_suite, validate_frame
from csc_mlflow.quality._views import _values_of_child


def scrambled(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """Each table with a fifth of its cells taken from other rows and a twentieth blanked;
    SSDA903 Episodes with the placement columns the DfE derives from postcodes."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, table in tables.items():
        table = table.copy()
        n = len(table)
        if name == "Episodes":
            table["PL_DISTANCE"] = rng.choice([0.4, 3.5, 12.0], n)
            table["PL_LA"] = rng.choice(["E09000027", "E10000014"], n)
            table["PL_LOCATION"] = rng.choice(["IN", "OUT"], n)
        if name == "AD1" and 0 < n < 60:  # adoptions are rare: give sixty children one
            children = rng.choice(tables["Header"]["CHILD"].to_numpy(), 60, replace=False)
            table = table.iloc[np.arange(60) % n].assign(CHILD=children).reset_index(drop=True)
            n = len(table)
        for column in table.columns:
            if n < 2 or column in ("CHILD", "LAchildID", "CINdetailsID"):
                continue
            rows = rng.random(n) < 0.2
            donors = rng.integers(0, n, rows.sum())
            values = table[column].to_numpy(copy=True)
            values[rows] = values[donors]
            blanks = rng.random(n) < 0.05
            table[column] = values
            table.loc[blanks, column] = None
        out[name] = table
    return out


def assert_same(fast: object, plain: object) -> int:
    """Every rule's record identical both ways; how many rules failed."""
    failed = 0
    assert [r.suite.ref for r in fast.results] == [r.suite.ref for r in plain.results]  # type: ignore[attr-defined]
    for ours, theirs in zip(fast.results, plain.results, strict=True):  # type: ignore[attr-defined]
        assert ours.rows == theirs.rows
        for a, b in zip(ours.rules, theirs.rules, strict=True):
            assert a == b, (ours.suite.ref, a.rule)
        failed += len(ours.failed)
    return failed


@pytest.mark.parametrize("year", ["2023-24", "2024-25", "2025-26"])
def test_every_ssda903_rule_counts_the_same_as_plain_gx(year: str) -> None:
    data = make_ssda903(
        1500,
        seed=4,
        collection_year=year,
        defects=dict.fromkeys(set(DEFECT_KINDS) - {"single_adopter_as_couple"}, 1),
    )
    tables = scrambled(data.tables, seed=1)
    last = scrambled(data.last_year(), seed=2)
    fast = validate_return(tables, collection="903", year=year, last_year=last)
    plain = validate_return(tables, collection="903", year=year, last_year=last, fast=False)
    assert not fast.not_run
    assert len(fast.results) >= 15
    assert assert_same(fast, plain) >= 40  # a comparison of many failing rules, not passes


@pytest.mark.parametrize("year", ["2024-25", "2025-26"])
def test_every_cin_rule_counts_the_same_as_plain_gx(year: str) -> None:
    data = make_cin_census(300, year=year, seed=5, defects=dict.fromkeys(CIN_DEFECT_KINDS, 3))
    tables = scrambled(data.tables, seed=3)
    fast = validate_return(tables, collection="cin", year=year)
    plain = validate_return(tables, collection="cin", year=year, fast=False)
    assert len(fast.results) == 9
    assert assert_same(fast, plain) >= 20


UNIQUE_SUITE = """
name: test/unique
columns: {{A: text, B: text, C: text}}
expectations:
- type: expect_select_column_values_to_be_unique_within_record
  kwargs: {{column_list: {columns}, ignore_row_if: {ignore}}}
  meta: {{rule: T-1, severity: error, description: The values of a row differ.}}
"""


@pytest.mark.parametrize(
    "dtype", ["str", object, "category", "string[python]"], ids=["str", "object", "cat", "NA"]
)
@pytest.mark.parametrize(
    ("columns", "ignore"),
    [("[A, B]", "all_values_are_missing"), ("[A, B, C]", "never"), ("[A, B]", "never")],
)
def test_values_within_a_row_are_compared_as_gx_compares_them(
    dtype: object, columns: str, ignore: str, tmp_path: Path
) -> None:
    path = tmp_path / "unique.yaml"
    path.write_text(UNIQUE_SUITE.format(columns=columns, ignore=ignore))
    suite = load_suite(path)
    rng = np.random.default_rng(0)
    n = 400
    first = rng.choice(["AB1 2CD", "EF3 4GH", None], n)
    second = np.where(rng.random(n) < 0.5, first, rng.choice(["AB1 2CD", None, np.nan], n))
    third = np.where(rng.random(n) < 0.3, second, rng.choice(["EF3 4GH", None], n))
    frame = pd.DataFrame(
        {c: pd.array(v, dtype=dtype) for c, v in zip("ABC", (first, second, third), strict=True)}
    )
    for data in (frame, frame.assign(B=frame["B"].astype(object))):  # mixed dtypes: GX's way
        fast, plain = (run_suite(data, suite, shared=s)[0] for s in (True, False))
        assert (fast["success"], fast["result"]) == (plain["success"], plain["result"])
        assert plain["result"]["unexpected_count"] > 0


def test_the_engine_filters_each_row_condition_once_per_validation() -> None:
    data = make_ssda903(300, seed=2)
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
    suite = load_suite("ssda903/episodes@2024-25")
    engine = shared_domain_engine()
    calls: list[str] = []
    widths: list[int] = []
    parent = engine.__mro__[1]._apply_row_condition_filter

    def counting(self: object, data: pd.DataFrame, condition: object, kwargs: dict) -> object:
        calls.append(repr(condition))
        widths.append(data.shape[1])
        return parent(self, data, condition, kwargs)

    original = engine.__mro__[1]._apply_row_condition_filter
    engine.__mro__[1]._apply_row_condition_filter = counting  # count GX's own filtering
    try:
        validate_frame(episodes, suite)
    finally:
        engine.__mro__[1]._apply_row_condition_filter = original
    conditions = {
        str(r.kwargs["row_condition"]) for r in suite.rules if "row_condition" in r.kwargs
    }
    assert len(calls) == len(set(calls)) == len(conditions)
    # Each filtering carries only the columns read under its condition (GX is given 40-odd).
    assert max(widths) <= 16
    assert sum(widths) / len(widths) < 5, widths


def _values_of_child_by_crosstab(frame: pd.DataFrame, column: str, child: str) -> pd.Series:
    present = pd.crosstab(frame[child], frame[column].astype("string")) > 0
    joined = pd.Series("|", index=present.index, dtype=object)
    for value in sorted(present.columns):
        joined = joined + present[value].map({True: f"{value}|", False: ""})
    return frame[child].map(joined).astype(object).where(frame[child].map(joined).notna(), "||")


def test_values_of_child_matches_the_presence_table_it_replaces() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 60))
        frame = pd.DataFrame(
            {
                "CHILD": pd.array(rng.choice(["a", "b", "c", None], n), dtype="str"),
                "LS": pd.array(rng.choice(["V1", "V3", "C2", None, "V10"], n), dtype="str"),
            },
            index=rng.permutation(n) + 5,
        )
        expected = _values_of_child_by_crosstab(frame, "LS", "CHILD")
        assert _values_of_child(frame, column="LS", child="CHILD").equals(expected)
    assert _values_of_child(frame.iloc[:0], column="LS", child="CHILD").empty
