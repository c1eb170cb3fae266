"""How commands print: JSON for scripts, tables with colour for people, plain when piped.

Every command takes ``--json``: its result as one JSON document on standard output, and an
error as ``{"error": ..., "exit_code": ...}`` there too, so a pipeline never parses prose.
For people, ``rich`` draws tables and colours the verdicts when standard output is a
terminal (and ``NO_COLOR`` is unset); piped, the same tables come as plain aligned text, one
line per row. Progress on long work goes to standard error, only when it is a terminal (or
``CSC_MLFLOW_PROGRESS=always``), so it never mixes with what a script reads.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, Final, TypeVar

import click

__all__ = [
    "JSON_MODE",
    "console",
    "emit_json",
    "json_logging",
    "json_option",
    "progress",
    "say",
    "table",
    "verdict",
]

JSON_MODE: Final = "csc_mlflow.json"
PROGRESS_ENV: Final = "CSC_MLFLOW_PROGRESS"
_PLAIN_WIDTH: Final = 1000  # piped: a row is one line, whatever its length

_STYLES: Final = {
    "passed": "bold green",
    "valid": "bold green",
    "kept": "bold green",
    "ok": "green",
    "failed": "bold red",
    "blocked": "bold red",
    "removed": "bold red",
    "fail": "bold red",
    "drifted": "bold red",
    "stable": "green",
    "incomplete": "bold yellow",
    "inconclusive": "bold yellow",
    "pending": "bold yellow",
    "waived": "bold yellow",
    "reported": "bold yellow",
    "warn": "yellow",
}

F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.find_root().meta[JSON_MODE] = True
    return value


def json_option(function: F) -> F:
    """``--json``: the result (or the error) as JSON on standard output."""
    option = click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        callback=_remember,
        help="Print the result as JSON (errors too, as {'error': ..., 'exit_code': ...}).",
    )
    return option(function)


def emit_json(value: Any) -> None:
    """One JSON document on standard output."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@cache
def console() -> Any:
    """The terminal, as ``rich`` sees it (imported on first use: a JSON run never pays)."""
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(
        file=sys.stdout,
        highlight=False,
        soft_wrap=not terminal,
        width=None if terminal else _PLAIN_WIDTH,
        color_system="auto" if terminal and not os.environ.get("NO_COLOR") else None,
    )


def _out() -> Any:
    # click's test runner swaps sys.stdout per call: a console made for another stream is
    # made again.
    current = console()
    if current.file is not sys.stdout:
        console.cache_clear()
        current = console()
    return current


def verdict(word: str, *, upper: bool = True) -> Any:
    """``word`` (in upper case unless told), coloured by what it means (plain when piped)."""
    from rich.text import Text

    return Text(word.upper() if upper else word, style=_STYLES.get(word.lower(), "bold"))


def say(*parts: Any) -> None:
    """One line: plain strings are printed as they are (never read as markup)."""
    from rich.text import Text

    line = Text()
    for part in parts:
        line.append(part if isinstance(part, Text) else Text(str(part)))
    _out().print(line, overflow="ignore", crop=False)


def table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, right: Sequence[str] = ()
) -> None:
    """Rows under their column names: ruled in a terminal, plain aligned text when piped."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = _out()
    grid = Table(
        box=box.SIMPLE_HEAD if out.is_terminal else None,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if out.is_terminal else "",
    )
    for name in columns:
        grid.add_column(
            name, justify="right" if name in right else "left", no_wrap=name != columns[-1]
        )
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in row))
    out.print(grid)


@contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time on standard error while the block runs (a terminal only,
    or ``CSC_MLFLOW_PROGRESS=always``); yields a function that updates its text."""
    wanted = os.environ.get(PROGRESS_ENV, "auto")
    if wanted == "never" or (wanted != "always" and not sys.stderr.isatty()):
        yield lambda _text: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    board = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr, force_terminal=wanted == "always" or None),
        transient=True,
    )
    with board:
        task = board.add_task(description, total=None)
        yield lambda text: board.update(task, description=text)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record),
                "level": record.levelname,
                "message": record.getMessage(),
            },
            sort_keys=True,
        )


def json_logging() -> None:
    """csc-mlflow's log records as JSON lines on standard output (``gate watch --json``)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_JsonLines())
    logger = logging.getLogger("csc_mlflow")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
