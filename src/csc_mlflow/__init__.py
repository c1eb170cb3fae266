"""csc-mlflow: governance evidence that travels with MLflow models for children's social care."""

from csc_mlflow._capture import autolog, governed_run
from csc_mlflow._decision import GovernanceDecision, Reason, evaluate
from csc_mlflow._evidence import EvidenceItem, RunEvidence
from csc_mlflow._policy import Policy
from csc_mlflow._policy_io import find_policy_file, load_policy
from csc_mlflow._verify import RunGovernance, get_status
from csc_mlflow._version import __version__
from csc_mlflow.fairness._log import evaluate_fairness

__all__ = [
    "EvidenceItem",
    "GovernanceDecision",
    "Policy",
    "Reason",
    "RunEvidence",
    "RunGovernance",
    "__version__",
    "autolog",
    "evaluate",
    "evaluate_fairness",
    "find_policy_file",
    "get_status",
    "governed_run",
    "load_policy",
]
