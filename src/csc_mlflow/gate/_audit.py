"""``gate audit``: judge every aliased version again, now.

Evidence altered since promotion, a waiver that has expired, a review date that has passed,
a policy that changed: each makes an alias that passed once fail now. Per the policy
(``gate.<alias>.audit``: ``remove``, the default, or ``report``) the audit removes such an
alias or reports it, and records each action in the version's ledger. ``gate watch`` runs it
on start-up and on a schedule, so a missed webhook is caught.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from csc_mlflow._evidence import Reason
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore
from csc_mlflow._resolve import policy_for_model
from csc_mlflow._runs import first_line
from csc_mlflow.exceptions import TrackingServerError
from csc_mlflow.gate._check import check_with
from csc_mlflow.gate._waivers import recorded_waiver

__all__ = ["AuditFinding", "audit"]

Action = Literal["kept", "removed", "reported"]


@dataclass(frozen=True)
class AuditFinding:
    """One alias judged again: the decision now, and what the audit did about it."""

    model: str
    alias: str
    version: str
    decision: GateDecision
    action: Action
    recorded: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``gate audit --json``)."""
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "action": self.action,
            "recorded": self.recorded,
            "decision": self.decision.to_dict(),
        }


def audit(
    model_name: str | None = None,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    today: date | None = None,
    actor: str = "audit",
) -> tuple[AuditFinding, ...]:
    """Judge every alias of ``model_name`` (default: every registered model) again.

    Raises
    ------
    TrackingServerError
        The registry could not be read.
    PolicyError
        The policy could not be read (nothing is removed on a policy the audit cannot read).
    """
    store = RegistryStore(tracking_uri=tracking_uri)
    try:
        names = [model_name] if model_name else sorted(m.name for m in store.registered_models())
        known = {m.name for m in store.registered_models()} if model_name else set(names)
    except Exception as exc:
        raise TrackingServerError(
            f"cannot read the registry at {store.client.tracking_uri}: {first_line(exc)}. "
            "Check the tracking URI and that the server is running.",
            key=model_name,
        ) from exc
    if model_name and model_name not in known:
        raise TrackingServerError(
            f"no registered model called {model_name!r} at {store.client.tracking_uri}; check "
            "the name (names are case-sensitive)",
            key=model_name,
        )
    # Each model by its own policy (a folder of policies), read before anything is removed.
    resolved = {n: policy_for_model(n, policy) for n in names}
    today = today or date.today()
    aliased = [(n, dict(store.client.get_registered_model(n).aliases)) for n in names]
    findings = []
    for name, aliases in aliased:
        for alias, version in sorted(aliases.items()):
            findings.append(
                _audit_one(store, resolved[name], name, alias, str(version), today, actor)
            )
    return tuple(findings)


def _audit_one(
    store: RegistryStore,
    policy: Policy,
    name: str,
    alias: str,
    version: str,
    today: date,
    actor: str,
) -> AuditFinding:
    decision = check_with(store, name, version, alias, policy=policy, today=today)
    try:
        decision = recorded_waiver(store, decision, policy, today)
    except Exception as exc:  # noqa: BLE001 - a waiver that cannot be read does not pass
        decision = dataclasses.replace(
            decision,
            reasons=decision.reasons
            + (Reason("waiver.error", "waiver", first_line(exc), "failed"),),
        )
    if decision.passed:
        return AuditFinding(name, alias, version, decision, "kept")
    mode = policy.gate[alias].audit if alias in policy.gate else "remove"
    blocking = [r for r in decision.reasons if r.blocking]
    if (
        policy.monitoring is not None
        and policy.monitoring.on_breach == "block"
        and blocking
        and all(r.code.startswith("monitoring.") for r in blocking)
    ):
        mode = "report"  # on_breach: block refuses new promotions; only remove_alias removes
    action: Action = "reported"
    if mode == "remove" and store.alias_version(name, alias) == version:
        store.delete_alias(name, alias)
        action = "removed"
    note = Reason(
        f"gate.audit.{action}",
        "gate",
        f"alias {alias!r} no longer passes the gate and was {action} by the audit",
        "failed",
    )
    decision = dataclasses.replace(decision, decision="blocked", reasons=decision.reasons + (note,))
    try:
        store.append(decision, who=actor, via="audit")
        recorded = True
    except Exception:  # noqa: BLE001 - reported to the caller; the action still stands
        recorded = False
    return AuditFinding(name, alias, version, decision, action, recorded)
