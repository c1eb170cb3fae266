"""The gate attacked, as an insider with write access to the tracking server and as a client
of the governance server would: one test per scenario, against real `mlflow server`
processes on 127.0.0.1. Each attack must end blocked, with the alias unchanged and the
reason named."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import threading
import urllib.error
import urllib.request
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
from sklearn.dummy import DummyClassifier

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.exceptions import PromotionBlocked
from csc_mlflow.gate import Waiver, audit, check, history, promote

from .server import MlflowServer

pytestmark = pytest.mark.server

POLICY: dict[str, Any] = {
    "version": 1,
    "project": {"name": "red-team", "owner": "Test Data Team"},
    "datasets": {"header": {"suite": "ssda903/header@2024-25"}},
    "fairness": {
        "sensitive_features": {"eth": {"column": "ETHNIC", "grouping": "dfe_ethnicity_major"}},
        "min_group_size": 5,
        "insufficient_evidence": "warn",
        "thresholds": [{"metric": "demographic_parity_difference", "max": 0.9}],
    },
    "gate": {
        "staging": {"require": ["data_quality"]},
        "champion": {
            "require": ["data_quality", "fairness"],
            "waivers": {"fairness": ["accountable_officer"]},
        },
    },
    "stages": {"Production": "champion", "Staging": "staging"},
}
WAIVER = Waiver(
    "A. Officer", "accountable_officer", "Supervised pilot.", date(2030, 1, 1), ("fairness",)
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("redteam")
    (root / "governance.yaml").write_text(yaml.safe_dump(POLICY))
    return root


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[MlflowServer]:
    instance = MlflowServer(
        folder / "server",
        app_name="csc-governance",
        env={
            "CSC_MLFLOW_POLICY": str(folder / "governance.yaml"),
            "CSC_MLFLOW_LOCK_DIR": str(folder / "locks"),
        },
    )
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def plain_server(folder: Path) -> Iterator[MlflowServer]:
    """A tracking server without the csc-governance app (the reconciler's case)."""
    instance = MlflowServer(folder / "plain")
    yield instance
    instance.stop()


@pytest.fixture
def remote(server: MlflowServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowServer:
    _connect(server, folder, monkeypatch)
    return server


def _connect(server: MlflowServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder / "governance.yaml"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(server.url)
    mlflow.set_experiment("red-team")


def governed(
    name: str | None,
    *,
    policy: Path | None = None,
    defects: dict[str, int] | None = None,
    biased: bool = False,
    raise_inside: bool = False,
    seed: int = 3,
) -> str:
    """A governed run with data quality, fairness and a model (registered as ``name``)."""
    data = make_ssda903(600, seed=seed, defects=defects or {})
    y = np.random.default_rng(0).integers(0, 2, len(data.header))
    pred = np.where(data.header["ETHNIC"].isin(["BAFR", "BCRB", "BOTH"]), 1, 0) if biased else y
    run_id = ""
    try:
        with csc_mlflow.governed_run(policy) as run:
            run_id = run.info.run_id
            mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
            csc_mlflow.evaluate_fairness(y, pred, sensitive_features=data.header, policy=policy)
            mlflow.sklearn.log_model(
                DummyClassifier().fit([[0], [1]], [0, 1]),
                name="model",
                registered_model_name=name,
                pip_requirements=["scikit-learn"],
            )
            if raise_inside:
                raise RuntimeError("training failed")
    except RuntimeError:
        assert raise_inside
    return run_id


def alias_of(name: str, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def refused(name: str, alias: str, *, version: str = "1", **kw: Any) -> str:
    """Promote and set the alias directly: both must be refused, the alias unchanged; the
    reasons, joined."""
    before = alias_of(name, alias)
    with pytest.raises(PromotionBlocked) as caught:
        promote(name, version, alias, **kw)
    with pytest.raises(MlflowException) as direct:
        MlflowClient().set_registered_model_alias(name, alias, version)
    assert alias_of(name, alias) == before
    return "\n".join(str(r) for r in caught.value.decision.reasons) + "\n" + str(direct.value)


def artifact(server: MlflowServer, run_id: str, path: str) -> Path:
    uri = MlflowClient().get_run(run_id).info.artifact_uri
    return server.root / "artifacts" / uri.split(":/", 1)[1] / path


def model_folder(server: MlflowServer, name: str, version: str = "1") -> Path:
    source = MlflowClient().get_model_version_download_uri(name, version)
    return server.root / "artifacts" / source.split(":/", 1)[1]


def raw(
    server: MlflowServer, path: str, body: bytes, *, method: str = "POST", **headers: str
) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=body,
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# --- 1 to 6: evidence --------------------------------------------------------------------


def test_01_a_run_that_raised_stays_failed_after_its_status_is_changed(
    remote: MlflowServer,
) -> None:
    run_id = governed("rt-raised", raise_inside=True)
    MlflowClient().update_run(run_id, status="FINISHED")
    reasons = refused("rt-raised", "staging")
    assert "the run ended with MLflow status FAILED" in reasons
    assert "its status was changed after the run" in reasons
    # Resuming and ending the run seals it again; the failure stays in the seal.
    with mlflow.start_run(run_id=run_id):
        pass
    reasons = refused("rt-raised", "staging")
    assert "the run ended with MLflow status FAILED" in reasons


def test_02_a_status_tag_set_to_passed_does_not_read_as_passed(remote: MlflowServer) -> None:
    run_id = governed("rt-tag", defects={"invalid_sex": 5})
    MlflowClient().set_tag(run_id, names.STATUS_TAG, "passed")
    result = CliRunner().invoke(main, ["status", run_id])
    assert result.exit_code == 3, result.output
    assert "governance status FAILED" in result.output
    assert "PASSED" not in result.output
    assert "evidence verified" not in result.output
    assert "the csc.governance.status tag says 'passed' but the run was sealed 'failed'" in (
        result.output
    )
    assert "903-101" in refused("rt-tag", "staging")


def test_03_a_policy_tag_rewritten_to_a_tightened_policy_does_not_pass(
    remote: MlflowServer, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csc_mlflow._signing import generate_keys

    private, public = generate_keys(tmp_path / "keys")
    monkeypatch.setenv("CSC_MLFLOW_SIGNING_KEY", str(private))
    lenient = tmp_path / "lenient.yaml"
    loose = {
        **POLICY["fairness"],
        "thresholds": [{"metric": "demographic_parity_difference", "max": 1.0}],
    }
    lenient.write_text(
        yaml.safe_dump(
            {**POLICY, "fairness": loose, "signing": {"required": True, "public_key": str(public)}}
        )
    )
    run_id = governed("rt-policy", policy=lenient, biased=True)
    first = check("rt-policy", 1, "champion", policy=lenient)
    assert first.passed, first.reasons
    tight = tmp_path / "tight.yaml"
    fairness = {
        **POLICY["fairness"],
        "thresholds": [{"metric": "demographic_parity_difference", "max": 0.3}],
    }
    tight.write_text(
        yaml.safe_dump(
            {
                **POLICY,
                "fairness": fairness,
                "signing": {"required": True, "public_key": str(public)},
            }
        )
    )
    new_hash = csc_mlflow.load_policy(tight).evidence_sha256
    MlflowClient().set_tag(run_id, names.POLICY_SHA_TAG, new_hash)
    decision = check("rt-policy", 1, "champion", policy=tight)
    assert decision.decision == "blocked"
    text = "\n".join(str(r) for r in decision.reasons)
    assert "the csc.policy.sha256 tag no longer matches" in text
    assert "the evidence was judged by policy" in text
    assert "under the policy in force: eth: demographic_parity_difference" in text
    assert decision.sealed_policy_sha256 == csc_mlflow.load_policy(lenient).evidence_sha256
    assert decision.policy_sha256 == csc_mlflow.load_policy(tight).sha256


def record(value: str) -> dict[str, Any]:
    """The JSON record in a ledger tag's value (after the line a reviewer reads)."""
    return dict(json.loads(value[value.index("{") :]))


def test_04_a_passing_runs_seal_copied_onto_a_failing_run_is_refused(remote: MlflowServer) -> None:
    good = governed("rt-copy-good")
    bad = governed("rt-copy-bad", biased=True, seed=3)
    source, target = artifact(remote, good, "governance"), artifact(remote, bad, "governance")
    shutil.rmtree(target)
    shutil.copytree(source, target)
    manifest = (target / "manifest.json").read_bytes()
    MlflowClient().set_tag(bad, names.MANIFEST_SHA_TAG, hashlib.sha256(manifest).hexdigest())
    reasons = refused("rt-copy-bad", "champion")
    assert f"seals run {good}, not this run ({bad}): evidence was copied from another run" in (
        reasons
    )


def test_05_a_replaced_model_file_is_refused(remote: MlflowServer) -> None:
    governed("rt-model-file")
    pickle = model_folder(remote, "rt-model-file") / "model.skops"
    pickle.write_bytes(pickle.read_bytes() + b"\x00")
    reasons = refused("rt-model-file", "staging")
    assert "model file model.skops was changed after the run" in reasons


def test_06_a_version_registered_from_another_model_with_a_passing_run_id_is_refused(
    remote: MlflowServer,
) -> None:
    passing = governed("rt-source-good")
    with mlflow.start_run():  # an ungoverned model, never sealed
        other = mlflow.sklearn.log_model(
            DummyClassifier().fit([[1], [0]], [1, 0]), name="m", pip_requirements=["sklearn"]
        )
    client = MlflowClient()
    client.create_registered_model("rt-source")
    # MLflow checks the source lies under the run, so the other model is uploaded there first.
    local = mlflow.artifacts.download_artifacts(other.model_uri)
    client.log_artifacts(passing, local, "other")
    source = f"{client.get_run(passing).info.artifact_uri}/other"
    client.create_model_version("rt-source", source=source, run_id=passing)
    reasons = refused("rt-source", "staging")
    assert "are not any model its run logged and sealed" in reasons


# --- 7 to 12: the server, the ledger, the reconciler -------------------------------------


def test_07_a_forged_waiver_in_the_ledger_is_not_honoured(remote: MlflowServer) -> None:
    run_id = governed("rt-forged", biased=True)
    decision = check("rt-forged", 1, "champion")
    assert not decision.passed
    forged = {
        "seq": 999,
        "time": "2026-01-01T00:00:00Z",
        "actor": "A. Officer",
        "via": "server",
        "model": "rt-forged",
        "version": "1",
        "alias": "champion",
        "decision": "waived",
        "reasons": [],
        "run_id": run_id,
        "manifest_sha256": decision.manifest_sha256,
        "policy_sha256": decision.policy_sha256,
        "package_version": csc_mlflow.__version__,
        "waiver": WAIVER.to_dict(),
        "previous_sha256": None,
    }
    client = MlflowClient()
    # Through the server's API the ledger cannot be written at all...
    with pytest.raises(MlflowException, match="csc-governance keeps the ledger"):
        client.set_model_version_tag("rt-forged", "1", "csc.gate.ledger.000999", json.dumps(forged))
    # ...and written straight into its database it does not verify, so it is not honoured.
    direct = MlflowClient(tracking_uri=f"sqlite:///{remote.root / 'mlflow.db'}")
    direct.set_model_version_tag("rt-forged", "1", "csc.gate.ledger.000999", json.dumps(forged))
    with pytest.raises(MlflowException, match="its ledger does not verify"):
        client.set_registered_model_alias("rt-forged", "champion", "1")
    assert alias_of("rt-forged", "champion") is None
    problems = history("rt-forged").problems
    assert any("was edited: its content no longer matches its key" in p for p in problems)


def test_08_a_host_header_pointing_elsewhere_changes_nothing(
    remote: MlflowServer, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    governed("rt-host", defects={"invalid_sex": 5})
    decoy = MlflowServer(tmp_path / "decoy")
    try:
        _connect(decoy, folder, monkeypatch)
        governed("rt-host")  # the same name, passing, on another server
        assert check("rt-host", 1, "staging").passed
        body = json.dumps({"name": "rt-host", "alias": "staging", "version": "1"}).encode()
        status, text = raw(
            remote,
            "/api/2.0/mlflow/registered-models/alias",
            body,
            Host=f"127.0.0.1:{decoy.port}",
        )
    finally:
        decoy.stop()
        _connect(remote, folder, monkeypatch)
    assert status == 403, text
    assert "903-101" in text
    assert alias_of("rt-host", "staging") is None


def test_09_swapping_model_names_around_the_check_never_gives_the_bad_model_the_alias(
    remote: MlflowServer,
) -> None:
    good_run = governed("rt-swap-a")
    governed("rt-swap-b", defects={"invalid_sex": 5})
    client = MlflowClient()
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            for old, new in (
                ("rt-swap-a", "rt-swap-t"),
                ("rt-swap-b", "rt-swap-a"),
                ("rt-swap-t", "rt-swap-b"),
            ):
                with contextlib.suppress(MlflowException):
                    client.rename_registered_model(old, new)

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(12):
            for name in ("rt-swap-a", "rt-swap-b"):
                with contextlib.suppress(MlflowException):
                    client.set_registered_model_alias(name, "staging", "1")
    finally:
        stop.set()
        swapper.join()
    for name in ("rt-swap-a", "rt-swap-b", "rt-swap-t"):
        try:
            holder = client.get_model_version_by_alias(name, "staging")
        except MlflowException:
            continue
        assert holder.run_id == good_run, f"the blocked model got the alias under {name}"


def test_10_a_static_prefix_does_not_hide_the_alias_path(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefixed = MlflowServer(
        tmp_path / "prefixed",
        app_name="csc-governance",
        env={"CSC_MLFLOW_POLICY": str(folder / "governance.yaml")},
        extra_args=["--static-prefix", "/mlflow"],
    )
    try:
        base = f"{prefixed.url}/mlflow"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", base)
        monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder / "governance.yaml"))
        mlflow.set_tracking_uri(base)
        mlflow.set_experiment("prefixed")
        governed("rt-prefix", defects={"invalid_sex": 5})
        client = MlflowClient(tracking_uri=base)
        with pytest.raises(MlflowException, match="903-101"):
            client.set_registered_model_alias("rt-prefix", "staging", "1")
        for path in (
            "/mlflow/api/2.0/mlflow/registered-models/alias",
            "/mlflow/ajax-api/2.0/mlflow/registered-models/alias/",
        ):
            status, text = raw(
                prefixed,
                path,
                json.dumps({"name": "rt-prefix", "alias": "staging", "version": "1"}).encode(),
            )
            assert status in (403, 404), text
        with pytest.raises(MlflowException):
            client.get_model_version_by_alias("rt-prefix", "staging")
    finally:
        prefixed.stop()


def test_11_an_alias_set_while_the_watcher_was_down_is_caught_by_the_audit(
    plain_server: MlflowServer, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csc_mlflow.gate._watch import start_audits

    plain = plain_server
    _connect(plain, folder, monkeypatch)
    governed("rt-missed", defects={"invalid_sex": 5})
    client = MlflowClient()
    client.set_registered_model_alias("rt-missed", "staging", "1")  # no watcher running
    assert alias_of("rt-missed", "staging") == "1"
    stop = threading.Event()
    thread = start_audits(plain.url, 3600, stop=stop)  # audits on start-up
    try:
        deadline = __import__("time").time() + 60
        while alias_of("rt-missed", "staging") is not None:
            assert __import__("time").time() < deadline, "the start-up audit did not run"
            __import__("time").sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=30)
    last = history("rt-missed").entries[-1]
    assert (last.via, last.decision) == ("audit", "blocked")
    assert any("was removed by the audit" in r for r in last.reasons)


@pytest.mark.filterwarnings("ignore:.*transition_model_version_stage.*:FutureWarning")
def test_12_stage_transitions_are_judged_and_waivers_survive_the_reconciler(
    plain_server: MlflowServer,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    remote: MlflowServer,
) -> None:
    governed("rt-stage", defects={"invalid_sex": 5})
    governed("rt-stage-ok")
    client = MlflowClient()
    with pytest.raises(MlflowException, match=r"judged as alias 'staging'.*903-101"):
        client.transition_model_version_stage("rt-stage", "1", "Staging")
    assert client.get_model_version("rt-stage", "1").current_stage == "None"
    client.transition_model_version_stage("rt-stage-ok", "1", "Staging")
    assert client.get_model_version("rt-stage-ok", "1").current_stage == "Staging"

    plain = plain_server
    _connect(plain, folder, monkeypatch)
    governed("rt-waived", biased=True)
    assert promote("rt-waived", 1, "champion", waiver=WAIVER).decision == "waived"
    assert audit("rt-waived")[0].action == "kept"  # the waiver verifies and is honoured
    expired = audit("rt-waived", today=date(2030, 6, 1))[0]
    assert expired.action == "removed"
    assert "the waiver expired on 2030-01-01" in "\n".join(str(r) for r in expired.decision.reasons)
    assert alias_of("rt-waived", "champion") is None


# --- the ledger, concurrency, malformed requests -----------------------------------------


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_removing_or_editing_a_ledger_entry_is_detected(
    plain_server: MlflowServer,
    which: str,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from csc_mlflow._signing import generate_keys

    private, public = generate_keys(tmp_path / "keys")
    signed = tmp_path / "signed.yaml"
    signed.write_text(yaml.safe_dump({**POLICY, "signing": {"public_key": str(public)}}))
    plain = plain_server
    _connect(plain, folder, monkeypatch)
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(signed))
    monkeypatch.setenv("CSC_MLFLOW_SIGNING_KEY", str(private))
    model = f"rt-ledger-{which}"
    governed(model, policy=signed)
    for _ in range(3):
        promote(model, 1, "staging", policy=signed)
    assert history(model, policy=signed).problems == ()
    client = MlflowClient()
    tags = client.get_model_version(model, "1").tags
    entries = history(model).entries
    target = {"first": entries[0], "middle": entries[1], "last": entries[2]}[which]
    key = next(
        k
        for k, v in tags.items()
        if k.startswith(names.LEDGER_TAG_PREFIX) and record(v)["seq"] == target.seq
    )
    client.delete_model_version_tag(model, "1", key)
    assert history(model, policy=signed).problems, "a removed entry went unnoticed"
    # An edited entry under its old key, and a consistent rewrite without the key.
    edited = {**record(tags[key]), "decision": "waived"}
    client.set_model_version_tag(model, "1", key, json.dumps(edited, sort_keys=True))
    problems = history(model, policy=signed).problems
    assert any("was edited" in p for p in problems)
    unsigned = {**edited, "signature": None}
    from csc_mlflow._evidence import LedgerEntry
    from csc_mlflow._registry import entry_digest

    digest = entry_digest(LedgerEntry.model_validate(unsigned))
    client.delete_model_version_tag(model, "1", key)
    client.set_model_version_tag(
        model, "1", names.ledger_tag(digest), json.dumps(unsigned, sort_keys=True)
    )
    problems = history(model, policy=signed).problems
    assert any("is not signed" in p for p in problems)
    result = CliRunner().invoke(main, ["gate", "history", model, "--policy", str(signed)])
    assert result.exit_code == 1
    assert "LEDGER PROBLEM" in result.output


def test_an_unsigned_ledger_says_what_it_cannot_detect(remote: MlflowServer) -> None:
    governed("rt-unsigned")
    promote("rt-unsigned", 1, "staging")
    result = CliRunner().invoke(main, ["gate", "history", "rt-unsigned"])
    assert result.exit_code == 0, result.output
    assert "the ledger is not signed: an edited entry, a removed entry and a removed last" in (
        result.output
    )


def test_concurrent_promotions_keep_every_ledger_entry(
    plain_server: MlflowServer, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = plain_server
    _connect(plain, folder, monkeypatch)
    governed("rt-concurrent")
    errors: list[BaseException] = []

    def one() -> None:
        try:
            promote("rt-concurrent", 1, "staging")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = history("rt-concurrent")
    assert len(found.entries) == 8
    assert found.problems == ()


@pytest.mark.parametrize(
    "body",
    [
        b'"{\\"name\\": \\"rt-body\\", \\"alias\\": \\"staging\\", \\"version\\": \\"1\\"}"',
        b"[1, 2]",
        b"{not json",
        b'{"name": "rt-body", "alias": "staging", "version": {"a": 1}}',
        b'{"name": "rt-body", "alias": "staging"}',
        b"\xff\xfe",
        b'"\\"just a string\\""',
    ],
)
def test_malformed_alias_requests_get_400_or_403_never_500(
    body: bytes, remote: MlflowServer
) -> None:
    if alias_of("rt-body", "staging") is None and not MlflowClient().search_model_versions(
        "name = 'rt-body'"
    ):
        governed("rt-body", defects={"invalid_sex": 5})
    status, text = raw(remote, "/api/2.0/mlflow/registered-models/alias", body)
    assert status in (400, 403), (status, text)
    assert alias_of("rt-body", "staging") is None
    if body.startswith(b'"{'):  # double-encoded JSON is read as MLflow reads it, and judged
        assert status == 403
        assert "903-101" in text
