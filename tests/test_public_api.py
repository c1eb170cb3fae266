"""The public surface is exactly what __all__ says."""

from __future__ import annotations

import csc_mlflow
import csc_mlflow.datasets
import csc_mlflow.exceptions


def test_all_is_pinned_and_sorted() -> None:
    assert csc_mlflow.__all__ == [
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
    assert csc_mlflow.__all__ == sorted(csc_mlflow.__all__)
    for name in csc_mlflow.__all__:
        assert hasattr(csc_mlflow, name)


def test_exceptions_share_one_base() -> None:
    from csc_mlflow.exceptions import CscMlflowError

    for name in csc_mlflow.exceptions.__all__:
        assert issubclass(getattr(csc_mlflow.exceptions, name), CscMlflowError)
    assert issubclass(csc_mlflow.exceptions.PolicyError, ValueError)


def test_datasets_surface() -> None:
    assert csc_mlflow.datasets.__all__ == ["DEFECT_KINDS", "SyntheticSSDA903", "make_ssda903"]


def test_ethics_surface() -> None:
    import csc_mlflow.ethics

    assert csc_mlflow.ethics.__all__ == [
        "FlaggedTheme",
        "ThemeProgress",
        "TriageDefinition",
        "TriageResult",
        "WorkbookDefinition",
        "WorkbookResult",
        "check_ethics",
        "evaluate_triage",
        "evaluate_workbook",
        "triage_definition",
        "workbook_definition",
    ]


def test_gate_surface() -> None:
    import csc_mlflow.gate

    assert csc_mlflow.gate.__all__ == ["GateDecision", "Waiver", "check", "history", "promote"]
