"""After deployment: the reference profile, monitoring runs per batch, and what the gate does.

A real SQLite tracking store and registry; the model is promoted through the real gate; each
batch is a synthetic one with planted shifts (``make_monitoring_batch``).
"""

from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

import csc_mlflow
from csc_mlflow import gate
from csc_mlflow._cli import main
from csc_mlflow.datasets import make_monitoring_batch, make_ssda903
from csc_mlflow.exceptions import (
    DataError,
    EvidenceError,
    PolicyError,
    PromotionBlocked,
    TrackingServerError,
    UsageError,
)

FEATURES = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
MODEL = "re-referral-risk"

POLICY = """
version: 1
project: {{name: re-referral-risk, owner: Test Data Team}}
fairness:
  sensitive_features:
    ethnicity: {{column: ETHNIC, grouping: dfe_ethnicity_major, reference_group: White}}
    sex: {{column: SEX, grouping: dfe_sex}}
  insufficient_evidence: warn
  required: false
monitoring:
  features:
    cin: {{column: cin, values: [N1, N2, N3, N4, N5, N6, N7, N8]}}
    placement: {{column: place_latest, values: [U1, U2, U3, U4, U5, U6, K2, R1, P1, A5, A6]}}
    episodes: {{column: n_episodes, bins: [2, 3, 4, 6]}}
    age_at_entry: {{column: age_at_entry, bins: [1, 5, 10, 16]}}
  drift: {{psi_max: 0.2}}
  fairness: {{max_rate_change: 0.1}}
  on_breach: {on_breach}
  max_age_days: 35
gate:
  champion: {{require: [reference_profile]}}
"""


def write_policy(folder: Path, on_breach: str = "remove_alias", extra: str = "") -> Path:
    path = folder / "governance.yaml"
    path.write_text(POLICY.format(on_breach=on_breach) + extra)
    return path


def train(policy: Path, *, profile: bool = True) -> tuple[Any, str]:
    """A governed training run with a reference profile, registered and promoted."""
    frame = make_ssda903(4000, seed=7).modelling_frame()
    with csc_mlflow.governed_run(policy) as run:
        model = LogisticRegression(max_iter=500).fit(frame[FEATURES], frame["re_referral"])
        if profile:
            csc_mlflow.log_reference_profile(
                frame, model.predict(frame[FEATURES]), frame["re_referral"]
            )
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name=MODEL, pip_requirements=["scikit-learn"]
        )
    return model, run.info.run_id


@pytest.fixture
def deployed(tracking: str, tmp_path: Path) -> tuple[Any, Path]:
    policy = write_policy(tmp_path)
    model, _ = train(policy)
    assert gate.promote(MODEL, 1, alias="champion", policy=policy).passed
    return model, policy


def scored(model: Any, **shift: Any) -> tuple[pd.DataFrame, np.ndarray]:
    batch = make_monitoring_batch(4000, seed=shift.pop("seed", 101), **shift)
    return batch, model.predict(batch[FEATURES])


