"""The promotion gate's check: verify a model version's evidence and judge it for an alias.

Fails closed: an unreadable artefact, a missing manifest, an unreachable server or an
exception in any step is a blocking reason, never a pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from csc_mlflow._decision import Reason, evaluate
from csc_mlflow._policy import Policy

Outcome = Literal["passed", "blocked", "waived"]


@dataclass(frozen=True)
class GateDecision:
    """Whether ``alias`` may move onto a model version, with every reason."""

    model: str
    version: str
    alias: str
    decision: Outcome
    reasons: tuple[Reason, ...]
    run_id: str | None = None
    manifest_sha256: str | None = None
    policy_sha256: str | None = None
    waiver: dict[str, Any] | None = field(default=None)

    @property
    def passed(self) -> bool:
        """True when the alias may move (passed, or every blocking reason waived)."""
        return self.decision in ("passed", "waived")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json`` output and the ledger)."""
        return {
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "decision": self.decision,
            "reasons": [r.to_dict() for r in self.reasons],
            "run_id": self.run_id,
            "manifest_sha256": self.manifest_sha256,
            "policy_sha256": self.policy_sha256,
            "waiver": self.waiver,
        }


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _blocked(
    model: str, version: str, alias: str, code: str, message: str, **kw: Any
) -> GateDecision:
    return GateDecision(
        model, str(version), alias, "blocked", (Reason(code, "gate", message, "failed"),), **kw
    )


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
        return _blocked(
            model_name,
            version,
            alias,
            "gate.error",
            f"the check could not complete ({type(exc).__name__}: {_first(exc)}); "
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
    from mlflow import MlflowClient

    from csc_mlflow._capture import _resolve
    from csc_mlflow._verify import get_status
    from csc_mlflow.exceptions import CscMlflowError

    try:
        resolved = _resolve(policy)
    except CscMlflowError as exc:
        return _blocked(model_name, version, alias, "gate.policy", str(exc))
    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        model_version = client.get_model_version(model_name, version)
    except Exception as exc:  # noqa: BLE001 - unreachable server or unknown version: block
        return _blocked(
            model_name,
            version,
            alias,
            "gate.unreachable",
            f"cannot read version {version} of model {model_name!r} from the registry "
            f"({_first(exc)}); check the name, the "
            "version and that the tracking server is running",
            policy_sha256=resolved.sha256,
        )
    run_id = model_version.run_id
    if not run_id:
        return _blocked(
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
        return _blocked(
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
        from csc_mlflow.gate._signing import verify_signature

        problem = verify_signature(client, run_id, status.manifest_sha256, resolved)
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
