"""Data-quality evidence on an MLflow run, explicitly or whenever a dataset is logged."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import envelope, provenance
from csc_mlflow._policy import NAME_PATTERN, Policy
from csc_mlflow.exceptions import CscMlflowError
from csc_mlflow.quality._suite import load_suite
from csc_mlflow.quality._validate import DataQualityResult, validate_frame

_logger = logging.getLogger("csc_mlflow")


def payload(result: DataQualityResult, *, name: str, digest: str | None) -> dict[str, Any]:
    """The evidence payload of ``governance/data_quality/<name>.json`` (counts only)."""
    suite = result.suite
    ordered = sorted(result.rules, key=lambda r: (r.success, r.severity != "error"))
    return {
        "name": name,
        "status": result.status,
        "reasons": result.reasons() if result.status != "passed" else [],
        "block_on": result.block_on,
        "suite": {
            "ref": suite.ref,
            "sha256": suite.sha256,
            "collection_year": suite.collection_year,
            "source": suite.source,
        },
        "dataset": {"digest": digest, "rows": result.rows},
        "summary": {
            "rules_evaluated": len(result.rules),
            "rules_failed": len(result.failed),
            "success_percent": round(result.success_percent, 4),
        },
        "rules": [r.to_dict() for r in ordered],
    }


def _policy_and_suite(
    name: str, suite: Any, policy: Policy | str | os.PathLike[str] | None
) -> tuple[Policy | None, Any, str]:
    from csc_mlflow._capture import _resolve

    resolved: Policy | None = None
    try:
        resolved = _resolve(policy)
    except CscMlflowError:
        if suite is None:
            raise
    block_on = "error"
    if resolved is not None and name in resolved.datasets:
        block_on = resolved.datasets[name].block_on
        suite = suite or resolved.datasets[name].suite
    if suite is None:
        raise ValueError(
            f"no suite for dataset {name!r}: pass suite=... or add "
            f"'datasets: {{{name}: {{suite: ssda903/episodes@2024-25}}}}' to the policy"
        )
    base = resolved.source.parent if resolved is not None and resolved.source else None
    loaded = (
        suite
        if not isinstance(suite, str | os.PathLike)
        else load_suite(Path(suite) if not isinstance(suite, str) else suite, base=base)
    )
    return resolved, loaded, block_on


def validate_data(
    data: Any,
    *,
    name: str,
    suite: Any = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    digest: str | None = None,
    collection_year: str | None = None,
    log: bool = True,
) -> DataQualityResult:
    """Validate a dataset with its expectation suite and log the evidence to the run.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, with the columns the suite declares (dates parsed as dates).
    name : str
        The dataset's name (the key under ``datasets:`` in the policy).
    suite : str or path, optional
        A shipped suite (``ssda903/episodes@2024-25``) or a suite file; by default the one
        the policy names for ``name``.
    run_id : str, optional
        Defaults to the active run; with ``log=False`` nothing is logged.
    digest : str, optional
        The MLflow dataset digest to record; computed from ``data`` when not given.

    Returns
    -------
    DataQualityResult
        Per-rule counts; ``.status`` is ``passed``, ``warnings`` or ``failed``.
    """
    if not NAME_PATTERN.match(name):
        raise ValueError(f"name may hold letters, digits, '_' and '-'; found {name!r}")
    resolved, loaded, block_on = _policy_and_suite(name, suite, policy)
    result = validate_frame(data, loaded, block_on=block_on, collection_year=collection_year)
    if log:
        _log(result, name=name, digest=digest, data=data, run_id=run_id, policy=resolved)
    return result


def _log(
    result: DataQualityResult,
    *,
    name: str,
    digest: str | None,
    data: Any,
    run_id: str | None,
    policy: Policy | None,
) -> None:
    import mlflow
    from mlflow.entities import Metric, RunTag
    from mlflow.utils.time import get_current_time_millis

    from csc_mlflow._capture import active_run_id
    from csc_mlflow._finalize import log_record

    run_id = active_run_id(run_id, "validate (or pass log=False)")
    if digest is None:
        from mlflow.data.pandas_dataset import from_pandas

        digest = from_pandas(data).digest
    body = payload(result, name=name, digest=digest)
    record = envelope(
        "csc.data_quality",
        body,
        provenance(run_id=run_id, policy_sha256=policy.sha256 if policy else None),
    )
    client = mlflow.MlflowClient()
    log_record(client, run_id, names.data_quality_path(name), record)
    now = get_current_time_millis()  # type: ignore[no-untyped-call]
    summary = body["summary"]
    client.log_batch(
        run_id,
        metrics=[
            Metric(f"csc.dq.{name}.rules_evaluated", summary["rules_evaluated"], now, 0),
            Metric(f"csc.dq.{name}.rules_failed", summary["rules_failed"], now, 0),
            Metric(f"csc.dq.{name}.success_percent", summary["success_percent"], now, 0),
        ],
        tags=[RunTag(names.data_quality_status_tag(name), result.status)],
    )


def record_failure(
    name: str, run_id: str, problem: str, policy: Policy, digest: str | None
) -> None:
    """Log a data-quality record that says validation could not run (fail closed)."""
    import mlflow
    from mlflow.entities import RunTag

    from csc_mlflow._finalize import log_record

    body = {
        "name": name,
        "status": "failed",
        "reasons": [f"the dataset could not be validated: {problem}"],
        "dataset": {"digest": digest},
        "rules": [],
    }
    record = envelope(
        "csc.data_quality", body, provenance(run_id=run_id, policy_sha256=policy.sha256)
    )
    client = mlflow.MlflowClient()
    log_record(client, run_id, names.data_quality_path(name), record)
    client.log_batch(run_id, tags=[RunTag(names.data_quality_status_tag(name), "failed")])


def validate_logged_input(dataset: Any) -> None:
    """After ``mlflow.log_input``: validate the dataset if the active policy names it."""
    import mlflow

    from csc_mlflow._runtime import active_policy

    policy = active_policy()
    name = getattr(dataset, "name", None)
    active = mlflow.active_run()
    if policy is None or active is None or name not in policy.datasets:
        return
    frame = getattr(dataset, "df", None)
    digest = getattr(dataset, "digest", None)
    if frame is None:
        record_failure(
            name, active.info.run_id, "only pandas datasets can be validated", policy, digest
        )
        return
    try:
        validate_data(frame, name=name, policy=policy, run_id=active.info.run_id, digest=digest)
    except CscMlflowError as exc:
        record_failure(name, active.info.run_id, str(exc), policy, digest)
