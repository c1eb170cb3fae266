"""The csc-mlflow command: help, version, policy validation, run status, a server that is down."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner

import csc_mlflow
from csc_mlflow._cli import main

from .conftest import REPO


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_help_and_version() -> None:
    code, out = run("--help")
    assert code == 0
    assert "policy" in out
    assert "status" in out
    code, out = run("--version")
    assert code == 0
    assert out.strip() == f"csc-mlflow, version {csc_mlflow.__version__}"


def test_policy_validate_good_file() -> None:
    code, out = run("policy", "validate", str(REPO / "examples" / "governance.yaml"))
    assert code == 0
    assert "valid policy for project 're-referral-risk'" in out
    assert f"sha256: {csc_mlflow.load_policy(REPO / 'examples' / 'governance.yaml').sha256}" in out


def test_policy_validate_bad_file_exits_1_with_key(tmp_path: Path) -> None:
    bad = tmp_path / "governance.yaml"
    bad.write_text(
        "version: 1\nproject: {name: a, owner: b}\ndatasets: {train: {suite: s, block: error}}\n"
    )
    code, out = run("policy", "validate", str(bad))
    assert code == 1
    assert "datasets.train.block: unknown key. Allowed here: suite, block_on, required" in out
    assert "Did you mean 'block_on'?" in out


def test_status_prints_reasons_and_exits_3_unless_passed(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nproject: {name: a, owner: b}\ndatasets: {train: {suite: s}}\n")
    with csc_mlflow.governed_run(policy) as active:
        pass
    code, out = run("status", active.info.run_id)
    assert code == 3
    assert f"run {active.info.run_id}: governance status INCOMPLETE" in out
    assert "[incomplete] data_quality.train: no data-quality (dataset 'train') evidence" in out
    assert "evidence verified against manifest" in out
    code, out = run("status", active.info.run_id, "--json")
    assert code == 3
    assert json.loads(out)["decision"]["status"] == "incomplete"


def test_status_of_a_passing_run_exits_0(tracking: str, policy_file: Path) -> None:
    with mlflow.start_run() as active:
        pass
    code, out = run("status", active.info.run_id)
    assert code == 0, out
    assert "governance status PASSED" in out


def test_status_of_ungoverned_run(tracking: str) -> None:
    with mlflow.start_run() as active:
        pass
    code, out = run("status", active.info.run_id)
    assert code == 1
    assert "is not governed by csc-mlflow" in out


def test_status_when_the_tracking_server_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out = run("status", "abc123", "--tracking-uri", f"http://127.0.0.1:{port}")
    assert code == 1
    assert f"cannot read run 'abc123' from the tracking store at http://127.0.0.1:{port}" in out
    assert "that the server is running" in out


def test_every_library_error_maps_to_exit_1_without_a_traceback(tmp_path: Path) -> None:
    bad_csv = tmp_path / "empty.csv"
    bad_csv.write_text("CHILD,SEX\n")
    cases = [
        (("policy", "validate", str(tmp_path / "missing.yaml")), "policy file not found"),
        (("dq", "validate", str(bad_csv), "--suite", "ssda903/header@2024-25"), "has no rows"),
        (("dq", "validate", str(bad_csv), "--suite", "nope/nope@2024-25"), "nope/nope"),
        (("ethics", "check", "--policy", str(tmp_path / "missing.yaml")), "not found"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )


def test_keygen_refuses_to_overwrite_a_key_without_force(tmp_path: Path) -> None:
    folder = str(tmp_path / "keys")
    assert run("gate", "keygen", "--dir", folder)[0] == 0
    private = (tmp_path / "keys" / "signing-key.pem").read_bytes()
    code, out = run("gate", "keygen", "--dir", folder)
    assert code == 1
    assert "already exists" in out
    assert "--force" in out
    assert (tmp_path / "keys" / "signing-key.pem").read_bytes() == private
    assert run("gate", "keygen", "--dir", folder, "--force")[0] == 0
    assert (tmp_path / "keys" / "signing-key.pem").read_bytes() != private


def test_gate_history_of_an_unknown_model_is_an_error(tracking: str) -> None:
    code, out = run("gate", "history", "no-such-model")
    assert code == 1
    assert "no registered model called 'no-such-model'" in out


def test_gate_errors_exit_1_and_verdicts_exit_3(tracking: str, tmp_path: Path) -> None:
    # Every gate error used to exit 3 "BLOCKED": an error to fix is not a verdict.
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\nproject: {name: a, owner: b}\ngate: {staging: {require: [data_quality]}}\n"
    )
    code, out = run("gate", "check", "m", "1", "--alias", "staging")  # no policy anywhere
    assert code == 1, out
    assert "no governance policy found" in out
    assert "the gate could not judge" in out
    code, out = run("gate", "check", "nomodel", "1", "--alias", "staging", "--policy", str(policy))
    assert code == 1, out
    assert "has no version 1 of a model called 'nomodel'" in out
    code, out = run("gate", "check", "m", "one", "--alias", "staging", "--policy", str(policy))
    assert code == 2
    assert "'one' is not a model version" in out
    code, out = run(
        "gate", "promote", "nomodel", "1", "--alias", "staging", "--policy", str(policy), "--json"
    )
    assert code == 1
    assert json.loads(out)["error"] is True
    code, out = run("atrs", "m", "v1")
    assert code == 2
    # A version whose evidence is missing is a verdict: blocked, exit 3.
    with csc_mlflow.governed_run(policy):
        mlflow.log_param("x", 1)
        run_id = mlflow.active_run().info.run_id
    client = mlflow.MlflowClient()
    client.create_registered_model("m")
    artifacts = client.get_run(run_id).info.artifact_uri
    version = client.create_model_version("m", f"{artifacts}/none", run_id=run_id).version
    code, out = run(
        "gate", "check", "m", str(version), "--alias", "staging", "--policy", str(policy)
    )
    assert code == 3, out
    assert "BLOCKED" in out
    assert "could not judge" not in out


def test_gate_check_against_a_server_that_is_down_exits_1(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nproject: {name: a, owner: b}\n")
    code, out = run(
        "gate", "check", "m", "1", "--alias", "staging", "--policy", str(policy),
        "--tracking-uri", f"http://127.0.0.1:{port}",
    )  # fmt: skip
    assert code == 1
    assert "cannot read version 1 of model 'm' from the registry" in out


def test_commands_never_create_a_store_they_were_only_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "elsewhere" / "mlflow.db"
    uri = f"sqlite:///{missing}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for args in (
        ("status", "abc"),
        ("report", "abc"),
        ("atrs", "m", "1"),
        ("gate", "check", "m", "1", "--alias", "staging"),
        ("gate", "history", "m"),
        ("gate", "audit"),
    ):
        code, out = run(*args)
        assert code == 1, (args, out)
        assert f"no MLflow tracking store at {missing} ({uri}); nothing was created" in out
    assert not missing.exists()
    assert not (tmp_path / "mlflow.db").exists()
    code, out = run("status", "abc", "--tracking-uri", (tmp_path / "mlruns").as_uri())
    assert code == 1
    assert "no MLflow tracking store at" in out
    assert not (tmp_path / "mlruns").exists()


def test_policy_validate_checks_what_the_policy_refers_to(tmp_path: Path) -> None:
    # Each of these used to be reported as a valid policy.
    policy = tmp_path / "governance.yaml"
    policy.write_text(
        "version: 1\nproject: {name: a, owner: b}\n"
        "datasets: {episodes: {suite: ssda903/episodes@2099-00}, own: {suite: mine.yaml}}\n"
        "ethics: {triage: ethics/triage.yaml, workbook: ethics/workbook.yaml}\n"
        "signing: {required: true, public_key: keys/signing-key.pub.pem}\n"
    )
    (tmp_path / "ethics").mkdir()
    (tmp_path / "ethics" / "workbook.yaml").write_text("[not: a mapping")
    code, out = run("policy", "validate", str(policy))
    assert code == 1, out
    assert "5 problem(s) with what the policy refers to" in out
    assert "datasets.episodes.suite: no shipped suite 'ssda903/episodes@2099-00'" in out
    assert "datasets.own.suite:" in out
    assert f"ethics.triage: {tmp_path / 'ethics' / 'triage.yaml'} does not exist" in out
    assert "ethics.workbook:" in out
    assert f"signing.public_key: {tmp_path / 'keys' / 'signing-key.pub.pem'} does not exist" in out
    assert "valid policy" not in out


def test_a_threshold_no_measure_can_reach_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"
    base = (
        "version: 1\nproject: {name: a, owner: b}\n"
        "fairness: {sensitive_features: {sex: {column: sex}}, thresholds: [THRESHOLD]}\n"
    )
    for threshold, message in (
        ("{metric: demographic_parity_ratio, min: 1.8}", "can never be met"),
        ("{metric: equalized_odds_difference, max: 10}", "always holds"),
        ("{metric: equalized_odds_difference, max: -0.1}", "can never be met"),
    ):
        policy.write_text(base.replace("THRESHOLD", threshold))
        code, out = run("policy", "validate", str(policy))
        assert code == 1
        assert "fairness.thresholds[0]" in out
        assert message in out
    policy.write_text(base.replace("THRESHOLD", "{metric: demographic_parity_ratio, min: 0.8}"))
    assert run("policy", "validate", str(policy))[0] == 0
