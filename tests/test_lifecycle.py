"""Start tags from the run-context provider and finalisation on every ending path."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._evidence import sha256_hex
from csc_mlflow._hooks._run_end import hooks_installed
from csc_mlflow.exceptions import PolicyNotFoundError


def _tags(run_id: str) -> dict[str, str]:
    return MlflowClient().get_run(run_id).data.tags


def _manifest(run_id: str, tmp_path: Path) -> bytes:
    local = MlflowClient().download_artifacts(run_id, names.MANIFEST_PATH, str(tmp_path))
    return Path(local).read_bytes()


def test_provider_is_registered_with_mlflow() -> None:
    from mlflow.tracking.context.registry import _run_context_provider_registry

    kinds = [type(p).__name__ for p in _run_context_provider_registry]
    assert "CscRunContextProvider" in kinds


def test_provider_tags_top_level_and_nested_runs(tracking: str, policy_file: Path) -> None:
    policy = csc_mlflow.load_policy(policy_file)
    with mlflow.start_run() as parent, mlflow.start_run(nested=True) as child:
        for run in (parent, child):
            tags = _tags(run.info.run_id)
            assert tags[names.STATUS_TAG] == "pending"
            assert tags[names.POLICY_SHA_TAG] == policy.sha256
            assert tags[names.PACKAGE_VERSION_TAG] == csc_mlflow.__version__
    assert _tags(parent.info.run_id)[names.STATUS_TAG] != "pending"
    assert _tags(child.info.run_id)[names.STATUS_TAG] != "pending"


def test_no_policy_no_tags_no_wrapper(tracking: str) -> None:
    with mlflow.start_run() as run:
        pass
    assert not any(k.startswith("csc.") for k in _tags(run.info.run_id))
    assert not hooks_installed()


def test_client_created_runs_are_not_governed(tracking: str, policy_file: Path) -> None:
    client = MlflowClient()
    run = client.create_run(mlflow.get_experiment_by_name("tests").experiment_id)
    client.set_terminated(run.info.run_id)
    assert names.STATUS_TAG not in _tags(run.info.run_id)


def test_context_exit_finalises_with_manifest_and_honest_status(
    tracking: str, policy_file: Path, tmp_path: Path
) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
    tags = _tags(run.info.run_id)
    # The minimal policy requires nothing, so a finished run with no evidence passes.
    assert tags[names.STATUS_TAG] == "passed"
    manifest = _manifest(run.info.run_id, tmp_path)
    assert tags[names.MANIFEST_SHA_TAG] == sha256_hex(manifest)
    body = json.loads(manifest)
    assert body["kind"] == "csc.manifest"
    assert body["payload"]["decision"]["status"] == "passed"
    assert body["payload"]["run"]["mlflow_status"] == "FINISHED"
    assert body["provenance"]["policy_sha256"] == tags[names.POLICY_SHA_TAG]


def test_end_run_finalises(tracking: str, policy_file: Path) -> None:
    run = mlflow.start_run()
    mlflow.end_run()
    assert _tags(run.info.run_id)[names.STATUS_TAG] == "passed"


def test_exception_inside_run_is_never_passed(tracking: str, policy_file: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), mlflow.start_run() as run:
        raise RuntimeError("boom")
    tags = _tags(run.info.run_id)
    assert tags[names.STATUS_TAG] == "failed"
    assert "MLflow status FAILED" in tags[names.REASONS_TAG]
    assert MlflowClient().get_run(run.info.run_id).info.status == "FAILED"


def test_killed_run_is_never_passed(tracking: str, policy_file: Path) -> None:
    run = mlflow.start_run()
    mlflow.end_run(status="KILLED")
    assert _tags(run.info.run_id)[names.STATUS_TAG] == "failed"


def test_governed_run_requires_evidence_the_policy_names(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "strict.yaml"
    policy.write_text(
        "version: 1\nproject: {name: a, owner: b}\n"
        "datasets: {train: {suite: ssda903/episodes@2024-25}}\n"
    )
    with csc_mlflow.governed_run(policy) as run:
        pass
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.status == "incomplete"
    assert status.verified
    assert status.decision is not None
    assert [r.subject for r in status.decision.reasons] == ["data_quality.train"]
    assert "no data-quality (dataset 'train') evidence" in status.decision.reasons[0].message


def test_governed_run_without_any_policy_is_a_clear_error(tracking: str) -> None:
    with (
        pytest.raises(PolicyNotFoundError, match="no governance policy found"),
        csc_mlflow.governed_run(),
    ):
        pass  # pragma: no cover


def test_finalisation_is_idempotent(tracking: str, policy_file: Path, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        pass
    first = _tags(run.info.run_id)[names.MANIFEST_SHA_TAG]
    MlflowClient().set_terminated(run.info.run_id, "FINISHED")
    assert _tags(run.info.run_id)[names.MANIFEST_SHA_TAG] == first
    assert sha256_hex(_manifest(run.info.run_id, tmp_path / "again")) == first


def test_invalid_policy_leaves_run_incomplete_not_lost(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "governance.yaml").write_text("version: 1\nproject: {name: a}\n")
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    tags = _tags(run.info.run_id)
    assert tags[names.STATUS_TAG] == "incomplete"
    assert "project.owner: required key is missing" in tags[names.REASONS_TAG]
    assert MlflowClient().get_run(run.info.run_id).data.metrics["m"] == 1.0


def test_autolog_with_policy_and_disable(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "elsewhere.yaml"
    policy.write_text("version: 1\nproject: {name: auto, owner: b}\n")
    csc_mlflow.autolog(policy=policy)
    with mlflow.start_run() as governed:
        pass
    assert _tags(governed.info.run_id)[names.STATUS_TAG] == "passed"
    csc_mlflow.autolog(disable=True)
    assert not hooks_installed()
    (tmp_path / "governance.yaml").write_text(policy.read_text())
    with mlflow.start_run() as plain:
        pass
    assert names.STATUS_TAG not in _tags(plain.info.run_id)


def test_autolog_governs_the_active_run(tracking: str, policy_file: Path) -> None:
    csc_mlflow.autolog(disable=True)
    with mlflow.start_run() as run:
        csc_mlflow.autolog(policy=policy_file)
    assert _tags(run.info.run_id)[names.STATUS_TAG] == "passed"


def test_logged_model_gets_the_final_status(tracking: str, policy_file: Path) -> None:
    from sklearn.dummy import DummyClassifier

    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]), name="m", pip_requirements=["scikit-learn"]
        )
    model = MlflowClient().get_logged_model(info.model_id)
    assert model.tags[names.STATUS_TAG] == "passed"
    assert model.tags[names.MANIFEST_SHA_TAG] == _tags(run.info.run_id)[names.MANIFEST_SHA_TAG]


def _artifact_file(run_id: str, path: str) -> Path:
    uri = MlflowClient().get_run(run_id).info.artifact_uri
    return Path(uri.removeprefix("file://")) / path


def test_status_detects_a_modified_record(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    (tmp_path / "triage.yaml").write_text("question0: item3\n")
    policy.write_text("version: 1\nproject: {name: a, owner: b}\nethics: {triage: triage.yaml}\n")
    with csc_mlflow.governed_run(policy) as run:
        pass
    assert csc_mlflow.get_status(run.info.run_id).verified
    record = _artifact_file(run.info.run_id, names.TRIAGE_PATH)
    record.write_text(record.read_text().replace("item3", "item1"))
    status = csc_mlflow.get_status(run.info.run_id)
    assert not status.verified
    assert status.problems == (
        f"{names.TRIAGE_PATH} was changed after the run: its SHA-256 no longer matches the manifest",
    )


def test_status_detects_a_modified_manifest_and_a_missing_record(
    tracking: str, tmp_path: Path
) -> None:
    (tmp_path / "triage.yaml").write_text("question0: item3\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nproject: {name: a, owner: b}\nethics: {triage: triage.yaml}\n")
    with csc_mlflow.governed_run(policy) as run:
        pass
    manifest = _artifact_file(run.info.run_id, names.MANIFEST_PATH)
    manifest.write_text(manifest.read_text().replace('"incomplete"', '"passed"'))
    _artifact_file(run.info.run_id, names.TRIAGE_PATH).unlink()
    problems = csc_mlflow.get_status(run.info.run_id).problems
    assert any("does not match the csc.manifest.sha256 tag" in p for p in problems)
    assert any("listed in the manifest but missing from the run" in p for p in problems)


def test_status_detects_a_dataset_logged_after_sealing(tracking: str, policy_file: Path) -> None:
    import pandas as pd

    with mlflow.start_run() as run:
        pass
    with mlflow.start_run(run_id=run.info.run_id):
        pass
    client = MlflowClient()
    from mlflow.entities import DatasetInput

    ds = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="late")
    client.log_inputs(run.info.run_id, [DatasetInput(ds._to_mlflow_entity())])
    problems = csc_mlflow.get_status(run.info.run_id).problems
    assert any("dataset 'late'" in p and "not in the manifest" in p for p in problems)


def test_two_hundred_governed_runs_leave_no_per_run_state_behind(
    tracking: str, policy_file: Path
) -> None:
    import numpy as np
    import pandas as pd

    from csc_mlflow._runs import cached_runs
    from csc_mlflow._sealing import sealed_fingerprints

    frame = pd.DataFrame({"group": ["a", "b"] * 10})
    y = np.array([1, 0, 0, 1] * 5)
    held = []
    for _ in range(200):
        with csc_mlflow.governed_run(policy_file) as run:
            csc_mlflow.evaluate_fairness(y, y, sensitive_features=frame)
            assert cached_runs() == (run.info.run_id,)  # the record is held until sealing
        held.append((len(cached_runs()), sealed_fingerprints()))
    assert {records for records, _ in held} == {0}
    assert max(fingerprints for _, fingerprints in held) <= 64
    assert held[-1] == held[-50]  # flat, not growing with the number of runs
    assert _tags(run.info.run_id)[names.STATUS_TAG] == "passed"


def test_a_model_carrying_example_rows_is_flagged_unless_the_policy_allows_it(
    tracking: str, tmp_path: Path
) -> None:
    """Hole 4 of the evidence issue: three children's feature rows rode inside the model."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    rows = pd.DataFrame({"n_episodes": [1.0, 2.0, 3.0]})
    model = DummyClassifier().fit(rows, [0, 1, 0])
    strict = tmp_path / "strict.yaml"
    strict.write_text("version: 1\nproject: {name: a, owner: b}\n")
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(
        "version: 1\nproject: {name: a, owner: b}\nmodels: {allow_input_example: true}\n"
    )
    outcomes = {}
    for policy in (strict, lenient):
        with csc_mlflow.governed_run(policy) as run:
            mlflow.sklearn.log_model(
                model, name="m", input_example=rows.head(2), pip_requirements=["scikit-learn"]
            )
        outcomes[policy.stem] = csc_mlflow.get_status(run.info.run_id)
    flagged = outcomes["strict"]
    assert flagged.status == "failed"
    (reason,) = [r for r in flagged.decision.reasons if r.code == "model.input_example"]
    assert "input_example.json" in reason.message
    assert "serving_input_example.json" in reason.message
    assert outcomes["lenient"].status == "passed"
    with csc_mlflow.governed_run(strict) as run:
        mlflow.sklearn.log_model(model, name="m", pip_requirements=["scikit-learn"])
    assert csc_mlflow.get_status(run.info.run_id).status == "passed"


def test_records_of_runs_never_sealed_are_not_held_without_bound(tracking: str) -> None:
    import numpy as np
    import pandas as pd

    from csc_mlflow._runs import cached_runs

    frame = pd.DataFrame({"group": ["a", "b"] * 10})
    y = np.array([1, 0, 0, 1] * 5)
    for _ in range(40):  # not governed: no policy, so nothing seals these runs
        with mlflow.start_run():
            csc_mlflow.evaluate_fairness(y, y, sensitive_features=frame)
    assert 0 < len(cached_runs()) <= 32
