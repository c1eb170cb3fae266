"""Data quality and fairness on 10,000,000 rows: Spark local mode against pandas, one machine.

The same SSDA903 Header table (the 2024-25 suite's 12 rules; ethnicity, sex and age band with
an intersection for fairness) at 1,000,000 and 10,000,000 rows, in Parquet. Each engine runs in
a process of its own, so each peak is its own:

- **pandas**: read the Parquet file into memory, ``validate_frame`` (GX's pandas engine) and
  ``compute_fairness`` on the rows.
- **Spark** (``local[2]``, 4 GB of heap): read the same file, ``validate_frame`` on the Spark
  DataFrame (GX's Spark engine over the suite's SQL) and fairness from one GROUP BY
  (``fairness._aggregate``). No row comes to the driver: its Python process's peak memory
  should be flat from 1M to 10M rows.

Printed side by side: seconds for data quality and fairness (reading excluded), the Python
driver's peak resident memory, and the JVM's peak for Spark; then the ratios. Every run checks
that Spark's rule counts and fairness record equal the pandas ones.

Run: python benchmarks/scale.py [--rows 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"

POLICY = """
version: 1
project: {name: bench-scale, owner: Bench}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
    sex: {column: SEX}
    age: {column: DOB, age_bands: [0, 5, 10, 16]}
  intersections: [[ethnicity, sex]]
  insufficient_evidence: warn
  required: false
"""
SUITE = "ssda903/header@2024-25"
AGE_AT = "2025-03-31"


def session(memory: str = "4g"):  # type: ignore[no-untyped-def]
    import warnings

    warnings.filterwarnings("ignore")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def make_data(rows: int, path: Path) -> None:
    """``rows`` Header rows in Parquet: 200,000 synthetic children (``make_ssda903``, with
    planted defects) repeated with new ids, each with a label and a prediction drawn from a
    hash of its id (a higher prediction rate for one group)."""
    import pandas as pd

    from csc_mlflow.datasets import make_ssda903

    base = make_ssda903(
        200_000, seed=3, collection_year="2024-25", defects={"invalid_ethnicity": 40}
    ).tables["Header"]
    seed = path.with_suffix(".seed.parquet")
    pd.DataFrame(base).to_parquet(seed, index=False)
    spark = session()
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(seed))
    copies = -(-rows // len(base))
    repeated = frame.crossJoin(spark.range(copies).withColumnRenamed("id", "copy"))
    repeated = repeated.withColumn("CHILD", F.concat_ws("-", "CHILD", F.col("copy").cast("string")))
    draw = F.abs(F.xxhash64("CHILD")) % 1000
    repeated = (
        repeated.withColumn("label", (draw < 300).cast("int"))
        .withColumn(
            "pred",
            F.when(F.col("ETHNIC").isin("BAFR", "BCRB"), (draw < 420)).otherwise(draw < 330),
        )
        .withColumn("pred", F.col("pred").cast("int"))
        .drop("copy")
        .limit(rows)
    )
    repeated.repartition(8).write.mode("overwrite").parquet(str(path))
    spark.stop()


def run_pandas(path: Path) -> dict[str, object]:
    import pandas as pd

    from csc_mlflow._policy_io import load_policy
    from csc_mlflow.fairness import compute_fairness
    from csc_mlflow.quality import load_suite, validate_frame

    policy = load_policy(_policy_file())
    suite = load_suite(SUITE)
    frame = pd.read_parquet(path)
    start = time.perf_counter()
    quality = validate_frame(frame, suite)
    middle = time.perf_counter()
    fairness = compute_fairness(
        frame["label"], frame["pred"], frame, fairness=policy.fairness, age_at=_age_at()
    )
    end = time.perf_counter()
    return _summary(quality, fairness, middle - start, end - middle, len(frame))


def run_spark(path: Path) -> dict[str, object]:
    from csc_mlflow._policy_io import load_policy
    from csc_mlflow.fairness import compute_fairness
    from csc_mlflow.fairness._aggregate import COUNT, aggregate
    from csc_mlflow.quality import load_suite, validate_frame

    policy = load_policy(_policy_file())
    assert policy.fairness is not None
    suite = load_suite(SUITE)
    spark = session()
    frame = spark.read.parquet(str(path))
    start = time.perf_counter()
    quality = validate_frame(frame, suite)
    middle = time.perf_counter()
    columns = [s.column for s in policy.fairness.sensitive_features.values()]
    cells = aggregate(frame, columns, "label", "pred")
    fairness = compute_fairness(
        cells["label"].to_numpy(),
        cells["pred"].to_numpy(),
        cells[columns],
        fairness=policy.fairness,
        age_at=_age_at(),
        counts=cells[COUNT].to_numpy(),
    )
    end = time.perf_counter()
    summary = _summary(quality, fairness, middle - start, end - middle, quality.rows)
    summary["jvm_peak_mb"] = _jvm_peak_mb(spark)
    summary["cells"] = len(cells)
    spark.stop()
    return summary


def _policy_file() -> Path:
    path = Path(tempfile.gettempdir()) / "csc-bench-scale-policy.yaml"
    path.write_text(POLICY)
    return path


def _age_at():  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(AGE_AT)


def _summary(quality, fairness, dq_s: float, fair_s: float, rows: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "rows": rows,
        "dq_s": dq_s,
        "fairness_s": fair_s,
        "python_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rules": [r.model_dump() for r in quality.rules],
        "fairness": fairness.payload().to_json(),
    }


def _jvm_peak_mb(spark) -> float | None:  # type: ignore[no-untyped-def]
    """The JVM's peak resident memory (VmHWM), read from /proc before it stops."""
    process = getattr(spark.sparkContext._gateway, "proc", None)
    pids = [process.pid] if process is not None else []
    for pid in list(pids):
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
    peak = 0.0
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak or None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine", choices=["pandas", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make_data(args.make, args.data)
        return
    if args.engine:
        found = run_pandas(args.data) if args.engine == "pandas" else run_spark(args.data)
        print(json.dumps(found))
        return

    folder = Path(tempfile.mkdtemp(prefix="csc-bench-scale-"))
    results: dict[tuple[int, str], dict[str, object]] = {}
    for rows in args.rows:
        data = folder / f"header-{rows}.parquet"
        _child("--make", str(rows), "--data", str(data))
        for engine in ("pandas", "spark"):
            results[(rows, engine)] = json.loads(_child("--engine", engine, "--data", str(data)))
        pandas, spark = results[(rows, "pandas")], results[(rows, "spark")]
        assert spark["rules"] == pandas["rules"], "Spark's rule counts differ from pandas'"
        assert spark["fairness"] == pandas["fairness"], "Spark's fairness differs from pandas'"
    _print(results, args.rows)


