"""Promote: move an alias only when the gate passes (or a valid waiver covers every reason)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from datetime import date

from csc_mlflow._evidence import Reason, Waiver
from csc_mlflow._gate_decision import GateDecision, apply_waiver
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore
from csc_mlflow._resolve import resolve_policy
from csc_mlflow.exceptions import PromotionBlocked
from csc_mlflow.gate._check import check
from csc_mlflow.report._summary import describe_version

__all__ = ["promote"]


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
    today = today or date.today()
    decision = check(
        model_name, version, alias, policy=policy, tracking_uri=tracking_uri, today=today
    )
    if not decision.passed and waiver is not None:
        try:
            decision = apply_waiver(decision, waiver, resolve_policy(policy), today)
        except Exception as exc:  # noqa: BLE001 - a waiver that cannot be judged does not pass
            decision = dataclasses.replace(
                decision,
                reasons=decision.reasons + (Reason("waiver.error", "waiver", str(exc), "failed"),),
            )
    store = RegistryStore(tracking_uri=tracking_uri)
    try:
        store.append(decision, who=actor)
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
        _summarise(store, model_name, decision.version)
        lines = "\n".join(f"  - {r}" for r in decision.reasons if r.blocking)
        raise PromotionBlocked(
            f"promotion of {model_name} version {decision.version} to {alias!r} blocked:\n{lines}",
            decision=decision,
        )
    store.set_alias(model_name, alias, decision.version)
    _summarise(store, model_name, decision.version)
    return decision


def _summarise(store: RegistryStore, model: str, version: str) -> None:
    # The summary is a courtesy; the ledger already holds the decision.
    with contextlib.suppress(Exception):
        describe_version(model, version, client=store.client)
