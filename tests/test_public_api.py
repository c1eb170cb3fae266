"""The public surface is exactly what __all__ says, coherent with the README."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

import csc_mlflow
import csc_mlflow.datasets
import csc_mlflow.exceptions
from csc_mlflow.exceptions import CscMlflowError


def test_all_is_pinned_and_sorted() -> None:
    assert csc_mlflow.__all__ == [
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
    assert csc_mlflow.__all__ == sorted(csc_mlflow.__all__)
    for name in csc_mlflow.__all__:
        assert hasattr(csc_mlflow, name)


def test_public_classes_say_where_users_find_them() -> None:
    classes = [v for n in csc_mlflow.__all__ if isinstance(v := getattr(csc_mlflow, n), type)]
    assert len(classes) == 12
    assert {c.__module__ for c in classes} == {"csc_mlflow"}


def test_documented_calls_exist_from_a_bare_import() -> None:
    code = (
        "import csc_mlflow; csc_mlflow.validate_data; csc_mlflow.evaluate_fairness; "
        "csc_mlflow.governed_run; csc_mlflow.autolog; csc_mlflow.get_status; "
        "csc_mlflow.gate.check; csc_mlflow.gate.promote; csc_mlflow.gate.history; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "function",
    [
        csc_mlflow.validate_data,
        csc_mlflow.evaluate_fairness,
        csc_mlflow.get_status,
        csc_mlflow.gate.check,
        csc_mlflow.gate.promote,
        csc_mlflow.gate.history,
    ],
)
def test_every_call_that_reaches_a_server_takes_the_same_connection_argument(
    function: object,
) -> None:
    import inspect

    parameter = inspect.signature(function).parameters["tracking_uri"]  # type: ignore[arg-type]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is None


def test_exceptions_share_one_base_and_carry_their_subject() -> None:
    for name in csc_mlflow.exceptions.__all__:
        assert issubclass(getattr(csc_mlflow.exceptions, name), CscMlflowError)
    assert issubclass(csc_mlflow.exceptions.PolicyError, ValueError)
    error = csc_mlflow.exceptions.DataError("x", column="DOB", path="a.csv", run_id="r1")
    assert (error.column, str(error.path), error.run_id, error.key) == ("DOB", "a.csv", "r1", None)


def test_datasets_surface() -> None:
    assert csc_mlflow.datasets.__all__ == [
        "CIN_DEFECT_KINDS",
        "DEFECT_KINDS",
        "SyntheticCIN",
        "SyntheticSSDA903",
        "make_cin_census",
        "make_monitoring_batch",
        "make_ssda903",
    ]


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

    assert csc_mlflow.gate.__all__ == [
        "AuditFinding",
        "GateDecision",
        "GateHistory",
        "Waiver",
        "audit",
        "check",
        "history",
        "promote",
    ]


def _bad_calls(tmp_path: Any) -> list[tuple[str, Callable[[], object]]]:
    import numpy as np
    import pandas as pd

    from csc_mlflow.datasets import make_ssda903

    header = make_ssda903(20, seed=1).header
    return [
        ("load_policy: missing file", lambda: csc_mlflow.load_policy(tmp_path / "no.yaml")),
        ("load_policy: none found", lambda: csc_mlflow.load_policy()),
        (
            "validate_data: missing column",
            lambda: csc_mlflow.validate_data(
                header.drop(columns=["SEX"]),
                name="header",
                suite="ssda903/header@2024-25",
                log=False,
            ),
        ),
        (
            "validate_data: bad name",
            lambda: csc_mlflow.validate_data(
                header, name="a name", suite="ssda903/header@2024-25", log=False
            ),
        ),
        (
            "validate_data: unknown suite",
            lambda: csc_mlflow.validate_data(
                header, name="header", suite="ssda903/nope@2024-25", log=False
            ),
        ),
        (
            "validate_data: dates as text",
            lambda: csc_mlflow.validate_data(
                header.astype({"DOB": str}),
                name="header",
                suite="ssda903/header@2024-25",
                log=False,
            ),
        ),
        (
            "validate_data: no run to log to",
            lambda: csc_mlflow.validate_data(header, name="header", suite="ssda903/header@2024-25"),
        ),
        (
            "evaluate_fairness: labels as text",
            lambda: csc_mlflow.evaluate_fairness(
                np.array(["y", "n"]),
                np.array([1, 0]),
                sensitive_features=pd.DataFrame({"g": ["a", "b"]}),
                run_id="r",
            ),
        ),
        (
            "evaluate_fairness: no run",
            lambda: csc_mlflow.evaluate_fairness(
                [1, 0], [1, 0], sensitive_features=pd.DataFrame({"g": ["a", "b"]})
            ),
        ),
        ("get_status: unknown run", lambda: csc_mlflow.get_status("0" * 32)),
        ("gate.history: unknown model", lambda: csc_mlflow.gate.history("no-such-model")),
        ("gate.audit: unknown model", lambda: csc_mlflow.gate.audit("no-such-model")),
        (
            "gate.history: unreadable policy",
            lambda: csc_mlflow.gate.history("m", policy=tmp_path / "missing.yaml"),
        ),
        (
            "make_ssda903: no children",
            lambda: make_ssda903(0),
        ),
    ]


def test_every_public_error_is_ours_and_names_its_subject(tracking: str, tmp_path: Any) -> None:
    for label, call in _bad_calls(tmp_path):
        with pytest.raises(CscMlflowError) as caught:
            call()
        error = caught.value
        subject = (error.path, error.key, error.column, error.run_id)
        assert any(x is not None for x in subject), (label, str(error))
        assert "Traceback" not in str(error)


def test_history_with_a_named_policy_it_cannot_read_is_an_error_not_an_unsigned_read(
    tracking: str, tmp_path: Any
) -> None:
    from csc_mlflow.exceptions import PolicyError

    with pytest.raises(PolicyError) as caught:
        csc_mlflow.gate.history("m", policy=tmp_path / "missing.yaml")
    assert caught.value.path is not None


def test_audit_without_a_policy_is_an_error_and_removes_nothing(tracking: str) -> None:
    from mlflow import MlflowClient

    from csc_mlflow.exceptions import PolicyNotFoundError

    client = MlflowClient()
    client.create_registered_model("m")
    version = client.create_model_version("m", "file:///nowhere", run_id=None)
    client.set_registered_model_alias("m", "staging", version.version)
    with pytest.raises(PolicyNotFoundError):
        csc_mlflow.gate.audit()
    assert client.get_model_version_by_alias("m", "staging").version == version.version
