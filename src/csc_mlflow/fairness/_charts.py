"""Self-contained SVG charts of group rates with their intervals (no script, no fonts fetched).

Groups too small to judge are drawn as a labelled gap, never as a rate; counts are the
published ones (``c`` for suppressed cells).
"""

from __future__ import annotations

from html import escape

from csc_mlflow._evidence import FeatureRecord

WIDTH = 640
ROW = 22
LEFT = 210
PLOT = 340


def rate_chart(
    feature: FeatureRecord, metric: str, *, confidence: str, title: str | None = None
) -> str:
    """An SVG dot-and-whisker chart of ``metric`` for every group of one feature record."""
    groups = feature.groups
    height = 56 + ROW * len(groups)
    label = title or f"{metric.replace('_', ' ')} by {feature.feature} ({confidence} interval)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(label)}</title>",
        f'<text x="8" y="18" font-weight="bold">{escape(label)}</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = LEFT + tick * PLOT
        parts.append(f'<line x1="{x:.1f}" y1="28" x2="{x:.1f}" y2="{height - 22}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{tick:.2f}</text>')
    for row, group in enumerate(groups):
        y = 40 + ROW * row
        name = f"{group.group} (n = {group.count})"
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{escape(name)}</text>')
        estimate = (group.metrics or {}).get(metric)
        if not group.judged:
            why = (
                "withheld to protect small numbers"
                if group.verdict == "withheld"
                else "insufficient evidence: too few children to judge"
            )
            parts.append(
                f'<text x="{LEFT + 4}" y="{y + 4}" font-style="italic" fill="#555">{why}</text>'
            )
            continue
        if estimate is None or estimate.value is None:
            parts.append(
                f'<text x="{LEFT + 4}" y="{y + 4}" fill="#555">not defined for this group</text>'
            )
            continue
        value = estimate.value
        low, high = estimate.ci
        x0, x1, xv = (LEFT + (low or 0) * PLOT, LEFT + (high or 0) * PLOT, LEFT + value * PLOT)
        parts.append(
            f'<line x1="{x0:.1f}" y1="{y}" x2="{x1:.1f}" y2="{y}" '
            'stroke="#1d4f91" stroke-width="2"/>'
        )
        parts.append(f'<circle cx="{xv:.1f}" cy="{y}" r="4" fill="#1d4f91"/>')
        parts.append(f'<text x="{LEFT + PLOT + 8}" y="{y + 4}">{value:.3f}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
