"""``gate check``, ``promote``, ``history``, ``keygen`` and ``watch``."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from csc_mlflow._cli._exits import EXIT_ERROR, blocked
from csc_mlflow._cli._output import emit_json, json_logging, json_option, say, table, verdict
from csc_mlflow._cli._store import existing_store, version_number

if TYPE_CHECKING:
    from csc_mlflow._gate_decision import GateDecision

__all__ = ["gate"]


@click.group()
def gate() -> None:
    """The promotion gate: check, promote (with a ledger), history, webhook receiver."""


def _print_decision(decision: GateDecision, as_json: bool) -> None:
    if as_json:
        emit_json(decision.to_dict())
        return
    say(
        f"{decision.model} version {decision.version} -> {decision.alias}: ",
        verdict(decision.decision),
        " (the gate could not judge: an error)" if decision.error else "",
    )
    for reason in decision.reasons:
        say(f"  - {reason}")
    if decision.compared:
        say("against the version holding the alias:")
        for line in decision.compared:
            say(f"  - {line}")


@gate.command("check")
@click.argument("model")
@click.argument("version", callback=version_number)
@click.option("--alias", required=True)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@json_option
def gate_check(
    model: str,
    version: str,
    alias: str,
    policy_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Check whether ALIAS may move onto MODEL VERSION (exit 0 passed, 3 blocked)."""
    from csc_mlflow.gate._check import check

    tracking_uri = existing_store(tracking_uri)
    decision = check(model, version, alias, policy=policy_path, tracking_uri=tracking_uri)
    _print_decision(decision, as_json)
    _exit_for(decision)


def _exit_for(decision: GateDecision) -> None:
    """0 when the alias may move; 1 when the gate could not judge (no policy, no such version,
    the registry unreachable); 3 when the evidence blocks it."""
    if decision.error:
        raise SystemExit(EXIT_ERROR)
    if not decision.passed:
        blocked()


@gate.command("promote")
@click.argument("model")
@click.argument("version", callback=version_number)
@click.option("--alias", required=True)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@click.option("--waive-by", help="Name of the person waiving the blocking reasons.")
@click.option("--role", help="Their role (the policy says which roles may waive what).")
@click.option("--reason", "why", help="Why the waiver is justified.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), help="Waiver end date.")
@click.option("--covers", multiple=True, help="Requirement the waiver covers (repeatable).")
@json_option
def gate_promote(
    model: str,
    version: str,
    alias: str,
    policy_path: str | None,
    tracking_uri: str | None,
    waive_by: str | None,
    role: str | None,
    why: str | None,
    expires: datetime | None,
    covers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Set ALIAS on MODEL VERSION if the gate passes; record the decision either way."""
    from csc_mlflow._evidence import Waiver
    from csc_mlflow.exceptions import PromotionBlocked
    from csc_mlflow.gate._promote import promote

    waiver = None
    if waive_by:
        if not (role and why and expires and covers):
            raise click.UsageError(
                "a waiver needs --waive-by, --role, --reason, --expires and --covers"
            )
        waiver = Waiver(waive_by, role, why, expires.date(), tuple(covers))
    tracking_uri = existing_store(tracking_uri)
    try:
        decision = promote(
            model, version, alias, waiver=waiver, policy=policy_path, tracking_uri=tracking_uri
        )
    except PromotionBlocked as exc:
        _print_decision(exc.decision, as_json)
        _exit_for(exc.decision)
        blocked()  # a promotion refused is never a success
    _print_decision(decision, as_json)


@gate.command("history")
@click.argument("model")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@json_option
def gate_history(
    model: str, policy_path: str | None, tracking_uri: str | None, as_json: bool
) -> None:
    """Every gate decision recorded for MODEL, oldest first, with the ledger checked."""
    from csc_mlflow.gate._history import history

    tracking_uri = existing_store(tracking_uri)
    found = history(model, tracking_uri=tracking_uri, policy=policy_path)
    if as_json:
        emit_json(found.to_dict())
    else:
        table(
            ("when", "version", "alias", "decision", "by", "reasons"),
            (
                (
                    e.time,
                    f"v{e.version}",
                    e.alias,
                    verdict(e.decision),
                    f"{e.actor} ({e.via})",
                    "; ".join(e.reasons) or "-",
                )
                for e in found.entries
            ),
        )
        for problem in found.problems:
            say(verdict("failed"), f" LEDGER PROBLEM: {problem}")
        if found.limits:
            say(f"note: {found.limits}")
        else:
            say("every entry and the head verified against the policy's public key")
    if found.problems:
        raise SystemExit(EXIT_ERROR)


@gate.command("keygen")
@click.option(
    "--dir", "folder", default="keys", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--force", is_flag=True, help="Replace an existing key pair.")
@json_option
def gate_keygen(folder: str, force: bool, as_json: bool) -> None:
    """Write an Ed25519 key pair for signing manifests."""
    from csc_mlflow._signing import generate_keys

    private, public = generate_keys(Path(folder), force=force)
    if as_json:
        emit_json({"private_key": str(private), "public_key": str(public)})
        return
    say(f"private key: {private} (set CSC_MLFLOW_SIGNING_KEY to it where runs are logged)")
    say(
        f"public key:  {public} (name it in the policy: "
        "signing: {required: true, public_key: ...})"
    )


@gate.command("watch")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--secret-env",
    default="CSC_MLFLOW_WEBHOOK_SECRET",
    show_default=True,
    help="Environment variable holding the webhook's shared secret.",
)
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@click.option(
    "--audit-every",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds between audits of every alias (one runs at start-up).",
)
@json_option
def gate_watch(
    host: str,
    port: int,
    secret_env: str,
    tracking_uri: str | None,
    audit_every: float,
    as_json: bool,
) -> None:
    """Receive MLflow webhooks; remove aliases set on versions the gate blocks; audit on a
    schedule so a missed webhook is caught."""
    from csc_mlflow.gate._watch import make_server, start_audits

    tracking_uri = existing_store(tracking_uri)
    secret = os.environ.get(secret_env)
    if not secret:
        raise click.UsageError(f"set {secret_env} to the webhook's secret")
    server = make_server(host, port, secret, tracking_uri)
    if as_json:  # then one JSON line per event (alias removed, audit failed, request)
        json_logging()
        click.echo(
            json.dumps({"listening": f"http://{host}:{port}", "audit_every_seconds": audit_every})
        )
    else:
        say(
            f"csc-mlflow gate watch listening on http://{host}:{port}; auditing every "
            f"{audit_every:g} s"
        )
    start_audits(tracking_uri, audit_every)
    try:
        server.serve_forever()
    finally:
        server.server_close()


@gate.command("audit")
@click.argument("model", required=False)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@json_option
def gate_audit(
    model: str | None, policy_path: str | None, tracking_uri: str | None, as_json: bool
) -> None:
    """Judge every aliased version of MODEL (default: every model) again, now; remove or
    report each alias that no longer passes (per the policy). Exit 3 if any fails."""
    from csc_mlflow.gate._audit import audit

    tracking_uri = existing_store(tracking_uri)
    findings = audit(model, policy=policy_path, tracking_uri=tracking_uri)
    if as_json:
        emit_json([f.to_dict() for f in findings])
    else:
        if not findings:
            say("no aliases to audit")
        for f in findings:
            say(f"{f.model} version {f.version} -> {f.alias}: ", verdict(f.action))
            if f.action != "kept":
                for reason in f.decision.reasons:
                    if reason.blocking:
                        say(f"  - {reason}")
                if not f.recorded:
                    say("  (the action could not be recorded in the ledger)")
    if any(f.action != "kept" for f in findings):
        blocked()
