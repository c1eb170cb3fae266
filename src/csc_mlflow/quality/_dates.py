"""Date columns read from text by one explicit rule, per column.

A column's dates are all ISO (``YYYY-MM-DD``, as data tools write them) or all the DfE's
``dd/mm/YYYY`` (as the returns are written). The form is detected from the column's own cells
and reported; a column holding both is ambiguous (``03/05/2024`` and ``2024-05-03`` cannot be
told apart by a reader guessing cell by cell) and is an error naming the file and column.
Nothing here quotes a cell: errors name the file, the column and the form expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from csc_mlflow.exceptions import DataError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

__all__ = ["DFE", "ISO", "ColumnDates", "read_dates"]

ISO: Final = "YYYY-MM-DD"
DFE: Final = "dd/mm/YYYY"
_FORMS: Final = {
    ISO: (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    DFE: (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
}


@dataclass(frozen=True)
class ColumnDates:
    """A column read as dates: the dates, which cells were not dates, and the form found."""

    dates: pd.Series
    unreadable: pd.Series
    """1 where a cell held text that is not a date in the column's form, else 0."""
    form: str | None
    """``ISO`` or ``DFE``; None for a column with no dates at all."""


def read_dates(
    text: pd.Series, *, path: str | Path, column: str, keep_unreadable: bool = False
) -> ColumnDates:
    """Parse ``text`` (one column of a file) as dates in the one form its cells use.

    Raises :class:`DataError` naming ``path`` and ``column`` when the column mixes both forms,
    or (unless ``keep_unreadable``: those cells are left blank and marked) when a cell is not
    a date in the column's form.
    """
    import pandas as pd

    cells = text.astype("string").str.strip()
    present = cells.notna() & cells.ne("")
    # The dates each form reads (a cell shaped like a date but no date, 31/02/2024, counts
    # for neither: it is a cell that is not a date, whatever the column's form).
    parsed = {
        form: pd.to_datetime(
            cells.where(present & cells.str.match(pattern, na=False)), format=fmt, errors="coerce"
        )
        for form, (pattern, fmt) in _FORMS.items()
    }
    found = [form for form, dates in parsed.items() if dates.notna().any()]
    if len(found) > 1:
        raise DataError(
            f"{path}: column {column!r} holds dates written both as {ISO} and as {DFE}; a date "
            "such as 03/05/2024 cannot then be read safely. Write every date of the column "
            "one way and validate again",
            path=str(path),
            column=column,
        )
    form = found[0] if found else None
    if form is None:
        dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    else:
        dates = parsed[form]
    unreadable = present & dates.isna()
    bad = int(unreadable.sum())
    if bad and not keep_unreadable:
        expected = form or f"{DFE} or {ISO}"
        raise DataError(
            f"{path}: column {column!r} has {_how_many(bad)} values that are not dates "
            f"(expected {expected}, as the rest of the column); correct them and validate again",
            path=str(path),
            column=column,
        )
    return ColumnDates(dates, unreadable.astype("int64"), form)


def _how_many(count: int) -> str:
    """A count of cells as it may be published: 1 to 5 is never given exactly."""
    return "a few (1 to 5)" if count <= 5 else f"{count:,}"
