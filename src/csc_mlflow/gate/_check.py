"""The promotion gate's check: verify a model version's evidence and judge it for an alias.

One verification (:func:`csc_mlflow._verify.verify_run` and :func:`verify_version`): the seal,
every record, dataset digest and signature, the run id the manifest names, and the files the
registry serves for the version, re-hashed against the model the run sealed. Then one
judgement: the sealed records against the policy in force now, with the MLflow status and
policy hash the run was sealed with (never a tag), and every fairness threshold re-judged
from the recorded figures.

Fails closed: an unreadable artefact, a missing manifest, an unreachable server or an
exception in any step is a blocking reason, never a pass.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from csc_mlflow._decision import (
    compare_with_holder,
    evaluate,
    judged_by,
    monitoring_reasons,
    requirements_for,
)
from csc_mlflow._evidence import FairnessPayload, Reason
from csc_mlflow._gate_decision import GateDecision, blocked
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore
from csc_mlflow._resolve import policy_for_model
from csc_mlflow._runs import RunWriter, first_line
from csc_mlflow._verify import RunGovernance, served_files, verify_run, verify_version
from csc_mlflow.exceptions import CscMlflowError, EvidenceError
from csc_mlflow.fairness import rejudge
from csc_mlflow.gate._monitoring import last_monitoring, when

__all__ = ["check", "check_with"]


def check(
    model_name: str,
    version: str | int,
    alias: str,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    today: date | None = None,
) -> GateDecision:
    """Verify model version ``version``'s evidence and judge it against ``gate.<alias>``.

    Resolves the version's source run, verifies the run's seal and the version's files, then
    re-evaluates the current policy's requirements for ``alias`` with the same
    :func:`csc_mlflow.evaluate` the run used (review dates and sign-offs included).
    """
    version = str(version)
    try:
        store = RegistryStore(tracking_uri=tracking_uri)
        return check_with(store, model_name, version, alias, policy=policy, today=today)
    except Exception as exc:  # noqa: BLE001 - the gate fails closed on anything unexpected
        return _error(model_name, version, alias, exc)


def check_with(
    store: RegistryStore,
    model_name: str,
    version: str,
    alias: str,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    today: date | None = None,
) -> GateDecision:
    """:func:`check` through a given registry store (the server app passes its own)."""
    try:
        return _check(store, model_name, str(version), alias, policy, today)
    except Exception as exc:  # noqa: BLE001 - the gate fails closed on anything unexpected
        return _error(model_name, str(version), alias, exc)


def _error(model_name: str, version: str, alias: str, exc: BaseException) -> GateDecision:
    return blocked(
        model_name,
        version,
        alias,
        "gate.error",
        f"the check could not complete ({type(exc).__name__}: {first_line(exc)}); "
        "nothing was promoted",
    )


def _check(
    store: RegistryStore,
    model_name: str,
    version: str,
    alias: str,
    policy: Any,
    today: date | None,
) -> GateDecision:
    try:
        resolved = policy_for_model(model_name, policy)
    except CscMlflowError as exc:
        return blocked(model_name, version, alias, "gate.policy", str(exc))
    try:
        model_version = store.model_version(model_name, version)
    except Exception as exc:  # noqa: BLE001 - unreachable server or unknown version: block
        if getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
            return blocked(
                model_name,
                version,
                alias,
                "gate.no_version",
                f"the registry at {store.client.tracking_uri} has no version {version} of a "
                f"model called {model_name!r}; check the name (names are case-sensitive) and "
                "the version ('csc-mlflow gate history MODEL' lists the versions decided)",
                policy_sha256=resolved.sha256,
            )
        return blocked(
            model_name,
            version,
            alias,
            "gate.unreachable",
            f"cannot read version {version} of model {model_name!r} from the registry "
            f"({first_line(exc)}); check the name, the "
            "version and that the tracking server is running",
            policy_sha256=resolved.sha256,
        )
    run_id = model_version.run_id
    if not run_id:
        return blocked(
            model_name,
            version,
            alias,
            "gate.no_run",
            "the model version has no source run, so it carries no evidence",
            policy_sha256=resolved.sha256,
        )
    writer = RunWriter(store.client)
    # The model's files (the big download) are fetched and hashed while the seal is read.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(served_files, writer, model_version)
        try:
            governance = verify_run(writer, run_id, policy=resolved, hash_models=False)
        except CscMlflowError as exc:
            return blocked(
                model_name,
                version,
                alias,
                "gate.evidence",
                str(exc),
                run_id=run_id,
                policy_sha256=resolved.sha256,
            )
        served = verify_version(writer, model_version, governance, served=hashing)
    evidence = dataclasses.replace(
        governance.evidence, problems=governance.evidence.problems + tuple(served)
    )
    decision = evaluate(resolved, evidence, alias=alias, today=today)
    reasons = list(decision.reasons)
    if not judged_by(resolved, governance.sealed_policy_sha256):
        reasons.extend(_rejudged(resolved, governance, alias))
    against, compared = _against_holder(
        store, writer, resolved, model_name, version, alias, evidence
    )
    reasons.extend(against)
    reasons.extend(_monitoring(store, resolved, model_name, version, model_version, today))
    blocking = any(r.blocking for r in reasons)
    return GateDecision(
        model=model_name,
        version=version,
        alias=alias,
        decision="blocked" if blocking else "passed",
        reasons=tuple(reasons),
        run_id=run_id,
        manifest_sha256=governance.manifest_sha256,
        policy_sha256=resolved.sha256,
        sealed_policy_sha256=governance.sealed_policy_sha256,
        compared=tuple(compared),
    )


def _monitoring(
    store: RegistryStore,
    policy: Policy,
    model_name: str,
    version: str,
    model_version: Any,
    today: date | None,
) -> list[Reason]:
    """What the live data says of the version: its last monitoring run (verified), and
    whether one is overdue since it was first deployed (``monitoring.max_age_days``)."""
    if policy.monitoring is None:
        return []
    last = last_monitoring(RunWriter(store.client), policy, model_name, version, model_version.tags)
    ledger = store.ledger(model_name, version, read=model_version)
    deployed = [
        e.time for e in ledger.entries if e.decision in ("passed", "waived") and e.via != "monitor"
    ]
    now = (
        datetime.combine(today, datetime.min.time(), tzinfo=UTC)
        if today is not None
        else datetime.now(UTC)
    )
    reasons = monitoring_reasons(
        policy,
        last_status=last.status,
        last_at=last.at,
        deployed_since=when(min(deployed)) if deployed else None,
        now=now,
    )
    if last.problem is not None:  # altered or misplaced evidence blocks, whatever on_breach
        reasons.append(
            Reason(
                "monitoring.unverifiable",
                "monitoring",
                f"the last monitoring run ({last.run_id}) cannot be trusted: {last.problem}",
                "failed",
            )
        )
    return reasons


def _against_holder(
    store: RegistryStore,
    writer: RunWriter,
    policy: Policy,
    model_name: str,
    version: str,
    alias: str,
    candidate: Any,
) -> tuple[list[Reason], list[str]]:
    """The candidate against the version holding ``alias`` (when the alias sets a
    ``regression`` and another version holds it): both verified, then compared."""
    if alias not in policy.gate or not policy.gate[alias].regression:
        return [], []
    holder = store.alias_version(model_name, alias)
    if holder is None or holder == version:
        return [], [f"no other version holds {alias}: nothing to compare with"]
    held = store.model_version(model_name, holder)
    try:
        if not held.run_id:
            raise EvidenceError(f"version {holder} has no source run")
        theirs = verify_run(writer, held.run_id, policy=policy, hash_models=False)
    except CscMlflowError as exc:
        problem = str(exc)
    else:
        problem = "; ".join(theirs.problems)
    if problem:
        return [
            Reason(
                "gate.regression",
                f"alias {alias}",
                f"version {holder}, which holds {alias}, does not verify ({problem}), so the "
                "candidate cannot be compared with it",
                "incomplete",
            )
        ], []
    return compare_with_holder(policy, alias, candidate, theirs.evidence, holder)


def _rejudged(policy: Policy, governance: RunGovernance, alias: str) -> list[Reason]:
    """The fairness thresholds of the policy in force, judged on the sealed figures."""
    if policy.fairness is None or alias not in policy.gate:
        return []
    wanted = requirements_for(policy, alias)
    reasons = []
    for item in governance.evidence.items:
        if not isinstance(item.payload, FairnessPayload):
            continue
        if not any(item.requirement == w or item.requirement.startswith(w + ".") for w in wanted):
            continue
        for result in rejudge(policy.fairness, item.payload):
            if result.verdict == "meets":
                continue
            outcome = "failed" if result.verdict == "breaches" else "incomplete"
            if result.verdict == "inconclusive" and policy.gate[alias].inconclusive == "warn":
                outcome = "warning"
            reasons.append(
                Reason(
                    f"fairness.rejudged.{result.verdict}",
                    item.requirement,
                    f"under the policy in force: {result.message}",
                    outcome,  # type: ignore[arg-type]
                )
            )
    return reasons
