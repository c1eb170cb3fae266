"""``governance/report.html``: one self-contained page for reviewers, rendered from the records.

No script, no external request, no link off the page: MLflow shows HTML artefacts in a
sandboxed iframe, and the report must also print. It opens with the verdict and every reason
in plain English, then data quality (failures first), fairness (rates with intervals as inline
SVG, suppressed counts as ``c``, insufficient-evidence groups named), ethics and lineage.
Colour is never the only signal: every status is also a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from csc_mlflow.fairness._charts import rate_chart

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:24px;color:#0b0c0c;max-width:1100px;line-height:1.4}
h1{font-size:28px;margin-bottom:4px}h2{border-bottom:2px solid #0b0c0c;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;width:100%}th,td{border:1px solid #b1b4b6;
padding:4px 6px;text-align:left;vertical-align:top;font-size:14px}th{background:#f3f2f1}
.verdict{border:4px solid;padding:12px 16px;margin:16px 0}.passed{border-color:#00703c}
.failed{border-color:#d4351c}.incomplete,.pending{border-color:#f47738}.bad{font-weight:bold}
.muted{color:#505a5f}svg{max-width:100%;height:auto}
@media print{body{margin:0}h2{break-before:auto}table,svg{break-inside:avoid}}
"""

VERDICT_WORDS = {
    "passed": "PASSED: all required evidence is present and passing.",
    "failed": "FAILED: some evidence shows a problem that must be fixed before this model is used.",
    "incomplete": "INCOMPLETE: some required evidence is missing or could not be judged.",
    "pending": "PENDING: the run has not finished, so nothing has been judged yet.",
}


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}%"


def _rate(estimate: Mapping[str, Any] | None) -> str:
    if not estimate or estimate.get("value") is None:
        return "not defined"
    low, high = estimate.get("ci") or [None, None]
    interval = "" if low is None else f" ({low:.3f} to {high:.3f})"
    return f"{estimate['value']:.3f}{interval}"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str | None = None
) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(
    *,
    project: Mapping[str, Any],
    decision: Mapping[str, Any],
    records: Mapping[str, Mapping[str, Any]],
    lineage: Mapping[str, Any],
) -> str:
    """The report as one HTML string.

    ``records`` maps artefact paths to evidence envelopes (``kind``, ``payload``);
    ``decision`` is the run's decision; ``lineage`` holds run id, datasets, policy hash,
    package versions and model ids.
    """
    status = str(decision.get("status", "pending"))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Governance report: {_e(project.get('name'))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Governance report: {_e(project.get('name'))}</h1>",
        f'<p class="muted">Owner: {_e(project.get("owner"))}. Accountable officer: '
        f"{_e(project.get('accountable_officer') or 'not named in the policy')}. "
        f"Run {_e(lineage.get('run_id'))}.</p>",
        _verdict(status, decision.get("reasons") or []),
        '<nav aria-label="Sections"><ul><li><a href="#data-quality">Data quality</a></li>'
        '<li><a href="#fairness">Fairness</a></li><li><a href="#ethics">Ethics</a></li>'
        '<li><a href="#lineage">Lineage</a></li></ul></nav>',
    ]
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for path in sorted(records):
        record = records[path]
        by_kind.setdefault(str(record.get("kind")), []).append(record.get("payload") or {})
    parts.append(_data_quality(by_kind.get("csc.data_quality", [])))
    parts.append(_fairness(by_kind.get("csc.fairness", [])))
    parts.append(
        _ethics(by_kind.get("csc.ethics.triage", []), by_kind.get("csc.ethics.workbook", []))
    )
    parts.append(_lineage(lineage))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _verdict(status: str, reasons: Sequence[Mapping[str, Any]]) -> str:
    words = VERDICT_WORDS.get(status, status.upper())
    items = "".join(
        f"<li><strong>{_e(str(r.get('outcome', '')).upper())}</strong> "
        f"({_e(r.get('subject'))}): {_e(r.get('message'))}</li>"
        for r in reasons
    )
    listing = f"<ul>{items}</ul>" if items else "<p>No reasons to report.</p>"
    return (
        f'<section class="verdict {_e(status)}" aria-labelledby="verdict"><h2 id="verdict">'
        f'Verdict</h2><p class="bad">{_e(words)}</p>{listing}</section>'
    )


