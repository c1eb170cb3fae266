"""Errors raised by csc-mlflow.

Every error is a :class:`CscMlflowError`, so ``except CscMlflowError`` catches all of ours
and nothing else. The tree::

    CscMlflowError
    ├── PolicyError (also ValueError)        the policy file is missing, unreadable or invalid
    │   └── PolicyNotFoundError               no policy could be found where we looked
    ├── EthicsError (also ValueError)        an ethics answer file is missing or unreadable
    ├── SuiteError (also ValueError)         an expectation suite is missing or malformed
    ├── DataError (also ValueError)          the data cannot be validated (columns, types, rows)
    ├── EvidenceError                         an evidence record or the manifest is unreadable
    ├── TrackingServerError                   the MLflow tracking server could not be reached
    └── PromotionBlocked                      the gate refused a promotion; carries ``.decision``

Each message says what happened, why, and what to do next. Errors that come from a file
carry the file in ``.path`` and, where one applies, the dotted key path in ``.key``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csc_mlflow.gate._check import GateDecision

__all__ = [
    "CscMlflowError",
    "DataError",
    "EthicsError",
    "EvidenceError",
    "PolicyError",
    "PolicyNotFoundError",
    "PromotionBlocked",
    "SuiteError",
    "TrackingServerError",
]


class CscMlflowError(Exception):
    """Base class of every error csc-mlflow raises."""


class PolicyError(CscMlflowError, ValueError):
    """The policy file is unreadable or does not follow the schema.

    Attributes
    ----------
    path : Path or None
        The policy file, when the policy came from a file.
    key : str or None
        The key path of the first problem, e.g. ``fairness.thresholds[0].metric``.
    problems : tuple of str
        Every problem found, one line each (the message lists them all).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.problems = problems


class PolicyNotFoundError(PolicyError):
    """No policy was given and none was found in ``CSC_MLFLOW_POLICY`` or the working folder."""


class EthicsError(CscMlflowError, ValueError):
    """An ethics answer file (triage or workbook) is missing, unreadable or not a mapping."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class SuiteError(CscMlflowError, ValueError):
    """An expectation suite is missing or breaks the format (file, entry and key named)."""


class DataError(CscMlflowError, ValueError):
    """The data cannot be validated: a column is missing, empty, or of the wrong type."""


class EvidenceError(CscMlflowError):
    """An evidence record or the manifest is missing, unreadable or not of our format."""


class TrackingServerError(CscMlflowError):
    """The MLflow tracking server could not be reached or answered with an error."""


class PromotionBlocked(CscMlflowError):
    """The promotion gate refused to move an alias; ``.decision`` holds every reason."""

    def __init__(self, message: str, *, decision: GateDecision) -> None:
        super().__init__(message)
        self.decision = decision