def _child(*arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"benchmark step {' '.join(arguments)} failed")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _total(result: dict[str, object]) -> float:
    return float(result["dq_s"]) + float(result["fairness_s"])  # type: ignore[arg-type]


def _print(results: dict[tuple[int, str], dict[str, object]], sizes: list[int]) -> None:
    print(
        f"{'rows':>12}  {'engine':<7} {'DQ s':>8} {'fairness s':>11} {'total s':>8} "
        f"{'python peak MB':>15} {'JVM peak MB':>12}"
    )
    for rows in sizes:
        for engine in ("pandas", "spark"):
            r = results[(rows, engine)]
            dq, fair = float(r["dq_s"]), float(r["fairness_s"])  # type: ignore[arg-type]
            jvm = r.get("jvm_peak_mb")
            print(
                f"{rows:>12,}  {engine:<7} {dq:>8.1f} {fair:>11.2f} {dq + fair:>8.1f} "
                f"{float(r['python_peak_mb']):>15.0f} "  # type: ignore[arg-type]
                f"{(f'{jvm:.0f}' if jvm else '-'):>12}"
            )
    print()
    for rows in sizes:
        p, s = results[(rows, "pandas")], results[(rows, "spark")]
        time_ratio = _total(s) / _total(p)
        memory_ratio = float(s["python_peak_mb"]) / float(p["python_peak_mb"])  # type: ignore[arg-type]
        print(
            f"{rows:>12,} rows: Spark/pandas time {time_ratio:.2f}x, "
            f"Spark/pandas Python peak {memory_ratio:.2f}x"
        )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for engine in ("pandas", "spark"):
            a = float(results[(small, engine)]["python_peak_mb"])  # type: ignore[arg-type]
            b = float(results[(large, engine)]["python_peak_mb"])  # type: ignore[arg-type]
            print(
                f"{engine:<7} Python driver peak, {large:,} vs {small:,} rows: {b / a:.2f}x "
                f"({a:.0f} -> {b:.0f} MB)"
            )
    print("Spark's rule counts and fairness record equal pandas' at every size.")


if __name__ == "__main__":
    main()
