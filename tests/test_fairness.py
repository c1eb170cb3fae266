"""Fairness engine: equal to fairlearn's MetricFrame, honest about small groups, never leaking."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

import csc_mlflow
import csc_mlflow.datasets
from csc_mlflow._evidence import FairnessPayload
from csc_mlflow._groupings import NOT_RECORDED
from csc_mlflow._policy import FairnessPolicy, SensitiveFeature
from csc_mlflow._policy_io import parse_policy
from csc_mlflow.exceptions import DataError
from csc_mlflow.fairness import compute_fairness, published_counts
from csc_mlflow.fairness._suppress import primary, secondary

RATES = (
    "selection_rate",
    "base_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision",
    "accuracy",
)


def _base_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    return float(np.average(np.asarray(y_true), weights=sample_weight))


def _precision(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    return float(precision_score(y_true, y_pred, sample_weight=sample_weight, zero_division=0))


def _on_arrays(metric: Any) -> Any:
    """``metric`` given numpy arrays: MetricFrame hands each group over as pandas Series, and
    scikit-learn's input checks on Series cost most of the cross-check's time. The metric
    itself (fairlearn's or scikit-learn's) is unchanged."""

    def call(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        weights = None if sample_weight is None else np.asarray(sample_weight)
        return float(metric(np.asarray(y_true), np.asarray(y_pred), sample_weight=weights))

    call.__name__ = getattr(metric, "__name__", "metric")
    return call


FAIRLEARN = {
    name: _on_arrays(metric)
    for name, metric in {
        "selection_rate": selection_rate,
        "base_rate": _base_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "true_negative_rate": true_negative_rate,
        "precision": _precision,
        "accuracy": accuracy_score,
    }.items()
}


def policy_for(
    features: tuple[str, ...], intersections: tuple[tuple[str, ...], ...] = (), **kw: Any
) -> FairnessPolicy:
    return FairnessPolicy(
        sensitive_features={f: SensitiveFeature(column=f) for f in features},
        intersections=intersections,
        metrics=RATES,
        **({"min_group_size": 1} | kw),
    )


@st.composite
def datasets(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray | None]:
    n = draw(st.integers(1, 40))
    groups = st.sampled_from(["a", "b", "c", None])
    frame = pd.DataFrame(
        {
            "f1": draw(st.lists(groups, min_size=n, max_size=n)),
            "f2": draw(st.lists(st.sampled_from(["x", "y", None]), min_size=n, max_size=n)),
        }
    )
    y_true = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    mode = draw(st.sampled_from(["random", "all_pos", "all_neg", "copy"]))
    if mode == "all_pos":
        y_true = np.ones(n, dtype=int)
    elif mode == "all_neg":
        y_true = np.zeros(n, dtype=int)
    y_pred = (
        y_true.copy()
        if mode == "copy"
        else np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    )
    weights = None
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n)))
    return frame, y_true, y_pred, weights


def _fairlearn_frame(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weights: np.ndarray | None,
    columns: list[str],
) -> MetricFrame:
    params = {m: {"sample_weight": weights} for m in FAIRLEARN} if weights is not None else None
    return MetricFrame(
        metrics={**FAIRLEARN, "count": count},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=frame[columns].astype(object).fillna(NOT_RECORDED),
        sample_params=params,
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(datasets())
def test_every_value_equals_fairlearn_metricframe(
    data: tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray | None],
) -> None:
    frame, y_true, y_pred, weights = data
    result = compute_fairness(
        y_true,
        y_pred,
        frame,
        fairness=policy_for(("f1", "f2"), (("f1", "f2"),)),
        sample_weight=weights,
        undefined="zero",
    )
    for feature, columns in (("f1", ["f1"]), ("f2", ["f2"]), ("f1-f2", ["f1", "f2"])):
        mf = _fairlearn_frame(frame, y_true, y_pred, weights, columns)
        ours = result.feature(feature)
        by_group = mf.by_group.dropna(subset=["count"])  # fairlearn lists empty intersections
        labels = [" / ".join(k) if isinstance(k, tuple) else k for k in by_group.index]
        assert sorted(labels) == sorted(g.group for g in ours.groups)
        for label, (_, row) in zip(labels, by_group.iterrows(), strict=True):
            group = ours.group(label)
            assert group.count == row["count"]
            for metric in FAIRLEARN:
                assert group.metrics[metric].value == pytest.approx(row[metric], abs=1e-9), (
                    feature,
                    label,
                    metric,
                )
        difference, ratio = (
            mf.difference(method="between_groups"),
            mf.ratio(method="between_groups"),
        )
        for metric in FAIRLEARN:
            ours_d = ours.disparities[f"{metric}_difference"].value
            ours_r = ours.disparities[f"{metric}_ratio"].value
            if len(ours.groups) < 2:
                assert ours_d is None
                continue
            assert ours_d == pytest.approx(difference[metric], abs=1e-9)
            if np.isnan(ratio[metric]):
                assert ours_r is None
            else:
                assert ours_r == pytest.approx(ratio[metric], abs=1e-9)
        sf = frame[columns].fillna(NOT_RECORDED)
        if len(ours.groups) >= 2:
            assert ours.disparities["demographic_parity_difference"].value == pytest.approx(
                demographic_parity_difference(
                    y_true, y_pred, sensitive_features=sf, sample_weight=weights
                ),
                abs=1e-9,
            )
            assert ours.disparities["equalized_odds_difference"].value == pytest.approx(
                equalized_odds_difference(
                    y_true, y_pred, sensitive_features=sf, sample_weight=weights
                ),
                abs=1e-9,
            )
            fl_ratio = demographic_parity_ratio(
                y_true, y_pred, sensitive_features=sf, sample_weight=weights
            )
            if not np.isnan(fl_ratio):
                assert ours.disparities["demographic_parity_ratio"].value == pytest.approx(
                    fl_ratio, abs=1e-9
                )
            eo_ratio = equalized_odds_ratio(
                y_true, y_pred, sensitive_features=sf, sample_weight=weights
            )
            ours_eo = ours.disparities["equalized_odds_ratio"].value
            if np.isnan(eo_ratio):
                # fairlearn takes Python's min(tpr_ratio, fpr_ratio), which is NaN when the
                # first is NaN and the second is not; we take the worst defined component.
                fpr = ours.disparities["false_positive_rate_ratio"].value
                assert ours_eo is None or ours_eo == fpr
            else:
                assert ours_eo == pytest.approx(eo_ratio, abs=1e-9)
    overall = _fairlearn_frame(frame, y_true, y_pred, weights, ["f1"]).overall
    for metric in FAIRLEARN:
        assert result.overall[metric].value == pytest.approx(overall[metric], abs=1e-9)


def test_undefined_rates_are_withheld_by_default_not_zero() -> None:
    frame = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20})
    y_true = np.array([0] * 20 + [1, 0] * 10)  # group a has no positives
    y_pred = np.array([1, 0] * 20)
    result = compute_fairness(y_true, y_pred, frame, fairness=policy_for(("g",)))
    assert result.feature("g").group("a").metrics["true_positive_rate"].value is None
    assert result.feature("g").disparities["true_positive_rate_difference"].value is None
    zero = compute_fairness(y_true, y_pred, frame, fairness=policy_for(("g",)), undefined="zero")
    assert zero.feature("g").group("a").metrics["true_positive_rate"].value == 0.0


def test_roc_auc_per_group_equals_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n)})
    y_true = rng.integers(0, 2, n)
    scores = np.round(rng.random(n) + 0.3 * y_true, 2)  # ties on purpose
    result = compute_fairness(
        y_true, (scores > 0.6).astype(int), frame, fairness=policy_for(("g",)), y_score=scores
    )
    for label in ("a", "b", "c"):
        mask = frame["g"].to_numpy() == label
        expected = roc_auc_score(y_true[mask], scores[mask])
        assert result.feature("g").group(label).metrics["roc_auc"].value == pytest.approx(
            expected, abs=1e-12
        )


def test_missing_sensitive_values_form_an_explicit_group() -> None:
    frame = pd.DataFrame({"g": ["a", None, "b", np.nan] * 10})
    result = compute_fairness(
        np.ones(40, int), np.ones(40, int), frame, fairness=policy_for(("g",))
    )
    group = result.feature("g").group(NOT_RECORDED)
    assert group.count == 20
    assert result.notes == ("g: some values are missing; they form the group 'Not recorded'",)


def test_groupings_map_codes_and_dates() -> None:
    policy = parse_policy(
        "version: 1\nproject: {name: a, owner: b}\n"
        "fairness:\n  sensitive_features:\n"
        "    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}\n"
        "    age: {column: DOB, grouping: dfe_age_band, age_at: 2025-03-31}\n"
        "    disabled: {column: DIS, grouping: disability_yes_no}\n"
    )
    frame = pd.DataFrame(
        {
            "ETHNIC": ["WBRI", "BAFR", "XXXX", None],
            "DOB": pd.to_datetime(["2025-01-01", "2015-06-01", "2008-01-01", None]),
            "DIS": ["NONE", "AUT", "NONE", "MOB"],
        }
    )
    result = compute_fairness([0, 1, 0, 1], [0, 1, 1, 1], frame, fairness=policy.fairness)
    assert [g.group for g in result.feature("ethnicity").groups] == [
        "White",
        "Black",
        "Unrecognised code",
        NOT_RECORDED,
    ]
    assert [g.group for g in result.feature("age").groups] == [
        "Under 1",
        "5 to 9",
        "16 and over",
        NOT_RECORDED,
    ]
    assert [g.group for g in result.feature("disabled").groups] == ["No", "Yes"]


def test_small_groups_are_insufficient_evidence_and_withheld() -> None:
    frame = pd.DataFrame({"g": ["big"] * 50 + ["small"] * 4})
    result = compute_fairness(
        np.r_[np.ones(25, int), np.zeros(29, int)],
        np.ones(54, int),
        frame,
        fairness=policy_for(("g",), min_group_size=10),
    )
    assert result.status == "insufficient_evidence"
    assert result.reasons == (
        "g: group 'Other (small groups)' is below the minimum group size of 10: insufficient "
        "evidence to judge it",
    )
    payload = result.payload().to_json()
    labels = [g["group"] for g in payload["features"][0]["groups"]]
    assert "small" not in labels  # an undeclared raw value of a small group is never published
    small = next(
        g for g in payload["features"][0]["groups"] if g["group"] == "Other (small groups)"
    )
    assert small == {
        "group": "Other (small groups)",
        "count": "c",
        "verdict": "insufficient_evidence",
        "metrics": None,
    }
    warn = compute_fairness(
        np.ones(54, int),
        np.ones(54, int),
        frame,
        fairness=policy_for(("g",), min_group_size=10, insufficient_evidence="warn"),
    )
    assert warn.status == "warnings"


THRESHOLDS = "\n".join(
    [
        "version: 1",
        "project: {name: a, owner: b}",
        "fairness:",
        "  sensitive_features: {ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}}",
        "  thresholds:",
        "    - {metric: demographic_parity_ratio, min: 0.8, judge: interval}",
        "    - {metric: selection_rate_difference, max: 0.1, judge: interval}",
    ]
)


def _synthetic(disparity: dict[str, float], seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    frame = csc_mlflow.datasets.make_ssda903(
        30000, seed=seed, disparity=disparity
    ).modelling_frame()
    return frame, frame["re_referral"].to_numpy()


def test_planted_disparity_is_found() -> None:
    policy = parse_policy(THRESHOLDS)
    frame, y = _synthetic({"Black": 1.5}, seed=11)
    result = compute_fairness(y, y, frame, fairness=policy.fairness)
    assert result.status == "failed"
    assert any("Black" in r and "breached" in r for r in result.reasons), result.reasons


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_without_disparity_no_threshold_fails_beyond_the_intervals(seed: int) -> None:
    policy = parse_policy(THRESHOLDS)
    frame, y = _synthetic({}, seed=seed)
    result = compute_fairness(y, y, frame, fairness=policy.fairness)
    verdicts = [t.verdict for t in result.thresholds]
    assert "breaches" not in verdicts, result.reasons
    assert set(verdicts) <= {"meets", "inconclusive"}


def test_suppression_rules_on_a_crafted_table() -> None:
    # ethnicity counts: A=3 (primary), B=40, C=8 -> C is suppressed too (smallest other).
    counts = [(3,), (40,), (8,)]
    hidden = secondary(counts, primary(counts, 5), [((0, 1, 2), None)], 5)
    assert hidden == {0, 2}
    # Two hidden cells adding up to 1-5 are not enough: a third is hidden.
    counts = [(2,), (40,), (3,), (30,)]
    assert secondary(counts, primary(counts, 5), [((0, 1, 2, 3), None)], 5) == {0, 2, 3}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=12, max_size=80),
    st.lists(st.sampled_from(["x", "y"]), min_size=80, max_size=80),
)
# Found by this test: a pooled group (b, 6 children) whose one intersection cell was hidden as
# a secondary; with no other cell in its row to hide, the group's own size is hidden with it.
@example(first=["a"] * 16 + ["b"] * 6 + ["a"], second=["x"] * 22 + ["y"] + ["x"] * 57)
def test_no_small_count_is_published_or_recoverable(first: list[str], second: list[str]) -> None:
    frame = pd.DataFrame({"f1": first, "f2": second[: len(first)]})
    n = len(frame)
    result = compute_fairness(
        np.ones(n, int),
        np.ones(n, int),
        frame,
        fairness=policy_for(("f1", "f2"), (("f1", "f2"),), min_group_size=10),
    )
    shown = published_counts(result)
    assert all(v == "c" or v == 0 or v > 5 for v in shown.values())
    # Every published relation (a table summing to the total; intersection cells summing to a
    # published group count) has no suppressed cell or at least two.
    for feature in result.features:
        cells = [shown[(feature.feature, g.group)] for g in feature.groups]
        assert sum(c == "c" for c in cells) != 1
    inter = result.feature("f1-f2")
    for position, member in enumerate(("f1", "f2")):
        for level in result.feature(member).groups:
            members = [
                shown[("f1-f2", g.group)]
                for g in inter.groups
                if g.group.split(" / ")[position] == level.group
            ]
            hidden = sum(c == "c" for c in members) + (shown[(member, level.group)] == "c")
            assert hidden != 1


def test_evaluate_fairness_logs_evidence_without_small_counts(
    tracking: str, tmp_path: Path
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        THRESHOLDS.replace("judge: interval}", "judge: interval, features: [ethnicity]}", 1)
        + "\n  intersections: []\n  min_group_size: 10\n"
    )
    frame = pd.DataFrame({"ETHNIC": ["WBRI"] * 60 + ["BAFR"] * 30 + ["CHNE"] * 3})
    y = np.r_[np.ones(30, int), np.zeros(30, int), np.ones(15, int), np.zeros(15, int), [1, 0, 1]]
    with csc_mlflow.governed_run(policy) as run:
        from sklearn.dummy import DummyClassifier

        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]), name="m", pip_requirements=["scikit-learn"]
        )
        result = csc_mlflow.evaluate_fairness(
            y, y, sensitive_features=frame, model_id=info.model_id
        )
    # Equal rates, but 30 and 60 children cannot confirm a ratio of at least 0.8: inconclusive.
    assert result.status == "inconclusive"
    assert [t.verdict for t in result.thresholds] == ["inconclusive", "inconclusive"]
    client = MlflowClient()
    data = client.get_run(run.info.run_id).data
    assert data.tags["csc.fairness.model.status"] == "inconclusive"
    # The 3 Chinese children's size is 'c'; the next smallest group (Black, 30) is hidden too,
    # so a figure comparing it (the White/Black ratio) is withheld everywhere, metrics included.
    assert "csc.fairness.ethnicity.demographic_parity_ratio" not in data.metrics
    model = client.get_logged_model(info.model_id)
    assert "csc.fairness.ethnicity.demographic_parity_ratio" not in {
        m.key for m in model.metrics or []
    }
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.verified
    (record,) = status.evidence.payloads(FairnessPayload)
    groups = {g.group: g for g in record.features[0].groups}
    assert groups["Other"].count == "c"
    assert groups["Black"].count == "c"
    assert groups["Black"].verdict == "withheld"
    assert groups["Black"].metrics is None
    assert groups["White"].count == 60
    assert groups["White"].metrics is not None
    assert record.features[0].disparities["demographic_parity_ratio"].value is None
    assert all("withheld because they involve a group" in t.message for t in record.thresholds)
    from .disclosure_audit import recoveries

    assert recoveries(record.to_json()) == []
    local = Path(client.download_artifacts(run.info.run_id, "governance", str(tmp_path / "dl")))
    charts = sorted(p.name for p in (local / "fairness" / "model").iterdir())
    assert charts == [
        "ethnicity_false_positive_rate.svg",
        "ethnicity_selection_rate.svg",
        "ethnicity_true_positive_rate.svg",
    ]
    manifest = json.loads((local / "manifest.json").read_text())
    assert "governance/fairness/model/ethnicity_selection_rate.svg" in {
        i["path"] for i in manifest["payload"]["items"]
    }
    # No count from 1 to 5 anywhere: artefacts, chart labels, tags, metrics.
    for path in local.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"n = [1-5]\)", text), path
            assert '"count": 3' not in text, path
    assert (
        "insufficient evidence"
        in (local / "fairness" / "model" / "ethnicity_selection_rate.svg").read_text()
    )
    for key, value in {**data.tags, **{k: str(v) for k, v in data.metrics.items()}}.items():
        if key.startswith("csc.") and "count" in key:
            assert value not in {"1", "2", "3", "4", "5"}


def test_mlflow_models_evaluate_produces_the_same_evidence(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(THRESHOLDS)
    frame = pd.DataFrame(
        {"ETHNIC": ["WBRI", "BAFR"] * 50, "label": [1, 0, 0, 1] * 25, "pred": [1, 0, 1, 1] * 25}
    )
    with csc_mlflow.governed_run(policy) as run:
        mlflow.models.evaluate(
            data=frame,
            targets="label",
            predictions="pred",
            model_type="classifier",
            evaluator_config={"sensitive_features": ["ETHNIC"], "log_model_explainability": False},
        )
    data = MlflowClient().get_run(run.info.run_id).data
    direct = compute_fairness(
        frame["label"], frame["pred"], frame, fairness=csc_mlflow.load_policy(policy).fairness
    )
    assert data.tags["csc.fairness.model.status"] == direct.status
    for key, value in direct.mlflow_metrics().items():
        assert data.metrics[key] == pytest.approx(value)


def test_evaluator_is_inert_without_sensitive_features(tracking: str, policy_file: Path) -> None:
    frame = pd.DataFrame({"x": [0, 1] * 20, "label": [0, 1] * 20, "pred": [0, 1] * 20})
    with mlflow.start_run() as run:
        mlflow.models.evaluate(
            data=frame, targets="label", predictions="pred", model_type="classifier"
        )
    tags = MlflowClient().get_run(run.info.run_id).data.tags
    assert not any(k.startswith("csc.fairness") for k in tags)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"y_true": [0, 1, np.nan]}, ValueError, r"y_true has missing values \(NaN\)"),
        (
            {"y_true": ["yes", "no", "no"]},
            ValueError,
            r"y_true must hold 0 and 1 \(or True and False\); found text values\. Convert",
        ),
        ({"y_pred": [1, 0]}, ValueError, "y_pred has 2 rows but y_true has 3"),
        (
            {"y_true": [], "y_pred": [], "frame": pd.DataFrame({"ETHNIC": []})},
            ValueError,
            "y_true is empty",
        ),
        (
            {"frame": pd.DataFrame({"ETHNICITY": ["WBRI"] * 3})},
            DataError,
            "needs column 'ETHNIC'.*Close matches: ETHNICITY",
        ),
    ],
    ids=["nan-label", "string-labels", "length", "empty", "missing-column"],
)
def test_bad_input_is_explained(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    policy = parse_policy(THRESHOLDS)
    args = {
        "y_true": [0, 1, 1],
        "y_pred": [0, 1, 1],
        "frame": pd.DataFrame({"ETHNIC": ["WBRI", "BAFR", None]}),
    } | kwargs
    with pytest.raises(error, match=message) as caught:
        compute_fairness(args["y_true"], args["y_pred"], args["frame"], fairness=policy.fairness)
    assert isinstance(caught.value, DataError)
    assert caught.value.key or caught.value.column  # the error names what it is about
    assert "yes" not in str(caught.value)  # and echoes no data value


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_wilson_intervals_equal_scipy(counts: tuple[int, int], confidence: float) -> None:
    from scipy.stats import binomtest

    from csc_mlflow.fairness._intervals import wilson

    k, n = counts
    low, high = wilson(np.array([k], dtype=float), np.array([n], dtype=float), confidence)
    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert low[0] == pytest.approx(expected.low, abs=1e-9)
    assert high[0] == pytest.approx(expected.high, abs=1e-9)


def test_evaluate_fairness_without_any_policy_logs_a_record_with_the_defaults(
    tracking: str, tmp_path: Path
) -> None:
    assert not (tmp_path / "governance.yaml").exists()
    frame = pd.DataFrame({"group": ["a"] * 30 + ["b"] * 30})
    y = np.r_[np.ones(15, int), np.zeros(15, int), np.ones(10, int), np.zeros(20, int)]
    with mlflow.start_run() as run:
        result = csc_mlflow.evaluate_fairness(y, y, sensitive_features=frame)
    assert [f.feature for f in result.features] == ["group"]
    local = Path(
        MlflowClient().download_artifacts(
            run.info.run_id, "governance/fairness/model.json", str(tmp_path)
        )
    )
    record = json.loads(local.read_text())
    assert record["provenance"]["policy_sha256"] is None
    settings = record["payload"]["settings"]
    assert (settings["min_group_size"], settings["suppress_counts_up_to"]) == (10, 5)
    assert settings["confidence_level"] == 0.95
    assert record["payload"]["thresholds"] == []


def test_an_explicit_policy_that_does_not_exist_is_still_an_error(tracking: str) -> None:
    frame = pd.DataFrame({"group": ["a", "b"] * 10})
    with (
        mlflow.start_run(),
        pytest.raises(csc_mlflow.exceptions.PolicyNotFoundError, match=r"nope\.yaml"),
    ):
        csc_mlflow.evaluate_fairness(
            np.ones(20, int), np.ones(20, int), sensitive_features=frame, policy="nope.yaml"
        )


def test_evaluate_fairness_outside_a_run_says_what_to_do(tracking: str) -> None:
    frame = pd.DataFrame({"group": ["a", "b"] * 10})
    with pytest.raises(csc_mlflow.exceptions.NoActiveRunError, match="pass run_id"):
        csc_mlflow.evaluate_fairness(np.ones(20, int), np.ones(20, int), sensitive_features=frame)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([np.nan] * 4, "missing or infinite"),
        ([np.inf, 1, 1, 1], "missing or infinite"),
        ([0, 0, 0, 0], "zero for every row"),
        ([1, -1, 1, 1], "negative"),
        ([1, 1], "has 2 values but y_true has 4"),
    ],
    ids=["nan", "inf", "all-zero", "negative", "length"],
)
def test_weights_must_be_finite_non_negative_and_not_all_zero(
    weights: list[float], message: str
) -> None:
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    with pytest.raises(DataError, match=message) as caught:
        compute_fairness([1, 0, 1, 0], [1, 1, 0, 0], frame, sample_weight=weights)
    assert caught.value.key == "sample_weight"


def test_a_group_never_selected_is_not_a_pass_when_the_interval_is_wide() -> None:
    """Hole 1 of the evidence issue: ratio 0.000 (0.000 to 1.000) read PASS under 'interval'."""
    policy = parse_policy(THRESHOLDS)
    frame = pd.DataFrame({"ETHNIC": ["WBRI"] * 40 + ["BAFR"] * 12})
    y_true = np.r_[np.ones(20, int), np.zeros(20, int), np.ones(6, int), np.zeros(6, int)]
    y_pred = np.r_[np.ones(20, int), np.zeros(20, int), np.zeros(12, int)]  # Black never selected
    result = compute_fairness(y_true, y_pred, frame, fairness=policy.fairness)
    ratio = next(t for t in result.thresholds if t.metric == "demographic_parity_ratio")
    assert ratio.estimate.value == 0.0
    assert ratio.verdict != "meets"
    assert result.status in ("failed", "inconclusive")
    assert "straddles" in ratio.message or "breached" in ratio.message


def test_all_negative_labels_and_predictions_are_inconclusive_not_a_pass() -> None:
    policy = parse_policy(THRESHOLDS + "\n    - {metric: equalized_odds_difference, max: 0.1}")
    frame = pd.DataFrame({"ETHNIC": ["WBRI"] * 40 + ["BAFR"] * 40})
    zeros = np.zeros(80, int)
    result = compute_fairness(zeros, zeros, frame, fairness=policy.fairness)
    odds = next(t for t in result.thresholds if t.metric == "equalized_odds_difference")
    assert odds.verdict == "inconclusive"
    assert "cannot be computed" in odds.message
    assert result.status == "inconclusive"


@pytest.mark.parametrize(
    ("low", "high", "judge", "expected"),
    [
        (0.85, 0.95, "interval", "meets"),
        (0.50, 0.70, "interval", "breaches"),
        (0.70, 0.95, "interval", "inconclusive"),
        (0.85, 0.95, "point", "meets"),
        (0.50, 0.70, "point", "breaches"),
        (0.70, 0.95, "point", "inconclusive"),
    ],
)
def test_three_verdicts_from_the_interval(
    low: float, high: float, judge: str, expected: str
) -> None:
    from csc_mlflow._policy import FairnessThreshold
    from csc_mlflow.fairness import Estimate, FeatureResult
    from csc_mlflow.fairness._thresholds import _verdict_for

    threshold = FairnessThreshold(metric="demographic_parity_ratio", min=0.8, judge=judge)
    feature = FeatureResult("eth", ("ETHNIC",), (), {})
    estimate = Estimate((low + high) / 2, low, high, ("a", "b"))
    verdict, message = _verdict_for(threshold, feature, estimate, "min", 0.8, "95%")
    assert verdict == expected, message
    if expected == "inconclusive":
        assert "times as many children" in message


def test_inconclusive_blocks_an_alias_unless_the_policy_says_warn() -> None:
    from csc_mlflow import evaluate
    from csc_mlflow._evidence import EvidenceItem, RunEvidence

    text = (
        THRESHOLDS
        + "\ngate:\n  champion: {require: [fairness]}\n  trial: {require: [fairness], inconclusive: warn}\n"
    )
    policy = parse_policy(text)
    frame = pd.DataFrame({"ETHNIC": ["WBRI"] * 40 + ["BAFR"] * 40})
    zeros = np.zeros(80, int)
    payload = compute_fairness(zeros, zeros, frame, fairness=policy.fairness).payload()
    evidence = RunEvidence(
        run_status="FINISHED",
        items=(EvidenceItem("governance/fairness/model.json", "csc.fairness", payload),),
        policy_sha256=policy.sha256,
    )
    assert evaluate(policy, evidence, alias="champion").status == "incomplete"
    assert evaluate(policy, evidence, alias="trial").status == "passed"
    assert evaluate(policy, evidence).status == "incomplete"


def test_a_childs_raw_value_never_leaves_as_a_label() -> None:
    """Hole 3 of the evidence issue: a group of one child published its raw value."""
    frame = pd.DataFrame(
        {
            "religion": ["Christian"] * 40 + ["Muslim"] * 30 + ["CANARYFAITH"] + ["Sikh"] * 3,
            "ETHNIC": ["WBRI"] * 74,
        }
    )
    y = np.r_[np.ones(37, int), np.zeros(37, int)]
    policy = parse_policy(
        "version: 1\nproject: {name: a, owner: b}\nfairness:\n"
        "  sensitive_features: {religion: {column: religion}, eth: {column: ETHNIC}}\n"
        "  intersections: [[eth, religion]]\n"
    )
    result = compute_fairness(y, y, frame, fairness=policy.fairness)
    text = json.dumps(result.payload().to_json())
    assert "CANARYFAITH" not in text
    assert "Sikh" not in text
    assert "Other (small groups)" in text
    assert "Christian" in text  # large groups keep their label
    assert "Muslim" in text


def test_an_identifier_as_a_sensitive_feature_is_refused_naming_the_feature() -> None:
    frame = pd.DataFrame({"who": [f"child-{i}" for i in range(10_001)]})
    y = np.zeros(10_001, int)
    with pytest.raises(DataError, match="sensitive feature 'who' has more than 10,000") as caught:
        compute_fairness(y, y, frame)
    assert "child-" not in str(caught.value)
    assert caught.value.key == "fairness.sensitive_features.who"


@st.composite
def structures(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Random group structures: two features, small and large groups, any labels."""
    sizes_a = draw(st.lists(st.integers(1, 60), min_size=2, max_size=5))
    labels_a = np.repeat([f"a{i}" for i in range(len(sizes_a))], sizes_a)
    n = len(labels_a)
    second = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    positive = draw(st.floats(0.0, 1.0))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y_true = (rng.random(n) < positive).astype(int)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    return pd.DataFrame({"f1": labels_a, "f2": second}), y_true, y_pred


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures())
def test_the_disclosure_audit_recovers_nothing(
    data: tuple[pd.DataFrame, np.ndarray, np.ndarray],
) -> None:
    from .disclosure_audit import recoveries

    frame, y_true, y_pred = data
    policy = policy_for(("f1", "f2"), (("f1", "f2"),), min_group_size=10)
    result = compute_fairness(y_true, y_pred, frame, fairness=policy)
    assert recoveries(result.payload().to_json()) == []


