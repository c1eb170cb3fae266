"""Data-quality evidence on an MLflow run, explicitly or whenever a dataset is logged."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    DataQualityPayload,
    DatasetFacts,
    RulesSummary,
    SuiteFacts,
    envelope,
)
from csc_mlflow._policy import NAME_PATTERN, Policy
from csc_mlflow._resolve import active_policy, resolve_policy
from csc_mlflow._runs import RunWriter, active_run, active_run_id
from csc_mlflow._sources import SqlTable, is_spark
from csc_mlflow.exceptions import CscMlflowError, UsageError
from csc_mlflow.quality._engines import validate_frame
from csc_mlflow.quality._suite import Suite, load_suite
from csc_mlflow.quality._validate import DataQualityResult, disclosed

__all__ = [
    "payload",
    "record_failure",
    "validate_data",
    "validate_logged_input",
    "write_result",
]

_logger = logging.getLogger("csc_mlflow")


def payload(result: DataQualityResult, *, name: str, digest: str | None) -> DataQualityPayload:
    """The evidence payload of ``governance/data_quality/<name>.json`` (counts only)."""
    suite = result.suite
    ordered = sorted(map(disclosed, result.rules), key=lambda r: (r.success, r.severity != "error"))
    return DataQualityPayload(
        name=name,
        status=result.status,
        reasons=tuple(result.reasons()) if result.status != "passed" else (),
        block_on=result.block_on,
        suite=SuiteFacts(
            ref=suite.ref,
            sha256=suite.sha256,
            collection_year=suite.collection_year,
            source=suite.source,
        ),
        dataset=DatasetFacts(digest=digest, rows=result.rows),
        summary=RulesSummary(
            rules_evaluated=len(result.rules),
            rules_failed=len(result.failed),
            success_percent=round(result.success_percent, 4),
        ),
        rules=tuple(ordered),
    )


def _policy_and_suite(
    name: str, suite: Suite | str | os.PathLike[str] | None, policy: Any
) -> tuple[Policy | None, Suite, str]:
    resolved: Policy | None = None
    try:
        resolved = resolve_policy(policy)
    except CscMlflowError:
        if suite is None or policy is not None:
            raise
    block_on = "error"
    if resolved is not None and name in resolved.datasets:
        block_on = resolved.datasets[name].block_on
        suite = suite or resolved.datasets[name].suite
    if suite is None:
        raise UsageError(
            f"no suite for dataset {name!r}: pass suite=... or add "
            f"'datasets: {{{name}: {{suite: ssda903/episodes@2024-25}}}}' to the policy",
            key="suite",
        )
    if isinstance(suite, Suite):
        return resolved, suite, block_on
    base = resolved.source.parent if resolved is not None and resolved.source else None
    ref = suite if isinstance(suite, str) else Path(suite)
    return resolved, load_suite(ref, base=base), block_on


def validate_data(
    data: Any,
    *,
    name: str,
    suite: Suite | str | os.PathLike[str] | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    tracking_uri: str | None = None,
    digest: str | None = None,
    collection_year: str | None = None,
    log: bool = True,
) -> DataQualityResult:
    """Validate a dataset with its expectation suite and log the evidence to the run.

    Parameters
    ----------
    data : pandas.DataFrame, Spark DataFrame or SqlTable
        The data, with the columns the suite declares (dates parsed as dates). A Spark
        DataFrame is validated by GX's Spark engine and a :class:`~csc_mlflow.SqlTable` by its
        SQL engine, where the data is, with the same rules and the same counts as pandas.
    name : str
        The dataset's name (the key under ``datasets:`` in the policy).
    suite : str or path, optional
        A shipped suite (``ssda903/episodes@2024-25``) or a suite file; by default the one
        the policy names for ``name``. With a suite given, no policy is needed.
    policy : Policy or path, optional
        Defaults to the active policy (``governed_run``, ``autolog`` or ``governance.yaml``).
    run_id : str, optional
        Defaults to the active run; with ``log=False`` nothing is logged.
    tracking_uri : str, optional
        The tracking server of ``run_id`` (default: MLflow's current one).
    digest : str, optional
        The MLflow dataset digest to record; computed from ``data`` when not given.

    Returns
    -------
    DataQualityResult
        Per-rule counts; ``.status`` is ``passed``, ``warnings`` or ``failed``.

    Raises
    ------
    UsageError
        ``name`` is not a valid dataset name, or no suite is given or named by the policy.
    DataError, SuiteError, PolicyError, NoActiveRunError
        The data, the suite or the policy cannot be used, or there is no run to log to.

    Examples
    --------
    >>> result = csc_mlflow.validate_data(episodes, name="episodes",  # doctest: +SKIP
    ...                                   suite="ssda903/episodes@2024-25", log=False)
    >>> result.status  # doctest: +SKIP
    'passed'
    """
    if not NAME_PATTERN.match(name):
        raise UsageError(f"name may hold letters, digits, '_' and '-'; found {name!r}", key="name")
    resolved, loaded, block_on = _policy_and_suite(name, suite, policy)
    if log:
        run_id = active_run_id(run_id, "validate (or pass log=False)")
    result = validate_frame(data, loaded, block_on=block_on, collection_year=collection_year)
    if log and run_id is not None:
        if digest is None:
            digest = content_digest(data)
        _collect_earlier(run_id)  # datasets logged before this one keep their order
        write_result(
            result, run_id, name=name, digest=digest, policy=resolved, tracking_uri=tracking_uri
        )
    return result


def content_digest(data: Any) -> str:
    """The digest MLflow gives ``data`` as a pandas DataFrame, whichever engine holds it."""
    from csc_mlflow.quality._engines import spark_digest, sql_digest

    if is_spark(data):
        return spark_digest(data)
    if isinstance(data, SqlTable):
        return sql_digest(data)
    from mlflow.data.pandas_dataset import from_pandas

    return str(from_pandas(data).digest)


def write_result(
    result: DataQualityResult,
    run_id: str,
    *,
    name: str,
    digest: str | None,
    policy: Policy | None,
    tracking_uri: str | None = None,
) -> None:
    """Log ``result`` to ``run_id``: the record, its status tag and its metrics."""
    body = payload(result, name=name, digest=digest)
    _write(RunWriter(tracking_uri=tracking_uri), run_id, body, policy)


def _collect_earlier(run_id: str) -> None:
    """Write the answers the background worker holds for ``run_id`` (if it ever started)."""
    import sys

    background = sys.modules.get("csc_mlflow.quality._background")
    if background is not None:
        background.collect(run_id)


def _write(writer: RunWriter, run_id: str, body: DataQualityPayload, policy: Policy | None) -> None:
    record = envelope(
        "csc.data_quality",
        body,
        run_id=run_id,
        policy_sha256=policy.evidence_sha256 if policy else None,
    )
    writer.log_record(run_id, names.data_quality_path(body.name), record)
    metrics: dict[str, float] = {}
    if body.summary is not None:
        metrics = {
            names.data_quality_metric(body.name, "rules_evaluated"): body.summary.rules_evaluated,
            names.data_quality_metric(body.name, "rules_failed"): body.summary.rules_failed,
            names.data_quality_metric(body.name, "success_percent"): body.summary.success_percent,
        }
    writer.log_summary(
        run_id, tags={names.data_quality_status_tag(body.name): body.status}, metrics=metrics
    )


def record_failure(
    name: str, run_id: str, problem: str, policy: Policy, digest: str | None
) -> None:
    """Log a data-quality record that says validation could not run (fail closed)."""
    body = DataQualityPayload(
        name=name,
        status="failed",
        reasons=(f"the dataset could not be validated: {problem}",),
        dataset=DatasetFacts(digest=digest),
    )
    _write(RunWriter(), run_id, body, policy)


def validate_logged_input(dataset: Any) -> int | None:
    """At ``mlflow.log_input``: validate the dataset if the active policy names it.

    Returns the background worker's job number when the dataset was handed to it (see
    ``quality._background``), else None (validated here, or not a dataset the policy names).
    """
    policy = active_policy()
    name = getattr(dataset, "name", None)
    active = active_run()
    if policy is None or active is None or name not in policy.datasets:
        return None
    run_id = str(active.info.run_id)
    frame = getattr(dataset, "df", None)
    digest = getattr(dataset, "digest", None)
    if frame is None:
        _collect_earlier(run_id)
        record_failure(
            name, run_id, "only pandas and Spark datasets can be validated", policy, digest
        )
        return None

    def here() -> None:
        try:
            validate_data(frame, name=name, policy=policy, run_id=run_id, digest=digest)
        except CscMlflowError as exc:
            record_failure(name, run_id, str(exc), policy, digest)

    if is_spark(frame):  # validated by Spark, here: only counts come back
        _collect_earlier(run_id)
        here()
        return None
    from csc_mlflow.quality._background import submit

    spec = policy.datasets[name]

    def record(outcome: str, answer: Any) -> None:
        if outcome == "done":
            write_result(answer, run_id, name=name, digest=digest, policy=policy)
        else:
            record_failure(name, run_id, str(answer), policy, digest)

    job = submit(
        run_id=run_id,
        frame=frame,
        suite=spec.suite,
        base=str(policy.source.parent) if policy.source is not None else None,
        block_on=spec.block_on,
        record=record,
        here=here,
    )
    if job is not None:
        return job  # validated beside the training; written before the run is sealed
    here()
    return None
