"""Monitoring through `mlflow server --app-name csc-governance`: the server, which alone writes
the ledger, acts on each recorded batch from the monitoring run's verified seal."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

import csc_mlflow
from csc_mlflow import gate
from csc_mlflow.datasets import make_monitoring_batch, make_ssda903

from .server import MlflowServer

pytestmark = pytest.mark.server

FEATURES = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
POLICY = """
version: 1
project: {name: monitored, owner: Test Data Team}
datasets: {header: {suite: ssda903/header@2024-25, required: false}}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
  insufficient_evidence: warn
  required: false
monitoring:
  data_quality: header
  features:
    cin: {column: cin, values: [N1, N2, N3, N4, N5, N6, N7, N8]}
    placement: {column: place_latest, values: [U1, U2, U3, U4, U5, U6, K2, R1, P1, A5, A6]}
  on_breach: remove_alias
gate:
  champion: {require: [reference_profile]}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monitoring-server")
    (root / "governance.yaml").write_text(POLICY)
    return root


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[MlflowServer]:
    instance = MlflowServer(
        folder / "server",
        app_name="csc-governance",
        env={"CSC_MLFLOW_POLICY": str(folder / "governance.yaml")},
    )
    yield instance
    instance.stop()


@pytest.fixture
def remote(server: MlflowServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowServer:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder / "governance.yaml"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(server.url)
    mlflow.set_experiment("monitoring")
    return server


def deploy(name: str, policy: Path) -> Any:
    frame = make_ssda903(3000, seed=7).modelling_frame()
    with csc_mlflow.governed_run(policy):
        model = LogisticRegression(max_iter=500).fit(frame[FEATURES], frame["re_referral"])
        csc_mlflow.log_reference_profile(
            frame, model.predict(frame[FEATURES]), frame["re_referral"]
        )
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name=name, pip_requirements=["scikit-learn"]
        )
    assert gate.promote(name, 1, alias="champion", policy=policy).passed
    return model


def monitored(model: Any, name: str, policy: Path, **shift: Any) -> Any:
    batch = make_monitoring_batch(2500, seed=shift.pop("seed", 31), **shift)
    return csc_mlflow.monitor(
        f"{name}/1",
        batch,
        model.predict(batch[FEATURES]),
        policy=policy,
    )


def test_the_server_removes_the_alias_of_a_breached_version(
    remote: MlflowServer, folder: Path
) -> None:
    policy = folder / "governance.yaml"
    model = deploy("m-monitored", policy)
    stable = monitored(model, "m-monitored", policy)
    assert stable.status == "passed", stable.reasons
    assert stable.actions == ()
    drifted = monitored(model, "m-monitored", policy, seed=32, placement_shift=0.7)
    assert drifted.status == "failed"
    assert drifted.actions == ("champion: removed",)  # taken by the server, read back
    assert "champion" not in MlflowClient().get_registered_model("m-monitored").aliases
    entry = next(e for e in gate.history("m-monitored").entries if e.via == "monitor")
    assert entry.run_id == drifted.run_id
    assert entry.decision == "blocked"
    assert gate.history("m-monitored").problems == ()

    with urllib.request.urlopen(f"{remote.url}/csc/governance", timeout=30) as response:
        html = response.read().decode()
    row = next(r for r in html.split("<tr>") if "<td>m-monitored</td>" in r)
    assert "failed" in row
    assert f"/runs/{drifted.run_id}" in row
    assert "Monitoring: m-monitored version 1" in html
    assert html.count("<svg") >= 1
    assert "<script" not in html


def test_a_forged_monitoring_tag_is_not_trusted(remote: MlflowServer, folder: Path) -> None:
    policy = folder / "governance.yaml"
    deploy("m-forged", policy)
    training_run = MlflowClient().get_model_version("m-forged", "1").run_id
    forged = {
        "seq": 1,
        "run_id": training_run,
        "batch": "forged",
        "status": "passed",
        "time": "2099-01-01T00:00:00Z",
        "count": 5000,
    }
    client = MlflowClient()
    client.set_model_version_tag("m-forged", "1", "csc.monitor.batch.0001", json.dumps(forged))
    client.set_model_version_tag("m-forged", "1", "csc.monitor.last", json.dumps(forged))
    decision = gate.check("m-forged", 1, "champion", policy=policy)
    assert not decision.passed
    assert "monitoring.unverifiable" in [r.code for r in decision.reasons]
    assert any("is not a monitoring run" in r.message for r in decision.reasons)
