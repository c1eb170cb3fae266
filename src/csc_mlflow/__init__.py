"""csc-mlflow: governance evidence that travels with MLflow models for children's social care."""

from csc_mlflow import exceptions, gate
from csc_mlflow._decision import evaluate
from csc_mlflow._evidence import EvidenceItem, GovernanceDecision, Reason, RunEvidence, Waiver
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._hooks._capture import autolog, governed_run
from csc_mlflow._policy import Policy
from csc_mlflow._policy_io import find_policy_file, load_policy
from csc_mlflow._verify import RunGovernance, get_status
from csc_mlflow._version import __version__
from csc_mlflow.fairness import FairnessResult, evaluate_fairness
from csc_mlflow.quality import DataQualityResult, validate_data

__all__ = [
    "DataQualityResult",
    "EvidenceItem",
    "FairnessResult",
    "GateDecision",
    "GovernanceDecision",
    "Policy",
    "Reason",
    "RunEvidence",
    "RunGovernance",
    "Waiver",
    "__version__",
    "autolog",
    "evaluate",
    "evaluate_fairness",
    "exceptions",
    "find_policy_file",
    "gate",
    "get_status",
    "governed_run",
    "load_policy",
    "validate_data",
]

# The public classes say where users find them (as httpx does).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _value.__module__ = "csc_mlflow"
del _name, _value
