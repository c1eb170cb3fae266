"""The ``csc-mlflow`` command. Thin: each command calls one library function.

Exit codes: 0 passed / valid, 1 error, 2 usage, 3 blocked (a status that is not ``passed``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import pandas as pd

from csc_mlflow._version import __version__
from csc_mlflow.exceptions import CscMlflowError

EXIT_BLOCKED = 3


def _quiet_defaults() -> None:
    """No telemetry, and a down tracking server reported in seconds, not minutes."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="csc-mlflow")
def main() -> None:
    """Governance evidence for MLflow models in children's social care."""
    _quiet_defaults()


@main.group()
def policy() -> None:
    """Work with the governance policy (governance.yaml)."""


@policy.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def policy_validate(file: str | None) -> None:
    """Check FILE (default: $CSC_MLFLOW_POLICY or ./governance.yaml) against the schema."""
    from csc_mlflow._policy_io import load_policy

    try:
        loaded = load_policy(file)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{loaded.source}: valid policy for project {loaded.project.name!r}")
    click.echo(f"sha256: {loaded.sha256}")


@main.command()
@click.argument("run_id")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking URI.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def status(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Print RUN_ID's governance status and every reason; exit 3 unless it passed."""
    from csc_mlflow._verify import get_status

    try:
        result = get_status(run_id, tracking_uri=tracking_uri)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        click.echo(f"run {result.run_id}: governance status {result.status.upper()}")
        if result.decision is not None:
            for reason in result.decision.reasons:
                click.echo(f"  - {reason}")
        if result.verified:
            click.echo(f"evidence verified against manifest {result.manifest_sha256}")
        else:
            click.echo("EVIDENCE NOT VERIFIED:")
            for problem in result.problems:
                click.echo(f"  - {problem}")
    if result.status != "passed" or not result.verified:
        sys.exit(EXIT_BLOCKED)


@main.group()
def ethics() -> None:
    """The Ethics Triage and Ethics Workbook: templates, the interactive triage, checks."""


@ethics.command("init")
@click.option(
    "--dir", "folder", default="ethics", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def ethics_init(folder: str, force: bool) -> None:
    """Write blank, commented triage.yaml and workbook.yaml templates into --dir."""
    from pathlib import Path

    from csc_mlflow.ethics._templates import triage_template, workbook_template

    target = Path(folder)
    outputs = {
        target / "triage.yaml": triage_template(),
        target / "workbook.yaml": workbook_template(),
    }
    existing = [str(p) for p in outputs if p.exists()]
    if existing and not force:
        raise click.ClickException(
            f"{', '.join(existing)} already exist; pass --force to overwrite them"
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    click.echo(
        "next: 'csc-mlflow ethics triage' to answer the triage, then 'csc-mlflow ethics check'"
    )


def _ask(question: object, answers: object) -> object:
    from csc_mlflow.ethics._definition import Question

    assert isinstance(question, Question)
    label = f"{question.id}: {question.text}"
    if question.type == "bool":
        choice = click.prompt(
            f"{label} [yes/no]" + ("" if question.required else " (Enter to skip)"),
            type=click.Choice(
                ["yes", "no", "y", "n", ""] if not question.required else ["yes", "no", "y", "n"],
                case_sensitive=False,
            ),
            default="" if not question.required else None,
            show_choices=False,
            show_default=False,
        )
        return None if choice == "" else choice.lower().startswith("y")
    if question.type in ("radio", "checkbox"):
        options = list((question.options or {}).items())
        click.echo(label)
        for number, (key, text) in enumerate(options, 1):
            click.echo(f"  {number}) {key}: {text}")
        many = question.type == "checkbox"
        while True:
            raw = click.prompt(
                "  choose " + ("any, comma-separated (Enter for none)" if many else "one"),
                default="" if many or not question.required else None,
                show_default=False,
            )
            picked = [p.strip() for p in str(raw).split(",") if p.strip()]
            chosen = []
            for p in picked:
                if p.isdigit() and 1 <= int(p) <= len(options):
                    chosen.append(options[int(p) - 1][0])
                elif p in dict(options):
                    chosen.append(p)
            if len(chosen) == len(picked) and (
                many or len(chosen) == 1 or (not picked and not question.required)
            ):
                return chosen if many else (chosen[0] if chosen else None)
            click.echo(f"  please answer with the numbers or ids shown, e.g. 1 or {options[0][0]}")
    text = click.prompt(f"{label} (Enter to skip)", default="", show_default=False)
    return str(text).strip() or None


@ethics.command("triage")
@click.option(
    "--output",
    "-o",
    default="ethics/triage.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
)
@click.option("--force", is_flag=True, help="Overwrite an existing answers file.")
def ethics_triage(output: str, force: bool) -> None:
    """Ask the triage questions (only those shown for earlier answers) and write the answers."""
    from pathlib import Path

    from csc_mlflow.ethics._templates import run_triage, triage_template
    from csc_mlflow.ethics._triage import evaluate_triage

    path = Path(output)
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; pass --force to overwrite it")
    answers = run_triage(_ask)
    result = evaluate_triage(answers)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(triage_template(answers), encoding="utf-8")
    click.echo(f"wrote {path}")
    click.echo(f"risk level: {result.risk}")
    for theme in result.flagged:
        click.echo(f"  flagged: {theme.label} ({'; '.join(theme.rationales)})")


@ethics.command("check")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Check dates as of this day."
)
def ethics_check(policy_path: str | None, today: object) -> None:
    """Report missing answers, unsigned roles, expired review dates and empty flagged themes."""
    from datetime import datetime

    from csc_mlflow._policy_io import load_policy
    from csc_mlflow.ethics._records import check_ethics

    try:
        loaded = load_policy(policy_path)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    if loaded.ethics is None or not (loaded.ethics.triage or loaded.ethics.workbook):
        raise click.ClickException(
            f"{loaded.source}: the policy names no ethics files; add "
            "'ethics: {triage: ethics/triage.yaml, workbook: ethics/workbook.yaml}'"
        )
    day = today.date() if isinstance(today, datetime) else None
    decision = check_ethics(loaded, today=day)
    click.echo(f"ethics: {decision.status.upper()}")
    for reason in decision.reasons:
        click.echo(f"  - {reason}")
    if not decision.passed:
        sys.exit(EXIT_BLOCKED)


@main.group()
def dq() -> None:
    """Data quality: validate data against DfE rules encoded as expectation suites."""


@dq.command("validate")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "--suite", required=True, help="A shipped suite (ssda903/episodes@2024-25) or a file."
)
@click.option(
    "--header",
    "header_path",
    type=click.Path(dir_okay=False),
    help="SSDA903 Header CSV: its DOB is joined on CHILD (episodes suites need it).",
)
@click.option(
    "--block-on", type=click.Choice(["error", "query"]), default="error", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def dq_validate(
    data: str, suite: str, header_path: str | None, block_on: str, as_json: bool
) -> None:
    """Validate DATA (CSV) against a suite; exit 3 if a blocking rule fails."""
    from csc_mlflow.quality._log import payload
    from csc_mlflow.quality._suite import load_suite
    from csc_mlflow.quality._validate import validate_frame

    try:
        loaded = load_suite(suite)
        frame = _read_csv(data, loaded.columns)
        if header_path:
            header = _read_csv(header_path, {"DOB": "date"})
            frame = frame.merge(header[["CHILD", "DOB"]], on="CHILD", how="left")
        result = validate_frame(frame, loaded, block_on=block_on)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    body = payload(result, name="cli", digest=None)
    if as_json:
        click.echo(json.dumps(body, indent=2, sort_keys=True))
    else:
        click.echo(f"{data}: {result.rows} rows against {loaded.ref}: {result.status.upper()}")
        click.echo(
            f"{'rule':<12} {'severity':<8} {'result':<6} {'rows':>9} {'failed':>9} {'%':>7}  "
            "description"
        )
        for rule in body["rules"]:
            outcome = "ok" if rule["success"] else "FAIL"
            percent = (
                "" if rule["unexpected_percent"] is None else f"{rule['unexpected_percent']:.2f}"
            )
            click.echo(
                f"{rule['rule']:<12} {rule['severity']:<8} {outcome:<6} "
                f"{rule['element_count'] or 0:>9} "
                f"{rule['unexpected_count'] or 0:>9} {percent:>7}  {rule['description']}"
            )
    if result.status == "failed":
        sys.exit(EXIT_BLOCKED)


def _read_csv(path: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """Read a CSV, parsing the suite's date columns (dd/mm/YYYY or ISO)."""
    import pandas as pd

    from csc_mlflow.exceptions import DataError

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the CSV ({exc})") from exc
    if frame.empty:
        raise DataError(f"{path}: the file has no rows")
    for column, kind in columns.items():
        if kind == "date" and column in frame.columns:
            parsed = pd.to_datetime(frame[column], format="mixed", dayfirst=True, errors="coerce")
            bad = parsed.isna() & frame[column].notna()
            if bad.any():
                raise DataError(
                    f"{path}: column {column!r} has {int(bad.sum())} values that are not dates "
                    "(expected dd/mm/YYYY or YYYY-MM-DD)"
                )
            frame[column] = parsed
    return frame


@main.group()
def gate() -> None:
    """The promotion gate: check, promote (with a ledger), history, webhook receiver."""


def _print_decision(decision: object, as_json: bool) -> None:
    from csc_mlflow.gate._check import GateDecision

    assert isinstance(decision, GateDecision)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(
        f"{decision.model} version {decision.version} -> {decision.alias}: "
        f"{decision.decision.upper()}"
    )
    for reason in decision.reasons:
        click.echo(f"  - {reason}")


@gate.command("check")
@click.argument("model")
@click.argument("version")
@click.option("--alias", required=True)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@click.option("--json", "as_json", is_flag=True)
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

    decision = check(model, version, alias, policy=policy_path, tracking_uri=tracking_uri)
    _print_decision(decision, as_json)
    if not decision.passed:
        sys.exit(EXIT_BLOCKED)


@gate.command("promote")
@click.argument("model")
@click.argument("version")
@click.option("--alias", required=True)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False))
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@click.option("--waive-by", help="Name of the person waiving the blocking reasons.")
@click.option("--role", help="Their role (the policy says which roles may waive what).")
@click.option("--reason", "why", help="Why the waiver is justified.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), help="Waiver end date.")
@click.option("--covers", multiple=True, help="Requirement the waiver covers (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def gate_promote(
    model: str,
    version: str,
    alias: str,
    policy_path: str | None,
    tracking_uri: str | None,
    waive_by: str | None,
    role: str | None,
    why: str | None,
    expires: Any,
    covers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Set ALIAS on MODEL VERSION if the gate passes; record the decision either way."""
    from csc_mlflow.exceptions import PromotionBlocked
    from csc_mlflow.gate._promote import Waiver, promote

    waiver = None
    if waive_by:
        if not (role and why and expires and covers):
            raise click.UsageError(
                "a waiver needs --waive-by, --role, --reason, --expires and --covers"
            )
        waiver = Waiver(waive_by, role, why, expires.date(), tuple(covers))
    try:
        decision = promote(
            model, version, alias, waiver=waiver, policy=policy_path, tracking_uri=tracking_uri
        )
    except PromotionBlocked as exc:
        _print_decision(exc.decision, as_json)
        sys.exit(EXIT_BLOCKED)
    _print_decision(decision, as_json)


@gate.command("history")
@click.argument("model")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@click.option("--json", "as_json", is_flag=True)
def gate_history(model: str, tracking_uri: str | None, as_json: bool) -> None:
    """Every gate decision recorded for MODEL, oldest first."""
    from mlflow import MlflowClient

    from csc_mlflow.gate._ledger import history

    try:
        found, problems = history(MlflowClient(tracking_uri=tracking_uri), model)
    except Exception as exc:
        raise click.ClickException(
            f"cannot read the ledger of {model!r}: {str(exc).splitlines()[0]}"
        ) from exc
    if as_json:
        click.echo(json.dumps({"entries": found, "problems": problems}, indent=2, sort_keys=True))
    else:
        for e in found:
            click.echo(
                f"{e['time']}  v{e['version']}  {e['alias']:<12} {e['decision'].upper():<8} "
                f"{e['actor']} ({e['via']})"
            )
            for reason in e["reasons"]:
                click.echo(f"      - {reason}")
        for problem in problems:
            click.echo(f"LEDGER PROBLEM: {problem}")
    if problems:
        sys.exit(1)


@gate.command("keygen")
@click.option(
    "--dir", "folder", default="keys", show_default=True, type=click.Path(file_okay=False)
)
def gate_keygen(folder: str) -> None:
    """Write an Ed25519 key pair for signing manifests."""
    from pathlib import Path

    from csc_mlflow.gate._signing import generate_keys

    private, public = generate_keys(Path(folder))
    click.echo(f"private key: {private} (set CSC_MLFLOW_SIGNING_KEY to it where runs are logged)")
    click.echo(
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
def gate_watch(host: str, port: int, secret_env: str, tracking_uri: str | None) -> None:
    """Receive MLflow webhooks; remove aliases set on versions the gate blocks."""
    from csc_mlflow.gate._watch import make_server

    secret = os.environ.get(secret_env)
    if not secret:
        raise click.UsageError(f"set {secret_env} to the webhook's secret")
    server = make_server(host, port, secret, tracking_uri)
    click.echo(f"csc-mlflow gate watch listening on http://{host}:{port}")
    try:
        server.serve_forever()
    finally:
        server.server_close()


@main.command()
@click.argument("run_id")
@click.option(
    "-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False)
)
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
def report(run_id: str, output: str, tracking_uri: str | None) -> None:
    """Render the governance report of RUN_ID to a self-contained HTML file."""
    from pathlib import Path

    from csc_mlflow.report._summary import render_run_report

    try:
        html = render_run_report(run_id, tracking_uri=tracking_uri)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(output).write_text(html, encoding="utf-8")
    click.echo(f"wrote {output}")


@main.command()
@click.argument("model")
@click.argument("version")
@click.option(
    "-o", "--output", default="atrs-draft.md", show_default=True, type=click.Path(dir_okay=False)
)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
def atrs(
    model: str, version: str, output: str, policy_path: str | None, tracking_uri: str | None
) -> None:
    """Write an ATRS draft for MODEL VERSION, pre-filled from the evidence."""
    from pathlib import Path

    from csc_mlflow.report._atrs import TODO, atrs_draft

    try:
        text = atrs_draft(model, version, tracking_uri=tracking_uri, policy=policy_path)
    except CscMlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(output).write_text(text, encoding="utf-8")
    todo = text.count(TODO)
    click.echo(f"wrote {output}: {todo} field(s) need a person ({TODO})")
