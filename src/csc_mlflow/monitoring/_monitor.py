"""``monitor``: one monitoring run per batch of live data, linked to the model version it
judges, sealed like any governed run, recorded on the version and acted on per the policy."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    MonitorEntry,
    MonitoringPayload,
    ReferenceProfilePayload,
    envelope,
    utc_now,
)
from csc_mlflow._hooks._capture import governed_run
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore, monitor_history
from csc_mlflow._resolve import policy_for_model
from csc_mlflow._runs import RunWriter, first_line
from csc_mlflow._sealing import last_decision
from csc_mlflow._verify import verify_run
from csc_mlflow.exceptions import DataError, EvidenceError, TrackingServerError, UsageError
from csc_mlflow.gate._monitoring import act_on_breach, actions_recorded
from csc_mlflow.gate._promote import server_keeps_ledger
from csc_mlflow.monitoring._compare import compare_features, rate_changes
from csc_mlflow.monitoring._profile import (
    binned_features,
    frame_of,
    group_records,
    labels_for,
    monitoring_settings,
    suppression_limit,
)

__all__ = ["MonitoringResult", "assess", "monitor", "record_outcomes"]

MONITORING_STAGE: Final = "monitoring_and_review"
_VERSION_SPEC: Final = re.compile(r"^(?P<model>[^@/]+)(?:@(?P<alias>[\w\-]+)|/(?P<version>\d+))$")


@dataclass(frozen=True)
class MonitoringResult:
    """What one batch showed: the monitoring run, its sealed status, and what was done."""

    run_id: str
    model: str
    version: str
    status: str
    payload: MonitoringPayload
    reasons: tuple[str, ...]
    actions: tuple[str, ...] = ()

    @property
    def breached(self) -> bool:
        """True unless the batch passed: a breach, or evidence that could not be judged."""
        return self.status != "passed"

    def __repr__(self) -> str:
        return (
            f"MonitoringResult(model={self.model!r}, version={self.version!r}, "
            f"status={self.status!r}, actions={list(self.actions)})"
        )


def _spec(model: str) -> re.Match[str]:
    """``NAME@ALIAS`` or ``NAME/VERSION``, parsed, or a :class:`UsageError` saying so."""
    match = _VERSION_SPEC.match(model)
    if match is None:
        raise UsageError(
            f"model: expected NAME@ALIAS or NAME/VERSION (e.g. re-referral-risk@champion); "
            f"found {model!r}",
            key="model",
        )
    return match


def _resolve_version(store: RegistryStore, model: str) -> tuple[str, str, Any]:
    match = _spec(model)
    name = match["model"]
    try:
        if match["alias"]:
            mv = store.client.get_model_version_by_alias(name, match["alias"])
        else:
            mv = store.model_version(name, match["version"])
    except Exception as exc:
        raise TrackingServerError(
            f"cannot find {model!r} in the registry at {store.client.tracking_uri}: "
            f"{first_line(exc)}. Check the name and alias or version ('csc-mlflow gate history "
            f"{name}' lists the versions)",
            key="model",
        ) from exc
    return name, str(mv.version), mv


def _reference(
    writer: RunWriter, policy: Policy, run_id: str, model: str, version: str
) -> ReferenceProfilePayload:
    """The version's reference profile, from its verified training run."""
    governance = verify_run(writer, run_id, policy=policy, hash_models=False)
    if governance.problems:
        raise EvidenceError(
            f"the training run {run_id} of {model} version {version} does not verify, so its "
            f"reference profile cannot be trusted: {governance.problems[0]}",
            run_id=run_id,
        )
    found = governance.evidence.payloads(ReferenceProfilePayload)
    if not found:
        raise EvidenceError(
            f"{model} version {version} (run {run_id}) has no reference profile, so there is "
            "nothing to compare live data with. Log one in its training run with "
            "csc_mlflow.log_reference_profile(train, predictions, outcomes)",
            run_id=run_id,
        )
    profile: ReferenceProfilePayload = found[0]
    return profile


def _status(payload_drift: Any, changes: Any, insufficient: str) -> tuple[str, tuple[str, ...]]:
    breaches = [d.message for d in payload_drift if d.verdict == "drifted"]
    breaches += [c.message for c in changes if c.verdict == "breaches"]
    unsettled = [d.message for d in payload_drift if d.verdict == "inconclusive"]
    unsettled += [c.message for c in changes if c.verdict == "inconclusive"]
    withheld = [c.message for c in changes if c.verdict == "withheld"]
    never = [c.message for c in changes if c.verdict == "not_compared"]
    if breaches:
        return "failed", tuple(breaches + unsettled + withheld)
    if unsettled or (withheld and insufficient == "block"):
        return "inconclusive", tuple(unsettled + withheld)
    if withheld or never:
        return "warnings", tuple(withheld + never)
    return "passed", ()


