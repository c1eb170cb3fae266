"""The same suites where the data lives: a Spark DataFrame, or a table in a SQL database.

Each is validated by Great Expectations' own Spark or SQL engine over one query
(``quality._sqlplan``) that adds the suite's derived columns and row-condition flags inside
the engine. No row comes back to Python: only GX's counts, scrubbed to the same allowlist as
the pandas path, and a row count. Checks before validation (a missing column, an empty table,
dates held as text, a suite for another year) raise the same errors as for pandas.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import threading
import uuid
from typing import Any, Final

from csc_mlflow._sources import SqlTable, collect_small, is_spark, sql_dialect, table_columns
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._sqlplan import POSTGRES, ROW, SPARK, Dialect, SuitePlan, plan_suite
from csc_mlflow.quality._suite import Suite, quiet_gx
from csc_mlflow.quality._validate import (
    RESULT_FORMAT,
    VALIDATING,
    DataQualityResult,
    gx_context,
    raw_results,
    rule_results,
)
from csc_mlflow.quality._validate import validate_frame as validate_pandas
from csc_mlflow.quality._views import collection_end, collection_start

__all__ = ["validate_elsewhere", "validate_frame"]

_lock = threading.Lock()
_gx_suites: dict[str, Any] = {}
_sources: dict[str, Any] = {}


def validate_frame(
    frame: Any,
    suite: Suite,
    *,
    block_on: str = "error",
    collection_year: str | None = None,
    fast: bool = True,
) -> DataQualityResult:
    """Validate a pandas DataFrame, a Spark DataFrame or a :class:`~csc_mlflow.SqlTable`
    against ``suite``, each where it lives, and reduce every result to counts (the same counts
    for the same data in every engine). ``fast`` is the pandas path's (see
    ``quality._validate.validate_frame``)."""
    found = validate_elsewhere(frame, suite, block_on=block_on, collection_year=collection_year)
    if found is not None:
        return found
    return validate_pandas(
        frame, suite, block_on=block_on, collection_year=collection_year, fast=fast
    )


def validate_elsewhere(
    data: Any, suite: Suite, *, block_on: str, collection_year: str | None
) -> DataQualityResult | None:
    """Validate a Spark DataFrame or a :class:`SqlTable` (None for anything else)."""
    if is_spark(data):
        return _validate_spark(data, suite, block_on=block_on, collection_year=collection_year)
    if isinstance(data, SqlTable):
        return _validate_sql(data, suite, block_on=block_on, collection_year=collection_year)
    return None


def _check_year(suite: Suite, collection_year: str | None) -> None:
    if collection_year and suite.collection_year and collection_year != suite.collection_year:
        raise DataError(
            f"suite {suite.ref} is written for collection year {suite.collection_year} but the "
            f"data is for {collection_year}; use {suite.name}@{collection_year}",
            key="collection_year",
        )


def _check_columns(suite: Suite, present: list[str], where: str) -> None:
    for column in suite.required_columns():
        if column not in present:
            close = difflib.get_close_matches(column, present, n=3)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise DataError(
                f"column {column!r} is missing from {where}: suite {suite.ref} needs it.{hint} "
                f"It needs: {', '.join(suite.required_columns())}.",
                column=column,
            )


def _period(suite: Suite) -> tuple[Any, Any]:
    start, end = collection_start(suite.collection_year), collection_end(suite.collection_year)
    return (
        None if start is None else start.date(),
        None if end is None else end.date(),
    )


def _expectations(suite: Suite, plan: SuitePlan, engine: str) -> Any:
    """The GX suite for ``suite`` with each row condition read from its flag column."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    from csc_mlflow.quality._suite import build, expectation_classes

    flags = dict(plan.flags)
    content = repr([(r.rule, r.type, sorted(r.kwargs.items())) for r in suite.rules])
    key = f"{engine}-{suite.name}@{suite.collection_year}-"
    key += hashlib.sha256(content.encode()).hexdigest()[:20]
    with _lock:
        if key not in _gx_suites:
            classes = expectation_classes()
            expectations = []
            for i, rule in enumerate(suite.rules):
                kind, kwargs = plan.rewritten.get(i, (rule.type, dict(rule.kwargs)))
                kwargs = dict(kwargs)
                text = kwargs.pop("row_condition", None)
                kwargs.pop("condition_parser", None)
                if isinstance(text, str):
                    kwargs["row_condition"] = Column(flags[text]) == 1
                expectations.append(
                    build(
                        classes[kind],
                        kwargs,
                        suite.columns,
                        meta={"rule": rule.rule, "csc_index": i},
                    )
                )
            with quiet_gx():
                _gx_suites[key] = gx_context().suites.add(
                    gx.ExpectationSuite(name=key, expectations=expectations)
                )
        return _gx_suites[key]


