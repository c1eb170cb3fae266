"""Data-quality cost, side by side in one run: 1,000,000 SSDA903 episodes, the full suite.

Compares csc-mlflow's validate-and-log (checks, derived columns, GX validation with the
minimal result format, scrubbing, evidence record, tags and metrics on an MLflow run in a
SQLite store) against a bare GX validation of the same suite on the same frame (derived
columns already added, default result format, nothing logged).

Run: python benchmarks/data_quality.py [--episodes 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import mlflow
from _timing import timed

from csc_mlflow.datasets import make_ssda903
from csc_mlflow.quality import load_suite, validate_data
from csc_mlflow.quality._suite import quiet_gx
from csc_mlflow.quality._validate import gx_context, gx_suite, prepare

SUITE = "ssda903/episodes@2024-25"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
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
