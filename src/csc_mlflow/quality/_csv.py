"""Reading a dataset from CSV the way the suites need it: dates parsed, DOB joined on CHILD."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from csc_mlflow.exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_csv", "read_with_header"]


def read_csv(path: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """Read a CSV, parsing the suite's date columns (dd/mm/YYYY or ISO)."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the CSV ({exc})", path=path) from exc
    if frame.empty:
        raise DataError(f"{path}: the file has no rows", path=path)
    for column, kind in columns.items():
        if kind == "date" and column in frame.columns:
            parsed = pd.to_datetime(frame[column], format="mixed", dayfirst=True, errors="coerce")
            bad = parsed.isna() & frame[column].notna()
            if bad.any():
                raise DataError(
                    f"{path}: column {column!r} has {int(bad.sum())} values that are not dates "
                    "(expected dd/mm/YYYY or YYYY-MM-DD)",
                    path=path,
                    column=column,
                )
            frame[column] = parsed
    return frame


def read_with_header(
    path: str, columns: Mapping[str, str], header_path: str | None
) -> pd.DataFrame:
    """Read ``path``; with an SSDA903 Header file, join its DOB on CHILD."""
    frame = read_csv(path, columns)
    if header_path:
        header = read_csv(header_path, {"DOB": "date"})
        for needed in ("CHILD", "DOB"):
            if needed not in header.columns:
                raise DataError(
                    f"{header_path}: the Header file has no {needed!r} column; it needs CHILD "
                    "and DOB",
                    path=header_path,
                    column=needed,
                )
        if "CHILD" not in frame.columns:
            raise DataError(
                f"{path}: no 'CHILD' column to join the Header's DOB on", path=path, column="CHILD"
            )
        frame = frame.merge(header[["CHILD", "DOB"]], on="CHILD", how="left")
    return frame
