"""The installed package's version, read from its metadata (cheap: no heavy imports)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(distribution: str = "csc-mlflow") -> str | None:
    """Installed version of ``distribution``, or None when it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


__version__: str = package_version() or "0+unknown"
