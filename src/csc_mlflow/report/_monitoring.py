"""Monitoring for reviewers: the reference profile and each batch in the report, and a
version's monitoring history as markdown and as inline SVG charts (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from csc_mlflow._evidence import (
    EstimateRecord,
    MonitorEntry,
    MonitoringPayload,
    ReferenceProfilePayload,
)
from csc_mlflow.report._markup import table as _table
from csc_mlflow.report._markup import text as _e

__all__ = ["history_markdown", "history_svg", "monitoring_html"]

_SPARK: Final = "▁▂▃▄▅▆▇█"
_WORDS: Final = {
    "stable": "stable",
    "drifted": "DRIFTED",
    "inconclusive": "INCONCLUSIVE",
    "meets": "within bound",
    "breaches": "BREACH",
    "withheld": "withheld in batch",
    "not_compared": "not compared",
}


def _rate(estimate: EstimateRecord) -> str:
    if estimate.value is None:
        return "withheld"
    low, high = estimate.ci
    return f"{estimate.value:.3f} ({low:.3f} to {high:.3f})" if low is not None else "withheld"


def monitoring_html(
    profiles: Sequence[ReferenceProfilePayload], batches: Sequence[MonitoringPayload]
) -> str:
    """The report's monitoring section (empty when the run holds neither record)."""
    if not profiles and not batches:
        return ""
    out = ['<section><h2 id="monitoring">Monitoring</h2>']
    for p in profiles:
        out.append(
            f"<h3>Reference profile of the training data ({_e(p.count)} children)</h3>"
            "<p>What monitoring compares each batch of live data with. Bins are declared in "
            f"the policy; bins holding 1 to {_e(p.suppress_counts_up_to)} children are merged "
            "with a neighbour so no small count is published.</p>"
        )
        for f in p.features:
            rows = [[_e(" + ".join(b.labels)), _e(b.count)] for b in f.bins]
            out.append(_table(["Bin", "Children"], rows, f"{f.feature} ({f.column})"))
    for b in batches:
        kind = "Outcomes for batch" if b.outcomes else "Batch"
        out.append(
            f"<h3>{kind} {_e(b.batch)}: {_e(b.status.upper())}</h3>"
            f"<p>{_e(b.count)} children scored by {_e(b.model)} version {_e(b.version)}, "
            f"compared with the reference profile of run {_e(b.reference_run)}. A feature has "
            f"drifted when its population stability index (PSI) is above {_e(b.psi_max)} and "
            f"the chi-square test, corrected for the number of features (Holm), is below "
            f"{_e(b.alpha)}.</p>"
        )
        if b.reasons:
            out.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in b.reasons) + "</ul>")
        rows = [
            [
                _e(d.feature),
                _e("" if d.psi is None else f"{d.psi:.3f}"),
                _e("" if d.p_adjusted is None else f"{d.p_adjusted:.3g}"),
                f"<strong>{_e(_WORDS[d.verdict])}</strong>",
                _e("; ".join(f"{' + '.join(lab)}: {r} then, {n} now" for lab, r, n in d.bins)),
            ]
            for d in b.drift
        ]
        out.append(
            _table(
                ["Feature", "PSI", "Adjusted p", "Verdict", "Children per bin"],
                rows,
                "Drift from the training data",
            )
        )
        if b.changes:
            rows = [
                [
                    _e(c.feature),
                    _e(c.group),
                    _e(c.metric.replace("_", " ")),
                    _e(_rate(c.reference)),
                    _e(_rate(c.batch)),
                    _e(_rate(c.change)),
                    f"<strong>{_e(_WORDS[c.verdict])}</strong>",
                ]
                for c in b.changes
            ]
            out.append(
                _table(
                    ["Feature", "Group", "Rate", "At training", "In batch", "Change", "Verdict"],
                    rows,
                    f"Rates by group (a change of more than {b.max_rate_change} either way is a "
                    "breach)",
                )
            )
    out.append("</section>")
    return "".join(out)


def _spark(values: Sequence[float | None], top: float) -> str:
    marks = []
    for value in values:
        if value is None:
            marks.append("·")
            continue
        share = min(max(value / top, 0.0), 1.0) if top > 0 else 0.0
        marks.append(_SPARK[min(int(share * len(_SPARK)), len(_SPARK) - 1)])
    return "".join(marks)


def _worst_psi(entry: MonitorEntry) -> float | None:
    found = [v for v in entry.psi.values() if v is not None]
    return max(found) if found else None


