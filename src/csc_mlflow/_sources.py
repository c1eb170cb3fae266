"""Data that stays where it lives: a Spark DataFrame, or a table in a SQL database.

Data quality and fairness both take these; each runs its work inside the engine and brings
back counts only. Nothing here imports Spark or SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SqlTable", "collect_small", "is_spark", "sql_dialect", "table_columns"]


@dataclass(frozen=True)
class SqlTable:
    """A table (or view) in a SQL database, validated and counted where it is.

    ``url`` is a SQLAlchemy URL (``postgresql+psycopg://user:password@host:port/db``; the
    ``postgres`` extra brings the driver). ``order_by`` names the column that keeps the rows'
    order when a child's rows tie on their start date (the physical order, ``ctid``, by
    default on PostgreSQL).
    """

    url: str
    table: str
    schema: str | None = None
    order_by: str | None = None

    @property
    def where(self) -> str:
        """The table's name as a reviewer reads it (never the URL, which may hold a password)."""
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def __repr__(self) -> str:
        return f"SqlTable({self.where!r})"


def is_spark(frame: Any) -> bool:
    """Whether ``frame`` is a Spark DataFrame (classic or Connect), without importing Spark."""
    kind = type(frame)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.sql")


def sql_dialect(url: str) -> str:
    """The database a SQLAlchemy URL names (``postgresql``), or a clear error."""
    from csc_mlflow.exceptions import DataError

    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise DataError(
        f"{scheme!r} databases are not supported yet; PostgreSQL is "
        "(SqlTable('postgresql+psycopg://user:password@host:port/db', 'table'))",
        key="url",
    )


def collect_small(frame: Any) -> Any:
    """A small Spark result (counts, or a bounded head) as a pandas DataFrame, typed as pandas
    would type the same values: whole numbers as int64 (float64 with a blank), decimals as
    float64, dates as datetime64, anything else as objects. (PySpark's own ``toPandas`` uses
    keywords pandas 3 deprecates.)"""
    import pandas as pd

    fields = frame.schema.fields
    rows = frame.collect()
    columns = {}
    for i, field in enumerate(fields):
        values = [row[i] for row in rows]
        kind = type(field.dataType).__name__
        series = pd.Series(values, dtype=object)
        if kind in ("ByteType", "ShortType", "IntegerType", "LongType"):
            series = series.astype("float64" if series.isna().any() else "int64")
        elif kind in ("FloatType", "DoubleType", "DecimalType"):
            series = series.astype("float64")
        elif kind in ("DateType", "TimestampType", "TimestampNTZType"):
            series = pd.to_datetime(series)
        elif kind == "BooleanType" and not series.isna().any():
            series = series.astype(bool)
        columns[field.name] = series
    return pd.DataFrame(columns, columns=[f.name for f in fields])


def table_columns(table: SqlTable) -> tuple[Any, list[dict[str, Any]]]:
    """A SQLAlchemy engine for the table's database that keeps no connection open, and the
    table's columns as SQLAlchemy describes them (``name``, ``type``); a clear error when the
    database is unsupported or unreachable, or the table is not there."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from csc_mlflow.exceptions import DataError

    sql_dialect(table.url)
    engine = sa.create_engine(table.url, poolclass=NullPool)
    try:
        described = sa.inspect(engine).get_columns(table.table, schema=table.schema)
    except sa.exc.NoSuchTableError:
        described = []
    except sa.exc.SQLAlchemyError as exc:
        raise DataError(
            f"could not read table {table.where!r}: {type(exc).__name__}; check the URL and "
            "that the database is running",
            key="url",
        ) from None
    if not described:
        raise DataError(f"table {table.where!r} does not exist in the database", key="table")
    return engine, [dict(column) for column in described]
