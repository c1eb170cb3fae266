"""Start and stop Spark in local mode on 127.0.0.1 for the tests that validate data where it
lives (Java 17 from Debian's ``openjdk-17-jre-headless``; ``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from typing import Any

from .server import free_port


def start_spark(cores: int = 2) -> Any:
    """A local SparkSession bound to loopback: no UI, no progress bars, UTC, few partitions.

    Stop it with ``session.stop()``.
    """
    if shutil.which("java") is None:
        raise RuntimeError(
            "Java is not installed: install Debian's 'openjdk-17-jre-headless' (.ci/run does)"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # never another interface
    scratch = tempfile.mkdtemp(prefix="csc-spark-")
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("csc-mlflow-tests")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.port", str(free_port()))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(cores * 2))
            # PySpark's Arrow conversion trips over pandas 3.1's deprecations; rows go over
            # py4j instead (slower, the same values).
            .config("spark.sql.execution.arrow.pyspark.enabled", "false")
            .config("spark.local.dir", scratch)
            .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_frame(session: Any, frame: Any) -> Any:
    """A pandas frame as a Spark DataFrame (pandas 3's note silenced)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import pandas as pd

        frame = frame.reset_index(drop=True)
        # Blanks as nulls: without Arrow, a NaN in a text column would arrive as the text 'NaN'.
        columns = []
        for name in frame.columns:
            series = frame[name]
            blank = series.isna().to_numpy()
            if pd.api.types.is_datetime64_any_dtype(series.dtype):
                values = list(series.dt.to_pydatetime())
            else:
                values = series.astype(object).tolist()
            columns.append([None if b else v for v, b in zip(values, blank, strict=True)])
        rows = list(zip(*columns, strict=True))
        return session.createDataFrame(rows, schema=_schema(frame))


def _schema(frame: Any) -> Any:
    """Each column's Spark type from its pandas dtype (a column of blanks is still its type)."""
    import pandas as pd
    from pyspark.sql import types as T

    fields = []
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            kind: Any = T.TimestampType()
        elif pd.api.types.is_bool_dtype(dtype):
            kind = T.BooleanType()
        elif pd.api.types.is_integer_dtype(dtype):
            kind = T.LongType()
        elif pd.api.types.is_float_dtype(dtype):
            kind = T.DoubleType()
        else:
            kind = T.StringType()
        fields.append(T.StructField(str(name), kind, nullable=True))
    return T.StructType(fields)