def _data_quality(payloads: list[Mapping[str, Any]]) -> str:
    out = ['<section><h2 id="data-quality">Data quality</h2>']
    if not payloads:
        out.append("<p>No data-quality evidence on this run.</p>")
    for p in payloads:
        suite = p.get("suite") or {}
        summary = p.get("summary") or {}
        out.append(
            f"<h3>Dataset {_e(p.get('name'))}: {_e(str(p.get('status', '')).upper())}</h3>"
            f"<p>Suite {_e(suite.get('ref'))} (SHA-256 {_e(str(suite.get('sha256', ''))[:12])}), "
            f"{_e((p.get('dataset') or {}).get('rows'))} rows, {_e(summary.get('rules_failed'))} of "
            f"{_e(summary.get('rules_evaluated'))} rules failed.</p>"
        )
        rules = sorted(
            p.get("rules") or [],
            key=lambda r: (bool(r.get("success")), r.get("severity") != "error"),
        )
        rows = [
            [
                _e(r.get("rule")),
                _e(r.get("severity")),
                "<strong>FAIL</strong>" if not r.get("success") else "pass",
                _e(r.get("element_count")),
                _e(r.get("unexpected_count")),
                _e(_pct(r.get("unexpected_percent"))),
                _e(r.get("description"))
                + (f" <em>{_e(r.get('problem'))}</em>" if r.get("problem") else ""),
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
        for reason in p.get("reasons") or []:
            if not rules:
                out.append(f'<p class="bad">{_e(reason)}</p>')
    out.append("</section>")
    return "".join(out)


def _fairness(payloads: list[Mapping[str, Any]]) -> str:
    out = ['<section><h2 id="fairness">Fairness</h2>']
    if not payloads:
        out.append("<p>No fairness evidence on this run.</p>")
    for p in payloads:
        settings = p.get("settings") or {}
        out.append(
            f"<h3>Evaluation {_e(p.get('name'))}: {_e(str(p.get('status', '')).upper())}</h3>"
            f"<p>Groups smaller than {_e(settings.get('min_group_size'))} children are "
            "<strong>insufficient evidence</strong>: their rates are withheld. Counts from 1 to "
            f"{_e(settings.get('suppress_counts_up_to'))} are shown as <strong>c</strong> (DfE "
            "disclosure control), with further cells hidden so they cannot be worked out from totals. "
            "Intervals are 95%.</p>"
        )
        thresholds = p.get("thresholds") or []
        if thresholds:
            out.append(
                _table(
                    ["Feature", "Measure", "Required", "Value (interval)", "Verdict"],
                    [
                        [
                            _e(t.get("feature")),
                            _e(t.get("metric")),
                            _e(
                                ("at least " if t.get("bound") == "min" else "at most ")
                                + str(t.get("limit"))
                            ),
                            _e(_rate(t.get("estimate"))),
                            "<strong>" + _e(str(t.get("verdict")).upper()) + "</strong>",
                        ]
                        for t in thresholds
                    ],
                    "Thresholds",
                )
            )
        for feature in p.get("features") or []:
            metrics = [
                m
                for m in (
                    "selection_rate",
                    "true_positive_rate",
                    "false_positive_rate",
                    "precision",
                )
                if m in (settings.get("metrics") or [])
            ]
            out.append(
                f"<h4>{_e(feature.get('feature'))} ({_e(', '.join(feature.get('columns') or []))})</h4>"
            )
            insufficient = [
                g["group"] for g in feature.get("groups") or [] if g.get("verdict") != "ok"
            ]
            if insufficient:
                out.append(f"<p>Insufficient evidence: {_e(', '.join(insufficient))}.</p>")
            rows = []
            for group in feature.get("groups") or []:
                ok = group.get("verdict") == "ok"
                cells = [
                    _e(group.get("group")),
                    _e(group.get("count")),
                    "judged" if ok else "<strong>insufficient evidence</strong>",
                ]
                cells += [
                    _e(_rate((group.get("metrics") or {}).get(m))) if ok else "withheld"
                    for m in metrics
                ]
                rows.append(cells)
            out.append(
                _table(
                    ["Group", "Children", "Verdict", *[m.replace("_", " ") for m in metrics]], rows
                )
            )
            if "selection_rate" in metrics:
                out.append(rate_chart(dict(feature), "selection_rate"))
    out.append("</section>")
    return "".join(out)


def _ethics(triages: list[Mapping[str, Any]], workbooks: list[Mapping[str, Any]]) -> str:
    out = ['<section><h2 id="ethics">Ethics</h2>']
    for t in triages:
        out.append(f"<h3>Ethics Triage: {_e(str(t.get('status', '')).upper())}</h3>")
        if "risk" in t:
            out.append(
                f"<p>Risk level: <strong>{_e(t['risk'])}</strong>. {_e(' '.join(t.get('risk_reasons') or []))}</p>"
            )
            out.append(
                _table(
                    ["Flagged explainer theme", "Rules", "Why"],
                    [
                        [
                            _e(f.get("label")),
                            _e(", ".join(f.get("rules") or [])),
                            _e(" ".join(f.get("rationales") or [])),
                        ]
                        for f in t.get("flagged_themes") or []
                    ],
                    "Themes to study before design begins",
                )
            )
            out.append(
                _table(
                    ["Question", "Answer"],
                    [[_e(k), _e(v)] for k, v in (t.get("answers") or {}).items()],
                    "Triage answers",
                )
            )
        for reason in t.get("reasons") or []:
            out.append(f'<p class="bad">{_e(reason)}</p>')
    for w in workbooks:
        out.append(f"<h3>Ethics Workbook: {_e(str(w.get('status', '')).upper())}</h3>")
        out.append(f"<p>Review by: <strong>{_e(w.get('review_by') or 'not set')}</strong>.</p>")
        out.append(
            _table(
                ["Theme", "Required", "Answered", "Unanswered", "Complete"],
                [
                    [
                        _e(t.get("label")),
                        "yes" if t.get("required") else "recommended",
                        _e(len(t.get("answered") or [])),
                        _e(", ".join(t.get("unanswered") or []) or "none"),
                        "yes" if t.get("complete") else "<strong>no</strong>",
                    ]
                    for t in w.get("themes") or []
                ],
                "Workbook completion by theme",
            )
        )
        out.append(
            _table(
                ["Name", "Role", "Date"],
                [
                    [_e(s.get("name")), _e(s.get("role")), _e(s.get("date"))]
                    for s in w.get("signoffs") or []
                ],
                "Sign-offs",
            )
        )
        for reason in w.get("reasons") or []:
            out.append(f'<p class="bad">{_e(reason)}</p>')
    if not triages and not workbooks:
        out.append("<p>No ethics evidence on this run.</p>")
    out.append("</section>")
    return "".join(out)


def _lineage(lineage: Mapping[str, Any]) -> str:
    datasets = [
        [_e(d.get("name")), _e(d.get("digest")), _e(d.get("context"))]
        for d in lineage.get("datasets") or []
    ]
    packages = [[_e(k), _e(v)] for k, v in sorted((lineage.get("packages") or {}).items())]
    return (
        '<section><h2 id="lineage">Lineage</h2>'
        f"<p>Run {_e(lineage.get('run_id'))}; MLflow status {_e(lineage.get('mlflow_status'))}; policy "
        f"SHA-256 {_e(lineage.get('policy_sha256'))}; models {_e(', '.join(lineage.get('model_ids') or []) or 'none logged')}.</p>"
        + _table(["Dataset", "MLflow digest", "Context"], datasets, "Datasets")
        + _table(["Package", "Version"], packages, "Package versions")
        + "</section>"
    )
