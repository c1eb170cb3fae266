"""``governance/report.html``: one self-contained page for reviewers, rendered from the records.

No script, no external request, no link off the page: MLflow shows HTML artefacts in a
sandboxed iframe, and the report must also print. It opens with the verdict and every reason
in plain English, then data quality (failures first), fairness (rates with intervals as inline
SVG, suppressed counts as ``c``, insufficient-evidence groups named), ethics and lineage.
Colour is never the only signal: every status is also a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csc_mlflow._evidence import (
    DataQualityPayload,
    EstimateRecord,
    EvidenceItem,
    FairnessPayload,
    GovernanceDecision,
    MonitoringPayload,
    PerformancePayload,
    Reason,
    ReferenceProfilePayload,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._stages import stage_label
from csc_mlflow.fairness._charts import rate_chart
from csc_mlflow.report._explainers import ThemeAccount, theme_accounts
from csc_mlflow.report._facts import Lineage, ReportHeader
from csc_mlflow.report._markup import table as _table
from csc_mlflow.report._markup import text as _e
from csc_mlflow.report._monitoring import monitoring_html
from csc_mlflow.report._plain import (
    GLOSSARY,
    PlainSummary,
    answer_text,
    plain_summary,
    question_text,
)

__all__ = ["Lineage", "ReportHeader", "render_report"]


STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:24px;color:#0b0c0c;max-width:1100px;line-height:1.4}
h1{font-size:28px;margin-bottom:4px}h2{border-bottom:2px solid #0b0c0c;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;width:100%}th,td{border:1px solid #b1b4b6;
padding:4px 6px;text-align:left;vertical-align:top;font-size:14px}th{background:#f3f2f1}
.banner{border-left:8px solid;padding:8px 12px;font-size:18px;margin:12px 0}
.verdict{border:4px solid;padding:12px 16px;margin:16px 0}.passed{border-color:#00703c}
.failed{border-color:#d4351c}.incomplete,.pending{border-color:#f47738}.bad{font-weight:bold}
.muted{color:#505a5f}svg{max-width:100%;height:auto}
.facts th{width:14em}dt{font-weight:bold;margin-top:6px}dd{margin-left:1em}
@media print{body{margin:0}h2{break-before:auto}table,svg{break-inside:avoid}}
"""

VERDICT_WORDS = {
    "passed": "PASSED: all required evidence is present and passing.",
    "failed": "FAILED: some evidence shows a problem that must be fixed before this model is used.",
    "incomplete": "INCOMPLETE: some required evidence is missing or could not be judged.",
    "pending": "PENDING: the run has not finished, so nothing has been judged yet.",
}


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}%"


def _rate(estimate: EstimateRecord | None) -> str:
    if estimate is None or estimate.value is None:
        return "not defined"
    low, high = estimate.ci
    interval = "" if low is None or high is None else f" ({low:.3f} to {high:.3f})"
    return f"{estimate.value:.3f}{interval}"


