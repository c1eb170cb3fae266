"""Waivers the gate honours after the fact: only from ledger entries that verify.

The server app, the reconciler (``gate watch``) and ``gate audit`` re-judge an alias that a
waiver let through. The waiver is taken from the newest ``waived`` entry for the same alias,
manifest and policy, and only when the version's whole ledger verifies (every entry signed
and the head intact, when the policy names a public key); it is then judged again, today,
against the policy in force (roles, coverage, expiry).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from csc_mlflow._evidence import Reason
from csc_mlflow._gate_decision import GateDecision, apply_waiver
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore

__all__ = ["ledger_key", "recorded_waiver"]


def ledger_key(policy: Policy | None) -> Path | None:
    """The public key ledger entries are checked against (the policy's signing key)."""
    if policy is None or policy.signing is None or not policy.signing.public_key:
        return None
    return policy.resolve(policy.signing.public_key)


def recorded_waiver(
    store: RegistryStore, decision: GateDecision, policy: Policy, today: date
) -> GateDecision:
    """``decision`` with the waiver recorded for this very evidence applied, if one verifies."""
    if decision.passed:
        return decision
    ledger = store.ledger(decision.model, decision.version, public_key=ledger_key(policy))
    granted = [
        e
        for e in ledger.entries
        if e.decision == "waived"
        and e.alias == decision.alias
        and e.manifest_sha256 == decision.manifest_sha256
        and e.policy_sha256 == decision.policy_sha256
        and e.waiver is not None
    ]
    if not granted:
        return decision
    if not ledger.intact:
        note = Reason(
            "waiver.unverified",
            "waiver",
            "a waiver is recorded for this version but its ledger does not verify ("
            + "; ".join(ledger.problems[:3])
            + "), so it is not honoured",
            "failed",
        )
        return dataclasses.replace(decision, reasons=decision.reasons + (note,))
    waiver = granted[-1].waiver
    assert waiver is not None
    return apply_waiver(decision, waiver, policy, today)
