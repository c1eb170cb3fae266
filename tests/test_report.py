"""The governance report, model-version summary and ATRS draft."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import mlflow
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._cli import main
from csc_mlflow._evidence import (
    DataQualityPayload,
    DatasetFacts,
    EstimateRecord,
    EvidenceItem,
    FairnessPayload,
    FairnessSettings,
    FeatureRecord,
    GovernanceDecision,
    GroupRecord,
    OverallRecord,
    RuleRecord,
)
from csc_mlflow.report._atrs import TODO
from csc_mlflow.report._html import Lineage, ReportHeader, render_report
from csc_mlflow.report._summary import describe_version

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
    start = html.index('id="verdict"')
    verdict_text = html[start : html.index("</section>", start)]
    assert status.status.upper() in verdict_text


def _rule(rule: str, severity: str, success: bool, description: str, **counts: Any) -> RuleRecord:
    return RuleRecord(
        rule=rule,
        severity=severity,
        description=description,
        expectation="expect_column_values_to_be_in_set",
        columns=("SEX",),
        success=success,
        element_count=counts.get("element_count"),
        unexpected_count=counts.get("unexpected_count"),
        unexpected_percent=counts.get("unexpected_percent"),
        missing_count=None,
    )


def _settings(metrics: tuple[str, ...]) -> FairnessSettings:
    return FairnessSettings(
        min_group_size=10,
        suppress_counts_up_to=5,
        confidence_level=0.95,
        insufficient_evidence="block",
        metrics=metrics,
        undefined_rates="withheld",
        age_at="2026-01-01",
        weighted=False,
    )


def _estimate(value: float, low: float, high: float) -> EstimateRecord:
    return EstimateRecord(value=value, ci=(low, high))


FAILED = GovernanceDecision(status="failed", reasons=())


def _ethnicity(*more: GroupRecord) -> FeatureRecord:
    """An ethnicity feature with a judged White group of 40, and any further groups."""
    white = GroupRecord(
        group="White",
        count=40,
        verdict="ok",
        metrics={"selection_rate": _estimate(0.5, 0.4, 0.6)},
    )
    return FeatureRecord(
        feature="eth",
        columns=("ETHNIC",),
        reference_group=None,
        disparities={},
        groups=(white, *more),
    )


def test_failing_rules_come_first_and_suppressed_cells_show_c() -> None:
    quality = DataQualityPayload(
        name="header",
        status="failed",
        dataset=DatasetFacts(digest=None),
        rules=(
            _rule("R-ok", "error", True, "fine"),
            _rule("R-query", "query", False, "q"),
            _rule("R-bad", "error", False, "bad"),
        ),
    )
    fairness = FairnessPayload(
        name="model",
        status="insufficient_evidence",
        settings=_settings(("selection_rate",)),
        overall=OverallRecord(count=45, metrics={}),
        features=(
            _ethnicity(
                GroupRecord(group="Other", count="c", verdict="insufficient_evidence", metrics=None)
            ),
        ),
    )
    html = render_report(
        header=ReportHeader(name="p", owner="o"),
        decision=FAILED,
        items=(
            EvidenceItem("governance/data_quality/header.json", "csc.data_quality", quality),
            EvidenceItem("governance/fairness/model.json", "csc.fairness", fairness),
        ),
        lineage=Lineage(run_id="r"),
    )
    order = [m.group(1) for m in re.finditer(r"<td>(R-[a-z]+)</td>", html)]
    assert order == ["R-bad", "R-query", "R-ok"]
    assert "<td>Other</td><td>c</td><td><strong>insufficient evidence</strong></td>" in html
    assert "Insufficient evidence: Other." in html
    assert "Intervals are 95%." in html


def test_the_report_states_the_confidence_level_it_was_computed_at() -> None:
    settings = _settings(("selection_rate",)).model_copy(update={"confidence_level": 0.9})
    fairness = FairnessPayload(
        name="model",
        status="passed",
        settings=settings,
        overall=OverallRecord(count=45, metrics={}),
        features=(_ethnicity(),),
    )
    html = render_report(
        header=ReportHeader(name="p"),
        decision=FAILED,
        items=(EvidenceItem("governance/fairness/model.json", "csc.fairness", fairness),),
        lineage=Lineage(run_id="r"),
    )
    assert "Intervals are 90%." in html
    assert "(90% interval)" in html
    assert "95%" not in html


def test_report_for_five_features_and_forty_rules_stays_under_a_megabyte() -> None:
    rules = tuple(
        _rule(
            f"903-{i}",
            "error",
            i % 3 != 0,
            "x" * 80,
            element_count=1_000_000,
            unexpected_count=12,
            unexpected_percent=0.0012,
        )
        for i in range(40)
    )
    metrics = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision")
    groups = tuple(
        GroupRecord(
            group=f"Group {i}",
            count=100 + i,
            verdict="ok",
            metrics={m: _estimate(0.5, 0.4, 0.6) for m in metrics},
        )
        for i in range(20)
    )
    features = tuple(
        FeatureRecord(
            feature=f"f{k}", columns=(f"C{k}",), reference_group=None, groups=groups, disparities={}
        )
        for k in range(5)
    ) + (
        FeatureRecord(
            feature="f0-f1",
            columns=("C0", "C1"),
            reference_group=None,
            groups=groups * 5,
            disparities={},
        ),
    )
    items = (
        EvidenceItem(
            "governance/data_quality/a.json",
            "csc.data_quality",
            DataQualityPayload(
                name="a", status="failed", dataset=DatasetFacts(digest=None), rules=rules
            ),
        ),
        EvidenceItem(
            "governance/fairness/m.json",
            "csc.fairness",
            FairnessPayload(
                name="m",
                status="passed",
                settings=_settings(metrics),
                overall=OverallRecord(count=2000, metrics={}),
                features=features,
            ),
        ),
    )
    html = render_report(
        header=ReportHeader(name="p"), decision=FAILED, items=items, lineage=Lineage(run_id="r")
    )
    assert len(html.encode()) < 1_000_000


def test_cli_report_and_version_summary(quickstart_run: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", quickstart_run, "-o", str(out)])
    assert result.exit_code == 0, result.output
    # The sealed report itself (it used to be a fresh rendering with another title, an
    # accountable officer 'not named', blank dataset contexts and no packages).
    sealed = Path(
        MlflowClient().download_artifacts(quickstart_run, names.REPORT_PATH, str(tmp_path / "dl"))
    )
    assert out.read_bytes() == sealed.read_bytes()
    assert "verified against manifest" in result.output
    rendered = CliRunner().invoke(
        main, ["report", quickstart_run, "--render", "-o", str(tmp_path / "fresh.html")]
    )
    assert rendered.exit_code == 0, rendered.output
    assert "not the sealed report" in rendered.output
    # Rendered afresh (from a folder with no policy) with the policy the run was sealed under.
    assert "with the policy the run was sealed under" in rendered.output
    fresh = (tmp_path / "fresh.html").read_text()
    assert "Director of Children&#x27;s Services" in fresh or "Director of Children's" in fresh
    assert "not named in the policy" not in fresh
    snapshot = MlflowClient().download_artifacts(quickstart_run, names.POLICY_PATH, str(tmp_path))
    sealed_policy = json.loads(Path(snapshot).read_text())
    assert sealed_policy["project"]["accountable_officer"] == "Director of Children's Services"
    assert "Governance report" in out.read_text()
    client = MlflowClient()
    version = client.get_model_version("re-referral-risk", "1")
    status = client.get_run(quickstart_run).data.tags[names.STATUS_TAG]
    assert f"**Governance status: {status.upper()}**" in version.description  # as sealed
    assert "Stage: Testing and evaluation" in version.description  # the policy's stage
    # The report's first page, in words, opens the version's description too.
    assert "The model must not be used yet" in version.description
    assert "What needs to happen:" in version.description
    assert "Stage: Testing and evaluation." in out.read_text()
    assert f"runs/{quickstart_run}/artifacts/{names.REPORT_PATH}" in version.description
    # Describing an unchanged version again writes nothing (the description is written once).
    describe_version("re-referral-risk", "1")
    again = client.get_model_version("re-referral-risk", "1")
    assert again.description == version.description
    assert again.last_updated_timestamp == version.last_updated_timestamp


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
    # What the evidence holds is filled, not left to a person: metadata, phase, performance.
    for filled in ("Record identifier", "Standard version", "Phase", "Model performance"):
        line = next(f for f in fields if f.startswith(f"- **{filled}**"))
        assert TODO not in line, line
    assert "Testing and evaluation" in text
    assert "recall 0." in text
    # Without --policy, from a folder with none: the policy the run was sealed under.
    bare = CliRunner().invoke(main, ["atrs", "re-referral-risk", "1", "-o", str(tmp_path / "b.md")])
    assert bare.exit_code == 0, bare.output
    assert "Director of Children's Services" in (tmp_path / "b.md").read_text()


def _readme_commands() -> list[str]:
    """Every ``csc-mlflow`` command line in the README's shell blocks, comments removed."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("csc-mlflow ")]


