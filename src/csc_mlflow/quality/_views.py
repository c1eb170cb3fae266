"""Derived columns: what a rule needs from other rows of the same child, computed once per
validation, vectorised (no Python loop over children), and then validated by GX like any
column. Each is named in a suite's ``derived:`` block and tested in ``tests/test_views.py``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

__all__ = ["collection_end", "derive"]


def collection_end(year: str | None) -> pd.Timestamp | None:
    """31 March of the collection year ``2024-25`` -> 2025-03-31 (None without a year)."""
    if not year:
        return None
    return pd.Timestamp(date(2000 + int(year[-2:]), 3, 31))


def derive(
    frame: pd.DataFrame, how: str, first: str, second: str, end: pd.Timestamp | None
) -> pd.Series:
    """The derived column ``how`` over ``frame`` (see ``quality._suite.DERIVATIONS``)."""
    if how in ("years_between", "days_between"):
        days = (pd.to_datetime(frame[second]) - pd.to_datetime(frame[first])).dt.days
        return days / 365.25 if how == "years_between" else days
    if how == "age_years":
        return _age_years(pd.to_datetime(frame[first]), pd.to_datetime(frame[second]))
    if how == "days_to_end":
        stop = pd.to_datetime(frame[second])
        if end is not None:
            stop = stop.fillna(end)
        return (stop - pd.to_datetime(frame[first])).dt.days
    if how == "period_days":
        return _period_days(frame, value=first, child=second, end=end)
    if how == "previous_end":
        return _previous_end(frame, child=first, start=second)
    if how == "first_of_child":
        return _first_of_child(frame, child=first, start=second)
    raise ValueError(f"unknown derivation {how!r}")


def _period_days(
    frame: pd.DataFrame, *, value: str, child: str, end: pd.Timestamp | None
) -> pd.Series:
    """Days from the start of each row's period to its end: consecutive episodes of a child
    with the same ``value``, each starting the day the one before ended, form one period; an
    open episode runs to the collection end. Rows without a start get no period."""
    start = pd.to_datetime(frame["DECOM"])
    stop = pd.to_datetime(frame["DEC"])
    if end is not None:
        stop = stop.fillna(end)
    ordered = pd.DataFrame(
        {"child": frame[child], "value": frame[value], "start": start, "stop": stop}
    ).sort_values(["child", "start"], kind="stable")
    continues = (
        ordered["child"].eq(ordered["child"].shift())
        & ordered["value"].eq(ordered["value"].shift())
        & ordered["start"].eq(ordered["stop"].shift())
    )
    period = (~continues).cumsum()
    first = ordered.groupby(period)["start"].transform("min")
    last = ordered.groupby(period)["stop"].transform("max")
    days = (last - first).dt.days.where(ordered["start"].notna())
    return days.reindex(frame.index)


def _first_of_child(frame: pd.DataFrame, *, child: str, start: str) -> pd.Series:
    """1 on each child's earliest episode (the first in the data on a tie), else 0; rows
    without a start are never first."""
    starts = pd.to_datetime(frame[start])
    earliest = starts.groupby(frame[child]).transform("min")
    first = starts.eq(earliest) & starts.notna()
    first &= ~(first & frame.duplicated([child, start]))
    return first.astype("int64")


def _age_years(born: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from ``born`` to ``on``, birthdays counted on the day (18 on the 18th
    birthday itself; 29 February birthdays fall on 1 March in other years)."""
    years = on.dt.year - born.dt.year
    before = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    age: pd.Series = (years - before.astype("int64")).where(born.notna() & on.notna())
    return age


def _previous_end(frame: pd.DataFrame, *, child: str, start: str) -> pd.Series:
    """The end (``DEC``) of the episode before each row's, for the same child in start order
    (the data's order on a tie); blank for a child's first episode or an open one before."""
    ordered = pd.DataFrame(
        {"child": frame[child], "start": pd.to_datetime(frame[start]), "end": frame["DEC"]}
    ).sort_values(["child", "start"], kind="stable")
    previous = pd.to_datetime(ordered["end"]).shift()
    previous = previous.where(ordered["child"].eq(ordered["child"].shift()))
    return previous.reindex(frame.index)
