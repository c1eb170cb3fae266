"""The promotion gate: verify evidence, promote with a ledger, enforce at the server."""

from csc_mlflow.gate._check import GateDecision, check
from csc_mlflow.gate._ledger import history
from csc_mlflow.gate._promote import Waiver, promote

__all__ = ["GateDecision", "Waiver", "check", "history", "promote"]
