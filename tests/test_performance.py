"""Performance as evidence: shares checked against scikit-learn and scipy's Wilson interval,
small cells withheld so none can be worked out, bounds judged, the gate able to require it."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient
from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, precision_score, recall_score

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._policy import PerformancePolicy
from csc_mlflow._policy_io import parse_policy
from csc_mlflow.exceptions import PolicyError, UsageError
from csc_mlflow.performance import measure_performance

POLICY = """version: 1
project: {name: perf, owner: team}
performance:
  required: true
  thresholds: {recall: {min: 0.6}, precision: {min: 0.3, judge: interval}}
gate:
  champion: {require: [performance]}
"""


def _cells(tp: int, fp: int, tn: int, fn: int) -> tuple[np.ndarray, np.ndarray]:
    truth = np.array([1] * tp + [0] * fp + [0] * tn + [1] * fn)
    flagged = np.array([1] * tp + [1] * fp + [0] * tn + [0] * fn)
    return truth, flagged


def _value(payload: object, metric: str) -> object:
    return next(m.estimate for m in payload.metrics if m.metric == metric)  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.integers(6, 400), st.integers(6, 400), st.integers(6, 400))
def test_shares_and_intervals_agree_with_scikit_learn_and_scipy(
    tp: int, fp: int, tn: int, fn: int
) -> None:
    tp = tp if tp == 0 or tp >= 6 else tp + 6
    truth, flagged = _cells(tp, fp, tn, fn)
    body = measure_performance(truth, flagged)
    assert not body.withheld
    expected = {
        "accuracy": (accuracy_score(truth, flagged), tp + tn, truth.size),
        "recall": (recall_score(truth, flagged, zero_division=np.nan), tp, tp + fn),
        "precision": (precision_score(truth, flagged, zero_division=np.nan), tp, tp + fp),
        "specificity": (recall_score(truth, flagged, pos_label=0), tn, tn + fp),
    }
    for metric, (share, k, n) in expected.items():
        estimate = _value(body, metric)
        if n == 0:
            assert estimate.value is None  # type: ignore[attr-defined]
            continue
        assert estimate.value == pytest.approx(share, abs=1e-6)  # type: ignore[attr-defined]
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert estimate.ci == pytest.approx((ci.low, ci.high), abs=1e-6)  # type: ignore[attr-defined]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=4, max_size=4))
def test_no_cell_of_one_to_five_children_can_be_worked_out(cells: list[int]) -> None:
    """From the published shares and count the four cells follow; so whenever one holds 1 to
    5 children nothing is published but the count."""
    if sum(cells) == 0:
        cells[2] = 7
    tp, fp, tn, fn = cells
    body = measure_performance(*_cells(tp, fp, tn, fn))
    small = any(0 < c <= 5 for c in cells)
    assert body.withheld == small
    if small:
        assert all(m.estimate.value is None for m in body.metrics)
        assert all(m.estimate.ci == (None, None) for m in body.metrics)
        assert body.count == "c" or body.count > 5  # type: ignore[operator]
    if small:  # what is published: the count only, never a small one
        published = body.model_dump(mode="json")
        assert published["count"] == "c" or published["count"] > 5


def test_bounds_are_judged_on_the_point_or_the_interval() -> None:
    policy = PerformancePolicy.model_validate(
        {"thresholds": {"recall": {"min": 0.6}, "precision": {"min": 0.3, "judge": "interval"}}}
    )
    poor = measure_performance(*_cells(tp=50, fp=60, tn=300, fn=50), policy=policy)
    verdicts = {t.metric: t.verdict for t in poor.thresholds}
    assert verdicts == {"recall": "breaches", "precision": "meets"}
    assert poor.status == "failed"
    assert any("recall >= 0.6: breaches (recall 0.500" in r for r in poor.reasons)
    unsure = measure_performance(*_cells(tp=9, fp=21, tn=60, fn=6), policy=policy)
    assert {t.metric: t.verdict for t in unsure.thresholds}["precision"] == "inconclusive"
    assert unsure.status == "inconclusive"
    withheld = measure_performance(*_cells(tp=3, fp=40, tn=60, fn=40), policy=policy)
    assert {t.verdict for t in withheld.thresholds} == {"inconclusive"}


@pytest.mark.parametrize(
    ("truth", "flagged", "words"),
    [
        ([0, 1, 2], [0, 1, 1], "y_true: expected 0/1"),
        ([0, 1, 1], [0, 1], "differ in length"),
        ([], [], "empty"),
        ([0.0, float("nan")], [0, 1], "missing values"),
        (["yes", "no"], [0, 1], "y_true: expected 0/1"),
    ],
)
def test_bad_input_is_refused_by_name(truth: list, flagged: list, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        measure_performance(truth, flagged)


@pytest.mark.parametrize(
    "section",
    [
        "performance: {thresholds: {auc: {min: 0.5}}}",
        "performance: {thresholds: {recall: {min: 60}}}",
        "performance: {thresholds: {recall: {}}}",
        "performance: {thresholds: {recall: {min: 0.8, max: 0.7}}}",
    ],
)
def test_impossible_bounds_are_refused(section: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(f"version: 1\nproject: {{name: a, owner: b}}\n{section}\n")


def test_a_run_is_judged_on_its_performance(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    statuses = {}
    for label, cells in {"poor": (40, 30, 300, 60), "good": (90, 30, 300, 10)}.items():
        with csc_mlflow.governed_run(policy, run_name=label) as run:
            result = csc_mlflow.evaluate_performance(*_cells(*cells))
        statuses[label] = csc_mlflow.get_status(run.info.run_id)
        assert result.status == ("failed" if label == "poor" else "passed")
        data = MlflowClient().get_run(run.info.run_id).data
        assert data.tags[names.performance_status_tag("model")] == result.status
        assert data.metrics[names.performance_metric("model", "recall")] == result.metric("recall")
    poor, good = statuses["poor"], statuses["good"]
    assert poor.status == "failed"
    assert any("recall >= 0.6: breaches" in str(r) for r in poor.decision.reasons)  # type: ignore[union-attr]
    assert good.status == "passed", good.decision
    champion = parse_policy(POLICY)
    assert csc_mlflow.evaluate(champion, poor.evidence, alias="champion").status == "failed"
    assert csc_mlflow.evaluate(champion, good.evidence, alias="champion").status == "passed"
    report = MlflowClient().download_artifacts(good.run_id, names.REPORT_PATH, str(tmp_path))
    html = Path(report).read_text()
    assert 'id="performance"' in html
    assert "of children with the outcome, the share the model flagged" in html


def test_a_run_without_the_required_performance_is_incomplete(
    tracking: str, tmp_path: Path
) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    with csc_mlflow.governed_run(policy) as run:
        mlflow.log_param("a", 1)
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.status == "incomplete"
    assert any("no performance evidence" in str(r) for r in status.decision.reasons)  # type: ignore[union-attr]


def test_the_results_of_mlflow_models_evaluate_become_the_record(
    tracking: str, tmp_path: Path
) -> None:
    """mlflow.models.evaluate's confusion counts give the same record as the predictions."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=600)})
    truth = (frame["a"] + rng.normal(size=600) > 0.3).astype(int)
    model = LogisticRegression().fit(frame, truth)
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    with csc_mlflow.governed_run(policy) as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
        evaluated = mlflow.models.evaluate(
            info.model_uri,
            frame.assign(label=truth),
            targets="label",
            model_type="classifier",
            evaluators=["default"],
            evaluator_config={"default": {"log_model_explainability": False}},
        )
        from_mlflow = csc_mlflow.evaluate_performance(metrics=evaluated.metrics, name="mlflow")
    direct = measure_performance(truth, model.predict(frame), name="mlflow")
    assert from_mlflow.payload.metrics == direct.metrics
    assert from_mlflow.metric("recall") == pytest.approx(evaluated.metrics["recall_score"])
    assert csc_mlflow.get_status(run.info.run_id).evidence.find("performance.mlflow")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"metrics": {"recall_score": 0.5}}, "no true_positives"),
        ({}, "give either y_true and y_pred, or metrics"),
        (
            {
                "metrics": {
                    "true_positives": 1.5,
                    "false_positives": 1,
                    "true_negatives": 1,
                    "false_negatives": 1,
                }
            },
            "not a count",
        ),
    ],
)
def test_metrics_that_are_not_counts_are_refused(
    tracking: str, tmp_path: Path, kwargs: dict, words: str
) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    with csc_mlflow.governed_run(policy), pytest.raises(UsageError, match=words):
        csc_mlflow.evaluate_performance(**kwargs)