def _validate(batch_definition: Any, parameters: dict[str, Any], expectations: Any) -> Any:
    with VALIDATING, quiet_gx():
        batch = batch_definition.get_batch(batch_parameters=parameters)
        return batch.validate(expectations, result_format=RESULT_FORMAT)


# -- Spark -----------------------------------------------------------------------------------

_DATE_TYPES: Final = ("DateType", "TimestampType", "TimestampNTZType")


def _validate_spark(
    frame: Any, suite: Suite, *, block_on: str, collection_year: str | None
) -> DataQualityResult:
    from pyspark.sql import functions as F

    _check_year(suite, collection_year)
    present = [str(c) for c in frame.columns]
    _check_columns(suite, present, "the Spark DataFrame")
    types = {field.name: type(field.dataType).__name__ for field in frame.schema.fields}
    for column, kind in suite.columns.items():
        if kind == "date" and column in types and types[column] not in (*_DATE_TYPES, "NullType"):
            raise DataError(
                f"column {column!r} holds {types[column].removesuffix('Type').lower()}, not "
                f"dates; parse it first, e.g. df.withColumn({column!r}, "
                f"F.to_date({column!r}, 'dd/MM/yyyy'))",
                column=column,
            )
    rows = int(frame.count())
    if rows == 0:
        raise DataError(
            f"the dataset is empty (0 rows); suite {suite.ref} has nothing to check. "
            "Check the extract or the filter that produced it.",
            key="data",
        )
    spark = frame.sparkSession
    ordered = frame.withColumn(ROW, F.monotonically_increasing_id())
    view = f"csc_mlflow_{uuid.uuid4().hex}"
    ordered.createOrReplaceTempView(view)
    start, end = _period(suite)
    plan = plan_suite(suite, [*present, ROW], SPARK, start=start, end=end)
    prepared = spark.sql(plan.query(SPARK.quote(view), SPARK, [*present, ROW]))
    if plan.orders_rows:
        # GX reads the rows once per metric; kept (in the executors, spilling to disk), they
        # are numbered once, so a child's tied rows keep one order in every pass, and the
        # windows run once.
        from pyspark import StorageLevel

        prepared = prepared.persist(StorageLevel.MEMORY_AND_DISK)
    expectations = _expectations(suite, plan, "spark")
    try:
        outcome = _validate(_spark_batches(), {"dataframe": prepared}, expectations)
    finally:
        spark.catalog.dropTempView(view)
        if plan.orders_rows:
            prepared.unpersist()
    return DataQualityResult(
        suite=suite,
        rows=rows,
        rules=rule_results(suite, raw_results(outcome, suite)),
        block_on=block_on,
    )


def _spark_batches() -> Any:
    with _lock:
        if "spark" not in _sources:
            context = gx_context()
            source = context.data_sources.add_spark("csc_mlflow_spark")
            asset = source.add_dataframe_asset("frame")
            _sources["spark"] = asset.add_batch_definition_whole_dataframe("whole")
        return _sources["spark"]


def spark_digest(frame: Any) -> str:
    """The digest MLflow gives the same data as a pandas DataFrame (``compute_pandas_digest``:
    its first 10,000 rows, its row count and its column names), so one extract has one digest
    whichever engine holds it. Only those first rows come to the driver."""
    import numpy as np
    import pandas as pd
    from mlflow.data.digest_utils import MAX_ROWS, get_normalized_md5_digest
    from pyspark.sql import functions as F

    text = [
        f.name
        for f in frame.schema.fields
        if type(f.dataType).__name__ in ("StringType", "VarcharType", "CharType")
    ]
    # MLflow keeps a text column only if every value of the whole frame is a string.
    counts = frame.select(
        F.count(F.lit(1)).alias("csc_rows"),
        *[F.count(F.when(F.col(c).isNull(), 1)).alias(f"csc_null_{i}") for i, c in enumerate(text)],
    ).first()
    head = collect_small(frame.limit(MAX_ROWS))
    strings = [c for i, c in enumerate(text) if counts[f"csc_null_{i}"] == 0]
    numbers = [str(c) for c in head.select_dtypes(include=[np.number]).columns]
    kept = head[sorted(set(strings) | set(numbers))]  # pandas' Index.union sorts too
    return str(
        get_normalized_md5_digest(
            [pd.util.hash_pandas_object(kept).values, np.int64(counts["csc_rows"])]
            + [str(x).encode() for x in head.columns]
        )
    )


# -- SQL -------------------------------------------------------------------------------------