def render_report(
    *,
    header: ReportHeader,
    decision: GovernanceDecision,
    items: Sequence[EvidenceItem],
    lineage: Lineage,
) -> str:
    """The report as one HTML string, from the run's decision and its evidence records."""
    status = decision.status
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Governance report: {_e(header.name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Governance report: {_e(header.name)}</h1>",
        f'<p class="muted">Owner: {_e(header.owner)}. Accountable officer: '
        f"{_e(header.accountable_officer or 'not named in the policy')}. "
        f"Stage: {_e(stage_label(lineage.stage))}. Run {_e(lineage.run_id)}.</p>",
        _first_page(
            plain_summary(
                name=header.name,
                description=header.description,
                decision=decision,
                items=items,
                stage=stage_label(lineage.stage),
            )
        ),
        _verdict(status, decision.reasons),
        '<nav aria-label="Sections"><ul><li><a href="#data-quality">Data quality</a></li>'
        '<li><a href="#fairness">Fairness</a></li><li><a href="#performance">Performance</a></li>'
        + (
            '<li><a href="#monitoring">Monitoring</a></li>'
            if any(i.kind in ("csc.reference_profile", "csc.monitoring") for i in items)
            else ""
        )
        + '<li><a href="#ethics">Ethics</a></li>'
        '<li><a href="#lineage">Lineage</a></li></ul></nav>',
    ]
    ordered = sorted(items, key=lambda i: i.path)
    parts.append(
        _data_quality([i.payload for i in ordered if isinstance(i.payload, DataQualityPayload)])
    )
    parts.append(_fairness([i.payload for i in ordered if isinstance(i.payload, FairnessPayload)]))
    parts.append(
        _performance([i.payload for i in ordered if isinstance(i.payload, PerformancePayload)])
    )
    parts.append(
        monitoring_html(
            [i.payload for i in ordered if isinstance(i.payload, ReferenceProfilePayload)],
            [i.payload for i in ordered if isinstance(i.payload, MonitoringPayload)],
        )
    )
    parts.append(
        _ethics(
            [i.payload for i in ordered if isinstance(i.payload, TriagePayload)],
            [i.payload for i in ordered if isinstance(i.payload, WorkbookPayload)],
        )
    )
    parts.append(
        _themes(
            theme_accounts(
                [i.payload for i in ordered if isinstance(i.payload, TriagePayload)],
                [i.payload for i in ordered if isinstance(i.payload, WorkbookPayload)],
                ordered,
            )
        )
    )
    parts.append(_lineage(lineage))
    parts.append(_glossary())
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _verdict(status: str, reasons: Sequence[Reason]) -> str:
    words = VERDICT_WORDS.get(status, status.upper())
    items = "".join(
        f"<li><strong>{_e(r.outcome.upper())}</strong> ({_e(r.subject)}): {_e(r.message)}</li>"
        for r in reasons
    )
    listing = f"<ul>{items}</ul>" if items else "<p>No reasons to report.</p>"
    return (
        f'<section class="verdict {_e(status)}" aria-labelledby="verdict"><h2 id="verdict">'
        f'Verdict</h2><p class="bad">{_e(words)}</p>{listing}</section>'
    )


def _data_quality(payloads: list[DataQualityPayload]) -> str:
    out = ['<section><h2 id="data-quality">Data quality</h2>']
    if not payloads:
        out.append("<p>No data-quality evidence on this run.</p>")
    for p in payloads:
        suite = p.suite
        summary = p.summary
        out.append(
            f"<h3>Dataset {_e(p.name)}: {_e(p.status.upper())}</h3>"
            f"<p>Suite {_e(suite.ref if suite else None)} (SHA-256 "
            f"{_e((suite.sha256 if suite else '')[:12])}), {_e(p.dataset.rows)} rows, "
            f"{_e(summary.rules_failed if summary else None)} of "
            f"{_e(summary.rules_evaluated if summary else None)} rules failed.</p>"
        )
        rules = sorted(p.rules, key=lambda r: (r.success, r.severity != "error"))
        rows = [
            [
                _e(r.rule),
                _e(r.severity),
                "<strong>FAIL</strong>" if not r.success else "pass",
                _e("c" if "element_count" in r.suppressed else r.element_count),
                _e("c" if "unexpected_count" in r.suppressed else r.unexpected_count),
                _e(_pct(r.unexpected_percent)),
                _e(r.description) + (f" <em>{_e(r.problem)}</em>" if r.problem else ""),
            ]
            for r in rules
        ]
        out.append(
            _table(
                [
                    "DfE rule",
                    "Severity",
                    "Result",
                    "Rows checked",
                    "Rows failing",
                    "% failing",
                    "What it checks",
                ],
                rows,
            )
        )
        if any(r.suppressed for r in rules):
            out.append("<p>c: a count of 1 to 5, withheld (DfE disclosure control).</p>")
        if not rules:
            out.extend(f'<p class="bad">{_e(reason)}</p>' for reason in p.reasons)
    out.append("</section>")
    return "".join(out)


_PERFORMANCE_WORDS = {
    "accuracy": "of all children, the share the model got right",
    "recall": "of children with the outcome, the share the model flagged",
    "precision": "of children the model flagged, the share with the outcome",
    "specificity": "of children without the outcome, the share the model did not flag",
}


def _performance(payloads: list[PerformancePayload]) -> str:
    out = ['<section><h2 id="performance">Performance</h2>']
    if not payloads:
        out.append("<p>No performance evidence on this run.</p>")
    for p in payloads:
        out.append(
            f"<h3>Evaluation {_e(p.name)}: {_e(p.status.upper())}</h3>"
            f"<p>On {_e(p.count)} children the model was not built on; intervals are "
            f"{_e(round(p.confidence_level * 100, 6))}%."
            + (
                " Every figure is withheld: a count behind them is from 1 to "
                f"{_e(p.suppress_counts_up_to)} (DfE disclosure control).</p>"
                if p.withheld
                else "</p>"
            )
        )
        rows = [
            [_e(m.metric), _e(_PERFORMANCE_WORDS.get(m.metric, "")), _rate(m.estimate)]
            for m in p.metrics
        ]
        out.append(_table(["Measure", "What it means", "Value (interval)"], rows))
        if p.thresholds:
            rows = [[_e(t.verdict.upper()), _e(t.message)] for t in p.thresholds]
            out.append(_table(["Verdict", "Policy bound"], rows, "What the policy asks"))
    out.append("</section>")
    return "".join(out)


def _fairness(payloads: list[FairnessPayload]) -> str:
    out = ['<section><h2 id="fairness">Fairness</h2>']
    if not payloads:
        out.append("<p>No fairness evidence on this run.</p>")
    for p in payloads:
        settings = p.settings
        confidence = settings.confidence_percent
        out.append(
            f"<h3>Evaluation {_e(p.name)}: {_e(p.status.upper())}</h3>"
            f"<p>Groups smaller than {_e(settings.min_group_size)} children are "
            "<strong>insufficient evidence</strong>: their rates are withheld. Counts from 1 to "
            f"{_e(settings.suppress_counts_up_to)} are shown as <strong>c</strong> (DfE "
            "disclosure control), with further cells hidden so they cannot be worked out from totals. "
            f"Intervals are {_e(confidence)}.</p>"
        )
        if p.thresholds:
            out.append(
                _table(
                    ["Feature", "Measure", "Required", "Value (interval)", "Verdict", "Why"],
                    [
                        [
                            _e(t.feature),
                            _e(t.metric),
                            _e(("at least " if t.bound == "min" else "at most ") + str(t.limit)),
                            _e(_rate(t.estimate)),
                            "<strong>" + _e(t.verdict.upper()) + "</strong>",
                            _e(t.message),
                        ]
                        for t in p.thresholds
                    ],
                    "Thresholds",
                )
            )
        metrics = [
            m
            for m in ("selection_rate", "true_positive_rate", "false_positive_rate", "precision")
            if m in settings.metrics
        ]
        for feature in p.features:
            out.append(f"<h4>{_e(feature.feature)} ({_e(', '.join(feature.columns))})</h4>")
            insufficient = [g.group for g in feature.groups if g.verdict == "insufficient_evidence"]
            if insufficient:
                out.append(f"<p>Insufficient evidence: {_e(', '.join(insufficient))}.</p>")
            withheld = [g.group for g in feature.groups if g.verdict == "withheld"]
            if withheld:
                out.append(
                    f"<p>Rates withheld to protect small numbers: {_e(', '.join(withheld))}.</p>"
                )
            rows = []
            for group in feature.groups:
                cells = [
                    _e(group.group),
                    _e(group.count),
                    "judged"
                    if group.judged
                    else "<strong>"
                    + ("withheld" if group.verdict == "withheld" else "insufficient evidence")
                    + "</strong>",
                ]
                cells += [
                    _e(_rate((group.metrics or {}).get(m))) if group.judged else "withheld"
                    for m in metrics
                ]
                rows.append(cells)
            out.append(
                _table(
                    ["Group", "Children", "Verdict", *[m.replace("_", " ") for m in metrics]], rows
                )
            )
            if "selection_rate" in metrics:
                out.append(rate_chart(feature, "selection_rate", confidence=confidence))
    out.append("</section>")
    return "".join(out)


def _ethics(triages: list[TriagePayload], workbooks: list[WorkbookPayload]) -> str:
    out = ['<section><h2 id="ethics">Ethics</h2>']
    for t in triages:
        heading = (
            f"completed, risk level {t.risk}" if t.evaluated and t.status == "passed" else t.status
        )
        out.append(f"<h3>Ethics Triage: {_e(heading)}</h3>")
        if t.evaluated:
            out.append(
                f"<p>Risk level: <strong>{_e(t.risk)}</strong>. {_e(' '.join(t.risk_reasons))}</p>"
            )
            out.append(
                _table(
                    ["Flagged explainer theme", "Rules", "Why"],
                    [
                        [_e(f.label), _e(", ".join(f.rules)), _e(" ".join(f.rationales))]
                        for f in t.flagged_themes
                    ],
                    "Themes to study before design begins",
                )
            )
            out.append(
                _table(
                    ["Question", "Answer"],
                    [[_e(question_text(k)), _e(answer_text(k, v))] for k, v in t.answers.items()],
                    "Triage answers",
                )
            )
        out.extend(f'<p class="bad">{_e(reason)}</p>' for reason in t.reasons)
    for w in workbooks:
        out.append(f"<h3>Ethics Workbook: {_e(w.status.upper())}</h3>")
        out.append(f"<p>Review by: <strong>{_e(w.review_by or 'not set')}</strong>.</p>")
        out.append(
            _table(
                ["Theme", "Required", "Answered", "Unanswered", "Complete"],
                [
                    [
                        _e(t.label),
                        "yes" if t.required else "recommended",
                        _e(len(t.answered)),
                        _e(", ".join(t.unanswered) or "none"),
                        "yes" if t.complete else "<strong>no</strong>",
                    ]
                    for t in w.themes
                ],
                "Workbook completion by theme",
            )
        )
        out.append(
            _table(
                ["Name", "Role", "Date"],
                [[_e(s.name), _e(s.role), _e(s.date)] for s in w.signoffs],
                "Sign-offs",
            )
        )
        out.extend(f'<p class="bad">{_e(reason)}</p>' for reason in w.reasons)
    if not triages and not workbooks:
        out.append("<p>No ethics evidence on this run.</p>")
    out.append("</section>")
    return "".join(out)


_SHOWN_PROBLEMS = 6


def _first_page(summary: PlainSummary) -> str:
    """One screen for the accountable officer, in plain English."""
    facts = [
        ("What the model is for", summary.purpose),
        ("Who it affects", summary.affects),
        ("Stage", summary.stage),
        (
            "Risk level",
            f"{summary.risk or 'not known (no Ethics Triage)'}"
            + (f": {' '.join(summary.risk_reasons)}" if summary.risk_reasons else ""),
        ),
        ("Review by", summary.review_by or "not set in the Ethics Workbook"),
        ("Signed off by", "; ".join(summary.signoffs) or "nobody yet"),
    ]
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in facts)
    shown = summary.problems[:_SHOWN_PROBLEMS]
    problems = "".join(
        f"<tr><td>{_e(p.what)}</td><td>{_e(p.next_step)}</td><td>{_e(p.owner)}</td></tr>"
        for p in shown
    )
    more = len(summary.problems) - len(shown)
    return (
        '<section id="summary" aria-label="Summary for the accountable officer">'
        f'<p class="banner {_e(summary.status)}"><strong>{_e(summary.verdict)}</strong></p>'
        f'<table class="facts"><caption>About this model</caption>{rows}</table>'
        + (
            '<table><caption>What needs to happen</caption><thead><tr><th scope="col">'
            'The problem</th><th scope="col">What to do next</th><th scope="col">Whose job'
            f"</th></tr></thead><tbody>{problems}</tbody></table>"
            if shown
            else ""
        )
        + (f"<p>And {more} more, in the sections below.</p>" if more > 0 else "")
        + '<p class="muted">Words used here are explained in the <a href="#glossary">'
        "glossary</a> at the end.</p></section>"
    )


