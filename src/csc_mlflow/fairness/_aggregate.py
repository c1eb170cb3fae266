"""Confusion counts computed where the data lives: one GROUP BY in Spark or in SQL.

For a Spark DataFrame or a :class:`~csc_mlflow.SqlTable`, the engine groups the rows by the
sensitive columns, the label and the prediction and counts them (and sums the weights). Only
that table of counts comes back (a few hundred cells, however many rows), and the fairness
engine works on it exactly as on rows: each cell stands for its count of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd

from csc_mlflow._sources import SqlTable, collect_small, is_spark, table_columns
from csc_mlflow.exceptions import DataError

__all__ = ["COUNT", "WEIGHT", "aggregate", "is_elsewhere"]

COUNT: Final = "csc_rows"
WEIGHT: Final = "csc_weight"


def is_elsewhere(data: Any) -> bool:
    """Whether ``data`` is counted in its own engine (Spark or SQL)."""
    return is_spark(data) or isinstance(data, SqlTable)


def aggregate(
    data: Any,
    columns: Sequence[str],
    y_true: str,
    y_pred: str,
    weight: str | None = None,
) -> pd.DataFrame:
    """One row per distinct (sensitive columns, label, prediction) with its row count
    (:data:`COUNT`) and, with ``weight``, its weight sum (:data:`WEIGHT`)."""
    for what, column in (("y_true", y_true), ("y_pred", y_pred), ("sample_weight", weight)):
        if column is not None and not isinstance(column, str):
            raise DataError(
                f"with data in Spark or SQL, {what} is the name of its column; found "
                f"{type(column).__name__}",
                key=what,
            )
    wanted = list(dict.fromkeys([*columns, y_true, y_pred, *([weight] if weight else [])]))
    if is_spark(data):
        return _spark(data, wanted, columns, y_true, y_pred, weight)
    return _sql(data, wanted, columns, y_true, y_pred, weight)


def _missing(wanted: list[str], present: list[str], where: str) -> None:
    import difflib

    for column in wanted:
        if column not in present:
            close = difflib.get_close_matches(column, present, n=3)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise DataError(f"column {column!r} is missing from {where}.{hint}", column=column)


def _spark(
    frame: Any,
    wanted: list[str],
    columns: Sequence[str],
    y_true: str,
    y_pred: str,
    weight: str | None,
) -> pd.DataFrame:
    from pyspark.sql import functions as F

    _missing(wanted, [str(c) for c in frame.columns], "the Spark DataFrame")
    keys = list(dict.fromkeys([*columns, y_true, y_pred]))
    sums = [F.count(F.lit(1)).alias(COUNT)]
    if weight:
        sums.append(F.sum(F.col(weight).cast("double")).alias(WEIGHT))
        sums.append(F.count(F.col(weight)).alias("csc_weights_given"))
    cells = collect_small(frame.groupBy(*[F.col(k) for k in keys]).agg(*sums))
    return _checked(cells, weight)


def _sql(
    table: SqlTable,
    wanted: list[str],
    columns: Sequence[str],
    y_true: str,
    y_pred: str,
    weight: str | None,
) -> pd.DataFrame:
    import sqlalchemy as sa

    engine, described = table_columns(table)
    try:
        _missing(wanted, [str(c["name"]) for c in described], f"table {table.where!r}")
        source = sa.table(table.table, *[sa.column(c) for c in wanted], schema=table.schema)
        keys = [source.c[k] for k in dict.fromkeys([*columns, y_true, y_pred])]
        sums = [sa.func.count().label(COUNT)]
        if weight:
            sums.append(sa.func.sum(sa.cast(source.c[weight], sa.Float)).label(WEIGHT))
            sums.append(sa.func.count(source.c[weight]).label("csc_weights_given"))
        query = sa.select(*keys, *sums).group_by(*keys)
        with engine.connect() as connection:
            result = connection.execute(query)
            cells = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()
    return _checked(cells, weight)


def _checked(cells: pd.DataFrame, weight: str | None) -> pd.DataFrame:
    if cells.empty:
        raise DataError("the data has no rows: there is nothing to evaluate", key="data")
    if weight:
        if (cells["csc_weights_given"] != cells[COUNT]).any():
            raise DataError(
                "sample_weight holds missing values; every weight must be a finite number",
                key="sample_weight",
            )
        cells = cells.drop(columns="csc_weights_given")
    return cells
