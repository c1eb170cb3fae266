"""csc-mlflow: governance evidence that travels with MLflow models for children's social care.

The public names are loaded when first used: MLflow imports this package (for its run-context
provider) inside every ``import mlflow``, and that must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from csc_mlflow._version import __version__

if TYPE_CHECKING:
    from csc_mlflow import exceptions, gate
    from csc_mlflow._decision import evaluate
    from csc_mlflow._evidence import EvidenceItem, GovernanceDecision, Reason, RunEvidence, Waiver
    from csc_mlflow._gate_decision import GateDecision
    from csc_mlflow._hooks._capture import autolog, governed_run
    from csc_mlflow._policy import Policy
    from csc_mlflow._policy_io import find_policy_file, load_policy
    from csc_mlflow._sources import SqlTable
    from csc_mlflow._verify import RunGovernance, get_status
    from csc_mlflow.fairness import FairnessResult, evaluate_fairness
    from csc_mlflow.monitoring import (
        MonitoringResult,
        log_reference_profile,
        monitor,
        record_outcomes,
    )
    from csc_mlflow.quality import DataQualityResult, validate_data

__all__ = [
    "DataQualityResult",
    "EvidenceItem",
    "FairnessResult",
    "GateDecision",
    "GovernanceDecision",
    "MonitoringResult",
    "Policy",
    "Reason",
    "RunEvidence",
    "RunGovernance",
    "SqlTable",
    "Waiver",
    "__version__",
    "autolog",
    "evaluate",
    "evaluate_fairness",
    "evaluate_performance",
    "exceptions",
    "find_policy_file",
    "gate",
    "get_status",
    "governed_run",
    "load_policy",
    "log_reference_profile",
    "monitor",
    "record_outcomes",
    "runs_view_link",
    "validate_data",
]

# Where each public name lives (a module path, or the module itself for subpackages).
_WHERE = {
    "DataQualityResult": "csc_mlflow.quality",
    "EvidenceItem": "csc_mlflow._evidence",
    "FairnessResult": "csc_mlflow.fairness",
    "GateDecision": "csc_mlflow._gate_decision",
    "GovernanceDecision": "csc_mlflow._evidence",
    "Policy": "csc_mlflow._policy",
    "Reason": "csc_mlflow._evidence",
    "RunEvidence": "csc_mlflow._evidence",
    "RunGovernance": "csc_mlflow._verify",
    "SqlTable": "csc_mlflow._sources",
    "Waiver": "csc_mlflow._evidence",
    "autolog": "csc_mlflow._hooks._capture",
    "evaluate": "csc_mlflow._decision",
    "evaluate_fairness": "csc_mlflow.fairness",
    "evaluate_performance": "csc_mlflow.performance",
    "exceptions": "",
    "find_policy_file": "csc_mlflow._policy_io",
    "runs_view_link": "csc_mlflow._names",
    "gate": "",
    "get_status": "csc_mlflow._verify",
    "governed_run": "csc_mlflow._hooks._capture",
    "load_policy": "csc_mlflow._policy_io",
    "log_reference_profile": "csc_mlflow.monitoring",
    "monitor": "csc_mlflow.monitoring",
    "MonitoringResult": "csc_mlflow.monitoring",
    "record_outcomes": "csc_mlflow.monitoring",
    "validate_data": "csc_mlflow.quality",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'csc_mlflow' has no attribute {name!r}")
    if not where:
        value: Any = importlib.import_module(f"csc_mlflow.{name}")
    else:
        value = getattr(importlib.import_module(where), name)
        if isinstance(value, type):
            value.__module__ = "csc_mlflow"  # public classes say where users find them
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
