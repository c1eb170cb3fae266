"""Every gate decision recorded for a model, oldest first, with the ledger's chain checked."""

from __future__ import annotations

import os

from csc_mlflow._policy import Policy
from csc_mlflow._registry import GateHistory, RegistryStore
from csc_mlflow._resolve import policy_for_model
from csc_mlflow._runs import first_line
from csc_mlflow.exceptions import CscMlflowError, TrackingServerError
from csc_mlflow.gate._waivers import ledger_key

__all__ = ["history"]


def history(
    model_name: str,
    *,
    tracking_uri: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
) -> GateHistory:
    """Every ledger entry of every version of ``model_name``, by time, and any problem.

    With a policy that names a signing key every entry and head signature is checked;
    without one, :attr:`GateHistory.limits` says what an unsigned ledger cannot show.

    Raises
    ------
    PolicyError
        ``policy`` was given and cannot be read.
    TrackingServerError
        The registry could not be read, or it has no model called ``model_name``.
    """
    store = RegistryStore(tracking_uri=tracking_uri)
    try:
        key = ledger_key(policy_for_model(model_name, policy))
    except CscMlflowError:
        if policy is not None:
            raise  # a policy named but unreadable is an error, never a quiet unsigned read
        key = None  # no policy here: the ledger is read unsigned, and says so
    try:
        found = store.history(model_name, public_key=key)
        exists = bool(found.entries) or bool(store.versions(model_name))
    except Exception as exc:
        raise TrackingServerError(
            f"cannot read the ledger of {model_name!r}: {first_line(exc)}. Check the tracking "
            "URI and that the server is running.",
            key=model_name,
        ) from exc
    if not exists:
        raise TrackingServerError(
            f"no registered model called {model_name!r} at {store.client.tracking_uri}; check "
            "the name (names are case-sensitive)",
            key=model_name,
        )
    return found
