"""The gate's decision for one alias on one model version, and how a waiver applies to it.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from csc_mlflow._evidence import Reason, Waiver
from csc_mlflow._policy import Policy

__all__ = ["GateDecision", "GateOutcome", "Waiver", "apply_waiver", "blocked"]

GateOutcome = Literal["passed", "blocked", "waived"]


@dataclass(frozen=True)
class GateDecision:
    """Whether ``alias`` may move onto a model version, with every reason."""

    model: str
    version: str
    alias: str
    decision: GateOutcome
    reasons: tuple[Reason, ...]
    run_id: str | None = None
    manifest_sha256: str | None = None
    policy_sha256: str | None = None
    waiver: Waiver | None = None
    sealed_policy_sha256: str | None = None
    compared: tuple[str, ...] = ()
    """Challenger against champion: each measure on this version and on the one holding the
    alias, side by side (empty when the alias sets no ``regression`` or nothing holds it)."""

    @property
    def passed(self) -> bool:
        """True when the alias may move (passed, or every blocking reason waived)."""
        return self.decision in ("passed", "waived")

    @property
    def error(self) -> bool:
        """True when the gate could not judge at all (no policy, the registry unreachable, no
        such version, an unexpected failure): still blocked, but an error to fix first, not a
        verdict on the evidence."""
        return (
            self.decision == "blocked"
            and bool(self.reasons)
            and all(r.code in ERROR_CODES for r in self.reasons)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json`` output)."""
        return {
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "decision": self.decision,
            "error": self.error,
            "reasons": [r.to_dict() for r in self.reasons],
            "run_id": self.run_id,
            "manifest_sha256": self.manifest_sha256,
            "policy_sha256": self.policy_sha256,
            "sealed_policy_sha256": self.sealed_policy_sha256,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            "compared": list(self.compared),
        }


ERROR_CODES: Final = frozenset(
    {
        "gate.error",
        "gate.policy",
        "gate.unreachable",
        "gate.no_version",
        "ledger.error",
        "ledger.unsigned",
    }
)
"""Reasons that mean the gate could not judge or record (exit 1 at the command line, not 3):
no policy, no such version, the registry or ledger unreachable, a signing key not set."""


def blocked(
    model: str, version: str, alias: str, code: str, message: str, **known: Any
) -> GateDecision:
    """A decision that blocks for one reason (the gate's own, not the evidence's)."""
    return GateDecision(
        model, str(version), alias, "blocked", (Reason(code, "gate", message, "failed"),), **known
    )


def _requirement(reason: Reason) -> str | None:
    """The requirement a reason is about, when it is one a waiver can cover."""
    subject = reason.subject
    if subject.startswith(("data_quality", "fairness", "ethics.")):
        return subject
    if subject.startswith("sign-off by ") or subject == "review date":
        return "ethics.workbook"
    return None


def apply_waiver(
    decision: GateDecision, waiver: Waiver, policy: Policy, today: date
) -> GateDecision:
    """``decision`` with ``waiver`` applied: waived only if it covers every blocking reason,
    the policy lets the waiver's role waive each requirement, and it has not expired."""
    problems = []
    allowed = policy.gate[decision.alias].waivers if decision.alias in policy.gate else {}
    if waiver.expires < today:
        problems.append(f"the waiver expired on {waiver.expires.isoformat()}")
    for reason in (r for r in decision.reasons if r.blocking):
        requirement = _requirement(reason)
        covered = requirement is not None and any(
            requirement == c or requirement.startswith(c + ".") for c in waiver.covers
        )
        if not covered or requirement is None:
            problems.append(f"the waiver does not cover: {reason}")
            continue
        key = next(
            (k for k in allowed if requirement == k or requirement.startswith(k + ".")), None
        )
        if key is None or waiver.role not in allowed[key]:
            problems.append(f"the policy does not let a {waiver.role} waive {requirement}")
    if problems:
        extra = tuple(Reason("waiver.refused", "waiver", p, "failed") for p in problems)
        return dataclasses.replace(decision, reasons=decision.reasons + extra, waiver=waiver)
    return dataclasses.replace(decision, decision="waived", waiver=waiver)
