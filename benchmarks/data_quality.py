"""Data-quality cost, side by side in one run.

1. A whole synthetic SSDA903 return (default 100,000 children, every table the generator makes:
   Header, Episodes, Reviews, UASC, OC2, OC3, AD1, PlacedAdoption, PrevPerm, Missing),
   validated against every shipped 2024-25 suite with
   ``validate_return`` (tables checked, named views and derived columns built once per
   validation, GX with the minimal result format, results scrubbed to counts), against bare GX
   validating the same expectations on the views already prepared; with the share of the time
   spent building views, and the process's peak memory.
2. 1,000,000 SSDA903 episodes, the episodes suite: validate-and-log (evidence record, tags and
   metrics on an MLflow run in a SQLite store) against a bare GX validation of the same frame.

Run: python benchmarks/data_quality.py [--children 100000] [--episodes 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import mlflow
from _timing import timed

from csc_mlflow.datasets import make_ssda903
from csc_mlflow.quality import load_suite, validate_data
from csc_mlflow.quality._return import return_suites, validate_return
from csc_mlflow.quality._suite import quiet_gx
from csc_mlflow.quality._validate import gx_context, gx_suite, prepare
from csc_mlflow.quality._views import join_source, table_view

SUITE = "ssda903/episodes@2024-25"


def whole_return(children: int, repeat: int) -> None:
    data = make_ssda903(children, seed=1)
    tables = data.tables
    suites = [
        s
        for s in return_suites("903", "2024-25")
        if all(join_source(t)[0] in tables for t in [str(s.table), *s.join])
    ]
    batch_definition = (
        gx_context().data_sources.get("csc_mlflow").get_asset("frame").get_batch_definition("whole")
    )

    def views() -> list:
        return [prepare(table_view(tables, str(s.table), s.join, s.key), s) for s in suites]

    prepared = views()
    compiled = [gx_suite(s) for s in suites]

    def bare() -> None:
        for frame, expectations in zip(prepared, compiled, strict=True):
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
            with quiet_gx():
                batch.validate(expectations)

    def ours() -> None:
        result = validate_return(tables, collection="903", year="2024-25")
        assert result.status == "passed", [r.rule for o in result.results for r in o.failed]

    bare()  # warm-up
    t_bare = timed(bare, repeat)
    t_ours = timed(ours, repeat)
    t_views = timed(views, repeat)
    rules = len({r.rule for s in suites for r in s.rules})
    rows = sum(len(t) for t in tables.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"whole return: {children:,} children, {rows:,} rows in {len(tables)} tables, "
        f"{len(suites)} suites, {rules} rules"
    )
    print(
        f"bare GX on prepared views {t_bare:7.2f} s   csc-mlflow validate_return {t_ours:7.2f} s"
        f"   ratio {t_ours / t_bare:.2f}  (target <= 1.3)"
    )
    print(
        f"views and derived columns {t_views:7.2f} s = {100 * t_views / t_ours:.0f}% of the "
        f"total (target <= 20%)   peak memory {peak:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    whole_return(args.children, args.repeat)
    print(f"(whole-return section {time.perf_counter() - started:.0f} s)\n")
    children = int(args.episodes / 1.55)
    data = make_ssda903(children, seed=1)
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
    episodes = episodes.iloc[: args.episodes]
    suite = load_suite(SUITE)
    prepared = prepare(episodes, suite)
    context = gx_context()
    batch_definition = (
        context.data_sources.get("csc_mlflow").get_asset("frame").get_batch_definition("whole")
    )
    expectations = gx_suite(suite)

    def bare() -> None:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": prepared})
        with quiet_gx():
            batch.validate(expectations)

    root = tempfile.mkdtemp(prefix="csc-bench-")
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    mlflow.set_experiment("bench")

    def ours() -> None:
        with mlflow.start_run():
            validate_data(episodes, name="episodes", suite=SUITE, digest="bench")

    bare()  # warm-up: GX's first validation compiles its metric graph
    t_bare = timed(bare, args.repeat)
    t_ours = timed(ours, args.repeat)
    print(f"{len(episodes):,} episodes, suite {SUITE} ({len(suite.rules)} rules)")
    print(
        f"bare GX validation {t_bare:7.2f} s   csc-mlflow validate+log {t_ours:7.2f} s   "
        f"ratio {t_ours / t_bare:.2f}  (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
