"""Compact, self-contained HTML for notebooks (``_repr_html_``): a status badge and tables.

Inline styles only (no script, no external sheet), every text escaped. Callers pass only what
may be shown: counts already reduced by disclosure control.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = ["badge", "card", "table"]

_COLOURS: Final = {
    "passed": "#1a7f37",
    "meets": "#1a7f37",
    "ok": "#1a7f37",
    "warnings": "#9a6700",
    "warn": "#9a6700",
    "inconclusive": "#9a6700",
    "failed": "#cf222e",
    "blocked": "#cf222e",
    "breaches": "#cf222e",
}
_GREY: Final = "#57606a"
_CELL: Final = "padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left"


def badge(status: str) -> str:
    """``status`` in capitals on its colour (grey for incomplete, pending and the rest)."""
    colour = _COLOURS.get(status.lower(), _GREY)
    return (
        f'<span style="background:{colour};color:#fff;border-radius:4px;padding:1px 6px;'
        f'font-weight:600;font-size:0.85em">{html.escape(status.upper())}</span>'
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, limit: int = 50) -> str:
    """A plain table of ``rows`` (at most ``limit``, then a line saying how many more)."""
    every = list(rows)
    head = "".join(f'<th style="{_CELL}">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{html.escape(_text(v))}</td>' for v in row) + "</tr>"
        for row in every[:limit]
    )
    more = (
        f'<p style="margin:2px 0;color:{_GREY}">and {len(every) - limit} more</p>'
        if len(every) > limit
        else ""
    )
    return (
        f'<table style="border-collapse:collapse;font-size:0.9em;margin:4px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
    )


def card(title: str, status: str, lines: Iterable[str] = (), body: str = "") -> str:
    """A titled block: the title and badge, plain ``lines`` (escaped here), then ``body``
    (HTML the caller built with :func:`table`)."""
    text = "".join(f'<li style="margin:1px 0">{html.escape(line)}</li>' for line in lines)
    listed = f'<ul style="margin:4px 0;padding-left:18px">{text}</ul>' if text else ""
    return (
        '<div style="font-family:system-ui,sans-serif;border:1px solid #d0d7de;'
        'border-radius:6px;padding:8px 12px;margin:4px 0;max-width:60em">'
        f'<div style="font-weight:600">{html.escape(title)} {badge(status)}</div>'
        f"{listed}{body}</div>"
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
