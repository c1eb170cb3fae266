"""The command group, and the one place errors become exit codes."""

from __future__ import annotations

import os
from typing import Any

import click

from csc_mlflow._cli._commands import atrs, dq, ethics, policy, report, status
from csc_mlflow._cli._exits import EXIT_BLOCKED
from csc_mlflow._cli._gate import gate
from csc_mlflow._cli._monitor import monitor
from csc_mlflow._cli._output import JSON_MODE, emit_json
from csc_mlflow._version import __version__
from csc_mlflow.exceptions import CscMlflowError, PromotionBlocked, UsageError

__all__ = ["main"]


class _Group(click.Group):
    """Maps csc-mlflow's errors to exit codes for every command below it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PromotionBlocked:
            raise SystemExit(EXIT_BLOCKED) from None
        except UsageError as exc:
            raise _as_json(ctx, click.UsageError(str(exc), ctx)) from exc
        except CscMlflowError as exc:
            raise _as_json(ctx, click.ClickException(str(exc))) from exc
        except click.ClickException as exc:
            raise _as_json(ctx, exc) from exc.__cause__


def _as_json(ctx: click.Context, error: click.ClickException) -> BaseException:
    """Under ``--json``, the error as JSON on standard output (the exit code unchanged)."""
    if not ctx.meta.get(JSON_MODE):
        return error
    emit_json({"error": error.format_message(), "exit_code": error.exit_code})
    return SystemExit(error.exit_code)


def _quiet_defaults() -> None:
    """No telemetry, and a down tracking server reported in seconds, not minutes."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="csc-mlflow")
def main() -> None:
    """Governance evidence for MLflow models in children's social care."""
    _quiet_defaults()


for _command in (policy, status, ethics, dq, gate, report, atrs, monitor):
    main.add_command(_command)
