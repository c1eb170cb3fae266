"""Run start and run end: the tags a governed run starts with, and the run-end hook.

MLflow has no end-of-run hook, but every ending (context-manager exit, ``end_run``, an
exception, autolog, the atexit handler, a direct client call) passes through
``MlflowClient.set_terminated``. We wrap that one method, once, and only after the user
opted in (a discoverable policy, ``autolog()`` or ``governed_run()``). The wrapper seals
governed runs, then calls MLflow's own method; it never raises into the user's code.
``mlflow.log_input`` is wrapped alongside, so a dataset the policy names is validated as it
is logged. Sealing and validation are imported when first needed, so the run-context
provider that calls :func:`start_tags` at every new run stays cheap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._policy import Policy
from csc_mlflow._resolve import active_policy
from csc_mlflow._version import __version__
from csc_mlflow.exceptions import PolicyError

__all__ = [
    "hooks_installed",
    "install_hooks",
    "policy_tags",
    "start_tags",
    "uninstall_hooks",
]

_logger = logging.getLogger("csc_mlflow")

_lock = threading.Lock()
_local = threading.local()
_original: Callable[..., Any] | None = None
_original_log_input: Callable[..., Any] | None = None


def policy_tags(policy: Policy) -> dict[str, str]:
    """The start-of-run tags for a run governed by ``policy``."""
    tags = {
        names.STATUS_TAG: names.STATUS_PENDING,
        names.POLICY_SHA_TAG: policy.evidence_sha256,
        names.PACKAGE_VERSION_TAG: __version__,
    }
    if policy.source is not None:
        tags[names.POLICY_SOURCE_TAG] = str(policy.source)[: names.MAX_TAG_VALUE]
    if policy.stage is not None:
        tags[names.STAGE_TAG] = policy.stage
    return tags


def start_tags() -> dict[str, str]:
    """Tags for a new run, and the run-end hook installed (once).

    An invalid policy does not stop the run: it is tagged ``pending`` with the error, and
    sealing then marks it ``incomplete`` with that reason.
    """
    try:
        policy = active_policy()
    except PolicyError as exc:
        _logger.warning("csc-mlflow: %s", exc)
        install_hooks()
        return {
            names.STATUS_TAG: names.STATUS_PENDING,
            names.PACKAGE_VERSION_TAG: __version__,
            names.POLICY_ERROR_TAG: str(exc)[: names.MAX_TAG_VALUE],
        }
    if policy is None:
        return {}
    install_hooks()
    if policy.datasets:
        _prewarm(policy)
    return policy_tags(policy)


def _prewarm(policy: Policy) -> None:
    """Start the data-quality worker now, so its imports overlap the training script."""
    from csc_mlflow.quality._background import prewarm

    base = str(policy.source.parent) if policy.source is not None else None
    prewarm([(spec.suite, base) for spec in policy.datasets.values()])  # unless switched off


def install_hooks() -> None:
    """Wrap ``MlflowClient.set_terminated`` and ``mlflow.log_input`` (idempotent)."""
    global _original
    with _lock:
        if _original is not None:
            return
        from mlflow.tracking.client import MlflowClient

        original = MlflowClient.set_terminated

        def set_terminated(
            self: Any, run_id: str, status: str | None = None, end_time: int | None = None
        ) -> Any:
            if not getattr(_local, "busy", False):
                from csc_mlflow._sealing import seal_run

                _local.busy = True
                try:
                    seal_run(self, run_id, status or "FINISHED")
                finally:
                    _local.busy = False
            return original(self, run_id, status=status, end_time=end_time)

        set_terminated.__wrapped__ = original  # type: ignore[attr-defined]
        _wrap_log_input()
        # The one place every run ending passes through (mlflow-notes.md §2).
        MlflowClient.set_terminated = set_terminated  # type: ignore[method-assign]
        _original = original


def uninstall_hooks() -> None:
    """Put MLflow's own ``set_terminated`` and ``log_input`` back (idempotent)."""
    global _original
    with _lock:
        if _original is None:
            return
        from mlflow.tracking.client import MlflowClient

        MlflowClient.set_terminated = _original  # type: ignore[method-assign]
        _original = None
        _unwrap_log_input()


def hooks_installed() -> bool:
    """Whether the run-end wrapper is in place."""
    return _original is not None


def _wrap_log_input() -> None:
    global _original_log_input
    import mlflow
    import mlflow.tracking.fluent as fluent

    original = fluent.log_input

    def log_input(dataset: Any = None, *args: Any, **kwargs: Any) -> Any:
        # With a run already active the dataset goes to the worker first, so it is validated
        # while MLflow profiles it; otherwise (MLflow starts the run) once it is logged.
        early = mlflow.active_run() is not None
        job = _validate_logged(dataset) if early else None
        try:
            result = original(dataset, *args, **kwargs)
        except BaseException:
            if job is not None:
                from csc_mlflow.quality._background import cancel

                cancel(job)  # the dataset was not logged: no record for it
            raise
        if not early:
            _validate_logged(dataset)
        return result

    log_input.__wrapped__ = original  # type: ignore[attr-defined]
    fluent.log_input = log_input
    mlflow.log_input = log_input
    _original_log_input = original


def _validate_logged(dataset: Any) -> int | None:
    """Validate ``dataset`` if the policy names it (never raises); the worker's job number
    when it was handed to the background worker."""
    try:
        from csc_mlflow.quality._log import validate_logged_input

        return validate_logged_input(dataset)
    except Exception:
        _logger.exception(
            "csc-mlflow: validating dataset %r failed", getattr(dataset, "name", None)
        )
        return None


def _unwrap_log_input() -> None:
    global _original_log_input
    if _original_log_input is None:
        return
    import mlflow
    import mlflow.tracking.fluent as fluent

    fluent.log_input = _original_log_input
    mlflow.log_input = _original_log_input
    _original_log_input = None
