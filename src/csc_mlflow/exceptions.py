"""Errors raised by csc-mlflow.

Every error is a :class:`CscMlflowError`, so ``except CscMlflowError`` catches all of ours
and nothing else. The tree::

    CscMlflowError
    ├── PolicyError (also ValueError)        the policy file is missing, unreadable or invalid
    │   └── PolicyNotFoundError               no policy could be found where we looked
    ├── EthicsError (also ValueError)        an ethics answer file is missing or unreadable
    ├── SuiteError (also ValueError)         an expectation suite is missing or malformed
    ├── DataError (also ValueError)          the data cannot be used (columns, types, rows)
    ├── UsageError (also ValueError)         an argument is not one csc-mlflow accepts
    ├── NoActiveRunError (also RuntimeError) there is no MLflow run to log to
    ├── EvidenceError                         an evidence record or the manifest is unreadable
    ├── SigningError                          a signing key is missing or not an Ed25519 key
    ├── TrackingServerError                   the MLflow tracking server could not be reached
    └── PromotionBlocked                      the gate refused a promotion; carries ``.decision``

Each message says what happened, why, and what to do next. Every error carries what it is
about, where one applies: the file in ``.path``, the dotted key path in ``.key``, the data
column in ``.column``, the MLflow run in ``.run_id``.

A leaf: imports nothing from csc-mlflow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "CscMlflowError",
    "DataError",
    "EthicsError",
    "EvidenceError",
    "NoActiveRunError",
    "PolicyError",
    "PolicyNotFoundError",
    "PromotionBlocked",
    "SigningError",
    "SuiteError",
    "TrackingServerError",
    "UsageError",
]


class CscMlflowError(Exception):
    """Base class of every error csc-mlflow raises.

    Attributes
    ----------
    path : Path or None
        The file the error is about.
    key : str or None
        The key path inside that file (``fairness.thresholds[0].metric``), or the argument.
    column : str or None
        The data column the error is about.
    run_id : str or None
        The MLflow run the error is about.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        key: str | None = None,
        column: str | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = Path(path) if isinstance(path, str) else path
        self.key = key
        self.column = column
        self.run_id = run_id


class PolicyError(CscMlflowError, ValueError):
    """The policy file is unreadable or does not follow the schema.

    ``problems`` holds every problem found, one line each (the message lists them all).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        key: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, path=path, key=key)
        self.problems = problems


class PolicyNotFoundError(PolicyError):
    """No policy was given and none was found in ``CSC_MLFLOW_POLICY`` or the working folder."""


class EthicsError(CscMlflowError, ValueError):
    """An ethics answer file (triage or workbook) is missing, unreadable or not a mapping."""


class SuiteError(CscMlflowError, ValueError):
    """An expectation suite is missing or breaks the format (file, entry and key named)."""


class DataError(CscMlflowError, ValueError):
    """The data cannot be used: a column is missing, empty, or of the wrong type."""


class UsageError(CscMlflowError, ValueError):
    """An argument is not one csc-mlflow accepts; ``.key`` names the argument."""


class NoActiveRunError(CscMlflowError, RuntimeError):
    """Something must be logged to a run, but no run is active and no ``run_id`` was given."""


class EvidenceError(CscMlflowError):
    """An evidence record or the manifest is missing, unreadable or not of our format."""


class SigningError(CscMlflowError):
    """A signing key is missing, unreadable or not an Ed25519 key."""


class TrackingServerError(CscMlflowError):
    """The MLflow tracking server could not be reached or answered with an error."""


class PromotionBlocked(CscMlflowError):
    """The promotion gate refused to move an alias.

    ``.decision`` is the :class:`csc_mlflow.GateDecision` with every reason (typed loosely
    here so that this leaf module imports nothing of ours).
    """

    def __init__(self, message: str, *, decision: Any) -> None:
        super().__init__(message, run_id=getattr(decision, "run_id", None))
        self.decision = decision