def test_three_batches_stable_drifted_and_one_group_moved(deployed: tuple[Any, Path]) -> None:
    model, policy = deployed
    client = MlflowClient()

    stable = csc_mlflow.monitor(f"{MODEL}@champion", *scored(model), policy=policy, batch_id="b1")
    assert stable.status == "passed", stable.reasons
    assert {d.verdict for d in stable.payload.drift} == {"stable"}
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"

    drifted = csc_mlflow.monitor(
        f"{MODEL}/1",
        *scored(model, seed=102, cin_mix={"N1": 0.2, "N4": 0.4, "N5": 0.4}, placement_shift=0.6),
        policy=policy,
        batch_id="b2",
    )
    assert drifted.status == "failed"
    verdicts = {d.feature: d.verdict for d in drifted.payload.drift}
    assert verdicts["cin"] == verdicts["placement"] == "drifted"
    assert verdicts["episodes"] == verdicts["age_at_entry"] == "stable"
    assert not any(c.verdict == "breaches" for c in drifted.payload.changes)
    assert drifted.actions == ("champion: removed",)
    assert "champion" not in client.get_registered_model(MODEL).aliases

    with pytest.raises(PromotionBlocked, match="last monitoring run of this version is failed"):
        gate.promote(MODEL, 1, alias="champion", policy=policy)
    ledger = gate.history(MODEL).entries
    removal = [e for e in ledger if e.via == "monitor"]
    assert len(removal) == 1
    assert removal[0].decision == "blocked"
    assert any("placement" in r and "drifted" in r for r in removal[0].reasons)
    assert any("alias 'champion' was removed" in r for r in removal[0].reasons)

    moved = csc_mlflow.monitor(
        f"{MODEL}/1", *scored(model, seed=103, group_shift={"Black": 3}), policy=policy
    )
    assert moved.status == "failed"
    breaches = [c for c in moved.payload.changes if c.verdict == "breaches"]
    assert [(c.feature, c.group, c.metric) for c in breaches] == [
        ("ethnicity", "Black", "selection_rate")
    ]
    assert {d.feature: d.verdict for d in moved.payload.drift}["cin"] == "stable"
    assert moved.actions == ()  # no alias left to act on

    # The version carries the history (one entry per batch) and both ways link.
    version = client.get_model_version(MODEL, "1")
    history = [k for k in version.tags if k.startswith("csc.monitor.batch.")]
    assert len(history) == 3
    assert "Monitoring: 3 batches" in version.description
    assert "| b2 |" in version.description
    run = client.get_run(drifted.run_id)
    assert run.data.tags["csc.monitor.model"] == MODEL
    assert run.data.tags["csc.monitor.version"] == "1"
    assert json.loads(version.tags["csc.monitor.last"])["run_id"] == moved.run_id


def test_monitoring_runs_are_sealed_verified_and_reported(deployed: tuple[Any, Path]) -> None:
    model, policy = deployed
    result = csc_mlflow.monitor(f"{MODEL}@champion", *scored(model), policy=policy)
    status = csc_mlflow.get_status(result.run_id)
    assert status.verified
    assert status.status == "passed"
    kinds = {e.path: e.kind for e in status.manifest.items}
    assert kinds["governance/monitoring/batch.json"] == "csc.monitoring"
    assert status.manifest.run.purpose == "monitoring"
    html = status.sealed_report.decode()
    assert 'id="monitoring"' in html
    assert "Drift from the training data" in html
    assert "model_card.md" not in " ".join(kinds)

    # A purpose tag rewritten after the seal is caught.
    MlflowClient().set_tag(result.run_id, "csc.run.purpose", "training")
    assert not csc_mlflow.get_status(result.run_id).verified


def test_outcomes_recorded_later_give_error_rates_per_group(deployed: tuple[Any, Path]) -> None:
    model, policy = deployed
    batch, predicted = scored(model)
    first = csc_mlflow.monitor(f"{MODEL}@champion", batch, predicted, policy=policy, batch_id="m")
    later = csc_mlflow.record_outcomes(
        first.run_id, batch, predicted, batch["re_referral"], policy=policy
    )
    assert later.payload.outcomes
    assert later.payload.batch == "m outcomes"
    metrics = {c.metric for c in later.payload.changes if c.verdict == "meets"}
    assert {"selection_rate", "false_positive_rate", "false_negative_rate"} <= metrics
    assert (
        MlflowClient().get_run(later.run_id).data.tags["csc.monitor.outcomes_for"] == first.run_id
    )
    with pytest.raises(UsageError, match="not a monitoring run"):
        csc_mlflow.record_outcomes(
            first.payload.reference_run, batch, predicted, batch["re_referral"], policy=policy
        )


