"""The ``csc-mlflow`` command. Thin: each command calls one library function.

Exit codes: 0 passed / valid, 1 error, 2 usage, 3 blocked (a status that is not ``passed``).
"""

from __future__ import annotations

import json
import os
import sys

import click

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
