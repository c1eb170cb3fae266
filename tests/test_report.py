"""The governance report, model-version summary and ATRS draft."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._cli import main
from csc_mlflow.report import render_report
from csc_mlflow.report._atrs import TODO

from .conftest import REPO


class Structure(HTMLParser):
    """Collects headings, tags, URLs and table header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.headings: list[str] = []
        self._heading: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "xlink:href")]
        if re.fullmatch(r"h[1-4]", tag):
            self._heading = ""

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-4]", tag) and self._heading is not None:
            self.headings.append(self._heading.strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading += data


def parse(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    return parser


@pytest.fixture
def quickstart_run(tracking: str, monkeypatch: pytest.MonkeyPatch) -> str:
    import runpy

    monkeypatch.chdir(Path(tracking.removeprefix("sqlite:///")).parent)
    namespace = runpy.run_path(str(REPO / "examples" / "quickstart.py"), run_name="not_main")
    return str(namespace["main"]())


def test_report_is_on_the_run_sealed_and_self_contained(
    quickstart_run: str, tmp_path: Path
) -> None:
    status = csc_mlflow.get_status(quickstart_run)
    assert status.verified
    local = Path(
        MlflowClient().download_artifacts(quickstart_run, names.REPORT_PATH, str(tmp_path))
    )
    html = local.read_text()
    structure = parse(html)
    assert "script" not in structure.tags
    assert all(u.startswith("#") for u in structure.urls), structure.urls
    assert "<link" not in html
    assert "@import" not in html
    assert "url(" not in html
    assert structure.headings[:2] == ["Governance report: re-referral-risk", "Verdict"]
    assert {"Data quality", "Fairness", "Ethics", "Lineage"} <= set(structure.headings)
    assert "th" in structure.tags
    assert "caption" in structure.tags
    verdict_text = html[html.index('id="verdict"') : html.index("</section>")]
    assert status.status.upper() in verdict_text


def test_failing_rules_come_first_and_suppressed_cells_show_c() -> None:
    record = {
        "kind": "csc.data_quality",
        "payload": {
            "name": "header",
            "status": "failed",
            "suite": {"ref": "s"},
            "summary": {},
            "rules": [
                {"rule": "R-ok", "severity": "error", "success": True, "description": "fine"},
                {"rule": "R-query", "severity": "query", "success": False, "description": "q"},
                {"rule": "R-bad", "severity": "error", "success": False, "description": "bad"},
            ],
        },
    }
    fairness = {
        "kind": "csc.fairness",
        "payload": {
            "name": "model",
            "status": "insufficient_evidence",
            "settings": {
                "min_group_size": 10,
                "suppress_counts_up_to": 5,
                "metrics": ["selection_rate"],
            },
            "features": [
                {
                    "feature": "eth",
                    "columns": ["ETHNIC"],
                    "groups": [
                        {
                            "group": "White",
                            "count": 40,
                            "verdict": "ok",
                            "metrics": {"selection_rate": {"value": 0.5, "ci": [0.4, 0.6]}},
                        },
                        {
                            "group": "Other",
                            "count": "c",
                            "verdict": "insufficient_evidence",
                            "metrics": None,
                        },
                    ],
                }
            ],
        },
    }
    html = render_report(
        project={"name": "p", "owner": "o"},
        decision={"status": "failed", "reasons": []},
        records={
            "governance/data_quality/header.json": record,
            "governance/fairness/model.json": fairness,
        },
        lineage={"run_id": "r"},
    )
    order = [m.group(1) for m in re.finditer(r"<td>(R-[a-z]+)</td>", html)]
    assert order == ["R-bad", "R-query", "R-ok"]
    assert "<td>Other</td><td>c</td><td><strong>insufficient evidence</strong></td>" in html
    assert "Insufficient evidence: Other." in html


def test_report_for_five_features_and_forty_rules_stays_under_a_megabyte() -> None:
    rules = [
        {
            "rule": f"903-{i}",
            "severity": "error",
            "success": i % 3 != 0,
            "description": "x" * 80,
            "element_count": 1_000_000,
            "unexpected_count": 12,
            "unexpected_percent": 0.0012,
        }
        for i in range(40)
    ]
    groups = [
        {
            "group": f"Group {i}",
            "count": 100 + i,
            "verdict": "ok",
            "metrics": {
                m: {"value": 0.5, "ci": [0.4, 0.6]}
                for m in (
                    "selection_rate",
                    "true_positive_rate",
                    "false_positive_rate",
                    "precision",
                )
            },
        }
        for i in range(20)
    ]
    features = [{"feature": f"f{k}", "columns": [f"C{k}"], "groups": groups} for k in range(5)]
    features += [{"feature": "f0-f1", "columns": ["C0", "C1"], "groups": groups * 5}]
    records = {
        "governance/data_quality/a.json": {
            "kind": "csc.data_quality",
            "payload": {"name": "a", "status": "failed", "rules": rules},
        },
        "governance/fairness/m.json": {
            "kind": "csc.fairness",
            "payload": {
                "name": "m",
                "status": "passed",
                "features": features,
                "settings": {
                    "metrics": [
                        "selection_rate",
                        "true_positive_rate",
                        "false_positive_rate",
                        "precision",
                    ]
                },
            },
        },
    }
    html = render_report(
        project={"name": "p"},
        decision={"status": "failed", "reasons": []},
        records=records,
        lineage={},
    )
    assert len(html.encode()) < 1_000_000


def test_cli_report_and_version_summary(quickstart_run: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", quickstart_run, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Governance report" in out.read_text()
    version = MlflowClient().get_model_version("re-referral-risk", "1")
    assert "**Governance status:" in version.description
    assert f"runs/{quickstart_run}/artifacts/{names.REPORT_PATH}" in version.description


def test_atrs_draft_fills_or_marks_every_field(quickstart_run: str, tmp_path: Path) -> None:
    out = tmp_path / "atrs.md"
    result = CliRunner().invoke(
        main,
        [
            "atrs",
            "re-referral-risk",
            "1",
            "-o",
            str(out),
            "--policy",
            str(REPO / "examples" / "governance.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    fields = [line for line in out.read_text().splitlines() if line.startswith("- **")]
    assert len(fields) >= 25
    for line in fields:
        assert TODO in line or "_(from " in line, line
    text = out.read_text()
    assert "Children's Services Data Team" in text
    assert "Risk level**: high" in text
    assert "## Tier 1: overview" in text
