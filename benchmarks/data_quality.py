"""Data-quality cost against bare Great Expectations doing the same work, in one run.

The SSDA903 Episodes table of a synthetic return (with the child's date of birth joined, as
the quickstart logs it), validated against the shipped suite ``ssda903/episodes@2024-25``
(99 expectations). At each size, interleaved, median and spread of ``--repeat`` runs:

- **csc-mlflow**: ``validate_frame`` on the table as logged (derived columns built, dates
  handed to GX in nanoseconds, GX on the shared-domain engine, BASIC counts, scrubbed records).
- **bare GX as a user would configure it**: GX's own pandas engine and default result format
  (SUMMARY) on the same table with the derived columns already added (a user needs them too;
  building them is not counted on this side), dates as pandas gives them.
- **bare GX, same frame and format**: GX's own engine on the frame csc-mlflow hands GX
  (derived columns, nanosecond dates) with csc-mlflow's BASIC result format.

Then the per-row cost of csc-mlflow at each size (linear means it stays flat), and a whole
return (every table and suite) validated with ``validate_return``.

Run: python benchmarks/data_quality.py [--sizes 10000,100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd

from csc_mlflow.datasets import make_ssda903
from csc_mlflow.quality import load_suite
from csc_mlflow.quality._return import validate_return
from csc_mlflow.quality._suite import quiet_gx
from csc_mlflow.quality._validate import (
    RESULT_FORMAT,
    gx_batch_definition,
    gx_suite,
    prepare,
    validate_frame,
)

SUITE = "ssda903/episodes@2024-25"


def episodes(rows: int) -> pd.DataFrame:
    data = make_ssda903(int(rows / 1.55) + 10, seed=1)
    table = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
    return table.iloc[:rows].reset_index(drop=True)


def interleaved(sides: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, fn in sides.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.3f} s ({min(values):.3f}-{max(values):.3f})"


def at_size(rows: int, repeat: int) -> float:
    suite = load_suite(SUITE)
    table = episodes(rows)
    expectations = gx_suite(suite)
    plain = gx_batch_definition(shared=False)
    as_user = prepare(table, suite, fast=False)  # derived columns; dates as pandas has them
    as_ours = prepare(table, suite)  # what csc-mlflow hands GX

    def bare(frame: pd.DataFrame, result_format: object) -> Callable[[], object]:
        def run() -> object:
            batch = plain.get_batch(batch_parameters={"dataframe": frame})
            with quiet_gx():
                return batch.validate(expectations, result_format=result_format)

        return run

    sides = {
        "ours": lambda: validate_frame(table, suite),
        "user": bare(as_user, "SUMMARY"),
        "same": bare(as_ours, RESULT_FORMAT),
    }
    for fn in sides.values():  # warm-up: GX compiles its metric graph on first use
        fn()
    times = interleaved(sides, repeat)
    ours = statistics.median(times["ours"])
    print(f"{rows:>9,} rows  csc-mlflow {spread(times['ours'])}")
    print(
        f"{'':16}bare GX as a user would configure it {spread(times['user'])}   "
        f"ratio {ours / statistics.median(times['user']):.2f}  (target <= 0.5)"
    )
    print(
        f"{'':16}bare GX, same frame and format       {spread(times['same'])}   "
        f"ratio {ours / statistics.median(times['same']):.2f}  (target <= 1.1)"
    )
    return ours / rows


def whole_return(children: int, repeat: int) -> None:
    data = make_ssda903(children, seed=1)
    tables = data.tables
    validate_return(tables, collection="903", year="2024-25")  # warm-up
    times = interleaved(
        {"return": lambda: validate_return(tables, collection="903", year="2024-25")}, repeat
    )
    rows = sum(len(t) for t in tables.values())
    print(
        f"whole return: {children:,} children, {rows:,} rows in {len(tables)} tables, every "
        f"2024-25 suite: {spread(times['return'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    print(f"suite {SUITE} ({len(load_suite(SUITE).rules)} expectations); median (range)")
    per_row = {}
    for rows in (int(s) for s in args.sizes.split(",")):
        per_row[rows] = at_size(rows, args.repeat)
    costs = "   ".join(f"{rows:,}: {cost * 1e6:.2f} us" for rows, cost in per_row.items())
    print(f"csc-mlflow per row   {costs}")
    whole_return(args.children, args.repeat)


if __name__ == "__main__":
    main()