def monitor(
    model: str,
    batch: Any,
    predictions: Any,
    outcomes: Any = None,
    *,
    batch_id: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    outcomes_for: str | None = None,
) -> MonitoringResult:
    """Monitor one batch of live data scored by a registered model version.

    Starts a monitoring run (experiment ``<model> monitoring``) linked to the version both
    ways, which holds the batch's data quality (the suite of the dataset
    ``monitoring.data_quality`` names), the drift of each monitored feature and of the
    predictions from the version's reference profile (population stability index, chi-square
    test with Holm's correction), and each sensitive group's selection rate against training
    (with ``outcomes``, also its error rates). The run is sealed like any governed run; the
    batch is recorded on the version; a breach is acted on as ``monitoring.on_breach`` says
    (and written in the ledger).

    Parameters
    ----------
    model : str
        ``NAME@ALIAS`` (the version the alias points at now) or ``NAME/VERSION``.
    batch : pandas.DataFrame
        The batch: the monitored columns and the sensitive columns.
    predictions : array-like of 0/1
        What the model predicted for each child in the batch.
    outcomes : array-like of 0/1, optional
        What happened, when known (see :func:`record_outcomes`).
    batch_id : str, optional
        A name for the batch (default: the time it was monitored).

    Examples
    --------
    >>> result = csc_mlflow.monitor(  # doctest: +SKIP
    ...     "re-referral-risk@champion", batch, model.predict(X))
    >>> result.status  # doctest: +SKIP
    'passed'
    """
    resolved = policy_for_model(_spec(model)["model"], policy)  # a folder: the model's own
    settings = monitoring_settings(resolved)
    frame = frame_of(batch, "batch")
    limit = suppression_limit(resolved)
    if len(frame) < settings.min_batch_size or len(frame) <= limit:
        raise DataError(
            f"the batch has {len(frame):,} children; monitoring needs at least "
            f"monitoring.min_batch_size ({settings.min_batch_size}) to compare without "
            "disclosing them. Monitor a longer period's batch",
            key="batch",
        )
    predicted = labels_for(predictions, len(frame), "predictions")
    observed = labels_for(outcomes, len(frame), "outcomes") if outcomes is not None else None
    batch_id = batch_id or utc_now()
    if len(batch_id) > 200:
        raise UsageError("batch_id: at most 200 characters", key="batch_id")
    binned = binned_features(resolved, frame, predicted)  # bad columns fail before any run
    store = RegistryStore(tracking_uri=tracking_uri)
    name, version, mv = _resolve_version(store, model)
    writer = RunWriter(store.client)
    if not mv.run_id:
        raise EvidenceError(f"{name} version {version} has no source run to compare with")
    profile = _reference(writer, resolved, mv.run_id, name, version)

    body = assess(
        resolved,
        profile,
        frame,
        predicted,
        observed,
        binned=binned,
        batch_id=batch_id,
        model=name,
        version=version,
        reference_run=mv.run_id,
    )
    run_id, experiment_id = _log_run(
        resolved, store, writer, name, version, body, frame, outcomes_for
    )
    sealed = last_decision(run_id)
    run_status = sealed.status if sealed is not None else "incomplete"
    run_reasons = tuple(str(r) for r in sealed.reasons) if sealed is not None else ()
    entry = _entry(store, name, version, run_id, body, run_status)
    entry = entry.model_copy(update={"experiment_id": experiment_id})
    store.record_monitoring(name, version, entry)
    if server_keeps_ledger(writer.tracking_uri):
        # The server acts when the batch is recorded (only it writes the ledger).
        actions = actions_recorded(store, name, version, run_id)
    else:
        actions = act_on_breach(store, resolved, name, version, run_id, run_status, run_reasons)
    _describe(store, name, version)
    return MonitoringResult(
        run_id=run_id,
        model=name,
        version=version,
        status=run_status,
        payload=body,
        reasons=run_reasons,
        actions=actions,
    )


def assess(
    policy: Policy,
    profile: ReferenceProfilePayload,
    frame: pd.DataFrame,
    predicted: Any,
    observed: Any,
    *,
    batch_id: str,
    model: str,
    version: str,
    reference_run: str,
    binned: list[Any] | None = None,
) -> MonitoringPayload:
    """The monitoring record of one batch against ``profile``: drift per feature and of the
    predictions, each group's rates against training, and the status they give (pure: no
    MLflow)."""
    settings = monitoring_settings(policy)
    limit = suppression_limit(policy)
    binned = binned if binned is not None else binned_features(policy, frame, predicted)
    drift = compare_features(profile, binned, limit=limit, drift=settings.drift)
    groups, metrics, notes = group_records(policy, frame, predicted, observed, "batch")
    changes = (
        rate_changes(profile.groups, groups, metrics, settings.fairness)
        if settings.fairness is not None
        else ()
    )
    insufficient = policy.fairness.insufficient_evidence if policy.fairness else "block"
    status, reasons = _status(drift, changes, insufficient)
    return MonitoringPayload(
        name=batch_id,
        status=status,
        reasons=reasons,
        model=model,
        version=version,
        reference_run=reference_run,
        batch=batch_id,
        count=len(frame),
        outcomes=observed is not None,
        psi_max=settings.drift.psi_max,
        alpha=settings.drift.alpha,
        max_rate_change=settings.fairness.max_rate_change if settings.fairness else None,
        judge=settings.fairness.judge if settings.fairness else "point",
        drift=drift,
        changes=changes,
        groups=groups,
        notes=notes,
    )


