"""Reading an SSDA903 return the way local authorities hold it: a folder of the DfE CSV files,
one per table, recognised by their columns (as the DfE validator does), dates ``dd/mm/YYYY``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from csc_mlflow._codes import (
    SSDA903_DATES,
    SSDA903_TABLES,
    UNREADABLE_DATE_RULES,
    UNREADABLE_SUFFIX,
)
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._dates import read_dates

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_return"]


def _which(path: Path, columns: list[str]) -> str:
    present = set(columns)
    matches = [t for t, wanted in SSDA903_TABLES.items() if set(wanted) <= present]
    # The table whose columns the file has, all of them; with several, the one it has most of.
    if matches:
        return max(matches, key=lambda t: len(SSDA903_TABLES[t]))
    close = max(SSDA903_TABLES, key=lambda t: len(set(SSDA903_TABLES[t]) & present))
    missing = [c for c in SSDA903_TABLES[close] if c not in present]
    raise DataError(
        f"{path}: not an SSDA903 table: its columns are closest to {close}'s, which also needs "
        f"{', '.join(missing)}. Export the table with the DfE column names.",
        path=path,
    )


def read_return(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every SSDA903 table of the CSV files in ``folder``, keyed by table name.

    Raises :class:`DataError` naming the file: not a folder, no CSV files, a file that is no
    SSDA903 table, two files of one table, or a date that is not ``dd/mm/YYYY`` in a column
    no DfE rule judges. Where a rule judges it (903-147 for a DEC that is not a date, see
    ``UNREADABLE_DATE_RULES``), the cell is kept blank and marked in ``<column>__unreadable``,
    so the rule counts it.
    """
    import pandas as pd

    root = Path(folder)
    if not root.is_dir():
        raise DataError(
            f"{root}: not a folder; give the folder of the return's CSV files", path=root
        )
    files = sorted(p for p in root.iterdir() if p.suffix.lower() == ".csv")
    if not files:
        raise DataError(f"{root}: no .csv files; a return is one CSV file per table", path=root)
    tables: dict[str, pd.DataFrame] = {}
    origin: dict[str, Path] = {}
    for path in files:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=True)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read the CSV ({exc})", path=path) from exc
        table = _which(path, [str(c) for c in frame.columns])
        if table in tables:
            raise DataError(
                f"{path}: a second {table} table (the first is {origin[table].name}); keep one",
                path=path,
            )
        for column in list(frame.columns):
            if column in SSDA903_DATES:
                kept = (table, str(column)) in UNREADABLE_DATE_RULES
                frame[column], unreadable = _dates(path, str(column), frame[column], keep=kept)
                if kept:
                    frame[f"{column}{UNREADABLE_SUFFIX}"] = unreadable
        tables[table] = frame
        origin[table] = path
    return tables


def _dates(
    path: Path, column: str, values: pd.Series, *, keep: bool = False
) -> tuple[pd.Series, pd.Series]:
    """The column as dates, and which cells held text that is not a date (``keep``: kept
    blank for the rule; otherwise an error naming the file and column, never the value). One
    form per column (dd/mm/YYYY as the DfE writes them, or YYYY-MM-DD); both is an error."""
    read = read_dates(values, path=path, column=column, keep_unreadable=keep)
    return read.dates, read.unreadable
