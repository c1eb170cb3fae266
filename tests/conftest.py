"""Shared fixtures: a real MLflow tracking store (SQLite) in a temporary folder per test."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # Spark local mode binds to loopback only

import mlflow
import pytest

from csc_mlflow._hooks._run_end import uninstall_hooks
from csc_mlflow._resolve import clear_policy_cache
from csc_mlflow._runs import cached_runs, forget_run
from csc_mlflow._sealing import forget_sealed
from csc_mlflow._state import STATE

REPO = Path(__file__).resolve().parents[1]

MINIMAL_POLICY = textwrap.dedent(
    """\
    version: 1
    project: {name: test-project, owner: Test Data Team}
    """
)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite store, copied for each test (migrations take about a second)."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "mlflow.db"
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    SqlAlchemyStore(f"sqlite:///{db}", str(folder / "artifacts"))
    return db


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _template_db: Path) -> Iterator[str]:
    """A fresh SQLite tracking store in tmp_path, the working folder set to tmp_path."""
    db = tmp_path / "mlflow.db"
    shutil.copy(_template_db, db)
    uri = f"sqlite:///{db}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("tests", artifact_location=(tmp_path / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    _reset_state()


@pytest.fixture(autouse=True)
def _audit_every_fairness_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disclosure attacker reads every fairness record any test writes to a run."""
    from csc_mlflow._runs import RunWriter

    from .disclosure_audit import monitoring_recoveries, recoveries

    original = RunWriter.log_record

    def audited(self: RunWriter, run_id: str, path: str, record: Any, **kw: Any) -> bytes:
        if record.kind == "csc.fairness":
            found = recoveries(record.payload.to_json())
            assert found == [], f"{path}: the disclosure audit recovered {found}"
        if record.kind in ("csc.reference_profile", "csc.monitoring"):
            found = monitoring_recoveries(record.kind, record.payload.to_json())
            assert found == [], f"{path}: the disclosure audit recovered {found}"
        return original(self, run_id, path, record, **kw)

    monkeypatch.setattr(RunWriter, "log_record", audited)


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    _reset_state()
    yield
    _reset_state()


def _reset_state() -> None:
    STATE.autolog_policy = None
    STATE.policy_stack.clear()
    STATE.disabled = False
    uninstall_hooks()
    forget_sealed()
    for run_id in cached_runs():
        forget_run(run_id)
    clear_policy_cache()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """A minimal valid governance.yaml in the working folder."""
    path = tmp_path / "governance.yaml"
    path.write_text(MINIMAL_POLICY)
    return path