def test_group_rates_match_fairlearn(deployed: tuple[Any, Path]) -> None:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )

    from csc_mlflow._groupings import GROUPINGS

    model, policy = deployed
    batch, predicted = scored(model)
    result = csc_mlflow.monitor(
        f"{MODEL}@champion", batch, predicted, batch["re_referral"], policy=policy
    )
    checked = 0
    for feature, column, grouping in (
        ("ethnicity", "ETHNIC", "dfe_ethnicity_major"),
        ("sex", "SEX", "dfe_sex"),
    ):
        definition = GROUPINGS[grouping]
        lookup = {c: g for g, codes in definition.groups.items() for c in codes}
        frame = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "false_positive_rate": false_positive_rate,
                "false_negative_rate": false_negative_rate,
            },
            y_true=batch["re_referral"],
            y_pred=predicted,
            sensitive_features=batch[column].map(lookup).fillna("Not recorded"),
        )
        for change in result.payload.changes:
            if change.feature != feature or change.batch.value is None:
                continue
            expected = frame.by_group.loc[change.group, change.metric]
            assert change.batch.value == pytest.approx(expected, abs=1e-9)
            checked += 1
    assert checked >= 6


def test_drift_figures_match_scipy_and_the_definition(deployed: tuple[Any, Path]) -> None:
    from scipy.stats import chi2_contingency

    model, policy = deployed
    result = csc_mlflow.monitor(
        f"{MODEL}@champion", *scored(model, seed=104, placement_shift=0.3), policy=policy
    )
    raw = []
    for drift in result.payload.drift:
        reference = np.array([b[1] for b in drift.bins], dtype=float)
        batch = np.array([b[2] for b in drift.bins], dtype=float)
        k = len(reference)
        p = (reference + 0.5) / (reference.sum() + 0.5 * k)
        q = (batch + 0.5) / (batch.sum() + 0.5 * k)
        assert drift.psi == pytest.approx(float(np.sum((q - p) * np.log(q / p))), abs=1e-6)
        table = np.vstack([reference, batch])
        table = table[:, table.sum(axis=0) > 0]
        expected = chi2_contingency(table, correction=False)
        assert drift.chi2 == pytest.approx(expected.statistic, abs=1e-6)
        assert drift.p_value == pytest.approx(expected.pvalue, abs=1e-6)
        raw.append(expected.pvalue)
    # Holm, by its definition: the i-th smallest p times (m - i + 1), made non-decreasing.
    m = len(raw)
    order = sorted(range(m), key=lambda i: raw[i])
    for rank, i in enumerate(order):
        holm = max(min(1.0, (m - r) * raw[order[r]]) for r in range(rank + 1))
        assert result.payload.drift[i].p_adjusted == pytest.approx(holm, abs=1e-6)


def test_a_version_without_a_reference_profile_is_refused(tracking: str, tmp_path: Path) -> None:
    policy = write_policy(tmp_path)
    model, run_id = train(policy, profile=False)
    status = csc_mlflow.get_status(run_id)
    assert status.status == "incomplete"
    assert any("reference profile" in str(r) for r in status.decision.reasons)
    runs_before = len(mlflow.search_runs(search_all_experiments=True))
    with pytest.raises(EvidenceError, match="has no reference profile"):
        csc_mlflow.monitor(f"{MODEL}/1", *scored(model), policy=policy)
    assert len(mlflow.search_runs(search_all_experiments=True)) == runs_before


def test_a_tampered_reference_profile_is_not_compared(deployed: tuple[Any, Path]) -> None:
    model, policy = deployed
    run_id = MlflowClient().get_model_version(MODEL, "1").run_id
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="governance"))
    profile = local / "monitoring" / "reference.json"
    text = profile.read_text()
    profile.write_text(text.replace('"count":', '"count":1', 1))
    assert profile.read_text() != text
    MlflowClient().log_artifact(run_id, str(profile), "governance/monitoring")
    with pytest.raises(EvidenceError, match="does not verify"):
        csc_mlflow.monitor(f"{MODEL}/1", *scored(model), policy=policy)


