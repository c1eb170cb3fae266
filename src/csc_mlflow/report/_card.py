"""A model card, written at run end from the same sealed facts as the report.

Sections as model cards have them (model details, intended use, out-of-scope uses, data,
performance, fairness, limitations, ethical considerations), filled from the policy, the run,
its evidence records and the Ethics Workbook's answers; every field the evidence does not hold
is marked ``[TO COMPLETE]`` with what a person must add. Markdown and a self-contained HTML
page, both sealed in the manifest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from csc_mlflow._evidence import (
    DataQualityPayload,
    EvidenceItem,
    FairnessPayload,
    GovernanceDecision,
    PerformancePayload,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._stages import stage_label
from csc_mlflow.report._facts import Lineage, ReportHeader

__all__ = ["TODO", "CardField", "field_page", "model_card", "published_shares"]

TODO: Final = "[TO COMPLETE]"


@dataclass(frozen=True)
class CardField:
    """One field: its value (None when a person must add it), where it came from, the hint."""

    label: str
    value: str | None
    source: str = ""
    hint: str = ""


def published_shares(performance: Sequence[PerformancePayload]) -> str:
    """Each published performance share with its interval (withheld ones left out)."""
    return "; ".join(
        f"{m.metric} {m.estimate.value:.3f} ({m.estimate.ci[0]:.3f} to {m.estimate.ci[1]:.3f})"
        for p in performance
        for m in p.metrics
        if m.estimate.value is not None
        and m.estimate.ci[0] is not None
        and m.estimate.ci[1] is not None
    )


def _answer(workbooks: Sequence[WorkbookPayload], question: str) -> str | None:
    for workbook in workbooks:
        value = workbook.answers.get(question)
        if value not in (None, "", [], {}):
            return str(value)
    return None


def _sections(
    header: ReportHeader,
    decision: GovernanceDecision,
    items: Sequence[EvidenceItem],
    lineage: Lineage,
) -> list[tuple[str, list[CardField]]]:
    payloads = [i.payload for i in items]
    quality = [p for p in payloads if isinstance(p, DataQualityPayload)]
    fairness = [p for p in payloads if isinstance(p, FairnessPayload)]
    performance = [p for p in payloads if isinstance(p, PerformancePayload)]
    triages = [p for p in payloads if isinstance(p, TriagePayload)]
    workbooks = [p for p in payloads if isinstance(p, WorkbookPayload)]
    shares = published_shares(performance)
    bounds = "; ".join(t.message for p in performance for t in p.thresholds)
    judged = "; ".join(t.message for p in fairness for t in p.thresholds)
    groups = "; ".join(
        f"{f.feature} ({len(f.groups)} groups)" for p in fairness for f in p.features
    )
    checked = "; ".join(
        f"{p.name}: {p.summary.rules_failed} of {p.summary.rules_evaluated} DfE rules failed"
        for p in quality
        if p.summary is not None
    )
    triage = triages[0] if triages else None
    flagged = "; ".join(f.label for f in triage.flagged_themes) if triage else ""
    return [
        (
            "Model details",
            [
                CardField("Name", header.name, "the policy"),
                CardField("Owner", header.owner, "the policy"),
                CardField(
                    "Accountable officer",
                    header.accountable_officer,
                    "the policy",
                    "Who is accountable for the model.",
                ),
                CardField(
                    "Stage",
                    stage_label(lineage.stage) if lineage.stage else None,
                    "the run's sealed stage",
                    "Where the project is.",
                ),
                CardField(
                    "Logged models",
                    ", ".join(lineage.model_ids) or None,
                    "the run",
                    "Log the model on the run.",
                ),
                CardField("Governance status", decision.status.upper(), "the sealed decision"),
            ],
        ),
        (
            "Intended use",
            [
                CardField(
                    "Purpose",
                    header.description,
                    "the policy (project.description)",
                    "What the model is for.",
                ),
                CardField(
                    "Objectives and how they are measured",
                    _answer(workbooks, "EV1"),
                    "Ethics Workbook EV1",
                    "The tool's objectives.",
                ),
                CardField(
                    "Human oversight",
                    _answer(workbooks, "GO2"),
                    "Ethics Workbook GO2",
                    "How practitioners use and can overrule it.",
                ),
            ],
        ),
        (
            "Out-of-scope uses",
            [
                CardField(
                    "Uses that would stop or withdraw it",
                    _answer(workbooks, "EV3"),
                    "Ethics Workbook EV3",
                    "Results or uses that stop deployment.",
                ),
                CardField(
                    "Uses it must not be put to",
                    None,
                    "",
                    "Decisions the model must not inform (for example, without review).",
                ),
            ],
        ),
        (
            "Data",
            [
                CardField(
                    "Datasets",
                    ", ".join(f"{d.name} ({d.context or 'no context'})" for d in lineage.datasets)
                    or None,
                    "the run's inputs",
                    "Log each dataset with mlflow.log_input.",
                ),
                CardField(
                    "Data quality",
                    checked or None,
                    "data-quality evidence",
                    "Validate each dataset against its DfE rules.",
                ),
                CardField(
                    "Personal data used",
                    _answer(workbooks, "DU1"),
                    "Ethics Workbook DU1",
                    "Which personal data and why.",
                ),
            ],
        ),
        (
            "Performance",
            [
                CardField(
                    "Measures on held-out children",
                    shares or None,
                    "performance evidence",
                    "csc_mlflow.evaluate_performance on data the model was not built on.",
                ),
                CardField(
                    "Against the policy's bounds",
                    bounds or None,
                    "performance evidence",
                    "Set performance.thresholds in the policy.",
                ),
            ],
        ),
        (
            "Fairness",
            [
                CardField(
                    "Groups compared",
                    groups or None,
                    "fairness evidence",
                    "csc_mlflow.evaluate_fairness across protected characteristics.",
                ),
                CardField(
                    "Against the policy's thresholds",
                    judged or None,
                    "fairness evidence",
                    "Set fairness.thresholds in the policy.",
                ),
            ],
        ),
        (
            "Limitations",
            [
                CardField(
                    "Known data problems",
                    _answer(workbooks, "DQ2"),
                    "Ethics Workbook DQ2",
                    "Remaining data-quality problems.",
                ),
                CardField(
                    "Groups too small to judge",
                    _answer(workbooks, "BI2"),
                    "Ethics Workbook BI2",
                    "Groups the evidence cannot speak for.",
                ),
            ],
        ),
        (
            "Ethical considerations",
            [
                CardField(
                    "Risk level",
                    triage.risk if triage else None,
                    "Ethics Triage",
                    "Answer the Ethics Triage.",
                ),
                CardField(
                    "Themes flagged", flagged or None, "Ethics Triage", "Answer the Ethics Triage."
                ),
                CardField(
                    "Acceptable disparity and who decided",
                    _answer(workbooks, "BI3"),
                    "Ethics Workbook BI3",
                    "The accountable officer's decision.",
                ),
                CardField(
                    "Review by",
                    next((w.review_by for w in workbooks if w.review_by), None),
                    "Ethics Workbook",
                    "Set a review date.",
                ),
            ],
        ),
    ]


def model_card(
    *,
    header: ReportHeader,
    decision: GovernanceDecision,
    items: Sequence[EvidenceItem],
    lineage: Lineage,
) -> tuple[str, str]:
    """The model card as markdown and as a self-contained HTML page."""
    sections = _sections(header, decision, items, lineage)
    md = [
        f"# Model card: {header.name}",
        "",
        f"Run `{lineage.run_id}`. Fields marked {TODO} need a person.",
        "",
    ]
    html = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Model card: {escape(header.name)}</title>",
        "<style>body{font-family:Arial,Helvetica,sans-serif;margin:24px;max-width:900px;"
        "line-height:1.4}th,td{border:1px solid #b1b4b6;padding:4px 6px;text-align:left;"
        "vertical-align:top}table{border-collapse:collapse;width:100%}th{width:16em;"
        "background:#f3f2f1}.todo{color:#d4351c;font-weight:bold}</style></head><body>",
        f"<h1>Model card: {escape(header.name)}</h1>",
        f"<p>Run {escape(lineage.run_id)}. Fields marked {TODO} need a person.</p>",
    ]
    for title, fields in sections:
        md += [f"## {title}", ""]
        html.append(f"<h2>{escape(title)}</h2><table>")
        for f in fields:
            if f.value is None:
                md.append(f"- **{f.label}**: {TODO} {f.hint}")
                cell = f'<span class="todo">{TODO}</span> {escape(f.hint)}'
            else:
                md.append(f"- **{f.label}**: {f.value} _(from {f.source})_")
                cell = f"{escape(f.value)} <small>(from {escape(f.source)})</small>"
            html.append(f'<tr><th scope="row">{escape(f.label)}</th><td>{cell}</td></tr>')
        md.append("")
        html.append("</table>")
    html.append("</body></html>")
    return "\n".join(md), "".join(html)


_PAGE_STYLE: Final = (
    "body{font-family:Arial,Helvetica,sans-serif;margin:24px;max-width:900px;line-height:1.4}"
    "th,td{border:1px solid #b1b4b6;padding:4px 6px;text-align:left;vertical-align:top}"
    "table{border-collapse:collapse;width:100%}th{width:16em;background:#f3f2f1}"
    ".todo{color:#d4351c;font-weight:bold}"
)


def field_page(markdown: str) -> str:
    """A self-contained HTML page from a field document's markdown (``# title``, ``## section``,
    ``- **Field**: value _(from source)_``, paragraphs)."""
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">']
    title = next((line[2:] for line in markdown.splitlines() if line.startswith("# ")), "")
    out.append(f"<title>{escape(title)}</title><style>{_PAGE_STYLE}</style></head><body>")
    in_table = False
    for line in markdown.splitlines():
        row = re.match(r"- \*\*(.+?)\*\*: (.*)$", line)
        if row is None and in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("# "):
            out.append(f"<h1>{escape(line[2:])}</h1>")
        elif line.startswith("## "):
            out.append(f"<h2>{escape(line[3:])}</h2>")
        elif row is not None:
            if not in_table:
                out.append("<table>")
                in_table = True
            value = escape(row.group(2))
            value = re.sub(r"_\(from (.+?)\)_$", r"<small>(from \1)</small>", value)
            value = value.replace(TODO, f'<span class="todo">{TODO}</span>')
            out.append(f'<tr><th scope="row">{escape(row.group(1))}</th><td>{value}</td></tr>')
        elif line.strip():
            out.append(f"<p>{escape(line)}</p>")
    if in_table:
        out.append("</table>")
    out.append("</body></html>")
    return "".join(out)
