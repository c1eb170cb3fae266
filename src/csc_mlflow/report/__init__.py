"""Reviewer-facing outputs: the governance report, model-version summaries, the ATRS draft.

Names load when first used, so a command that needs one part does not import the others.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Lineage",
    "ReportHeader",
    "atrs_draft",
    "describe_version",
    "render_report",
    "render_run_report",
]

_WHERE = {
    "Lineage": "csc_mlflow.report._facts",
    "ReportHeader": "csc_mlflow.report._facts",
    "atrs_draft": "csc_mlflow.report._atrs",
    "describe_version": "csc_mlflow.report._summary",
    "render_report": "csc_mlflow.report._html",
    "render_run_report": "csc_mlflow.report._summary",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'csc_mlflow.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