def test_a_deployed_version_not_monitored_for_too_long_is_blocked(
    deployed: tuple[Any, Path],
) -> None:
    model, policy = deployed
    later = date.today() + timedelta(days=40)
    decision = gate.check(MODEL, 1, "champion", policy=policy, today=later)
    assert not decision.passed
    assert [r.code for r in decision.reasons] == ["monitoring.stale"]
    assert "since it was deployed" in decision.reasons[0].message
    csc_mlflow.monitor(f"{MODEL}@champion", *scored(model), policy=policy)
    assert gate.check(MODEL, 1, "champion", policy=policy).passed
    # The audit acts on the overdue version as on_breach says: remove_alias removes it.
    findings = gate.audit(MODEL, policy=policy, today=date.today() + timedelta(days=80))
    assert [(f.alias, f.action) for f in findings] == [("champion", "removed")]


def test_on_breach_block_refuses_but_the_audit_only_reports(tracking: str, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, on_breach="block")
    model, _ = train(policy)
    assert gate.promote(MODEL, 1, alias="champion", policy=policy).passed
    result = csc_mlflow.monitor(
        f"{MODEL}@champion", *scored(model, seed=105, placement_shift=0.7), policy=policy
    )
    assert result.status == "failed"
    assert result.actions == ("champion: blocked",)
    assert "champion" in MlflowClient().get_registered_model(MODEL).aliases
    decision = gate.check(MODEL, 1, "champion", policy=policy)
    assert [r.code for r in decision.reasons] == ["monitoring.breach"]
    assert not decision.passed
    findings = gate.audit(MODEL, policy=policy)
    assert [(f.alias, f.action) for f in findings] == [("champion", "reported")]
    assert "champion" in MlflowClient().get_registered_model(MODEL).aliases


def test_on_breach_warn_records_but_does_not_block(tracking: str, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, on_breach="warn")
    model, _ = train(policy)
    assert gate.promote(MODEL, 1, alias="champion", policy=policy).passed
    result = csc_mlflow.monitor(
        f"{MODEL}@champion", *scored(model, seed=105, placement_shift=0.7), policy=policy
    )
    assert result.status == "failed"  # the batch itself never reads as passed
    assert result.actions == ("champion: warned",)
    decision = gate.check(MODEL, 1, "champion", policy=policy)
    assert decision.passed
    assert [(r.code, r.outcome) for r in decision.reasons] == [("monitoring.breach", "warning")]
    warned = [e for e in gate.history(MODEL).entries if e.via == "monitor"]
    assert len(warned) == 1
    assert warned[0].decision == "passed"
    assert any("on_breach: warn" in r for r in warned[0].reasons)


def test_a_batch_too_small_to_compare_is_incomplete_never_passed(
    deployed: tuple[Any, Path],
) -> None:
    model, policy = deployed
    batch = make_monitoring_batch(120, seed=106)  # unshifted, but too few flagged to publish
    result = csc_mlflow.monitor(
        f"{MODEL}@champion", batch, model.predict(batch[FEATURES]), policy=policy
    )
    verdicts = {d.feature: d.verdict for d in result.payload.drift}
    assert verdicts["prediction"] == "inconclusive"
    assert result.payload.status == "inconclusive"
    assert result.status == "incomplete"
    assert any("too few children" in r for r in result.reasons)
    assert (
        MlflowClient()
        .get_model_version(MODEL, "1")
        .tags["csc.monitor.last"]
        .count('"status":"incomplete"')
    )


