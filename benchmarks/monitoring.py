"""Monitoring cost, in one run: the comparison against its floor, and the whole monitoring run
against data quality alone.

1. **Comparison** (``assess``: bins, drift of every monitored feature and of the predictions
   with PSI and chi-square, each sensitive group's selection rate with intervals, against the
   reference profile; no data quality, no MLflow) on a batch of ``--rows`` children, against
   **one pass of numpy.bincount over the same columns** (the categorical columns' codes, the
   numeric columns as integers, the sensitive columns' codes and the predictions).
   Target: at most 10x.
2. **Whole monitoring run** (``csc_mlflow.monitor``: a sealed run with the batch's data
   quality on the Header suite, the comparison, the version's history and ledger) against
   **data quality alone** (a governed run validating the same batch with the same suite, and
   sealed). Target: at most 1.2x.

Both on a real SQLite tracking store in a temporary folder. Medians of ``--repeat`` runs,
interleaved.

Run: python benchmarks/monitoring.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd

POLICY = """
version: 1
project: {name: bench-monitoring, owner: Bench}
datasets: {header: {suite: ssda903/header@2024-25, block_on: error, required: false}}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
    sex: {column: SEX, grouping: dfe_sex}
  insufficient_evidence: warn
  required: false
monitoring:
  data_quality: header
  features:
    cin: {column: cin, values: [N1, N2, N3, N4, N5, N6, N7, N8]}
    placement: {column: place_latest, values: [U1, U2, U3, U4, U5, U6, K2, R1, P1, A5, A6]}
    episodes: {column: n_episodes, bins: [2, 3, 4, 6]}
    age_at_entry: {column: age_at_entry, bins: [1, 5, 10, 16]}
  on_breach: warn
"""
FEATURES = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
CATEGORICAL = ["cin", "place_latest", "ETHNIC", "SEX"]
NUMERIC = ["n_episodes", "age_at_entry"]


def batch_of(rows: int, seed: int) -> pd.DataFrame:
    from csc_mlflow.datasets import make_monitoring_batch

    parts, have = [], 0
    while have < rows:  # whole batches of 250,000 children, stacked
        part = make_monitoring_batch(250_000, seed=seed + len(parts))
        parts.append(part)
        have += len(part)
    frame = pd.concat(parts, ignore_index=True).iloc[:rows].reset_index(drop=True)
    return frame.astype({c: "category" for c in CATEGORICAL})


def floor(frame: pd.DataFrame, predicted: np.ndarray) -> None:
    for column in CATEGORICAL:
        codes = frame[column].cat.codes.to_numpy()
        np.bincount(codes + 1)
    for column in NUMERIC:
        np.bincount(np.clip(frame[column].to_numpy(dtype=np.int64, na_value=0), 0, None))
    np.bincount(predicted)


def median_of(fn, repeat: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import mlflow
    from sklearn.linear_model import LogisticRegression

    import csc_mlflow
    from csc_mlflow._policy_io import load_policy
    from csc_mlflow._registry import RegistryStore
    from csc_mlflow._runs import RunWriter
    from csc_mlflow.datasets import make_ssda903
    from csc_mlflow.monitoring._monitor import _reference, assess

    folder = Path(tempfile.mkdtemp(prefix="csc-bench-monitoring-"))
    os.chdir(folder)
    (folder / "governance.yaml").write_text(POLICY)
    policy = load_policy(folder / "governance.yaml")
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_experiment("bench")

    train = make_ssda903(40_000, seed=7).modelling_frame()
    with csc_mlflow.governed_run(policy):
        model = LogisticRegression(max_iter=500).fit(train[FEATURES], train["re_referral"])
        csc_mlflow.log_reference_profile(
            train, model.predict(train[FEATURES]), train["re_referral"], policy=policy
        )
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name="bench", pip_requirements=["scikit-learn"]
        )
    store = RegistryStore()
    version = store.model_version("bench", "1")
    profile = _reference(RunWriter(store.client), policy, version.run_id, "bench", "1")

    print(f"building a batch of {args.rows:,} children ...", flush=True)
    batch = batch_of(args.rows, seed=500)
    predicted = model.predict(batch[FEATURES].astype(float)).astype(np.int64)

    def ours() -> None:
        assess(
            policy,
            profile,
            batch,
            predicted,
            None,
            batch_id="bench",
            model="bench",
            version="1",
            reference_run=version.run_id,
        )

    ours()  # warm
    cmp_ours, cmp_floor = [], []
    for _ in range(args.repeat):
        cmp_ours.append(median_of(ours, 1)[0])
        cmp_floor.append(median_of(lambda: floor(batch, predicted), 1)[0])
    ours_t, floor_t = statistics.median(cmp_ours), statistics.median(cmp_floor)

    def whole() -> None:
        csc_mlflow.monitor("bench/1", batch, predicted, policy=policy, batch_id="whole")

    def dq_alone() -> None:
        with csc_mlflow.governed_run(policy):
            csc_mlflow.validate_data(batch, name="header", policy=policy)

    runs_whole, runs_dq = [], []
    for _ in range(args.repeat):
        runs_whole.append(median_of(whole, 1)[0])
        runs_dq.append(median_of(dq_alone, 1)[0])
    whole_t, dq_t = statistics.median(runs_whole), statistics.median(runs_dq)

    print(
        f"comparison on {args.rows:,} rows   one numpy.bincount pass {floor_t * 1000:8.1f} ms   "
        f"csc-mlflow assess {ours_t * 1000:8.1f} ms ({min(cmp_ours) * 1000:.1f}-"
        f"{max(cmp_ours) * 1000:.1f})   ratio {ours_t / floor_t:5.2f}  (target <= 10)"
    )
    print(
        f"whole monitoring run                data quality alone {dq_t:8.2f} s "
        f"({min(runs_dq):.2f}-{max(runs_dq):.2f})   monitor() with data quality {whole_t:8.2f} s "
        f"({min(runs_whole):.2f}-{max(runs_whole):.2f})   ratio {whole_t / dq_t:5.2f}  "
        "(target <= 1.2)"
    )


if __name__ == "__main__":
    main()