def _themes(accounts: list[ThemeAccount]) -> str:
    """Each flagged theme: what it asks, what answers it, what is still missing."""
    if not accounts:
        return ""
    out = ['<section><h2 id="themes">Flagged themes: what they ask and what answers them</h2>']
    for a in accounts:
        e = a.explainer
        where = ", ".join(stage_label(s) for s in e.stages)
        out.append(
            f"<h3>{_e(e.label)}</h3><p><strong>What it asks:</strong> {_e(e.asks)} "
            f"<strong>Risks it names:</strong> {_e(e.risks)} <strong>Where it bites:</strong> "
            f"{_e(where)}. <strong>Flagged because:</strong> {_e(' '.join(a.why))}</p>"
        )
        rows = [["Answered in the workbook", _e(text)] for text in a.answered]
        rows += [["Answered by a record", f"<code>{_e(p)}</code> ({_e(s)})"] for p, s in a.records]
        rows += [
            ["<strong>Evidence of a problem</strong>", f"<code>{_e(p)}</code> ({_e(s)})"]
            for p, s in a.problems
        ]
        rows += [["<strong>Still missing</strong>", _e(text)] for text in a.missing]
        out.append(_table(["", "What"], rows))
        out.append(f'<p class="muted">Explainer source: {_e(e.source)}.</p>')
    out.append("</section>")
    return "".join(out)


def _glossary() -> str:
    rows = "".join(f"<dt>{_e(term)}</dt><dd>{_e(meaning)}</dd>" for term, meaning in GLOSSARY)
    return f'<section><h2 id="glossary">Glossary</h2><dl>{rows}</dl></section>'


def _lineage(lineage: Lineage) -> str:
    datasets = [[_e(d.name), _e(d.digest), _e(d.context)] for d in lineage.datasets]
    packages = [[_e(k), _e(v)] for k, v in sorted(lineage.packages.items())]
    return (
        '<section><h2 id="lineage">Lineage</h2>'
        f"<p>Run {_e(lineage.run_id)}; MLflow status {_e(lineage.mlflow_status)}; policy "
        f"SHA-256 {_e(lineage.policy_sha256)}; models {_e(', '.join(lineage.model_ids) or 'none logged')}.</p>"
        + _table(["Dataset", "MLflow digest", "Context"], datasets, "Datasets")
        + _table(["Package", "Version"], packages, "Package versions")
        + "</section>"
    )
