"""A webhook receiver for servers whose start-up cannot change (``csc-mlflow gate watch``).

MLflow delivers ``model_version_alias.created`` after the alias is set; this receiver checks
the HMAC signature, re-runs the gate (honouring a waiver only from a ledger entry that
verifies), and removes an alias that fails, recording why. Webhooks are not redelivered, so
the receiver also runs ``gate audit`` on start-up and on a schedule: an alias set while it
was down is judged at the next audit.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from csc_mlflow._evidence import Reason

_logger = logging.getLogger("csc_mlflow")
MAX_SKEW_SECONDS = 300


def signature_ok(secret: str, headers: Any, body: bytes) -> bool:
    """Whether MLflow's ``X-MLflow-Signature`` matches ``body`` (and the timestamp is fresh)."""
    delivery = headers.get("X-MLflow-Delivery-Id", "")
    stamp = headers.get("X-MLflow-Timestamp", "")
    given = headers.get("X-MLflow-Signature", "")
    try:
        if abs(time.time() - int(stamp)) > MAX_SKEW_SECONDS:
            return False
    except ValueError:
        return False
    signed = f"{delivery}.{stamp}.{body.decode('utf-8', errors='replace')}".encode()
    expected = (
        "v1,"
        + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    )
    return hmac.compare_digest(given, expected)


def handle_event(payload: dict[str, Any], tracking_uri: str | None) -> dict[str, Any]:
    """Re-check an alias that was just set; remove it if the gate blocks. Returns what it did."""
    from csc_mlflow._registry import RegistryStore
    from csc_mlflow._resolve import policy_for_model
    from csc_mlflow.gate._check import check_with
    from csc_mlflow.gate._waivers import recorded_waiver

    if payload.get("entity") != "model_version_alias" or payload.get("action") != "created":
        return {"ignored": f"{payload.get('entity')}.{payload.get('action')}"}
    data = payload.get("data") or {}
    name, alias, version = str(data.get("name")), str(data.get("alias")), str(data.get("version"))
    store = RegistryStore(tracking_uri=tracking_uri)
    decision = check_with(store, name, version, alias)
    if not decision.passed:
        try:
            decision = recorded_waiver(store, decision, policy_for_model(name), date.today())
        except Exception:  # a waiver that cannot be read does not pass
            _logger.exception("csc-mlflow: reading a recorded waiver failed")
    removed = False
    if not decision.passed:
        if store.alias_version(name, alias) == version:
            store.delete_alias(name, alias)
            removed = True
        note = Reason(
            "gate.alias_removed",
            "gate",
            f"alias {alias!r} was set without passing the gate and was removed",
            "failed",
        )
        decision = dataclasses.replace(decision, reasons=decision.reasons + (note,))
    store.append(decision, who=f"webhook:{payload.get('delivery_id', '')}", via="webhook")
    return {
        "model": name,
        "version": version,
        "alias": alias,
        "decision": decision.decision,
        "removed": removed,
    }


def make_server(host: str, port: int, secret: str, tracking_uri: str | None) -> ThreadingHTTPServer:
    """An HTTP server that receives MLflow webhook deliveries on any path."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not signature_ok(secret, self.headers, body):
                self._reply(401, {"error": "invalid or stale signature"})
                return
            try:
                result = handle_event(json.loads(body), tracking_uri)
            except Exception as exc:
                _logger.exception("csc-mlflow: webhook handling failed")
                self._reply(500, {"error": type(exc).__name__})
                return
            self._reply(200, result)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            _logger.info("csc-mlflow gate watch: " + format, *args)

    return ThreadingHTTPServer((host, port), Handler)


def start_audits(
    tracking_uri: str | None, every_seconds: float, *, stop: threading.Event | None = None
) -> threading.Thread:
    """Run ``gate audit`` now and then every ``every_seconds`` in a background thread."""
    from csc_mlflow.gate._audit import audit

    stop = stop or threading.Event()

    def loop() -> None:
        while True:
            try:
                for finding in audit(tracking_uri=tracking_uri, actor="watch"):
                    if finding.action != "kept":
                        _logger.warning(
                            "csc-mlflow gate watch: alias %s on %s version %s %s by the audit",
                            finding.alias,
                            finding.model,
                            finding.version,
                            finding.action,
                        )
            except Exception:
                _logger.exception("csc-mlflow gate watch: the audit failed")
            if stop.wait(every_seconds):
                return

    thread = threading.Thread(target=loop, name="csc-mlflow-audit", daemon=True)
    thread.start()
    return thread
