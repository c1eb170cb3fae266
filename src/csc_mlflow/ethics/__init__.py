"""The Ethics Triage and Ethics Workbook as versioned, machine-checkable data."""

from csc_mlflow.ethics._definition import (
    TriageDefinition,
    WorkbookDefinition,
    triage_definition,
    workbook_definition,
)
from csc_mlflow.ethics._records import check_ethics
from csc_mlflow.ethics._triage import FlaggedTheme, TriageResult, evaluate_triage
from csc_mlflow.ethics._workbook import ThemeProgress, WorkbookResult, evaluate_workbook

__all__ = [
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
