"""Derived columns: what a rule needs from other rows of the same child, computed once per
validation, vectorised (no Python loop over children), and then validated by GX like any
column. Each is named in a suite's ``derived:`` block and tested in ``tests/test_views.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from csc_mlflow._codes import UNREADABLE_SUFFIX
from csc_mlflow.exceptions import DataError

__all__ = ["LATEST_BY", "collection_end", "collection_start", "derive", "join_source", "table_view"]

LATEST_BY: Final = {
    "Episodes": "DECOM",
    "Missing": "MIS_START",
    "PlacedAdoption": "DATE_PLACED",
    "Reviews": "REVIEW",
}
"""The date that orders a child's rows, for ``Table@latest`` joins (last year's too)."""


def join_source(spec: str) -> tuple[str, str]:
    """``Episodes_last@latest`` -> (``Episodes_last``, ``latest``); plain names -> ``first``."""
    table, _, how = spec.partition("@")
    return table, how or "first"


def table_view(
    tables: Mapping[str, pd.DataFrame],
    table: str,
    join: Mapping[str, Mapping[str, str]],
    key: Sequence[str] = ("CHILD",),
) -> pd.DataFrame:
    """``table`` with, on every row, the facts of the same child from other tables.

    ``join`` maps a source to ``{column: name in the view}``. Sources: ``Header`` (the child's
    first row of that table), ``Episodes_last@latest`` (the child's row with the latest date of
    ``LATEST_BY``), ``OC3@count`` (``{rows: NAME}``: how many rows the child has there, 0 for
    none), ``Episodes@values`` (``{LS: NAME}``: every value the child has there, sorted, as
    ``|C2|V3|``; ``?`` for a blank, ``||`` for no rows). A source is matched on the columns of
    ``key`` it has (``LAchildID``, then ``CINdetailsID`` for a CIN episode's modules); one with
    none of them (the CIN Header) gives its first row to every row. The view keeps ``table``'s
    index and rows, one for one: a rule's verdict on a view row is its verdict on the table
    row.
    """
    base = tables[table]
    for column in key if join else ():
        if column not in base.columns:
            raise DataError(f"table {table} has no {column!r} column", column=column)
    view = base.copy(deep=False)
    for spec, columns in join.items():
        source, how = join_source(spec)
        other = tables[source]
        on = [k for k in key if k in other.columns]
        for column in [] if how == "count" else columns:
            if column not in other.columns:
                raise DataError(
                    f"table {source} has no {column!r} column; the {table} rules need it",
                    column=column,
                )
        if not on and source.removesuffix("_last") != "Header":
            raise DataError(
                f"table {source} has none of the key columns {', '.join(key)}; the {table} "
                "rules join it on them",
                column=key[0],
            )
        clash = [n for n in columns.values() if n in view.columns]
        if clash:
            raise DataError(
                f"joining {source} onto {table}: column {clash[0]!r} exists in both; name it "
                f"apart in the suite (join: {{{spec}: {{{clash[0]}: OTHER_NAME}}}})",
                column=clash[0],
            )
        if how == "count":
            counts = other.groupby(on).size().rename("_count")
            found = view[on].join(counts, on=on)["_count"] if on else len(other)
            for name in columns.values():
                view[name] = pd.Series(found, index=view.index).fillna(0).astype("int64")
            continue
        if how == "values":
            for column, name in columns.items():
                found = _values_by_key(other, on, column).rename(name)
                view = view.join(found, on=on)
                view[name] = view[name].fillna("||").astype(object)
            continue
        if not on:  # one row for the whole return (the CIN Header)
            for column, name in columns.items():
                value = other[column].iloc[0] if len(other) else None
                view[name] = pd.Series(
                    [value] * len(view), index=view.index, dtype=other[column].dtype
                )
            continue
        if how == "latest":
            order_by = LATEST_BY[source.removesuffix("_last")]
            order = pd.to_datetime(other[order_by]).rename("_order")
            rows = other.assign(_order=order).sort_values("_order", kind="stable")
            rows = rows.drop_duplicates(on, keep="last")
        else:
            rows = other.drop_duplicates(on, keep="first")
        facts = rows.set_index(on)[list(columns)].rename(columns=dict(columns))
        view = view.join(facts, on=on)
    return view


_CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upn_check(upn: pd.Series) -> pd.Series:
    """1 where a UPN of a letter and 12 digits has the right check letter (the digits weighted
    2 to 13, summed, modulo 23, as the DfE UPN guide says), 0 where it has not, blank where
    the UPN is not of that shape (other rules judge the shape)."""
    text = upn.astype("string")
    shaped = (text.str.len() == 13) & text.str.slice(1).str.fullmatch(r"[0-9]{12}")
    shaped = shaped.fillna(False).astype(bool)
    digits = text.where(shaped, "A000000000000")
    total = pd.Series(0, index=upn.index, dtype="int64")
    for position in range(1, 13):
        total += digits.str.get(position).astype("int64") * (position + 1)
    expected = (total % 23).map(dict(enumerate(_CHECK_LETTERS)))
    ok = (digits.str.get(0) == expected).astype("float64")
    return ok.where(shaped)


def _values_by_key(other: pd.DataFrame, on: list[str], column: str) -> pd.Series:
    """Every value of ``column`` per key, as ``|A|B|`` (``?`` a blank): a presence table of
    keys by value, joined value by value (codes are few), no loop over children."""
    values = other[column].astype("string").fillna("?")
    present = pd.crosstab([other[k] for k in on], values) > 0
    joined = pd.Series("|", index=present.index, dtype=object)
    for value in sorted(present.columns):
        joined = joined + present[value].map({True: f"{value}|", False: ""})
    return joined


def collection_end(year: str | None) -> pd.Timestamp | None:
    """31 March of the collection year ``2024-25`` -> 2025-03-31 (None without a year)."""
    if not year:
        return None
    return pd.Timestamp(date(2000 + int(year[-2:]), 3, 31))


def collection_start(year: str | None) -> pd.Timestamp | None:
    """1 April of the collection year ``2024-25`` -> 2024-04-01 (None without a year)."""
    if not year:
        return None
    return pd.Timestamp(date(2000 + int(year[-2:]) - 1, 4, 1))


def derive(
    frame: pd.DataFrame,
    how: str,
    first: str,
    second: str,
    end: pd.Timestamp | None,
    start: pd.Timestamp | None = None,
) -> pd.Series:
    """The derived column ``how`` over ``frame`` (see ``quality._suite.DERIVATIONS``)."""
    if how in ("collection_start", "collection_end"):
        day = start if how == "collection_start" else end
        if day is None:
            raise DataError(
                f"the suite compares dates with the collection year ({how}) but names no "
                "collection_year",
                key="collection_year",
            )
        return pd.Series(day, index=frame.index, dtype="datetime64[ns]")
    if how in ("previous_value", "next_value"):
        return _neighbour(
            frame, column=first, child=second, step=1 if how == "previous_value" else -1
        )
    if how == "rows_of_child":
        return (
            frame.groupby([second, first], dropna=False)[first]
            .transform("size")
            .where(frame[first].notna())
        )
    if how == "difference":
        return (
            pd.to_numeric(frame[first], errors="coerce")
            - pd.to_numeric(frame[second], errors="coerce")
        ).abs()
    if how == "upper":
        return frame[first].astype("string").str.upper().astype(object).where(frame[first].notna())
    if how == "upn_check":
        return _upn_check(frame[first])
    if how == "unreadable_date":
        marks = frame.get(f"{first}{UNREADABLE_SUFFIX}")
        if marks is None:  # parsed by the caller: every cell is a date or blank
            return pd.Series(0, index=frame.index, dtype="int64")
        return marks.fillna(0).astype("int64")
    if how == "blank_rows_of_child":
        blank = frame[first].isna().astype("int64")
        return blank.groupby(frame[second], dropna=False).transform("sum")
    if how == "group_of":
        return frame[first].astype("string") + "|" + frame[second].astype("string")
    if how == "weekday":
        return pd.to_datetime(frame[first]).dt.day_of_week.astype("float64")
    if how == "values_of_child":
        return _values_of_child(frame, column=first, child=second)
    if how == "years_later":
        return pd.to_datetime(frame[first]) + pd.DateOffset(years=int(second))
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


def _values_of_child(frame: pd.DataFrame, *, column: str, child: str) -> pd.Series:
    """Every value a child has in ``column``, sorted, as ``|V3|V4|`` (``||`` for none):
    a presence table of children by value, joined column by column (codes are few)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    children, _ = pd.factorize(frame[child])
    codes, values = pd.factorize(frame[column].astype("string"))
    known = (children >= 0) & (codes >= 0)  # a blank child or value is no value
    present = np.zeros((children.max() + 1, len(values)), dtype=bool)
    present[children[known], codes[known]] = True
    joined = np.full(len(present), "|", dtype=object)
    for value in sorted(range(len(values)), key=lambda i: str(values[i])):
        joined = joined + np.where(present[:, value], f"{values[value]}|", "")
    joined = np.where(present.any(axis=1), joined, "||")
    found = np.where(children >= 0, joined[np.maximum(children, 0)], "||") if len(joined) else "||"
    return pd.Series(found, index=frame.index, dtype=object)


def _start_column(frame: pd.DataFrame) -> str:
    """The date that orders a child's rows: DECOM, or the table's own start date."""
    for column in ("DECOM", *LATEST_BY.values()):
        if column in frame.columns:
            return column
    raise DataError("no start date to order the child's rows by (DECOM)", column="DECOM")


def _order(frame: pd.DataFrame, child: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in (child, start) order, and whether each ordered row's child is the
    one before's; kept on the frame's ``attrs`` so the sort runs once per view."""
    key = f"csc_order:{child}"
    cached = frame.attrs.get(key)
    if cached is not None and len(cached[0]) == len(frame):
        return cached  # type: ignore[no-any-return]
    start = _start_column(frame)
    keys = pd.DataFrame(
        {"child": frame[child].to_numpy(), "start": pd.to_datetime(frame[start]).to_numpy()}
    )
    positions = keys.sort_values(["child", "start"], kind="stable").index.to_numpy()
    children = keys["child"].to_numpy()[positions]
    same = np.r_[False, (children[1:] == children[:-1])]
    frame.attrs[key] = (positions, same)
    return positions, same


def _neighbour(frame: pd.DataFrame, *, column: str, child: str, step: int) -> pd.Series:
    """``column`` of the child's row before (``step`` 1) or after (-1), in start order (the
    data's order on a tie); blank at either end of a child's rows."""
    positions, same = _order(frame, child)
    key = f"csc_order_inverse:{child}"
    inverse = frame.attrs.get(key)
    if inverse is None or len(inverse) != len(frame):
        inverse = np.empty_like(positions)
        inverse[positions] = np.arange(len(positions))
        frame.attrs[key] = inverse
    # Taken in the column's own array type (no round trip through Python objects).
    shifted = pd.Series(frame[column].array.take(positions)).shift(step)
    linked = same if step == 1 else np.r_[same[1:], False]
    shifted = shifted.where(linked)
    return pd.Series(shifted.array.take(inverse), index=frame.index)


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
