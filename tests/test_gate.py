"""The promotion gate end to end, against real `mlflow server` processes on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.ethics import workbook_definition
from csc_mlflow.exceptions import PromotionBlocked
from csc_mlflow.gate import Waiver, check, history, promote

from .server import MlflowServer

pytestmark = pytest.mark.server

POLICY = {
    "version": 1,
    "project": {"name": "gate-test", "owner": "Test Data Team"},
    "datasets": {"header": {"suite": "ssda903/header@2024-25"}},
    "fairness": {
        "sensitive_features": {"eth": {"column": "ETHNIC", "grouping": "dfe_ethnicity_major"}},
        "min_group_size": 5,
        "insufficient_evidence": "warn",
        "thresholds": [{"metric": "demographic_parity_difference", "max": 0.3}],
    },
    "ethics": {
        "triage": "triage.yaml",
        "workbook": "workbook.yaml",
        "signoff": {"default": ["accountable_officer"], "high": ["accountable_officer"]},
    },
    "gate": {
        "staging": {"require": ["data_quality"]},
        "champion": {
            "require": ["data_quality", "fairness", "ethics.triage", "ethics.workbook"],
            "signoff": ["accountable_officer"],
            "waivers": {"fairness": ["accountable_officer"]},
        },
    },
}
TRIAGE = {
    "question0": "item3",
    "question1": True,
    "question1_2": True,
    "question3": False,
    "question4": True,
    "question7": True,
    "question7_1": True,
    "question8": True,
    "question5": True,
    "question5_1": False,
    "question9": ["item2"],
    "question10": ["item2"],
}
SIGNED = [{"name": "A. Officer", "role": "accountable_officer", "date": "2026-10-01"}]


def workbook(
    signoffs: list[dict[str, str]] | None = None, review_by: str = "2030-06-30"
) -> dict[str, Any]:
    return {
        "review_by": review_by,
        "signoffs": SIGNED if signoffs is None else signoffs,
        "answers": {q.id: "Answered for the test." for q in workbook_definition().questions},
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gate")
    (root / "governance.yaml").write_text(yaml.safe_dump(POLICY))
    (root / "triage.yaml").write_text(yaml.safe_dump(TRIAGE))
    (root / "workbook.yaml").write_text(yaml.safe_dump(workbook()))
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
    mlflow.set_experiment("gate")
    return server


def log_model(
    name: str,
    folder: Path,
    *,
    defects: dict[str, int] | None = None,
    biased: bool = False,
    workbook_file: str = "workbook.yaml",
) -> str:
    """A governed run with data quality, fairness and ethics evidence, registered as ``name``."""
    policy = dict(POLICY)
    if workbook_file != "workbook.yaml":
        policy = {**POLICY, "ethics": {**POLICY["ethics"], "workbook": workbook_file}}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(policy))
    data = make_ssda903(3000, seed=3, defects=defects or {})
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, len(data.header))
    pred = np.where(data.header["ETHNIC"].isin(["BAFR", "BCRB", "BOTH"]), 1, 0) if biased else y
    from sklearn.dummy import DummyClassifier

    policy_path = folder / (
        f"{name}.yaml" if workbook_file != "workbook.yaml" else "governance.yaml"
    )
    with csc_mlflow.governed_run(policy_path) as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        csc_mlflow.evaluate_fairness(y, pred, sensitive_features=data.header, policy=policy_path)
        mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            registered_model_name=name,
            pip_requirements=["scikit-learn"],
        )
    return run.info.run_id


def artifact_file(server: MlflowServer, run_id: str, path: str) -> Path:
    uri = (
        MlflowClient().get_run(run_id).info.artifact_uri
    )  # mlflow-artifacts:/<exp>/<run>/artifacts
    return server.root / "artifacts" / uri.split(":/", 1)[1] / path


def alias_version(name: str, alias: str) -> str | None:
    try:
        return MlflowClient().get_model_version_by_alias(name, alias).version
    except MlflowException:
        return None


def test_complete_passing_model_promotes_and_is_in_the_ledger(
    remote: MlflowServer, folder: Path
) -> None:
    log_model("m-pass", folder)
    decision = promote("m-pass", 1, "champion")
    assert decision.decision == "passed", decision.reasons
    assert alias_version("m-pass", "champion") == "1"
    found = history("m-pass")
    assert found.problems == ()
    assert [(e.alias, e.decision) for e in found.entries if e.via == "server"] == [
        ("champion", "passed")
    ]
    entry = next(e for e in found.entries if e.via == "server")
    assert entry.manifest_sha256 == decision.manifest_sha256
    assert entry.policy_sha256 == csc_mlflow.load_policy(folder / "governance.yaml").sha256
    assert entry.package_version == csc_mlflow.__version__
    # On the version page (tags sorted by key): entries in order, each opening with a line a
    # reviewer reads; the record after it is what is checked.
    promote("m-pass", 1, "champion")
    tags = MlflowClient().get_model_version("m-pass", "1").tags
    keys = sorted(k for k in tags if k.startswith(names.LEDGER_TAG_PREFIX))
    values = [tags[k] for k in keys]
    assert [v.split(":", 1)[0] for v in values] == ["#1 champion", "#2 champion"]
    assert all(", by " in v.split("{", 1)[0] for v in values)
    assert tags[names.LEDGER_HEAD_TAG].startswith("ledger head: 2 entries {")
    # A key renumbered to move an entry is an edit (written past the server, to the store).
    moved = keys[1].replace(".0002.", ".0001.", 1)
    client = MlflowClient(tracking_uri=f"sqlite:///{remote.root / 'mlflow.db'}")
    client.delete_model_version_tag("m-pass", "1", keys[1])
    client.set_model_version_tag("m-pass", "1", moved, values[1])
    assert any("was edited" in p for p in history("m-pass").problems)


def _blocked(name: str, alias: str = "champion", **kw: Any) -> list[str]:
    before = alias_version(name, alias)
    with pytest.raises(PromotionBlocked) as caught:
        promote(name, 1, alias, **kw)
    assert alias_version(name, alias) == before
    ledger = [e for e in history(name).entries if e.via == "server"]
    assert ledger[-1].decision == "blocked"
    return [str(r) for r in caught.value.decision.reasons]


def test_missing_artifact_blocks(remote: MlflowServer, folder: Path) -> None:
    run_id = log_model("m-missing", folder)
    artifact_file(remote, run_id, names.TRIAGE_PATH).unlink()
    reasons = _blocked("m-missing")
    assert any(
        "governance/ethics/triage.json is listed in the manifest but missing" in r for r in reasons
    )


def test_modified_artifact_blocks(remote: MlflowServer, folder: Path) -> None:
    run_id = log_model("m-modified", folder)
    path = artifact_file(remote, run_id, names.data_quality_path("header"))
    before = path.read_text()
    path.write_text(before.replace('"status": "passed"', '"status":  "passed"'))
    assert path.read_text() != before
    assert any(
        "governance/data_quality/header.json was changed after the run" in r
        for r in _blocked("m-modified")
    )


def test_modified_manifest_blocks(remote: MlflowServer, folder: Path) -> None:
    run_id = log_model("m-manifest", folder)
    path = artifact_file(remote, run_id, names.MANIFEST_PATH)
    path.write_text(path.read_text() + " ")
    assert any("does not match the csc.manifest.sha256 tag" in r for r in _blocked("m-manifest"))


def test_modified_manifest_tag_blocks(remote: MlflowServer, folder: Path) -> None:
    run_id = log_model("m-tag", folder)
    MlflowClient().set_tag(run_id, names.MANIFEST_SHA_TAG, "0" * 64)
    assert any("does not match the csc.manifest.sha256 tag" in r for r in _blocked("m-tag"))


def test_changed_policy_requirement_blocks(
    remote: MlflowServer, folder: Path, tmp_path: Path
) -> None:
    log_model("m-policy", folder)
    stricter = {**POLICY, "fairness": {**POLICY["fairness"], "min_group_size": 50}}
    changed = tmp_path / "stricter.yaml"
    changed.write_text(yaml.safe_dump(stricter))
    (tmp_path / "triage.yaml").write_text(yaml.safe_dump(TRIAGE))
    (tmp_path / "workbook.yaml").write_text(yaml.safe_dump(workbook()))
    reasons = _blocked("m-policy", policy=changed)
    assert any("the evidence was judged by policy" in r for r in reasons)


def test_expired_review_date_blocks(remote: MlflowServer, folder: Path) -> None:
    log_model("m-expired", folder)
    reasons = _blocked("m-expired", today=date(2031, 1, 1))
    assert any("was due for review by 2030-06-30" in r for r in reasons)


def test_missing_signoff_blocks(remote: MlflowServer, folder: Path) -> None:
    (folder / "unsigned.yaml").write_text(yaml.safe_dump(workbook(signoffs=[])))
    log_model("m-unsigned", folder, workbook_file="unsigned.yaml")
    reasons = _blocked("m-unsigned", policy=folder / "m-unsigned.yaml")
    assert any("no sign-off by the accountable officer" in r for r in reasons)


def test_failing_data_quality_blocks_even_staging(remote: MlflowServer, folder: Path) -> None:
    log_model("m-dq", folder, defects={"invalid_sex": 5})
    reasons = _blocked("m-dq", alias="staging")
    assert any("903-101" in r for r in reasons)


def test_failing_fairness_blocks_champion_not_staging_and_can_be_waived(
    remote: MlflowServer, folder: Path
) -> None:
    log_model("m-fair", folder, biased=True)
    reasons = _blocked("m-fair")
    assert any("demographic_parity_difference" in r and "breached" in r for r in reasons)
    assert check("m-fair", 1, "staging").passed
    wrong_role = Waiver("D. Developer", "developer", "pilot", date(2030, 1, 1), ("fairness",))
    assert any(
        "does not let a developer waive fairness" in r
        for r in _blocked("m-fair", waiver=wrong_role)
    )
    waiver = Waiver(
        "A. Officer",
        "accountable_officer",
        "Supervised pilot with manual review.",
        date(2030, 1, 1),
        ("fairness",),
    )
    decision = promote("m-fair", 1, "champion", waiver=waiver)
    assert decision.decision == "waived"
    assert alias_version("m-fair", "champion") == "1"
    last = [e for e in history("m-fair").entries if e.via == "server"][-1]
    assert last.waiver is not None
    assert last.waiver.name == "A. Officer"


def test_server_plugin_refuses_plain_client_alias_on_blocked_version(
    remote: MlflowServer, folder: Path
) -> None:
    log_model("m-server-bad", folder, defects={"invalid_sex": 5})
    log_model("m-server-good", folder)
    client = MlflowClient()
    with pytest.raises(
        MlflowException, match=r"csc-governance gate blocked setting alias 'staging'.*903-101"
    ):
        client.set_registered_model_alias("m-server-bad", "staging", "1")
    assert alias_version("m-server-bad", "staging") is None
    client.set_registered_model_alias("m-server-good", "champion", "1")
    assert alias_version("m-server-good", "champion") == "1"
    vias = {(e.via, e.decision) for e in history("m-server-bad").entries}
    assert ("server", "blocked") in vias
    assert ("server", "passed") in {(e.via, e.decision) for e in history("m-server-good").entries}


def test_governance_page_lists_models_status_history_and_report_links(
    remote: MlflowServer, folder: Path
) -> None:
    import urllib.request

    log_model("m-page", folder)
    promote("m-page", 1, "staging")
    with urllib.request.urlopen(f"{remote.url}/csc/governance", timeout=30) as response:
        html = response.read().decode()
    assert "<h1>Registered models: governance</h1>" in html
    assert "&larr; MLflow</a>" in html  # a way back to MLflow's pages
    row = next(r for r in html.split("<tr>") if "<td>m-page</td>" in r)
    assert "staging: passed" in row
    assert "<td>staging</td>" in row  # the alias set (it used to read 'none')
    assert "/artifacts/governance/report.html" in row
    assert "#/experiments/" in row  # the run itself
    version = MlflowClient().get_model_version("m-page", "1")
    assert "| staging | passed |" in version.description
    assert version.description.startswith("**Governance status: ")  # what the list shows
    assert version.tags["csc.governance.status"] == "passed"


def test_decisions_taken_through_the_server_update_the_version_summary(
    remote: MlflowServer, folder: Path
) -> None:
    log_model("m-summary", folder)
    client = MlflowClient()
    client.update_model_version("m-summary", "1", description="Trained for the pilot.")
    client.set_registered_model_alias("m-summary", "staging", "1")  # judged by the server
    version = client.get_model_version("m-summary", "1")
    assert "| staging | passed |" in version.description
    assert version.description.rstrip().endswith("Trained for the pilot.")  # the user's text kept


def test_cli_check_and_promote_exit_codes(remote: MlflowServer, folder: Path) -> None:
    log_model("m-cli", folder, defects={"invalid_sex": 5})
    runner = CliRunner()
    blocked = runner.invoke(main, ["gate", "check", "m-cli", "1", "--alias", "staging"])
    assert blocked.exit_code == 3, blocked.output
    assert "m-cli version 1 -> staging: BLOCKED" in blocked.output
    as_json = runner.invoke(main, ["gate", "promote", "m-cli", "1", "--alias", "staging", "--json"])
    assert as_json.exit_code == 3
    assert json.loads(as_json.output)["decision"] == "blocked"
    usage = runner.invoke(main, ["gate", "check", "m-cli", "1"])
    assert usage.exit_code == 2
    listed = runner.invoke(main, ["gate", "history", "m-cli"])
    assert listed.exit_code == 0
    assert "BLOCKED" in listed.output


def test_tracking_server_stopped_mid_check_blocks(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = MlflowServer(tmp_path / "short-lived")
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", temporary.url)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        mlflow.set_tracking_uri(temporary.url)
        mlflow.set_experiment("gate")
        log_model("m-down", folder)
    finally:
        temporary.stop()
    decision = check(
        "m-down", 1, "champion", policy=folder / "governance.yaml", tracking_uri=temporary.url
    )
    assert decision.decision == "blocked"
    assert decision.reasons[0].code == "gate.unreachable"
    assert (
        "check the name, the version and that the tracking server is running"
        in decision.reasons[0].message
    )


def test_webhook_receiver_removes_an_alias_set_on_a_failing_version(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    from csc_mlflow.gate._watch import make_server

    plain = MlflowServer(
        tmp_path / "plain",
        env={
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "MLFLOW_WEBHOOK_CACHE_TTL": "0",
        },
    )
    receiver = make_server("127.0.0.1", 0, "s3cret", plain.url)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", plain.url)
        monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder / "governance.yaml"))
        mlflow.set_tracking_uri(plain.url)
        mlflow.set_experiment("gate")
        log_model("m-hook", folder, defects={"invalid_sex": 5})
        client = MlflowClient()
        client.create_webhook(
            name="csc-gate",
            url=f"http://127.0.0.1:{receiver.server_address[1]}/",
            events=["model_version_alias.created"],
            secret="s3cret",
        )
        client.set_registered_model_alias("m-hook", "staging", "1")
        deadline = time.time() + 60
        while time.time() < deadline and (
            alias_version("m-hook", "staging") is not None or not history("m-hook").entries
        ):
            time.sleep(0.5)
        assert alias_version("m-hook", "staging") is None
        entries = history("m-hook").entries
        assert entries[-1].via == "webhook"
        assert any(
            "was set without passing the gate and was removed" in r for r in entries[-1].reasons
        )
    finally:
        receiver.shutdown()
        receiver.server_close()
        plain.stop()


def test_webhook_signature_is_required() -> None:
    from csc_mlflow.gate._watch import signature_ok

    body = b'{"entity": "model_version_alias"}'
    stamp = str(int(time.time()))
    signed = f"d1.{stamp}.{body.decode()}".encode()
    good = "v1," + base64.b64encode(hmac.new(b"k", signed, hashlib.sha256).digest()).decode()
    headers = {
        "X-MLflow-Delivery-Id": "d1",
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": good,
    }
    assert signature_ok("k", headers, body)
    assert not signature_ok("other", headers, body)
    assert not signature_ok("k", headers, body + b" ")
    assert not signature_ok("k", {**headers, "X-MLflow-Timestamp": "1"}, body)


def test_signed_manifest_detects_consistent_rewrite(
    remote: MlflowServer, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csc_mlflow._signing import generate_keys

    private, public = generate_keys(tmp_path / "keys")
    signed_policy = {**POLICY, "signing": {"required": True, "public_key": str(public)}}
    path = folder / "m-signed.yaml"
    path.write_text(yaml.safe_dump(signed_policy))
    monkeypatch.setenv("CSC_MLFLOW_SIGNING_KEY", str(private))
    data = make_ssda903(300, seed=3)
    with csc_mlflow.governed_run(path) as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        from sklearn.dummy import DummyClassifier

        mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            registered_model_name="m-signed",
            pip_requirements=["scikit-learn"],
        )
    assert check("m-signed", 1, "staging", policy=path).passed
    manifest = artifact_file(remote, run.info.run_id, names.MANIFEST_PATH)
    text = manifest.read_text().replace(
        '"mlflow_status": "FINISHED"', '"mlflow_status":  "FINISHED"'
    )
    assert text != manifest.read_text()
    manifest.write_text(text)
    MlflowClient().set_tag(
        run.info.run_id, names.MANIFEST_SHA_TAG, hashlib.sha256(text.encode()).hexdigest()
    )
    decision = check("m-signed", 1, "staging", policy=path)
    assert decision.decision == "blocked"
    assert any("signature does not verify" in r.message for r in decision.reasons)
