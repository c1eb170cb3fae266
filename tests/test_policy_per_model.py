"""A policy per model: with a folder of policies, the gate and the server judge each
registered model by its own (``<model>.yaml``, else ``default.yaml``), never another's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.dummy import DummyClassifier

import csc_mlflow
from csc_mlflow import gate
from csc_mlflow._resolve import policy_for_model
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.exceptions import PolicyNotFoundError

from .server import MlflowServer

BASE = """
version: 1
project: {{name: {name}, owner: Test Data Team}}
datasets: {{header: {{suite: ssda903/header@2024-25}}}}
gate:
  champion: {{require: [{require}]}}
"""


def folder_of_policies(root: Path) -> Path:
    folder = root / "policies"
    folder.mkdir()
    (folder / "lenient.yaml").write_text(BASE.format(name="lenient", require="data_quality"))
    guarded = BASE.format(name="guarded", require="data_quality").replace(
        "require: [data_quality]}", "require: [data_quality], promoters: [accountable_officer]}"
    )
    (folder / "guarded.yaml").write_text(guarded + "roles: {accountable_officer: [alice]}\n")
    (folder / "strict.yml").write_text(BASE.format(name="strict", require="data_quality, fairness"))
    return folder


def test_each_model_has_its_own_policy_and_a_model_without_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = folder_of_policies(tmp_path)
    assert policy_for_model("lenient", folder).project.name == "lenient"
    assert policy_for_model("strict", folder).project.name == "strict"
    with pytest.raises(PolicyNotFoundError, match="no policy for model 'other'"):
        policy_for_model("other", folder)
    with pytest.raises(PolicyNotFoundError, match="cannot name a policy file"):
        policy_for_model("../lenient", folder)
    (folder / "default.yaml").write_text(BASE.format(name="default", require="data_quality"))
    assert policy_for_model("other", folder).project.name == "default"
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder))
    assert policy_for_model("strict").project.name == "strict"
    with pytest.raises(PolicyNotFoundError, match="is a folder of policies"):
        csc_mlflow.load_policy()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[MlflowServer, Path]]:
    folder = folder_of_policies(tmp_path)
    instance = MlflowServer(
        tmp_path / "server", app_name="csc-governance", env={"CSC_MLFLOW_POLICY": str(folder)}
    )
    yield instance, folder
    instance.stop()


@pytest.mark.server
def test_the_server_judges_each_model_by_its_own_policy(
    server: tuple[MlflowServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, folder = server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", instance.url)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    mlflow.set_tracking_uri(instance.url)
    mlflow.set_experiment("per-model")
    header = make_ssda903(300, seed=4).header
    trained_under = {
        "lenient": "lenient.yaml",
        "strict": "strict.yml",
        "unlisted": "lenient.yaml",
        "guarded": "guarded.yaml",
    }
    for name, policy in trained_under.items():
        with csc_mlflow.governed_run(folder / policy):
            mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
            mlflow.sklearn.log_model(
                DummyClassifier().fit([[0], [1]], [0, 1]),
                name="model",
                registered_model_name=name,
                pip_requirements=["scikit-learn"],
            )
    client = MlflowClient()
    client.set_registered_model_alias("lenient", "champion", "1")  # its policy: DQ only
    assert str(client.get_registered_model("lenient").aliases["champion"]) == "1"
    with pytest.raises(MlflowException, match="no fairness evidence"):
        client.set_registered_model_alias("strict", "champion", "1")  # its own asks fairness
    with pytest.raises(MlflowException, match="no policy for model 'unlisted'"):
        client.set_registered_model_alias("unlisted", "champion", "1")
    assert "champion" not in client.get_registered_model("unlisted").aliases
    # A policy that says who may promote needs a server that knows who is asking.
    with pytest.raises(MlflowException, match="does not authenticate users"):
        client.set_registered_model_alias("guarded", "champion", "1")
    # The client-side gate picks each model's policy from the same folder.
    assert gate.check("lenient", 1, "champion", policy=folder).passed
    assert not gate.check("strict", 1, "champion", policy=folder).passed
    blocked = gate.check("unlisted", 1, "champion", policy=folder)
    assert [r.code for r in blocked.reasons] == ["gate.policy"]
