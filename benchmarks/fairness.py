"""Fairness engine speed, side by side in one run, on 1,000,000 rows.

Compares, for 7 metrics over one sensitive feature and an intersection of three features:
  - fairlearn's MetricFrame (one frame for the feature, one for the intersection), against
  - csc-mlflow's compute_fairness (every group's rates with Wilson intervals, disparities with
    Newcombe intervals; it evaluates all three single features as well as the intersection),
and csc-mlflow's engine (from the raw columns, labels and predictions to every group's counts,
rates and intervals) against the real floor: the same inputs to one index from the three
columns, the labels and the predictions, then one numpy.bincount, written as plain int64 numpy
(the issue's yardstick); and, apart, against the same count with the engine's own index recipe
(the narrowest integer type, in place), so what the engine spends beyond counting shows. The
evidence payload (disclosure control, rounding, records) is timed on its own: it does not grow
with the rows.
Interleaved, median and spread of --repeat runs; peak memory per row traced while the engine
and payload run once.

Run: python benchmarks/fairness.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tracemalloc
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from _timing import median, timed

from csc_mlflow._policy import FairnessPolicy, SensitiveFeature
from csc_mlflow.fairness import compute_fairness

METRICS = (
    "selection_rate",
    "base_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
)


def data(rows: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "ethnicity": pd.Categorical(
                rng.choice(
                    ["White", "Mixed", "Asian", "Black", "Other", "Refused"],
                    rows,
                    p=[0.7, 0.08, 0.06, 0.08, 0.05, 0.03],
                )
            ),
            "sex": pd.Categorical(
                rng.choice(["Male", "Female", "Unknown"], rows, p=[0.53, 0.46, 0.01])
            ),
            "age": pd.Categorical(
                rng.choice(["Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"], rows)
            ),
        }
    )
    y_true = rng.integers(0, 2, rows)
    y_pred = (rng.random(rows) < 0.3 + 0.4 * y_true).astype(int)
    return frame, y_true, y_pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    frame, y_true, y_pred = data(args.rows)

    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    fairlearn_metrics = {
        "selection_rate": selection_rate,
        "base_rate": lambda t, p: float(np.mean(t)),
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "precision": lambda t, p: precision_score(t, p, zero_division=0),
        "accuracy": accuracy_score,
    }

    def fairlearn_run() -> None:
        for columns in (["ethnicity"], ["ethnicity", "sex", "age"]):
            mf = MetricFrame(
                metrics=fairlearn_metrics,
                y_true=y_true,
                y_pred=y_pred,
                sensitive_features=frame[columns],
            )
            mf.difference()
            mf.ratio()

    policy = FairnessPolicy(
        sensitive_features={c: SensitiveFeature(column=c) for c in ("ethnicity", "sex", "age")},
        intersections=(("ethnicity", "sex", "age"),),
        metrics=METRICS,
    )

    def ours() -> None:
        # The evidence payload too: disclosure control (suppression, withheld rates) is on.
        compute_fairness(y_true, y_pred, frame, fairness=policy).payload()

    def engine() -> None:
        compute_fairness(y_true, y_pred, frame, fairness=policy)

    result = compute_fairness(y_true, y_pred, frame, fairness=policy)

    def payload() -> None:
        result.payload()

    def real_floor() -> None:
        # What any per-group confusion count must do from the same inputs: one index from the
        # three columns and the labels and predictions, then one bincount.
        index = frame["ethnicity"].cat.codes.to_numpy().astype(np.int64) * 15
        index += frame["sex"].cat.codes.to_numpy() * 5
        index += frame["age"].cat.codes.to_numpy()
        index *= 4
        index += y_true * 2 + y_pred
        np.bincount(index, minlength=360)

    def narrow_floor() -> None:
        # The same count with the engine's own index recipe (the narrowest integer type that
        # holds the index, built in place; the labels folded into one byte): how much of the
        # engine's time is not row work.
        index = frame["ethnicity"].array.codes.astype(np.int16)
        index *= 3
        index += frame["sex"].array.codes
        index *= 5
        index += frame["age"].array.codes
        index <<= 2
        cells = y_true.astype(np.int8)
        cells <<= 1
        cells |= y_pred.astype(np.int8)
        index += cells
        np.bincount(index, minlength=360)

    ours()  # warm-up (imports, caches)
    tracemalloc.start()
    ours()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times: dict[str, list[float]] = {
        "engine": [],
        "floor": [],
        "narrow": [],
        "payload": [],
        "ours": [],
    }
    steps = (("engine", engine), ("floor", real_floor), ("narrow", narrow_floor))
    for _ in range(args.repeat):
        for name, fn in (*steps, ("payload", payload)):
            times[name].append(timed(fn, 1))
        times["ours"].append(timed(ours, 1))
    t_fairlearn = timed(fairlearn_run, 1)
    med = {name: median(values) for name, values in times.items()}

    def spread(name: str) -> str:
        low, high = min(times[name]) * 1000, max(times[name]) * 1000
        return f"{med[name] * 1000:7.1f} ms ({low:.1f}-{high:.1f})"

    print(
        f"rows {args.rows:,}, {len(METRICS)} metrics, "
        "feature 'ethnicity' + intersection of 3 features; median (range)"
    )
    print(
        f"fairlearn MetricFrame {t_fairlearn * 1000:9.1f} ms   csc-mlflow with payload "
        f"{spread('ours')}   speed-up x{t_fairlearn / med['ours']:.0f}  (target >= 100)"
    )
    print(
        f"real floor {spread('floor')}   csc-mlflow engine {spread('engine')}   "
        f"ratio {med['engine'] / med['floor']:.2f}  (target <= 1.5)"
    )
    print(
        f"same count, engine's index recipe {spread('narrow')}   engine beyond it "
        f"{(med['engine'] - med['narrow']) * 1000:.1f} ms (input checks, encoding, 4 tables, "
        "intervals, disparities, verdicts)"
    )
    print(f"evidence payload (fixed, not per row) {spread('payload')}")
    print(
        f"peak memory traced {peak / 1e6:.1f} MB = {peak / args.rows:.1f} bytes per row  "
        "(target <= 16)"
    )


if __name__ == "__main__":
    main()
