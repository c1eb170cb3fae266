"""Fairness evidence on an MLflow run (and its logged model)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import envelope, provenance
from csc_mlflow._policy import NAME_PATTERN, Policy
from csc_mlflow.fairness._charts import rate_chart
from csc_mlflow.fairness._compute import FairnessResult, compute_fairness

CHART_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")


def evaluate_fairness(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    name: str = "model",
    policy: Policy | str | os.PathLike[str] | None = None,
    y_score: Any = None,
    sample_weight: Any = None,
    run_id: str | None = None,
    model_id: str | None = None,
    age_at: date | None = None,
) -> FairnessResult:
    """Evaluate fairness across sensitive features and log the evidence to the run.

    Logs ``governance/fairness/<name>.json`` (group rates with 95% intervals, disparities,
    threshold verdicts; small counts suppressed, small groups withheld), one SVG chart per
    feature and metric, the disparities as metrics ``csc.fairness.<feature>.<metric>`` (also
    on the logged model when ``model_id`` is given) and the tag ``csc.fairness.<name>.status``.

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1
        Labels and predictions.
    sensitive_features : DataFrame or mapping
        The raw columns the policy's sensitive features name.
    name : str
        Names the record, e.g. ``model`` or ``baseline``.
    policy : Policy or path, optional
        Defaults to the active policy (``governed_run``, ``autolog`` or ``governance.yaml``).
    run_id : str, optional
        Defaults to the active run.
    model_id : str, optional
        A logged model to attach the metrics to.

    Examples
    --------
    >>> with csc_mlflow.governed_run() as run:  # doctest: +SKIP
    ...     result = csc_mlflow.evaluate_fairness(y, model.predict(X),
    ...                                           sensitive_features=frame, model_id=info.model_id)
    >>> result.status  # doctest: +SKIP
    'passed'
    """
    import mlflow
    from mlflow.entities import Metric, RunTag
    from mlflow.utils.time import get_current_time_millis

    from csc_mlflow._capture import _resolve, active_run_id
    from csc_mlflow._finalize import log_files, log_record

    if not NAME_PATTERN.match(name):
        raise ValueError(f"name may hold letters, digits, '_' and '-'; found {name!r}")
    resolved = _resolve(policy)
    if resolved.fairness is None:
        raise ValueError(
            f"{resolved.source or 'the policy'}: has no 'fairness' section; add "
            "'fairness: {sensitive_features: {...}}' to say which columns to compare across"
        )
    run_id = active_run_id(run_id, "call evaluate_fairness")
    result = compute_fairness(
        y_true,
        y_pred,
        sensitive_features,
        fairness=resolved.fairness,
        y_score=y_score,
        sample_weight=sample_weight,
        name=name,
        age_at=age_at,
    )
    payload = result.payload()
    client = mlflow.MlflowClient()
    charts: dict[str, bytes] = {}
    for feature in payload["features"]:
        for metric in CHART_METRICS:
            if metric in result.settings["metrics"]:
                path = f"{names.ARTIFACT_ROOT}/fairness/{name}/{feature['feature']}_{metric}.svg"
                charts[path] = rate_chart(feature, metric).encode("utf-8")
    payload["charts"] = sorted(charts)
    log_files(client, run_id, charts)
    record = envelope(
        "csc.fairness", payload, provenance(run_id=run_id, policy_sha256=resolved.sha256)
    )
    log_record(client, run_id, names.fairness_path(name), record)
    now = get_current_time_millis()  # type: ignore[no-untyped-call]
    metrics = [
        Metric(k, v, now, 0, model_id=model_id, run_id=run_id)
        for k, v in sorted(result.mlflow_metrics().items())
    ]
    tags = [RunTag(f"csc.fairness.{name}.status", result.status)]
    client.log_batch(run_id, metrics=metrics, tags=tags)
    return result