def history_markdown(entries: Sequence[MonitorEntry], *, psi_max: float | None = None) -> list[str]:
    """One line per monitored batch, newest first, with a text sparkline of drift."""
    if not entries:
        return []
    worst = [_worst_psi(e) for e in entries]
    top = max([w for w in worst if w is not None] + [psi_max or 0.0, 1e-9])
    lines = [
        f"**Monitoring: {len(entries)} batch{'es' if len(entries) != 1 else ''}**, "
        f"largest drift (PSI) over time: `{_spark(worst, top)}`",
        "",
        "| batch | when | children | status | largest PSI | breaches |",
        "|---|---|---|---|---|---|",
    ]
    for entry, psi in reversed(list(zip(entries, worst, strict=True))[-12:]):
        label = entry.batch.replace("|", "/")[:40] + (" (outcomes)" if entry.outcomes else "")
        lines.append(
            f"| {label} | {entry.time} | {entry.count} | {entry.status} | "
            f"{'' if psi is None else f'{psi:.3f}'} | "
            f"{'; '.join(entry.breaches)[:120].replace('|', '/') or 'none'} |"
        )
    return [*lines, ""]


def history_svg(entries: Sequence[MonitorEntry], *, psi_max: float | None = None) -> str:
    """Two small charts: the largest drift per batch (with the policy's bound), and each
    group's selection rate per batch."""
    if not entries:
        return ""
    width, height, left, top, plot_w, plot_h = 560, 184, 48, 26, 460, 110
    n = len(entries)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    worst = [_worst_psi(e) for e in entries]
    ceiling = max([w for w in worst if w is not None] + [(psi_max or 0.0) * 1.5, 0.05])

    def chart(
        title: str, series: dict[str, list[float | None]], ceiling: float, bound: float | None
    ) -> str:
        legend = sorted(series) if len(series) > 1 else []
        rows = (len(legend) + 2) // 3
        full = height + 16 * rows
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{full}" '
            f'viewBox="0 0 {width} {full}" role="img" aria-label="{escape(title)}" '
            'font-family="sans-serif" font-size="11">',
            f"<title>{escape(title)}</title>",
            f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>',
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
            f'y2="{top + plot_h}" stroke="#999"/>',
            f'<text x="4" y="{top + 8}">{ceiling:.2f}</text>',
            f'<text x="4" y="{top + plot_h}">0</text>',
        ]

        def y(v: float) -> float:
            return top + plot_h - plot_h * min(v / ceiling, 1.0)

        if bound is not None:
            parts.append(
                f'<line x1="{left}" y1="{y(bound):.1f}" x2="{left + plot_w}" y2="{y(bound):.1f}" '
                'stroke="#d4351c" stroke-dasharray="4 3"/>'
                f'<text x="{left + plot_w - 4}" y="{y(bound) - 3:.1f}" text-anchor="end" '
                f'fill="#d4351c">bound {bound:g}</text>'
            )
        colours = ("#1d4f91", "#00703c", "#912b88", "#f47738", "#505a5f", "#28a197", "#d4351c")
        for k, name in enumerate(sorted(series)):
            colour = colours[k % len(colours)]
            points = [(x(i), y(v)) for i, v in enumerate(series[name]) if v is not None]
            if len(points) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}"/>')
            parts += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
            ]
        for k, name in enumerate(legend):  # a key below the plot, three to a row
            colour = colours[k % len(colours)]
            lx, ly = 8 + (k % 3) * (width // 3), height + 4 + 16 * (k // 3)
            parts.append(
                f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{lx + 14}" y="{ly + 1}">{escape(name[:34])}</text>'
            )
        for i, entry in enumerate(entries):
            label = entry.batch[:12] + (" (outcomes)" if entry.outcomes else "")
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
            if entry.status != "passed":
                parts.append(
                    f'<text x="{x(i):.1f}" y="{top + plot_h + 27}" text-anchor="middle" '
                    f'fill="#d4351c">{escape(entry.status)}</text>'
                )
        parts.append("</svg>")
        return "".join(parts)

    rates: dict[str, list[float | None]] = {}
    for i, entry in enumerate(entries):
        for key, value in entry.rates.items():
            rates.setdefault(key, [None] * n)[i] = value
    rate_ceiling = max([v for vs in rates.values() for v in vs if v is not None] + [0.1])
    charts = [chart("Largest drift (PSI) per batch", {"largest PSI": worst}, ceiling, psi_max)]
    if rates:
        charts.append(chart("Selection rate per group, per batch", rates, rate_ceiling, None))
    return "\n".join(charts)
