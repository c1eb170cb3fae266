"""Promote: move an alias only when the gate passes (or a valid waiver covers every reason)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from csc_mlflow._decision import Reason
from csc_mlflow._policy import Policy
from csc_mlflow.exceptions import PromotionBlocked
from csc_mlflow.gate._check import GateDecision, check
from csc_mlflow.gate._ledger import append


@dataclass(frozen=True)
class Waiver:
    """A named person's acceptance of blocking reasons, for stated requirements, until a date."""

    name: str
    role: str
    reason: str
    expires: date
    covers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (kept in the ledger)."""
        return {
            "name": self.name,
            "role": self.role,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "covers": list(self.covers),
        }


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
    """``decision`` with ``waiver`` applied: waived only if it covers every blocking reason."""
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
        return dataclasses.replace(
            decision, reasons=decision.reasons + extra, waiver=waiver.to_dict()
        )
    return dataclasses.replace(decision, decision="waived", waiver=waiver.to_dict())


def promote(
    model_name: str,
    version: str | int,
    alias: str,
    *,
    waiver: Waiver | None = None,
    actor: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    today: date | None = None,
) -> GateDecision:
    """Check, record the decision in the ledger, and set ``alias`` only if it passed.

    Raises
    ------
    PromotionBlocked
        The gate blocked (the decision is in the ledger and on ``.decision``).
    """
    from mlflow import MlflowClient

    from csc_mlflow._capture import _resolve

    today = today or date.today()
    decision = check(
        model_name, version, alias, policy=policy, tracking_uri=tracking_uri, today=today
    )
    if not decision.passed and waiver is not None:
        try:
            decision = apply_waiver(decision, waiver, _resolve(policy), today)
        except Exception as exc:  # noqa: BLE001 - a waiver that cannot be judged does not pass
            decision = dataclasses.replace(
                decision,
                reasons=decision.reasons + (Reason("waiver.error", "waiver", str(exc), "failed"),),
            )
    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        append(client, decision, who=actor)
    except Exception as exc:  # noqa: BLE001 - no ledger entry, no promotion
        decision = dataclasses.replace(
            decision,
            decision="blocked",
            reasons=decision.reasons
            + (
                Reason(
                    "ledger.error",
                    "ledger",
                    f"the decision could not be recorded ({exc})",
                    "failed",
                ),
            ),
        )
    if not decision.passed:
        _summarise(client, model_name, decision.version)
        lines = "\n".join(f"  - {r}" for r in decision.reasons if r.blocking)
        raise PromotionBlocked(
            f"promotion of {model_name} version {decision.version} to {alias!r} blocked:\n{lines}",
            decision=decision,
        )
    client.set_registered_model_alias(model_name, alias, decision.version)
    _summarise(client, model_name, decision.version)
    return decision


def _summarise(client: Any, model: str, version: str) -> None:
    from csc_mlflow.report._summary import describe_version

    # The summary is a courtesy; the ledger already holds the decision.
    with contextlib.suppress(Exception):
        describe_version(client, model, version)
