"""Canary: markers planted in a child's data never appear in anything csc-mlflow writes or says.

Markers sit in an identifier, a free-text column, a date, a column name and two sensitive
values held by one and by three children. After a governed run with data quality and fairness,
a registered model, a promotion and every reviewer command, none may appear in any artefact
of the run or its model, any tag, param or metric, the model version's description or tags
(the ledger), any log line or any command's output.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

import csc_mlflow
from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903

IDENTIFIER, FREE_TEXT, DATE, COLUMN = "ZQXIDENT", "ZQXFREETEXT", "1911-11-11", "ZQXCOLUMN"
ONE_CHILD, THREE_CHILDREN = "ZQXONECHILD", "ZQXTHREECHILDREN"
MARKERS = (IDENTIFIER, FREE_TEXT, DATE, COLUMN, ONE_CHILD, THREE_CHILDREN)

POLICY = """
version: 1
project: {name: canary, owner: Test Data Team}
datasets: {header: {suite: ssda903/header@2024-25}}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
    religion: {column: RELIGION}
  intersections: [[ethnicity, religion]]
  insufficient_evidence: warn
gate:
  staging: {require: [data_quality, fairness], inconclusive: warn}
"""


def test_no_marker_reaches_any_output(
    tracking: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    header = make_ssda903(800, seed=9).header.copy()
    n = len(header)
    header.loc[0, "CHILD"] = IDENTIFIER
    header.loc[1, "DOB"] = pd.Timestamp(DATE)
    header[COLUMN] = "nothing to see"
    header.loc[2, COLUMN] = FREE_TEXT
    religion = np.array(["Christian"] * (n - 4) + [ONE_CHILD] + [THREE_CHILDREN] * 3)
    header["RELIGION"] = np.random.default_rng(1).permutation(religion)
    features = pd.DataFrame({"a": np.arange(n) % 7, "b": np.arange(n) % 3}).astype(float)
    y = (np.arange(n) % 2).astype(int)
    model = LogisticRegression().fit(features, y)

    with csc_mlflow.governed_run(policy) as run:
        mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
        csc_mlflow.evaluate_fairness(y, model.predict(features), sensitive_features=header)
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name="canary-model",
            pip_requirements=["scikit-learn"],
        )
    run_id = run.info.run_id
    client = MlflowClient()
    outputs = []
    for args in (
        ["status", run_id],
        ["status", run_id, "--json"],
        ["report", run_id, "-o", str(tmp_path / "report.html")],
        ["gate", "check", "canary-model", "1", "--alias", "staging", "--policy", str(policy)],
        ["gate", "promote", "canary-model", "1", "--alias", "staging", "--policy", str(policy)],
        ["gate", "history", "canary-model"],
        ["gate", "history", "canary-model", "--json"],
        ["atrs", "canary-model", "1", "-o", str(tmp_path / "atrs.md"), "--policy", str(policy)],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 3), (args, result.output)
        outputs.append(result.output)

    local = Path(client.download_artifacts(run_id, "", str(tmp_path / "run")))
    texts = [p.read_text(errors="replace") for p in local.rglob("*") if p.is_file()]
    texts += [(tmp_path / "report.html").read_text(), (tmp_path / "atrs.md").read_text()]
    data = client.get_run(run_id).data
    texts += [json.dumps(data.tags), json.dumps(data.params), json.dumps(data.metrics)]
    for output in client.get_run(run_id).outputs.model_outputs:
        logged = client.get_logged_model(output.model_id)
        texts.append(json.dumps(logged.tags))
        texts.append(json.dumps([(m.key, m.value) for m in logged.metrics or []]))
        model_dir = Path(
            mlflow.artifacts.download_artifacts(
                logged.artifact_location, dst_path=str(tmp_path / "m")
            )
        )
        texts += [
            p.read_text(errors="replace")
            for p in model_dir.rglob("*")
            if p.is_file() and p.suffix != ".skops"
        ]
    version = client.get_model_version("canary-model", "1")
    texts += [version.description or "", json.dumps(version.tags)]
    texts += outputs
    texts += [r.getMessage() for r in caplog.records]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]

    assert any("governance/data_quality/header.json" in t for t in texts)  # saw the manifest
    assert any("Other (small groups)" in t for t in texts)  # the small groups were pooled
    for marker in MARKERS:
        found = [t[:80] for t in texts if marker in t]
        assert not found, (marker, found)


MONITORING_POLICY = """
version: 1
project: {name: canary-monitoring, owner: Test Data Team}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
    religion: {column: RELIGION}
  insufficient_evidence: warn
  required: false
