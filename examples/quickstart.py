"""csc-mlflow quickstart: a governed MLflow run on synthetic CSC data, end to end.

Generates synthetic SSDA903-like data (no real child's data), trains a scikit-learn model
inside a governed run on the embedded SQLite store (./mlflow.db), registers it, and prints
the run's governance status with every reason.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # nothing leaves this machine

import mlflow
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import csc_mlflow
from csc_mlflow.datasets import make_monitoring_batch, make_ssda903

HERE = Path(__file__).resolve().parent
FEATURES = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
MODEL_NAME = "re-referral-risk"


def step(text: str) -> None:
    print(text, flush=True)


def monitor(model: LogisticRegression, version: int) -> None:
    """Two months of live data scored by the model, each checked against the training data."""
    step("5/5 monitoring two batches of live data against the training data's profile")
    for month, shift in (("2026-10", 0.0), ("2026-11", 0.6)):
        # November plants a changed placement pattern: 60% of foster placements moved to
        # children's homes. Monitoring should catch it.
        batch = make_monitoring_batch(2000, seed=int(month[-2:]), placement_shift=shift)
        batch = batch.astype({column: float for column in FEATURES})
        result = csc_mlflow.monitor(
            f"{MODEL_NAME}/{version}",
            batch,
            model.predict(batch[FEATURES]),
            policy=HERE / "governance.yaml",
            batch_id=month,
        )
        breaches = [d.message for d in result.payload.drift if d.verdict == "drifted"]
        print(f"  batch {month}: monitoring {result.status.upper()}")
        for breach in breaches:
            print(f"    - {breach}")


def main() -> str:
    step("1/5 synthetic SSDA903 return for 3,000 children (no real child's data)")
    data = make_ssda903(3000, seed=7, collection_year="2024-25", disparity={"Black": 0.6})
    frame = data.modelling_frame().astype({column: float for column in FEATURES})
    train, test = train_test_split(frame, test_size=0.3, random_state=7)

    experiment = mlflow.set_experiment("csc-quickstart")
    step("2/5 a governed run: Header and Episodes checked against the DfE rules as they are logged")
    with csc_mlflow.governed_run(HERE / "governance.yaml", run_name="quickstart") as run:
        # The statutory tables the model is built from: each is validated against its DfE
        # rules as it is logged (the policy names their suites).
        episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        mlflow.log_input(mlflow.data.from_pandas(episodes, name="episodes"), context="source")
        dataset = mlflow.data.from_pandas(
            train[FEATURES + ["re_referral"]], name="train", targets="re_referral"
        )
        mlflow.log_input(dataset, context="training")
        step("3/5 training, logging and registering the model")
        model = LogisticRegression(max_iter=500).fit(train[FEATURES], train["re_referral"])
        mlflow.log_metric("test_accuracy", model.score(test[FEATURES], test["re_referral"]))
        # A signature describes the inputs; no input_example, whose rows would be children's
        # records inside the model (the policy flags a model that carries them).
        signature = infer_signature(train[FEATURES], model.predict(train[FEATURES]))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=MODEL_NAME,
            signature=signature,
            pip_requirements=["scikit-learn", "pandas"],
        )
        step("4/5 fairness across ethnicity, sex and age band, and performance; sealing")
        # Fairness across the policy's sensitive features (ethnicity, sex, age band and
        # ethnicity by sex), on held-out children, attached to the run and the logged model.
        csc_mlflow.evaluate_fairness(
            test["re_referral"],
            model.predict(test[FEATURES]),
            sensitive_features=test,
            model_id=info.model_id,
        )
        # How well it does on the same held-out children (accuracy, recall, precision and
        # specificity with intervals), judged by the policy's performance bounds.
        csc_mlflow.evaluate_performance(
            test["re_referral"], model.predict(test[FEATURES]), model_id=info.model_id
        )
        # What monitoring will compare live data with: the training data's profile (declared
        # bins, counts of 1 to 5 never published) and each group's rates.
        csc_mlflow.log_reference_profile(
            train, model.predict(train[FEATURES]), train["re_referral"]
        )

    monitor(model, info.registered_model_version)
    status = csc_mlflow.get_status(run.info.run_id)
    print(f"run {run.info.run_id}: governance status {status.status.upper()}")
    for reason in status.decision.reasons if status.decision else ():
        print(f"  - {reason}")
    print(f"manifest sha256: {status.manifest_sha256} (verified: {status.verified})")
    print(f"registered model: {MODEL_NAME}")
    where = mlflow.get_tracking_uri()
    runs = csc_mlflow.runs_view_link(experiment.experiment_id)  # the list with a status column
    if where.startswith(("http://", "https://")):
        print(f"see it in the MLflow UI: {where.rstrip('/')}/{runs}")
    else:
        print(f"see it in the MLflow UI: run 'mlflow ui --backend-store-uri {where}', then open")
        print(f"  http://127.0.0.1:5000/{runs}")
    return run.info.run_id


if __name__ == "__main__":
    main()