def _dialect(url: str) -> Dialect:
    sql_dialect(url)  # a clear error for a database not supported yet
    return POSTGRES


def sql_digest(table: SqlTable) -> str:
    """The digest MLflow would give the table read into pandas (as :func:`spark_digest`):
    its first 10,000 rows in ``order_by`` (or physical) order, its row count, its columns."""
    import numpy as np
    import pandas as pd
    import sqlalchemy as sa
    from mlflow.data.digest_utils import MAX_ROWS, get_normalized_md5_digest

    _dialect(table.url)
    engine, _ = table_columns(table)
    q = POSTGRES.quote
    qualified = f"{q(table.schema)}.{q(table.table)}" if table.schema else q(table.table)
    order = q(table.order_by) if table.order_by else "ctid"
    with engine.connect() as connection:
        head = pd.read_sql(
            sa.text(f"SELECT * FROM {qualified} ORDER BY {order} LIMIT {MAX_ROWS}"), connection
        )
        text = [str(c) for c in head.columns if not pd.api.types.is_numeric_dtype(head[c])]
        nulls = ", ".join(f"COUNT(*) - COUNT({q(c)})" for c in text)
        found = connection.execute(
            sa.text(f"SELECT COUNT(*){', ' + nulls if nulls else ''} FROM {qualified}")
        ).one()
    rows, blanks = int(found[0]), dict(zip(text, found[1:], strict=True))
    strings = [
        c for c in text if blanks[c] == 0 and all(isinstance(v, str) for v in head[c].tolist())
    ]
    numbers = [str(c) for c in head.select_dtypes(include=[np.number]).columns]
    kept = head[sorted(set(strings) | set(numbers))]  # pandas' Index.union sorts too
    return str(
        get_normalized_md5_digest(
            [pd.util.hash_pandas_object(kept).values, np.int64(rows)]
            + [str(x).encode() for x in head.columns]
        )
    )


def _validate_sql(
    table: SqlTable, suite: Suite, *, block_on: str, collection_year: str | None
) -> DataQualityResult:
    import sqlalchemy as sa

    dialect = _dialect(table.url)
    _check_year(suite, collection_year)
    engine, described = table_columns(table)
    where = table.where
    present = [str(c["name"]) for c in described]
    _check_columns(suite, present, f"table {where!r}")
    for column in described:
        name = str(column["name"])
        if suite.columns.get(name) == "date" and not isinstance(
            column["type"], sa.Date | sa.DateTime
        ):
            raise DataError(
                f"column {name!r} of table {where!r} holds {column['type']}, not dates; "
                f"store it as DATE (ALTER TABLE ... ALTER COLUMN {name} TYPE date USING ...)",
                column=name,
            )
    q = dialect.quote
    qualified = f"{q(table.schema)}.{q(table.table)}" if table.schema else q(table.table)
    with engine.connect() as connection:
        rows = int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {qualified}")).scalar_one())
    if rows == 0:
        raise DataError(
            f"table {where!r} is empty (0 rows); suite {suite.ref} has nothing to check.",
            key="data",
        )
    order = q(table.order_by) if table.order_by else "ctid"
    own = ", ".join(q(c) for c in present)
    numbered = f"(SELECT {own}, ROW_NUMBER() OVER (ORDER BY {order}) AS {q(ROW)} FROM {qualified})"
    start, end = _period(suite)
    plan = plan_suite(suite, [*present, ROW], dialect, start=start, end=end)
    query = plan.query(f"{numbered} AS csc_source", dialect, [*present, ROW])
    expectations = _expectations(suite, plan, "sql")
    # A datasource of its own for each validation: GX's SQL engine keeps what it learnt of
    # one table's columns (matching names without regard to case), which misnames a column
    # of the next table that differs only in case ('Sex' in CIN, 'SEX' in SSDA903).
    context = gx_context()
    name = f"csc_mlflow_sql_{uuid.uuid4().hex}"
    try:
        with quiet_gx():
            source = context.data_sources.add_postgres(name, connection_string=table.url)
        batches = source.add_query_asset("rows", query=query).add_batch_definition_whole_table(
            "whole"
        )
        outcome = _validate(batches, {}, expectations)
    finally:
        with contextlib.suppress(LookupError, ValueError):
            made = context.data_sources.get(name)
            made.get_execution_engine().close()  # its pooled connections, and ...
            made.get_engine().dispose()  # ... those of the engine it tested the URL with
            context.data_sources.delete(name)
    return DataQualityResult(
        suite=suite,
        rows=rows,
        rules=rule_results(suite, raw_results(outcome, suite)),
        block_on=block_on,
    )
