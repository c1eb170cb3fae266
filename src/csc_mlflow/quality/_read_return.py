"""Reading an SSDA903 return the way local authorities hold it: a folder of the DfE CSV files,
one per table, recognised by their columns (as the DfE validator does), dates ``dd/mm/YYYY``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from csc_mlflow._codes import SSDA903_DATES, SSDA903_TABLES
from csc_mlflow.exceptions import DataError

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
    SSDA903 table, two files of one table, or a date that is not ``dd/mm/YYYY``.
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
        for column in frame.columns:
            if column in SSDA903_DATES:
                frame[column] = _dates(path, str(column), frame[column])
        tables[table] = frame
        origin[table] = path
    return tables


def _dates(path: Path, column: str, values: pd.Series) -> pd.Series:
    import pandas as pd

    text = values.str.strip()
    parsed = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    iso = parsed.isna() & text.notna()
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], format="%Y-%m-%d", errors="coerce")
    bad = int((parsed.isna() & text.notna() & text.ne("")).sum())
    if bad:
        raise DataError(
            f"{path}: column {column!r} has {'some' if bad <= 5 else bad} values that are not "
            "dates (expected dd/mm/YYYY); correct them and validate again",
            path=path,
            column=column,
        )
    return parsed