monitoring:
  features:
    cin: {column: cin, values: [N1, N2, N3, N4, N5, N6, N7, N8]}
    age: {column: age_at_entry, bins: [1, 5, 10, 16]}
  on_breach: remove_alias
gate:
  champion: {require: [reference_profile]}
"""
NUMBER = "1911.1911"


def _planted(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Markers in an identifier, free text, an undeclared code held by one child, an odd
    number, and sensitive values held by one and by three children."""
    frame = frame.copy()
    n = len(frame)
    frame.loc[frame.index[0], "CHILD"] = IDENTIFIER
    frame[COLUMN] = "nothing to see"
    frame.loc[frame.index[1], COLUMN] = FREE_TEXT
    frame.loc[frame.index[2], "cin"] = ONE_CHILD
    frame.loc[frame.index[3], "age_at_entry"] = float(NUMBER)
    religion = np.array(["Christian"] * (n - 4) + [ONE_CHILD] + [THREE_CHILDREN] * 3)
    frame["RELIGION"] = np.random.default_rng(seed).permutation(religion)
    return frame


def test_no_marker_reaches_any_monitoring_output(
    tracking: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from csc_mlflow.datasets import make_monitoring_batch

    caplog.set_level(logging.DEBUG)
    policy = tmp_path / "governance.yaml"
    policy.write_text(MONITORING_POLICY)
    features = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
    train = _planted(make_ssda903(3000, seed=9).modelling_frame(), 1)
    with csc_mlflow.governed_run(policy):
        model = LogisticRegression(max_iter=500).fit(train[features], train["re_referral"])
        csc_mlflow.log_reference_profile(
            train, model.predict(train[features]), train["re_referral"]
        )
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name="canary", pip_requirements=["scikit-learn"]
        )
    assert csc_mlflow.gate.promote("canary", 1, alias="champion", policy=policy).passed
    batch = _planted(make_monitoring_batch(3000, seed=11, placement_shift=0.5), 2)
    predicted = model.predict(batch[features])
    first = csc_mlflow.monitor("canary@champion", batch, predicted, policy=policy)
    later = csc_mlflow.record_outcomes(
        first.run_id, batch, predicted, batch["re_referral"], policy=policy
    )
    batch.assign(predicted=predicted).to_csv(tmp_path / "batch.csv", index=False)
    outputs = []
    for args in (
        [
            "monitor",
            str(tmp_path / "batch.csv"),
            "--model",
            "canary/1",
            "--predictions",
            "predicted",
            "--outcomes",
            "re_referral",
            "--policy",
            str(policy),
        ],
        [
            "monitor",
            str(tmp_path / "batch.csv"),
            "--model",
            "canary/1",
            "--predictions",
            "predicted",
            "--policy",
            str(policy),
            "--json",
        ],
        ["status", first.run_id, "--json"],
        ["report", later.run_id, "-o", str(tmp_path / "report.html")],
        ["gate", "history", "canary", "--json"],
        ["gate", "audit", "--policy", str(policy), "--json"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 3), (args, result.output)
        outputs.append(result.output)

    client = MlflowClient()
    texts = list(outputs) + [(tmp_path / "report.html").read_text()]
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert len(runs) == 5  # training, two monitoring runs, the CLI's two
    for found in runs:
        local = Path(
            client.download_artifacts(found.info.run_id, "", str(tmp_path / found.info.run_id))
        )
        texts += [p.read_text(errors="replace") for p in local.rglob("*") if p.is_file()]
        data = client.get_run(found.info.run_id).data
        texts += [json.dumps(data.tags), json.dumps(data.params), json.dumps(data.metrics)]
    version = client.get_model_version("canary", "1")
    texts += [version.description or "", json.dumps(version.tags)]
    texts += [r.getMessage() for r in caplog.records]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]

    assert any("governance/monitoring/reference.json" in t for t in texts)
    assert any("Other (not listed)" in t for t in texts)  # the undeclared code was pooled
    assert any("Other (small groups)" in t for t in texts)
    for marker in (*MARKERS, NUMBER):
        found = [t[:80] for t in texts if marker in t]
        assert not found, (marker, found)
