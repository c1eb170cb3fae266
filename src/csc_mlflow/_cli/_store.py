"""What every command that reads a tracking store checks first: the store is there, and a
model version is a version number.

A command never creates a store by reading one: MLflow makes an empty ``mlflow.db`` (or
``mlruns/``) wherever it is pointed, so a command run in the wrong folder would report on an
empty registry as if it were the real one.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import click

__all__ = ["existing_store", "version_number"]


def existing_store(tracking_uri: str | None) -> str:
    """The tracking URI the command will use; a :class:`click.ClickException` (exit 1) when it
    names a local store (SQLite file or folder) that does not exist."""
    if tracking_uri is None:
        import mlflow

        tracking_uri = mlflow.get_tracking_uri()
    local = _local_path(tracking_uri)
    if local is not None and not local.exists():
        raise click.ClickException(
            f"no MLflow tracking store at {local} ({tracking_uri}); nothing was created. Run the "
            "command where your runs were logged, or give --tracking-uri (or set "
            "MLFLOW_TRACKING_URI) to the store or server they were logged to"
        )
    return tracking_uri


def _local_path(uri: str) -> Path | None:
    """The file or folder a local tracking URI names (None for a server or other store)."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        path = unquote(uri.split("///", 1)[1]) if "///" in uri else ""
        return Path(path) if path and path != ":memory:" else None
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path if parsed.scheme == "file" else uri))
    return None


def version_number(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A registry version is a whole number (a usage error otherwise, exit 2)."""
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(
            f"{value!r} is not a model version; the registry numbers them 1, 2, 3, ...",
            ctx=ctx,
            param=param,
        )
    return str(int(value))