def test_a_large_index_the_batch_cannot_confirm_is_inconclusive() -> None:
    from csc_mlflow._evidence import FeatureProfile, ProfileBin, ReferenceProfilePayload
    from csc_mlflow._policy import DriftPolicy
    from csc_mlflow.monitoring._bins import Binned
    from csc_mlflow.monitoring._compare import compare_features

    profile = ReferenceProfilePayload(
        name="reference",
        status="passed",
        count=40,
        suppress_counts_up_to=5,
        confidence_level=0.95,
        features=(
            FeatureProfile(
                feature="f",
                column="f",
                kind="categorical",
                bins=(ProfileBin(labels=("a",), count=30), ProfileBin(labels=("b",), count=10)),
            ),
        ),
    )
    codes = np.array([0] * 12 + [1] * 8)  # 60% a against 75%: PSI 0.2+, 20 children
    binned = [Binned("f", "f", "categorical", ("a", "b"), codes)]
    (drift,) = compare_features(profile, binned, limit=5, drift=DriftPolicy(psi_max=0.05))
    assert drift.psi > 0.05
    assert drift.p_adjusted > 0.01
    assert drift.verdict == "inconclusive"
    assert "too small" in drift.message


BAD_INPUTS = [
    ("not a frame", lambda b, p: ([1, 2, 3], p), DataError, "expected a pandas DataFrame"),
    ("no column", lambda b, p: (b.drop(columns=["cin"]), p), DataError, "no column 'cin'"),
    (
        "text in a numeric feature",
        lambda b, p: (b.assign(age_at_entry=["x"] * len(b)), p),
        DataError,
        "not numbers",
    ),
    ("short predictions", lambda b, p: (b, p[:-1]), DataError, "predictions has"),
    ("text predictions", lambda b, p: (b, np.array(["yes"] * len(b))), DataError, "predictions"),
    ("tiny batch", lambda b, p: (b.head(50), p[:50]), DataError, "min_batch_size"),
]


