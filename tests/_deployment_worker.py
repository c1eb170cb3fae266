"""One governed training run against a tracking server, in a process of its own (the
deployment tests start twenty of these at once)."""

from __future__ import annotations

import os
from pathlib import Path


def governed_run(tracking_uri: str, folder: str, model: str, seed: int) -> str:
    """A run with data quality, fairness and ethics evidence, its model registered; its id."""
    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    import mlflow
    import numpy as np
    from sklearn.dummy import DummyClassifier

    import csc_mlflow
    from csc_mlflow.datasets import make_ssda903

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("deployment")
    policy = Path(folder) / "governance.yaml"
    data = make_ssda903(1500, seed=seed)
    y = np.random.default_rng(seed).integers(0, 2, len(data.header))
    with csc_mlflow.governed_run(policy, run_name=f"worker-{seed}") as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        csc_mlflow.evaluate_fairness(y, y, sensitive_features=data.header)
        mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            registered_model_name=model,
            pip_requirements=["scikit-learn"],
        )
    return str(run.info.run_id)