def test_every_group_must_meet_the_bounds_where_the_policy_asks(
    tracking: str, tmp_path: Path
) -> None:
    """performance.by_group: judged on the fairness record's per-group recall (checked against
    fairlearn there); a group below the bound fails the run, naming the group."""
    import pandas as pd

    policy = tmp_path / "governance.yaml"
    policy.write_text(
        "version: 1\nproject: {name: g, owner: t}\n"
        "fairness: {sensitive_features: {sex: {column: SEX}}, min_group_size: 10}\n"
        "performance: {thresholds: {recall: {min: 0.6}}, by_group: [sex]}\n"
    )
    rng = np.random.default_rng(5)
    sex = np.array(["1"] * 400 + ["2"] * 400)
    truth = rng.integers(0, 2, size=800)
    flagged = truth.copy()
    girls = np.flatnonzero((sex == "2") & (truth == 1))
    flagged[girls[: int(len(girls) * 0.6)]] = 0  # recall about 0.4 for one group only
    with csc_mlflow.governed_run(policy) as run:
        csc_mlflow.evaluate_fairness(truth, flagged, sensitive_features=pd.DataFrame({"SEX": sex}))
        csc_mlflow.evaluate_performance(truth, flagged)
    status = csc_mlflow.get_status(run.info.run_id)
    failing = [str(r) for r in status.decision.reasons if r.code == "performance.group_breaches"]  # type: ignore[union-attr]
    assert len(failing) == 1, status.decision
    assert "recall >= 0.6 in group 2: breaches (recall 0.4" in failing[0]
    assert status.status == "failed"
    with pytest.raises(PolicyError, match="not a sensitive feature"):
        parse_policy(
            "version: 1\nproject: {name: g, owner: t}\n"
            "performance: {thresholds: {recall: {min: 0.6}}, by_group: [ethnicity]}\n"
        )


def test_a_performance_record_answers_the_workbooks_performance_question(
    tracking: str, tmp_path: Path
) -> None:
    import shutil

    from csc_mlflow._evidence import WorkbookPayload
    from tests.conftest import REPO

    folder = tmp_path / "ethics"
    shutil.copytree(REPO / "examples" / "ethics", folder)
    workbook = folder / "workbook.yaml"
    workbook.write_text(
        "\n".join(line for line in workbook.read_text().splitlines() if "EV4:" not in line)
    )
    policy = tmp_path / "governance.yaml"
    policy.write_text(
        POLICY + "ethics: {triage: ethics/triage.yaml, workbook: ethics/workbook.yaml}\n"
    )
    for with_record in (False, True):
        with csc_mlflow.governed_run(policy) as run:
            if with_record:
                csc_mlflow.evaluate_performance(*_cells(80, 30, 300, 20))
        evidence = csc_mlflow.get_status(run.info.run_id).evidence
        (payload,) = evidence.payloads(WorkbookPayload)
        theme = next(t for t in payload.themes if t.theme == "evaluation")
        assert ("EV4" in theme.answered) is with_record
        if with_record:
            assert theme.evidence == ("governance/performance/model.json",)
