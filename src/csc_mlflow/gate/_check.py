"""The promotion gate's check: verify a model version's evidence and judge it for an alias.

Fails closed: an unreadable artefact, a missing manifest, an unreachable server or an
exception in any step is a blocking reason, never a pass.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from csc_mlflow._decision import evaluate
from csc_mlflow._evidence import Reason
from csc_mlflow._gate_decision import GateDecision, blocked
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore
from csc_mlflow._resolve import resolve_policy
from csc_mlflow._runs import first_line
from csc_mlflow._signing import verify
from csc_mlflow._verify import get_status
from csc_mlflow.exceptions import CscMlflowError

__all__ = ["check"]


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

    Resolves the version's source run, checks the manifest against its tag, every record
    against the manifest and the run's dataset digests, then re-evaluates the current
    policy's requirements for ``alias`` with the same :func:`csc_mlflow.evaluate` the run
    used (review dates and sign-offs included).
    """
    version = str(version)
    try:
        return _check(model_name, version, alias, policy, tracking_uri, today)
    except Exception as exc:  # noqa: BLE001 - the gate fails closed on anything unexpected
        return blocked(
            model_name,
            version,
            alias,
            "gate.error",
            f"the check could not complete ({type(exc).__name__}: {first_line(exc)}); "
            "nothing was promoted",
        )


def _check(
    model_name: str,
    version: str,
    alias: str,
    policy: Any,
    tracking_uri: str | None,
    today: date | None,
) -> GateDecision:
    try:
        resolved = resolve_policy(policy)
    except CscMlflowError as exc:
        return blocked(model_name, version, alias, "gate.policy", str(exc))
    store = RegistryStore(tracking_uri=tracking_uri)
    try:
        model_version = store.model_version(model_name, version)
    except Exception as exc:  # noqa: BLE001 - unreachable server or unknown version: block
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
    try:
        status = get_status(run_id, tracking_uri=tracking_uri)
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
    decision = evaluate(resolved, status.evidence, alias=alias, today=today)
    reasons = list(decision.reasons)
    if resolved.signing is not None and resolved.signing.required:
        if not resolved.signing.public_key:
            problem: str | None = (
                "the policy requires signed manifests but names no signing.public_key"
            )
        elif status.manifest_bytes is None:
            problem = "the manifest is missing, so its signature cannot be checked"
        else:
            problem = verify(
                status.manifest_bytes,
                status.signature,
                resolved.resolve(resolved.signing.public_key),
            )
        if problem:
            reasons.append(Reason("signature.invalid", "signature", problem, "failed"))
    blocking = any(r.blocking for r in reasons)
    return GateDecision(
        model=model_name,
        version=version,
        alias=alias,
        decision="blocked" if blocking else "passed",
        reasons=tuple(reasons),
        run_id=run_id,
        manifest_sha256=status.manifest_sha256,
        policy_sha256=resolved.sha256,
    )