def test_the_audit_finds_what_the_old_rules_let_through() -> None:
    """Hole 2 of the evidence issue: a suppressed size worked out from a published interval."""
    from .disclosure_audit import recoveries

    frame = pd.DataFrame({"sex": ["Male"] * 495 + ["Female"] * 400 + ["Unknown"] * 5})
    y = np.r_[np.ones(300, int), np.zeros(600, int)]
    pred = np.r_[np.ones(1, int), np.zeros(899, int)]  # one child selected
    result = compute_fairness(y, pred, frame, fairness=policy_for(("sex",), min_group_size=10))
    payload = result.payload().to_json()
    assert recoveries(payload) == []
    leaky = json.loads(json.dumps(payload))
    female = next(g for g in leaky["features"][0]["groups"] if g["group"] == "Female")
    female["count"] = 400  # what the first version published
    assert any("hidden sizes add up to 5" in r for r in recoveries(leaky))


def test_too_many_groups_are_refused_naming_the_feature() -> None:
    """Hole 7: records and charts stay bounded; 10 children each in 201 groups is too many."""
    frame = pd.DataFrame({"area": np.repeat([f"ward-{i}" for i in range(201)], 10)})
    y = np.zeros(len(frame), int)
    with pytest.raises(DataError, match="sensitive feature 'area' has more than 200 groups"):
        compute_fairness(y, y, frame)
    wide = pd.DataFrame(
        {
            "a": np.tile(np.repeat([f"a{i}" for i in range(40)], 10), 40),
            "b": np.repeat([f"b{i}" for i in range(40)], 400),
        }
    )
    policy = policy_for(("a", "b"), (("a", "b"),), min_group_size=10)
    z = np.zeros(len(wide), int)
    with pytest.raises(DataError, match="intersection 'a-b' has more than 1000 groups"):
        compute_fairness(z, z, wide, fairness=policy)