TRIAGE_TYPED = ["3", "no", "no", "yes", "Used a similar dashboard.", "yes", "yes", "", "yes"]
TRIAGE_TYPED += ["5", "no", "", "1,2", "", "2"]


def test_every_readme_command_runs_as_written(
    quickstart_run: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's commands, run in order on the quickstart's store: each ends with a
    decision (0 passed, 3 blocked), never an error, a usage message or a traceback."""
    import shlex
    import shutil

    from csc_mlflow.datasets import make_cin_census, make_ssda903

    commands = _readme_commands()
    assert len(commands) == 14
    work = Path.cwd()
    shutil.copy(REPO / "examples" / "governance.yaml", work / "governance.yaml")
    shutil.copytree(REPO / "examples" / "ethics", work / "ethics", dirs_exist_ok=True)
    data = make_ssda903(300, seed=2)
    data.header.to_csv(work / "header.csv", index=False, date_format="%d/%m/%Y")
    data.episodes.to_csv(work / "episodes.csv", index=False, date_format="%d/%m/%Y")
    data.write_return(work / "return")
    make_cin_census(300, seed=2).write_xml(work / "census.xml")
    fresh = tmp_path / "new-project"
    fresh.mkdir()
    (fresh / "governance.yaml").write_text(
        "version: 1\nproject: {name: p, owner: o}\n"
        "ethics: {triage: ethics/triage.yaml, workbook: ethics/workbook.yaml}\n"
    )
    for line in commands:
        args = shlex.split(line.replace("RUN_ID", quickstart_run))[1:]
        monkeypatch.chdir(fresh if args[0] == "ethics" else work)
        typed = "\n".join(TRIAGE_TYPED) + "\n" if args[:2] == ["ethics", "triage"] else None
        result = CliRunner().invoke(main, args, input=typed)
        assert result.exit_code in (0, 3), (line, result.output, result.exception)
        assert "Traceback" not in result.output, line
    assert (work / "report.html").exists()
    assert (fresh / "ethics" / "triage.yaml").exists()


def test_withheld_rule_counts_show_c_in_the_report() -> None:
    from csc_mlflow.quality._validate import disclosed

    small = disclosed(
        _rule("903-101", "error", False, "SEX", element_count=900, unexpected_count=3,
              unexpected_percent=0.333)
    )  # fmt: skip
    assert small.unexpected_count is None
    assert small.unexpected_percent is None
    assert small.suppressed == ("unexpected_count", "unexpected_percent")
    quality = DataQualityPayload(
        name="header", status="failed", dataset=DatasetFacts(digest=None), rules=(small,)
    )
    html = render_report(
        header=ReportHeader(name="p"),
        decision=FAILED,
        items=(EvidenceItem("governance/data_quality/header.json", "csc.data_quality", quality),),
        lineage=Lineage(run_id="r"),
    )
    assert "<td>c</td>" in html
    assert "0.33" not in html
    assert "c: a count of 1 to 5, withheld" in html


def test_cli_report_refuses_an_altered_or_unsealed_report(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"  # in the working folder: every run is governed
    policy.write_text("version: 1\nproject: {name: a, owner: b}\n")
    with csc_mlflow.governed_run(policy) as run:
        pass
    out = tmp_path / "out.html"
    client = MlflowClient()
    local = Path(client.get_run(run.info.run_id).info.artifact_uri.removeprefix("file://"))
    report_file = local / names.REPORT_PATH
    report_file.write_text(report_file.read_text().replace("</body>", "<p>PASSED</p></body>"))
    result = CliRunner().invoke(main, ["report", run.info.run_id, "-o", str(out)])
    assert result.exit_code == 3
    assert "does not verify; nothing written" in result.output
    assert not out.exists()
    with mlflow.start_run() as plain:  # governed (the policy is in force) but never sealed
        open_run = plain.info.run_id
        result = CliRunner().invoke(main, ["report", open_run, "-o", str(out)])
    assert result.exit_code == 3
    assert "never sealed" in result.output
    assert not out.exists()


def test_the_run_description_opens_with_the_verdict_and_few_metrics(quickstart_run: str) -> None:
    run = MlflowClient().get_run(quickstart_run)
    note = run.data.tags[names.NOTE_TAG]
    assert note.startswith(f"**Governance status: {run.data.tags[names.STATUS_TAG].upper()}**")
    assert f"runs/{quickstart_run}/artifacts/{names.REPORT_PATH}" in note
    ours = [k for k in run.data.metrics if k.startswith("csc.")]
    assert 0 < len(ours) < 20  # headline figures only; the rest lives in the records
    assert "test_accuracy" in run.data.metrics


def test_a_users_own_run_description_is_kept_below_the_verdict(
    tracking: str, tmp_path: Path
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nproject: {name: a, owner: b}\n")
    with csc_mlflow.governed_run(policy) as run:
        mlflow.set_tag(names.NOTE_TAG, "Baseline for the March review.")
    note = MlflowClient().get_run(run.info.run_id).data.tags[names.NOTE_TAG]
    assert note.startswith("**Governance status: PASSED**")
    assert note.endswith(f"{names.NOTE_MARK}\n\nBaseline for the March review.")
    assert note.count("Baseline for the March review.") == 1


def test_the_users_text_survives_every_summary_layout() -> None:
    from csc_mlflow._registry import SUMMARY_MARK, user_description

    assert user_description(f"mine\n\n{SUMMARY_MARK}\nsummary\n{SUMMARY_MARK}") == "mine"  # old
    assert user_description(f"summary\n{SUMMARY_MARK}\n\nmine") == "mine"
    assert user_description("mine") == "mine"
    assert user_description(f"summary\n{SUMMARY_MARK}") is None
    assert user_description(None) is None


def test_every_store_gets_the_run_list_view(tracking: str, tmp_path: Path) -> None:
    """The view is kept per store and experiment: a second store whose experiment has the
    same id as one seen before still gets it (the link would otherwise open an error)."""
    policy = tmp_path / "governance.yaml"
    policy.write_text("version: 1\nproject: {name: v, owner: t}\n")
    for store in ("one", "two"):
        uri = f"sqlite:///{tmp_path / store}.db"
        mlflow.set_tracking_uri(uri)
        experiment = mlflow.set_experiment("same-name")
        with csc_mlflow.governed_run(policy):
            mlflow.log_param("a", 1)
        tags = MlflowClient(uri).get_experiment(experiment.experiment_id).tags
        view = json.loads(tags[names.RUNS_VIEW_TAG])
        assert f"tags.`{names.STATUS_TAG}`" in view["selectedColumns"], store
    mlflow.set_tracking_uri(tracking)


def _first_page(html_text: str) -> str:
    found = re.search(r'<section id="summary".*?</section>', html_text, flags=re.S)
    assert found is not None, "the report has no first page"
    return found.group(0)


def test_the_first_page_reads_plainly_for_a_leader(quickstart_run: str, tmp_path: Path) -> None:
    """One screen in plain English: purpose, who it affects, stage, risk, review date,
    sign-offs, each problem with what to do next and whose job it is; no question or option
    ids anywhere; the summary's reading ease checked with the readability package."""
    import html as html_module

    import readability

    local = MlflowClient().download_artifacts(quickstart_run, names.REPORT_PATH, str(tmp_path))
    report = Path(local).read_text()
    first = _first_page(report)
    assert report.index('id="summary"') < report.index('id="data-quality"')
    for words in (
        "What the model is for",
        "Predicts which children who leave care",
        "Who it affects",
        "Children or families who are or were in care",
        "Risk level",
        "Review by",
        "2027-06-30",
        "the accountable officer",
        "What to do next",
        "Whose job",
    ):
        assert words in html_module.unescape(first), words
    assert not re.search(r"\bquestion\d|\bitem\d", report)  # questions and options in words
    assert not re.search(r"\bR\d+:", first)  # the triage's rule ids stay in the ethics section
    assert "Ethics Triage: completed, risk level high" in report
    assert 'id="glossary"' in report
    lines = [
        line.strip()
        for line in html_module.unescape(re.sub(r"<[^>]+>", "\n", first)).splitlines()
        if line.strip()
    ]
    grades = readability.getmeasures("\n".join(lines), lang="en")["readability grades"]
    assert grades["FleschReadingEase"] >= 60, grades  # plain English
    assert grades["Kincaid"] <= 9, grades  # a reading age of about 14


def test_the_model_card_is_sealed_and_fills_what_the_evidence_holds(
    quickstart_run: str, tmp_path: Path
) -> None:
    status = csc_mlflow.get_status(quickstart_run)
    assert status.verified
    assert status.manifest is not None
    listed = {e.path for e in status.manifest.items}
    assert {names.MODEL_CARD_PATH, names.MODEL_CARD_HTML_PATH} <= listed
    card = Path(
        MlflowClient().download_artifacts(quickstart_run, names.MODEL_CARD_PATH, str(tmp_path))
    ).read_text()
    fields = {line.split("**")[1]: line for line in card.splitlines() if line.startswith("- **")}
    held = (
        "Name",
        "Owner",
        "Accountable officer",
        "Stage",
        "Logged models",
        "Governance status",
        "Purpose",
        "Datasets",
        "Data quality",
        "Measures on held-out children",
        "Groups compared",
        "Against the policy's thresholds",
        "Risk level",
        "Themes flagged",
        "Review by",
    )
    for label in held:
        assert TODO not in fields[label], fields[label]
    assert all(TODO in line or "_(from " in line for line in fields.values())
    page = Path(
        MlflowClient().download_artifacts(
            quickstart_run, names.MODEL_CARD_HTML_PATH, str(tmp_path / "h")
        )
    ).read_text()
    assert "<script" not in page
    assert "Model card: re-referral-risk" in page


def test_every_flagged_theme_says_what_it_asks_and_what_answers_it(
    quickstart_run: str, tmp_path: Path
) -> None:
    import html as html_module

    from csc_mlflow._stages import stage_ids
    from csc_mlflow.ethics._definition import triage_definition
    from csc_mlflow.report._explainers import explainers

    shipped = explainers()
    assert set(shipped) == set(triage_definition().themes)  # the nine themes, no more
    for explainer in shipped.values():
        assert explainer.asks
        assert explainer.source
        assert set(explainer.stages) <= set(stage_ids())
    local = MlflowClient().download_artifacts(quickstart_run, names.REPORT_PATH, str(tmp_path))
    report = html_module.unescape(Path(local).read_text())
    section = report[report.index('id="themes"') : report.index('id="lineage"')]
    for explainer in shipped.values():  # the example triage flags all nine
        assert f"<h3>{explainer.label}</h3>" in section, explainer.label
    bias = section[section.index("<h3>Mitigating bias</h3>") :]
    bias = bias[: bias.index("<h3>", 4)]
    # The fairness record failed: shown as evidence of a problem, not as an answer.
    assert "Evidence of a problem" in bias
    assert "governance/fairness/model.json</code> (failed)" in bias
    quality = section[section.index("<h3>Data quality</h3>") :]
    quality = quality[: quality.index("<h3>", 4)]
    assert "Answered by a record" in quality
    assert "governance/data_quality/episodes.json</code> (passed)" in quality
    assert not re.search(r"\b(DQ|BI|EV|GO)\d\b", section)  # questions in words, not ids


def test_the_atrs_record_is_sealed_with_the_run(quickstart_run: str, tmp_path: Path) -> None:
    status = csc_mlflow.get_status(quickstart_run)
    assert status.manifest is not None
    assert {names.ATRS_PATH, names.ATRS_HTML_PATH} <= {e.path for e in status.manifest.items}
    text = Path(
        MlflowClient().download_artifacts(quickstart_run, names.ATRS_PATH, str(tmp_path))
    ).read_text()
    fields = {line.split("**")[1]: line for line in text.splitlines() if line.startswith("- **")}
    for label in (
        "Name",
        "Description",
        "Organisation and team",
        "Senior responsible owner",
        "Phase",
        "Model",
        "Model performance",
        "Fairness (model performance across groups)",
        "Datasets",
        "Data quality and completeness",
        "Risk level",
        "Risks (flagged explainer themes)",
        "Benefits and objectives",
        "Human decisions and review",
    ):
        assert TODO not in fields[label], fields[label]
    page = Path(
        MlflowClient().download_artifacts(quickstart_run, names.ATRS_HTML_PATH, str(tmp_path / "h"))
    ).read_text()
    assert "<script" not in page
    assert page.count("<tr>") == len(fields)