def _experiment(writer: RunWriter, model: str) -> str:
    name = f"{model} monitoring"
    found = writer.client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    try:
        return str(writer.client.create_experiment(name))
    except Exception:  # another process made it first
        found = writer.client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def _log_run(
    policy: Policy,
    store: RegistryStore,
    writer: RunWriter,
    model: str,
    version: str,
    body: MonitoringPayload,
    frame: pd.DataFrame,
    outcomes_for: str | None,
) -> tuple[str, str]:
    import mlflow

    settings = monitoring_settings(policy)
    tags = {
        names.PURPOSE_TAG: "monitoring",
        names.MONITOR_MODEL_TAG: model,
        names.MONITOR_VERSION_TAG: version,
        names.MONITOR_BATCH_TAG: body.batch,
        names.MONITOR_REFERENCE_TAG: body.reference_run,
    }
    if outcomes_for:
        tags[names.MONITOR_OUTCOMES_FOR_TAG] = outcomes_for
    experiment_id = _experiment(writer, model)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(writer.tracking_uri)
    try:
        with governed_run(
            policy,
            stage=MONITORING_STAGE,
            experiment_id=experiment_id,
            run_name=f"{model} v{version} {body.batch}"[:250],
            tags=tags,
            nested=mlflow.active_run() is not None,
        ) as run:
            run_id = str(run.info.run_id)
            if settings.data_quality:
                from csc_mlflow.quality import validate_data

                validate_data(frame, name=settings.data_quality, policy=policy, run_id=run_id)
            record = envelope(
                "csc.monitoring", body, run_id=run_id, policy_sha256=policy.evidence_sha256
            )
            writer.log_record(run_id, names.MONITORING_PATH, record)
            metrics = {
                f"csc.monitor.psi.{d.feature}": d.psi for d in body.drift if d.psi is not None
            }
            writer.log_summary(run_id, tags={"csc.monitor.status": body.status}, metrics=metrics)
    finally:
        mlflow.set_tracking_uri(previous)
    return run_id, experiment_id


def _entry(
    store: RegistryStore,
    model: str,
    version: str,
    run_id: str,
    body: MonitoringPayload,
    status: str,
) -> MonitorEntry:
    history = monitor_history(store.model_version(model, version).tags)
    rates = {
        f"{c.feature}/{c.group}": c.batch.value
        for c in body.changes
        if c.metric == "selection_rate"
    }
    return MonitorEntry(
        seq=max((e.seq for e in history), default=0) + 1,
        run_id=run_id,
        batch=body.batch,
        status=status,
        time=utc_now(),
        count=body.count,
        outcomes=body.outcomes,
        psi={d.feature: d.psi for d in body.drift},
        rates=rates,
        breaches=tuple(
            [f"drift: {d.feature}" for d in body.drift if d.verdict == "drifted"]
            + [
                f"{c.metric}: {c.feature} {c.group}"
                for c in body.changes
                if c.verdict == "breaches"
            ]
        ),
    )


def _describe(store: RegistryStore, model: str, version: str) -> None:
    import contextlib

    from csc_mlflow.report._summary import describe_version

    with contextlib.suppress(Exception):  # a courtesy: the tags and ledger hold the facts
        describe_version(model, version, client=store.client)


def record_outcomes(
    run_id: str,
    batch: Any,
    predictions: Any,
    outcomes: Any,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
) -> MonitoringResult:
    """Outcomes for a batch monitored earlier (``run_id``: its monitoring run): a new
    monitoring run for the same version and batch, with each group's error rates against
    training. Give the same batch and predictions as before (they are not stored)."""
    writer = RunWriter(tracking_uri=tracking_uri)
    tags = writer.get_run(run_id).data.tags
    if tags.get(names.PURPOSE_TAG) != "monitoring":
        raise UsageError(
            f"run {run_id} is not a monitoring run (it has no {names.PURPOSE_TAG}=monitoring "
            "tag); give the run id csc_mlflow.monitor returned",
            run_id=run_id,
        )
    return monitor(
        f"{tags[names.MONITOR_MODEL_TAG]}/{tags[names.MONITOR_VERSION_TAG]}",
        batch,
        predictions,
        outcomes,
        batch_id=f"{tags.get(names.MONITOR_BATCH_TAG, run_id)} outcomes",
        policy=policy,
        tracking_uri=tracking_uri,
        outcomes_for=run_id,
    )
