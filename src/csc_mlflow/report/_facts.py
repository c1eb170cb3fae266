"""What a report, a model card and an ATRS record are about: plain data, nothing heavy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from csc_mlflow._evidence import DatasetRef

__all__ = ["Lineage", "ReportHeader"]


@dataclass(frozen=True)
class ReportHeader:
    """Whose work the report is about (from the policy's ``project``)."""

    name: str
    owner: str | None = None
    accountable_officer: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Where the evidence came from."""

    run_id: str
    mlflow_status: str | None = None
    policy_sha256: str | None = None
    datasets: tuple[DatasetRef, ...] = ()
    packages: Mapping[str, str] = field(default_factory=dict)
    model_ids: tuple[str, ...] = ()
    stage: str | None = None
