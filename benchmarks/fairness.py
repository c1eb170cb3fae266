"""Fairness engine speed, side by side in one run, on 1,000,000 rows.

Compares, for 7 metrics over one sensitive feature and an intersection of three features:
  - fairlearn's MetricFrame (one frame for the feature, one for the intersection), against
  - csc-mlflow's compute_fairness (every group's rates with Wilson intervals, disparities with
    Newcombe intervals; it evaluates all three single features as well as the intersection),
and reports our time (evaluation and evidence payload, disclosure control on) relative to one
numpy.bincount pass over the intersection's group codes, and to the real floor: building the
index from the three columns, the labels and the predictions, then one bincount.

Run: python benchmarks/fairness.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from _timing import timed

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
    parser.add_argument("--repeat", type=int, default=3)
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

    codes = (
        frame["ethnicity"].cat.codes.to_numpy().astype(np.int64) * 15
        + frame["sex"].cat.codes.to_numpy() * 5
        + frame["age"].cat.codes.to_numpy()
    )

    def floor() -> None:
        np.bincount(codes, minlength=90)

    def real_floor() -> None:
        # What any per-group confusion count must do: one index from the three columns and
        # the labels and predictions, then one bincount.
        index = frame["ethnicity"].cat.codes.to_numpy().astype(np.int64) * 15
        index += frame["sex"].cat.codes.to_numpy() * 5
        index += frame["age"].cat.codes.to_numpy()
        index *= 4
        index += y_true * 2 + y_pred
        np.bincount(index, minlength=360)

    ours()  # warm-up (imports, caches)
    t_ours = timed(ours, args.repeat)
    t_floor = timed(floor, max(args.repeat, 5))
    t_real = timed(real_floor, max(args.repeat, 5))
    t_fairlearn = timed(fairlearn_run, 1)
    print(
        f"rows {args.rows:,}, {len(METRICS)} metrics, "
        "feature 'ethnicity' + intersection of 3 features"
    )
    print(
        f"fairlearn MetricFrame {t_fairlearn * 1000:9.1f} ms   "
        f"csc-mlflow {t_ours * 1000:7.1f} ms   "
        f"speed-up x{t_fairlearn / t_ours:.0f}  (target >= 100)"
    )
    print(
        f"numpy.bincount floor  {t_floor * 1000:9.1f} ms   csc-mlflow {t_ours * 1000:7.1f} ms   "
        f"ratio {t_ours / t_floor:.1f}  (codes built before the timer, no labels)"
    )
    print(
        f"real floor            {t_real * 1000:9.1f} ms   csc-mlflow {t_ours * 1000:7.1f} ms   "
        f"ratio {t_ours / t_real:.1f}  (index from columns, labels, predictions; target <= 5)"
    )


if __name__ == "__main__":
    main()
