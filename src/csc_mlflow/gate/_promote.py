"""Promote: move an alias only when the gate passes (or a valid waiver covers every reason).

Against a ``csc-governance`` server the server keeps the ledger: the client judges first,
then sets the alias through MLflow with any waiver in the request, and the server judges
again under its own policy, records the decision and refuses (403) if it blocks. Elsewhere
the client records the decision itself, signed when the policy names a public key.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import urllib.request
from datetime import date
from typing import Any

from csc_mlflow._evidence import Reason, Waiver
from csc_mlflow._gate_decision import GateDecision, apply_waiver
from csc_mlflow._hooks._headers import CLIENT_BLOCKED_HEADER, WAIVER_HEADER, sending_headers
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore
from csc_mlflow._resolve import policy_for_model
from csc_mlflow._runs import first_line
from csc_mlflow._signing import KEY_ENV
from csc_mlflow.exceptions import PromotionBlocked
from csc_mlflow.gate._check import check_with
from csc_mlflow.gate._waivers import ledger_key
from csc_mlflow.report._summary import describe_version

__all__ = ["promote", "server_keeps_ledger"]


def server_keeps_ledger(tracking_uri: str) -> bool:
    """Whether ``tracking_uri`` is an ``mlflow server --app-name csc-governance``."""
    if not tracking_uri.startswith(("http://", "https://")):
        return False
    try:
        url = tracking_uri.rstrip("/") + "/csc/health"
        asking = urllib.request.Request(url)
        user, password = (os.environ.get(f"MLFLOW_TRACKING_{k}") for k in ("USERNAME", "PASSWORD"))
        if user and password:  # a server with MLflow's authentication asks who is asking
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            asking.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(asking, timeout=10) as response:
            return bool(json.loads(response.read()).get("ok"))
    except Exception:  # noqa: BLE001 - anything else is a plain server
        return False


def promote(
    model_name: str,
    version: str | int,
    alias: str,
    *,
    waiver: Waiver | None = None,
    actor: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    today: date | None = None,
) -> GateDecision:
    """Check, record the decision in the ledger, and set ``alias`` only if it passed.

    Raises
    ------
    PromotionBlocked
        The gate blocked (the decision is in the ledger and on ``.decision``).
    """
    today = today or date.today()
    store = RegistryStore(tracking_uri=tracking_uri)
    decision = check_with(store, model_name, str(version), alias, policy=policy, today=today)
    resolved: Policy | None = None
    try:
        resolved = policy_for_model(model_name, policy)
    except Exception:  # noqa: BLE001 - the check already blocked on an unreadable policy
        resolved = None
    if not decision.passed and waiver is not None and resolved is not None:
        try:
            decision = apply_waiver(decision, waiver, resolved, today)
        except Exception as exc:  # noqa: BLE001 - a waiver that cannot be judged does not pass
            decision = _add(decision, Reason("waiver.error", "waiver", str(exc), "failed"))
    if server_keeps_ledger(str(store.client.tracking_uri)):
        return _through_server(store, decision, waiver)
    if ledger_key(resolved) is not None and not os.environ.get(KEY_ENV):
        decision = _add(
            decision,
            Reason(
                "ledger.unsigned",
                "ledger",
                f"the policy names a signing key, so ledger entries must be signed; set {KEY_ENV} "
                "to the private key, or promote through the csc-governance server",
                "failed",
            ),
            block=True,
        )
        _raise(model_name, alias, decision)
    try:
        store.append(decision, who=actor)
    except Exception as exc:  # noqa: BLE001 - no ledger entry, no promotion
        decision = _add(
            decision,
            Reason(
                "ledger.error", "ledger", f"the decision could not be recorded ({exc})", "failed"
            ),
            block=True,
        )
    if not decision.passed:
        _summarise(store, model_name, decision.version)
        _raise(model_name, alias, decision)
    store.set_alias(model_name, alias, decision.version)
    _summarise(store, model_name, decision.version)
    return decision


def _through_server(
    store: RegistryStore, decision: GateDecision, waiver: Waiver | None
) -> GateDecision:
    """Set the alias through a csc-governance server, which judges again and records.

    A promotion this client blocked is sent marked as such: the server records it and
    refuses it, whatever its own check says.
    """
    headers = {}
    if waiver is not None:
        headers[WAIVER_HEADER] = json.dumps(waiver.to_dict())
    if not decision.passed:
        headers[CLIENT_BLOCKED_HEADER] = decision.policy_sha256 or "unknown"
    try:
        with sending_headers(headers):
            store.set_alias(decision.model, decision.alias, decision.version)
    except Exception as exc:  # noqa: BLE001 - the server refused (or could not be reached)
        if not decision.passed:
            _raise(decision.model, decision.alias, decision)
        refused = _add(
            decision,
            Reason("gate.server", "gate", f"the server refused: {first_line(exc)}", "failed"),
            block=True,
        )
        _raise(decision.model, decision.alias, refused)
    if not decision.passed:  # the server must refuse a marked request; fail closed if not
        with contextlib.suppress(Exception):
            store.delete_alias(decision.model, decision.alias)
        _raise(decision.model, decision.alias, decision)
    _summarise(store, decision.model, decision.version)
    return decision


def _add(decision: GateDecision, reason: Reason, *, block: bool = False) -> GateDecision:
    return dataclasses.replace(
        decision,
        decision="blocked" if block else decision.decision,
        reasons=decision.reasons + (reason,),
    )


def _raise(model_name: str, alias: str, decision: GateDecision) -> Any:
    lines = "\n".join(f"  - {r}" for r in decision.reasons if r.blocking)
    raise PromotionBlocked(
        f"promotion of {model_name} version {decision.version} to {alias!r} blocked:\n{lines}",
        decision=decision,
    )


def _summarise(store: RegistryStore, model: str, version: str) -> None:
    # The summary is a courtesy; the ledger already holds the decision.
    with contextlib.suppress(Exception):
        describe_version(model, version, client=store.client)
