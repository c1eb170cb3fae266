"""Reviewer-facing outputs: the governance report, model-version summaries, the ATRS draft."""

from csc_mlflow.report._atrs import atrs_draft
from csc_mlflow.report._html import Lineage, ReportHeader, render_report
from csc_mlflow.report._summary import describe_version, render_run_report

__all__ = [
    "Lineage",
    "ReportHeader",
    "atrs_draft",
    "describe_version",
    "render_report",
    "render_run_report",
]
