"""The exit codes, in one place: 0 passed or valid, 1 error, 2 usage, 3 blocked."""

from __future__ import annotations

from typing import Final, NoReturn

__all__ = ["EXIT_BLOCKED", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "blocked"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_BLOCKED: Final = 3


def blocked() -> NoReturn:
    """End the command with the 'blocked' exit code (the output already says why)."""
    raise SystemExit(EXIT_BLOCKED)
