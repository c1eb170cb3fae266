"""``mlflow server --app-name csc-governance``: the gate enforced at the tracking server.

Every request that sets a registry alias (the UI, ``MlflowClient``, the REST API) is checked
first; a blocked promotion is refused with HTTP 403 and the decision's reasons, and every
decision is recorded in the ledger. The server needs the policy: set ``CSC_MLFLOW_POLICY``
in its environment.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Response, request
from mlflow.server import app as flask_app

ALIAS_PATHS = (
    "/api/2.0/mlflow/registered-models/alias",
    "/ajax-api/2.0/mlflow/registered-models/alias",
)


def _gate_alias() -> Response | None:
    if request.method != "POST" or request.path not in ALIAS_PATHS:
        return None
    from csc_mlflow._registry import RegistryStore
    from csc_mlflow.gate._check import check

    body: dict[str, Any] = request.get_json(silent=True) or {}
    name, alias, version = (
        str(body.get("name", "")),
        str(body.get("alias", "")),
        str(body.get("version", "")),
    )
    base = request.host_url.rstrip("/")
    decision = check(name, version, alias, tracking_uri=base)
    if not decision.passed:
        decision = _recorded_waiver(decision, base)
    who = request.headers.get("X-CSC-Actor") or (
        request.authorization.username if request.authorization else None
    )
    try:
        RegistryStore(tracking_uri=base).append(decision, who=who or "server", via="server")
    except Exception as exc:  # noqa: BLE001 - an unrecorded decision is refused
        return _refuse(f"the gate could not record its decision ({exc}); the alias was not set")
    if decision.passed:
        return None
    reasons = "; ".join(str(r) for r in decision.reasons if r.blocking)
    return _refuse(
        f"csc-governance gate blocked setting alias {alias!r} on {name} version {version}: "
        f"{reasons}"
    )


def _recorded_waiver(decision: Any, base: str) -> Any:
    """Honour a waiver recorded by ``gate promote`` for this very evidence, if still valid.

    The waiver is judged again against the server's policy (roles, coverage, expiry), and
    only for the manifest and policy it was granted on.
    """
    from datetime import date

    from csc_mlflow._gate_decision import apply_waiver
    from csc_mlflow._registry import RegistryStore
    from csc_mlflow._resolve import resolve_policy

    try:
        ledger, _ = RegistryStore(tracking_uri=base).ledger(decision.model, decision.version)
        granted = [
            e
            for e in ledger
            if e.decision == "waived"
            and e.alias == decision.alias
            and e.manifest_sha256 == decision.manifest_sha256
            and e.policy_sha256 == decision.policy_sha256
            and e.waiver is not None
        ]
        if not granted or granted[-1].waiver is None:
            return decision
        return apply_waiver(decision, granted[-1].waiver, resolve_policy(None), date.today())
    except Exception:  # noqa: BLE001 - a waiver that cannot be read does not pass
        return decision


def _refuse(message: str) -> Response:
    payload = {"error_code": "PERMISSION_DENIED", "message": message}
    return Response(json.dumps(payload), status=403, mimetype="application/json")


def _health() -> Response:
    return Response(
        json.dumps({"ok": True, "policy": os.environ.get("CSC_MLFLOW_POLICY")}),
        mimetype="application/json",
    )


def _governance_page() -> Response:
    """Registered models with their governance status and gate history, linking to reports."""
    from html import escape

    from csc_mlflow import _names as names
    from csc_mlflow._registry import RegistryStore
    from csc_mlflow._runs import RunWriter

    store = RegistryStore(tracking_uri=request.host_url.rstrip("/"))
    runs = RunWriter(store.client)
    rows = []
    for model in store.registered_models():
        for mv in store.versions(model.name):
            status, link = "not governed", ""
            if mv.run_id:
                run = runs.get_run(mv.run_id)
                status = run.data.tags.get(names.STATUS_TAG, "not governed")
                href = (
                    f"/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
                    f"/artifacts/{names.REPORT_PATH}"
                )
                link = f'<a href="{escape(href)}">report</a>'
            entries, _ = store.ledger(model.name, str(mv.version))
            history = (
                "<br>".join(
                    escape(f"{e.time} {e.alias}: {e.decision} ({e.actor}, {e.via})")
                    for e in entries
                )
                or "no gate decisions"
            )
            aliases = ", ".join(mv.aliases) or "none"
            rows.append(
                f"<tr><td>{escape(model.name)}</td><td>{escape(str(mv.version))}</td>"
                f"<td><strong>{escape(status.upper())}</strong></td><td>{escape(aliases)}</td>"
                f"<td>{history}</td><td>{link}</td></tr>"
            )
    body = "".join(rows) or '<tr><td colspan="6">No registered models.</td></tr>'
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CSC governance</title>'
        "<style>body{font-family:Arial,sans-serif;margin:24px}table{border-collapse:collapse}"
        "th,td{border:1px solid #b1b4b6;padding:4px 8px;text-align:left;vertical-align:top}"
        "th{background:#f3f2f1}</style></head><body><h1>CSC governance: registered models</h1>"
        '<table><thead><tr><th scope="col">Model</th><th scope="col">Version</th>'
        '<th scope="col">Governance status</th><th scope="col">Aliases</th>'
        '<th scope="col">Gate history</th><th scope="col">Report</th></tr></thead>'
        f"<tbody>{body}</tbody></table></body></html>"
    )
    return Response(html, mimetype="text/html")


def create_app(app: Any = flask_app) -> Any:
    """The MLflow server app with the gate in front of alias changes."""
    app.before_request(_gate_alias)
    app.add_url_rule("/csc/health", "csc_health", _health, methods=["GET"])
    app.add_url_rule("/csc/governance", "csc_governance", _governance_page, methods=["GET"])
    if os.environ.get("_MLFLOW_SGI_NAME") == "uvicorn":
        from mlflow.server.fastapi_app import create_fastapi_app

        return create_fastapi_app(app)
    return app
