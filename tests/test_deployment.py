"""A team's deployment: MLflow server on PostgreSQL, several workers, the governance app;
twenty governed runs at once, and two promotions racing for one alias."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import gate
from csc_mlflow.exceptions import PromotionBlocked

from ._deployment_worker import governed_run
from .azurite import Azurite
from .postgres import Postgres
from .server import MlflowServer
from .test_gate import TRIAGE, workbook

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[1]
RUNS = 20
POLICY = {
    "version": 1,
    "project": {"name": "team", "owner": "Children's Services Data Team"},
    "datasets": {"header": {"suite": "ssda903/header@2024-25"}},
    "fairness": {
        "sensitive_features": {"eth": {"column": "ETHNIC", "grouping": "dfe_ethnicity_major"}},
        "insufficient_evidence": "warn",
    },
    "ethics": {
        "triage": "triage.yaml",
        "workbook": "workbook.yaml",
        "signoff": {"default": ["accountable_officer"], "high": ["accountable_officer"]},
    },
    "gate": {"champion": {"require": ["data_quality", "fairness", "ethics.triage"]}},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deployment")
    (root / "governance.yaml").write_text(yaml.safe_dump(POLICY))
    (root / "triage.yaml").write_text(yaml.safe_dump(TRIAGE))
    (root / "workbook.yaml").write_text(yaml.safe_dump(workbook()))
    return root


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    instance = Postgres()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def server(folder: Path, postgres: Postgres) -> Iterator[MlflowServer]:
    instance = MlflowServer(
        folder / "server",
        app_name="csc-governance",
        env={"CSC_MLFLOW_POLICY": str(folder / "governance.yaml")},
        backend_store_uri=postgres.uri,
        workers=4,
    )
    yield instance
    instance.stop()


@pytest.fixture
def remote(server: MlflowServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowServer:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(folder / "governance.yaml"))
    mlflow.set_tracking_uri(server.url)
    return server


def test_twenty_runs_at_once_are_all_sealed_and_verified_and_one_promotion_wins(
    remote: MlflowServer, folder: Path
) -> None:
    with ProcessPoolExecutor(max_workers=4, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(governed_run, remote.url, str(folder), "team-model", seed)
            for seed in range(RUNS)
        ]
        run_ids = [f.result(timeout=900) for f in futures]
    assert len(set(run_ids)) == RUNS
    statuses = [csc_mlflow.get_status(run_id) for run_id in run_ids]
    verified = sum(s.verified for s in statuses)
    passed = sum(s.status == "passed" for s in statuses)
    assert verified == RUNS, [s.problems for s in statuses if not s.verified]
    assert passed == RUNS, [s.decision.reasons for s in statuses if s.status != "passed"]
    client = MlflowClient()
    versions = client.search_model_versions("name = 'team-model'")
    assert sorted(int(v.version) for v in versions) == list(range(1, RUNS + 1))
    assert {v.run_id for v in versions} == set(run_ids)

    # Two promotions of different versions to one alias, at the same moment.
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def promote(version: str) -> None:
        barrier.wait()
        try:
            outcomes[version] = gate.promote("team-model", version, alias="champion")
        except PromotionBlocked as exc:
            outcomes[version] = exc

    racers = [threading.Thread(target=promote, args=(v,)) for v in ("3", "7")]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=300)
    holder = str(client.get_registered_model("team-model").aliases["champion"])
    assert holder in ("3", "7")
    assert gate.check("team-model", holder, "champion").passed
    history = gate.history("team-model")
    assert history.problems == ()
    entries = [e for e in history.entries if e.alias == "champion"]
    assert {e.version for e in entries} == {"3", "7"}
    for version in ("3", "7"):
        ledger = gate.history("team-model").entries
        chain = [e for e in ledger if e.version == version]
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1))  # no fork
    summary = {
        "runs_started": RUNS,
        "runs_sealed_and_verified": verified,
        "runs_passed": passed,
        "versions_registered": len(versions),
        "promotions_raced": 2,
        "promotions_passed": sum(
            not isinstance(o, Exception) and o.passed for o in outcomes.values()
        ),
        "alias_holder": holder,
        "ledger_entries_for_champion": len(entries),
        "ledger_problems": list(history.problems),
    }
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    (shots / "concurrency.json").write_text(json.dumps(summary, indent=2))


ADMIN_PASSWORD = "admin-password-for-tests-only"


def _rest(
    url: str,
    path: str,
    user: str,
    password: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, str]:
    import base64
    import urllib.error
    import urllib.request

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{url}{path}",
        data=json.dumps(body).encode() if method != "GET" else None,
        method=method,
        headers={
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def azurite() -> Iterator[Azurite]:
    instance = Azurite()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def authed(
    folder: Path, postgres: Postgres, azurite: Azurite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowServer]:
    """The team's server: PostgreSQL, artefacts in Azure Blob storage (Azurite), MLflow's
    basic-auth and the governance app in one."""
    root = tmp_path_factory.mktemp("auth")
    policy = {
        **POLICY,
        "roles": {
            "accountable_officer": ["alice"],
            "practice_lead": ["bob"],
            # everyone in the MLflow role (group) dpo-team, which the administrator manages
            "data_protection_officer": ["group:dpo-team"],
        },
        "gate": {
            "champion": {
                "require": ["data_quality", "fairness", "ethics.triage"],
                "promoters": ["accountable_officer"],
            },
            "reviewed": {
                "require": ["data_quality", "fairness", "ethics.triage"],
                "promoters": ["data_protection_officer"],
            },
        },
    }
    team = folder / "team"
    team.mkdir()
    (team / "governance.yaml").write_text(yaml.safe_dump(policy))
    for name in ("triage.yaml", "workbook.yaml"):
        (team / name).write_text((folder / name).read_text())
    ini = root / "basic_auth.ini"
    ini.write_text(
        "[mlflow]\ndefault_permission = READ\n"
        f"database_uri = {postgres.create_database('mlflow_auth')}\n"
        f"admin_username = admin\nadmin_password = {ADMIN_PASSWORD}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    instance = MlflowServer(
        root / "server",
        app_name="csc-governance-auth",
        env={
            "CSC_MLFLOW_POLICY": str(team / "governance.yaml"),
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": "tests-only-secret",
            "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        },
        backend_store_uri=postgres.create_database("mlflow_team"),
        workers=2,
        artifacts_destination=azurite.artifacts_uri,
    )
    for user in ("alice", "bob", "carol", "dave"):
        status, text = _rest(
            instance.url,
            "/api/2.0/mlflow/users/create",
            "admin",
            ADMIN_PASSWORD,
            {"username": user, "password": f"{user}-password"},
        )
        assert status == 200, text
    yield instance
    instance.stop()


def test_the_team_server_keeps_evidence_in_blob_storage_and_promotes_as_authenticated_users(
    authed: MlflowServer, azurite: Azurite, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = authed.url
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "alice-password")
    mlflow.set_tracking_uri(url)
    policy = folder / "team" / "governance.yaml"
    run_id = governed_run(url, str(folder / "team"), "team-auth", 1)  # by alice
    sealed = csc_mlflow.get_status(run_id)
    assert sealed.status == "passed"
    assert sealed.verified
    blobs = azurite.blob_names()
    assert any(b.endswith(f"{run_id}/artifacts/governance/manifest.json") for b in blobs)
    assert not (authed.root / "artifacts").exists()  # nothing on the server's disk
    status, text = _rest(
        url,
        "/api/3.0/mlflow/users/permissions/grant",
        "admin",
        ADMIN_PASSWORD,
        {
            "username": "bob",
            "resource_type": "registered_model",
            "resource_id": "team-auth",
            "permission": "EDIT",
        },
    )

    assert status == 200, text
    alias = {"name": "team-auth", "alias": "champion", "version": "1"}
    path = "/api/2.0/mlflow/registered-models/alias"
    # carol may only read: MLflow's own permissions refuse her before the gate.
    status, text = _rest(url, path, "carol", "carol-password", alias)
    assert status == 403, text
    assert "csc-governance" not in text
    # bob may edit the model in MLflow, but the policy lets only the accountable officer promote.
    status, text = _rest(url, path, "bob", "bob-password", alias)
    assert status == 403, text
    assert "bob (practice_lead) may not move 'champion'" in text
    # alice may; what the client claims to be is ignored.
    status, text = _rest(
        url, path, "alice", "alice-password", alias, headers={"X-CSC-Actor": "mallory"}
    )
    assert status == 200, text
    entries = gate.history("team-auth").entries
    assert [(e.actor, e.decision) for e in entries] == [("bob", "blocked"), ("alice", "passed")]
    assert all(e.via == "server" for e in entries)
    # The governance page is for anyone signed in; nobody else.
    status, _ = _rest(url, "/csc/governance", "carol", "carol-password", {}, method="GET")
    assert status == 200
    status, _ = _rest(url, "/csc/governance", "carol", "wrong", {}, method="GET")
    assert status == 401
    # dave holds no role by name: he is in the MLflow role (group) dpo-team, which gives him
    # EDIT on the model in MLflow and, through `group:dpo-team`, the policy's DPO role.
    status, text = _rest(
        url,
        "/api/3.0/mlflow/roles/create",
        "admin",
        ADMIN_PASSWORD,
        {"workspace": "default", "name": "dpo-team"},
    )
    assert status == 200, text
    role_id = json.loads(text)["role"]["id"]
    for path_, body in (
        (
            "/api/3.0/mlflow/roles/permissions/add",
            {
                "role_id": role_id,
                "resource_type": "registered_model",
                "resource_pattern": "*",
                "permission": "EDIT",
            },
        ),
        ("/api/3.0/mlflow/roles/assign", {"username": "dave", "role_id": role_id}),
    ):
        status, text = _rest(url, path_, "admin", ADMIN_PASSWORD, body)
        assert status == 200, text
    reviewed = {**alias, "alias": "reviewed"}
    status, text = _rest(url, path, "bob", "bob-password", reviewed)
    assert status == 403, text
    assert "may not move 'reviewed': the policy lets data_protection_officer" in text
    status, text = _rest(url, path, "dave", "dave-password", reviewed)
    assert status == 200, text
    last = gate.history("team-auth").entries[-2:]
    assert [(e.actor, e.alias, e.decision) for e in last] == [
        ("bob", "reviewed", "blocked"),
        ("dave", "reviewed", "passed"),
    ]
    # The client's gate.promote goes through the server as the authenticated user too.
    monkeypatch.setenv("CSC_MLFLOW_ACTOR", "mallory")
    decision = gate.promote("team-auth", 1, alias="champion", policy=policy)
    assert decision.passed
    assert gate.history("team-auth").entries[-1].actor == "alice"


def test_the_readme_team_command_is_the_one_tested() -> None:
    """The README's team server command uses the app, extras and settings these tests use."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- team:server -->", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    assert 'pip install "csc-mlflow[postgres,auth,azure]"' in block
    server_line = next(line for line in block.splitlines() if line.startswith("mlflow server"))
    for flag in (
        "--app-name csc-governance-auth",
        "--backend-store-uri postgresql+psycopg://",
        "--artifacts-destination wasbs://",
        "--workers",
    ):
        assert flag in server_line
    for variable in (
        "CSC_MLFLOW_POLICY",
        "MLFLOW_AUTH_CONFIG_PATH",
        "AZURE_STORAGE_CONNECTION_STRING",
    ):
        assert f"export {variable}=" in block
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'csc-governance-auth = "csc_mlflow.gate._server:create_app_with_auth"' in pyproject