@pytest.mark.parametrize(
    ("what", "spoil", "error", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_named_and_nothing_is_logged(
    deployed: tuple[Any, Path], what: str, spoil: Any, error: type[Exception], message: str
) -> None:
    model, policy = deployed
    batch, predicted = scored(model)
    runs_before = len(mlflow.search_runs(search_all_experiments=True))
    spoilt_batch, spoilt_predictions = spoil(batch, predicted)
    with pytest.raises(error, match=message):
        csc_mlflow.monitor(f"{MODEL}@champion", spoilt_batch, spoilt_predictions, policy=policy)
    assert len(mlflow.search_runs(search_all_experiments=True)) == runs_before
    assert "csc.monitor.last" not in MlflowClient().get_model_version(MODEL, "1").tags


def test_unknown_models_and_missing_sections_are_named(
    deployed: tuple[Any, Path], tmp_path: Path
) -> None:
    model, policy = deployed
    batch, predicted = scored(model)
    with pytest.raises(UsageError, match="NAME@ALIAS or NAME/VERSION"):
        csc_mlflow.monitor(MODEL, batch, predicted, policy=policy)
    with pytest.raises(TrackingServerError, match="cannot find 're-referral-risk@nope'"):
        csc_mlflow.monitor(f"{MODEL}@nope", batch, predicted, policy=policy)
    bare = tmp_path / "bare.yaml"
    bare.write_text("version: 1\nproject: {name: p, owner: o}\n")
    with pytest.raises(UsageError, match="has no 'monitoring' section"):
        csc_mlflow.monitor(f"{MODEL}/1", batch, predicted, policy=bare)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("features: {age: {column: age}}", "give exactly one of values"),
        ("features: {age: {column: age, bins: [5, 1]}}", "strictly increasing"),
        ("features: {eth: {column: ETHNIC, values: [WBRI]}}", "the sensitive feature 'ethnicity'"),
        ("features: {c: {column: cin, grouping: dfe_age_band}}", "expected one of"),
        ("data_quality: nope", "monitoring.data_quality names 'nope'"),
        ("on_breach: delete", "on_breach"),
    ],
)
def test_policy_mistakes_are_explained(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            project: {name: p, owner: o}
            fairness:
              sensitive_features:
                ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
            monitoring:
            """
        )
        + f"  {section}\n"
    )
    with pytest.raises(PolicyError, match=message):
        csc_mlflow.load_policy(path)


def test_cli_monitor_exit_codes_and_json(deployed: tuple[Any, Path], tmp_path: Path) -> None:
    model, policy = deployed
    for name, shift in (("stable", {}), ("drifted", {"placement_shift": 0.7, "seed": 107})):
        batch, predicted = scored(model, **shift)
        batch.assign(predicted=predicted).to_csv(tmp_path / f"{name}.csv", index=False)
    args = ["--model", f"{MODEL}/1", "--predictions", "predicted", "--policy", str(policy)]
    ok = CliRunner().invoke(main, ["monitor", str(tmp_path / "stable.csv"), *args])
    assert ok.exit_code == 0, ok.output
    assert "PASSED" in ok.output
    assert "placement" in ok.output
    bad = CliRunner().invoke(main, ["monitor", str(tmp_path / "drifted.csv"), *args, "--json"])
    assert bad.exit_code == 3, bad.output
    report = json.loads(bad.output)
    assert report["status"] == "failed"
    assert report["actions"] == ["champion: removed"]
    missing = CliRunner().invoke(
        main,
        [
            "monitor",
            str(tmp_path / "stable.csv"),
            "--model",
            f"{MODEL}/1",
            "--predictions",
            "nope",
            "--policy",
            str(policy),
        ],
    )
    assert missing.exit_code == 1
    assert "no column 'nope' (--predictions)" in missing.output


def test_monitoring_history_charts_have_no_script(deployed: tuple[Any, Path]) -> None:
    from csc_mlflow._registry import monitor_history
    from csc_mlflow.report._monitoring import history_svg

    model, policy = deployed
    csc_mlflow.monitor(f"{MODEL}@champion", *scored(model), policy=policy)
    csc_mlflow.monitor(
        f"{MODEL}/1", *scored(model, seed=108, group_shift={"Black": 3}), policy=policy
    )
    entries = monitor_history(MlflowClient().get_model_version(MODEL, "1").tags)
    svg = history_svg(entries, psi_max=0.2)
    assert svg.count("<svg") == 2
    assert "<script" not in svg
    assert "bound 0.2" in svg
    assert "ethnicity/Black" in svg
    assert "failed" in svg


def test_cli_scores_a_batch_file_with_the_registered_model_and_checks_its_data_quality(
    tracking: str, tmp_path: Path
) -> None:
    from mlflow.models import infer_signature

    policy = write_policy(
        tmp_path,
        extra="datasets: {header: {suite: ssda903/header@2024-25, required: false}}\n",
    )
    text = policy.read_text().replace("monitoring:\n", "monitoring:\n  data_quality: header\n", 1)
    policy.write_text(text)
    frame = make_ssda903(4000, seed=7).modelling_frame()
    with csc_mlflow.governed_run(policy):
        model = LogisticRegression(max_iter=500).fit(frame[FEATURES], frame["re_referral"])
        predicted = model.predict(frame[FEATURES])
        csc_mlflow.log_reference_profile(frame, predicted, frame["re_referral"])
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=MODEL,
            pip_requirements=["scikit-learn"],
            signature=infer_signature(frame[FEATURES], predicted),
        )
    batch = make_monitoring_batch(3000, seed=109)
    batch["DOB"] = batch["DOB"].dt.strftime("%d/%m/%Y")  # as a DfE return writes dates
    batch.to_csv(tmp_path / "batch.csv", index=False)
    result = CliRunner().invoke(
        main,
        [
            "monitor",
            str(tmp_path / "batch.csv"),
            "--model",
            f"{MODEL}/1",
            "--policy",
            str(policy),
            "--batch-id",
            "2026-12",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "passed"
    status = csc_mlflow.get_status(report["run_id"])
    kinds = {e.kind for e in status.manifest.items}
    assert {"csc.data_quality", "csc.monitoring"} <= kinds
    expected = csc_mlflow.monitor(
        f"{MODEL}/1",
        batch.assign(DOB=pd.to_datetime(batch["DOB"], dayfirst=True)),
        model.predict(batch[FEATURES]),
        policy=policy,
    )
    assert [d["psi"] for d in report["drift"]] == [d.psi for d in expected.payload.drift]
