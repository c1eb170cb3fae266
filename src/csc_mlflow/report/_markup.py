"""The HTML pieces the report's sections share: escaped text and a table with header cells."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

__all__ = ["table", "text"]


def text(value: Any) -> str:
    """``value`` as escaped HTML text (None as nothing)."""
    return escape("" if value is None else str(value))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str | None = None) -> str:
    """A table with column header cells and an optional caption; cells are HTML already."""
    head = "".join(f'<th scope="col">{text(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    cap = f"<caption>{text(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
