"""The promotion gate: verify evidence, promote with a ledger, enforce at the server.

``check``, ``promote`` and ``history`` take the same connection argument as the rest of
csc-mlflow, ``tracking_uri=`` (default: MLflow's current tracking URI).
"""

from csc_mlflow._evidence import Waiver
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._registry import GateHistory
from csc_mlflow.gate._audit import AuditFinding, audit
from csc_mlflow.gate._check import check
from csc_mlflow.gate._history import history
from csc_mlflow.gate._promote import promote

__all__ = [
    "AuditFinding",
    "GateDecision",
    "GateHistory",
    "Waiver",
    "audit",
    "check",
    "history",
    "promote",
]
