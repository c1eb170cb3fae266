"""Turning governance on: ``autolog()`` for every run, ``governed_run()`` for one block."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from csc_mlflow import _names as names
from csc_mlflow._hooks._run_end import install_hooks, policy_tags, uninstall_hooks
from csc_mlflow._policy import Policy
from csc_mlflow._resolve import resolve_policy
from csc_mlflow._runs import RunWriter, active_run
from csc_mlflow._stages import stage as stage_of
from csc_mlflow._state import STATE
from csc_mlflow.exceptions import PolicyNotFoundError, UsageError

if TYPE_CHECKING:
    from mlflow import ActiveRun

__all__ = ["autolog", "governed_run"]


def autolog(
    policy: Policy | str | os.PathLike[str] | None = None, *, disable: bool = False
) -> None:
    """Govern every new MLflow run in this process.

    Each new fluent run is tagged ``csc.governance.status=pending`` with the policy hash; at
    its end the evidence is attached, the manifest written and the status set. An active run
    is governed from now on too.

    Parameters
    ----------
    policy : Policy, path or None
        The policy; by default ``$CSC_MLFLOW_POLICY`` or ``./governance.yaml``.
    disable : bool
        Undo everything: no tags, no run-end finalisation, no policy discovery in this
        process (until ``autolog()`` is called again).

    Raises
    ------
    PolicyNotFoundError, PolicyError
        No policy was found, or it is invalid.
    """
    if disable:
        STATE.disabled = True
        STATE.autolog_policy = None
        uninstall_hooks()
        return
    STATE.disabled = False
    resolved = resolve_policy(policy)
    STATE.autolog_policy = resolved
    install_hooks()
    _govern_active_run(resolved)


def _govern_active_run(policy: Policy) -> None:
    active = active_run()
    if active is None:
        return
    writer = RunWriter()
    run_id = str(active.info.run_id)
    if names.STATUS_TAG not in writer.get_run(run_id).data.tags:
        writer.log_summary(run_id, tags=policy_tags(policy))


@contextmanager
def governed_run(
    policy: Policy | str | os.PathLike[str] | None = None,
    *,
    stage: str | None = None,
    **start_run_kwargs: Any,
) -> Iterator[ActiveRun]:
    """Start an MLflow run whose governance evidence is sealed when the block ends.

    Takes the arguments of ``mlflow.start_run`` and yields its ``ActiveRun``. If the block
    raises, the run ends ``FAILED`` and its status is never ``passed``. ``stage`` is the
    guidance stage the run belongs to (default: the policy's ``stage``); the run must hold
    the evidence the policy requires of that stage and of every stage before it.

    Examples
    --------
    >>> with governed_run("governance.yaml", run_name="baseline") as run:  # doctest: +SKIP
    ...     mlflow.log_param("C", 1.0)
    >>> csc_mlflow.get_status(run.info.run_id).status  # doctest: +SKIP
    'incomplete'
    """
    import mlflow

    if STATE.disabled:
        raise PolicyNotFoundError(
            "governance is disabled in this process (csc_mlflow.autolog(disable=True)); "
            "call csc_mlflow.autolog() to turn it back on"
        )
    resolved = resolve_policy(policy)
    if stage is not None:
        try:
            stage_of(stage)
        except ValueError as exc:
            raise UsageError(f"governed_run(stage=...): {exc}", key="stage") from None
    install_hooks()
    tags = {**policy_tags(resolved), **dict(start_run_kwargs.pop("tags", None) or {})}
    if stage is not None:
        tags[names.STAGE_TAG] = stage
    STATE.policy_stack.append(resolved)
    try:
        with mlflow.start_run(tags=tags, **start_run_kwargs) as run:
            if start_run_kwargs.get("run_id"):
                _govern_active_run(resolved)
            yield run
    finally:
        STATE.policy_stack.pop()
