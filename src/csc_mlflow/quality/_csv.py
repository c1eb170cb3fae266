"""Reading a dataset from CSV the way the suites need it: dates parsed (one form per column,
detected and reported), DOB joined on CHILD."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._dates import read_dates

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_csv", "read_with_header"]


def read_csv(path: str, columns: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a CSV, parsing the suite's date columns; the frame, and each date column's form
    (``YYYY-MM-DD`` or ``dd/mm/YYYY``, detected per column: see :mod:`._dates`)."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the CSV ({exc})", path=path) from exc
    if frame.empty:
        raise DataError(f"{path}: the file has no rows", path=path)
    forms: dict[str, str] = {}
    for column, kind in columns.items():
        if kind == "date" and column in frame.columns:
            read = read_dates(frame[column], path=path, column=column)
            frame[column] = read.dates
            if read.form is not None:
                forms[column] = read.form
    return frame, forms


def read_with_header(
    path: str, columns: Mapping[str, str], header_path: str | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read ``path``; with an SSDA903 Header file, join its DOB on CHILD. The frame, and the
    form each date column was read in (the Header's as ``Header DOB``)."""
    frame, forms = read_csv(path, columns)
    if header_path:
        header, header_forms = read_csv(header_path, {"DOB": "date"})
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
        forms.update({f"Header {c}": form for c, form in header_forms.items()})
    return frame, forms
