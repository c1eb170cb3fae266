"""Logged datasets validated in the background worker: same evidence, same order, fail closed.

A real worker process (``python -m csc_mlflow.quality._worker``) and a real SQLite store; the
records must equal those written when validating in-process (``CSC_MLFLOW_BACKGROUND=0``),
a worker that dies mid-run loses nothing, a dataset MLflow refuses leaves no record, and a
script that never ends its run is still sealed with every record at exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow import _spawn
from csc_mlflow._evidence import DataQualityPayload
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.quality import _background, validate_data

POLICY = """
version: 1
project: {name: a, owner: b}
datasets:
  header: {suite: ssda903/header@2024-25}
  episodes: {suite: ssda903/episodes@2024-25, block_on: query}
"""


def _records(run_id: str) -> dict[str, dict]:
    status = csc_mlflow.get_status(run_id)
    return {
        p.name: json.loads(p.model_dump_json(exclude={"reasons"}))
        for p in status.evidence.payloads(DataQualityPayload)
    }


def _governed_run(tmp_path: Path, seed: int) -> str:
    (tmp_path / "p.yaml").write_text(POLICY)
    data = make_ssda903(300, seed=seed, defects={"invalid_sex": 7, "dec_before_decom": 6})
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD")
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        mlflow.log_input(mlflow.data.from_pandas(episodes, name="episodes"), context="source")
    return str(run.info.run_id)


def test_the_worker_writes_the_records_validating_here_would(
    tracking: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    background = _governed_run(tmp_path, seed=3)
    assert _background._worker is not None  # it ran in the worker
    monkeypatch.setenv("CSC_MLFLOW_BACKGROUND", "0")
    here = _governed_run(tmp_path, seed=3)
    assert _records(background) == _records(here)
    assert _records(background)["header"]["status"] == "failed"
    assert csc_mlflow.get_status(background).status == csc_mlflow.get_status(here).status


def test_a_worker_that_dies_mid_run_loses_no_evidence(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    data = make_ssda903(200, seed=4, defects={"invalid_sex": 7})
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        assert _background._worker is not None
        _background._worker.process.kill()  # the job it held is validated here instead
        _background._worker.process.wait()
    records = _records(run.info.run_id)
    assert records["header"]["status"] == "failed"
    assert records["header"]["summary"]["rules_failed"] == 1
    assert csc_mlflow.get_status(run.info.run_id).status != "passed"


def test_a_dataset_mlflow_refuses_leaves_no_record(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    data = make_ssda903(200, seed=5)
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        dataset = mlflow.data.from_pandas(data.header, name="header")
        with pytest.raises(mlflow.exceptions.MlflowException):
            mlflow.log_input(dataset, context="x" * 1000)  # MLflow refuses the context
    assert "header" not in _records(run.info.run_id)
    assert csc_mlflow.get_status(run.info.run_id).status == "incomplete"


def test_records_keep_the_order_they_were_made_in(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    clean = make_ssda903(200, seed=6).header
    spoiled = make_ssda903(200, seed=6, defects={"invalid_sex": 7}).header
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(clean, name="header"), context="source")
        validate_data(spoiled, name="header")  # later: its record is the one that stands
    assert _records(run.info.run_id)["header"]["status"] == "failed"


def test_a_frame_that_cannot_be_sent_is_validated_here(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    header = make_ssda903(200, seed=7).header
    header["NOTE"] = [lambda: None] * len(header)  # cannot be pickled to the worker
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
    assert _records(run.info.run_id)["header"]["status"] == "passed"


SCRIPT = """
import mlflow
from csc_mlflow.datasets import make_ssda903
from csc_mlflow import _names as names
from csc_mlflow import _spawn
print("prewarmed", _spawn._spawned is not None, flush=True)
mlflow.set_tracking_uri("sqlite:///mlflow.db")
data = make_ssda903(200, seed=8, defects={"invalid_sex": 7})
mlflow.start_run()
mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
print(mlflow.active_run().info.run_id, flush=True)
# no end_run: MLflow ends the run at exit, and it is sealed with the worker's record
"""


def test_a_script_that_never_ends_its_run_is_sealed_with_its_records(tmp_path: Path) -> None:
    (tmp_path / "governance.yaml").write_text(POLICY)  # found at import: the worker starts
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_MLFLOW", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    out = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.split()
    assert lines[:2] == ["prewarmed", "True"]
    run_id = lines[2]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    tags = client.get_run(run_id).data.tags
    assert tags["csc.dq.header.status"] == "failed"
    assert tags[names.STATUS_TAG] == "failed"


@pytest.mark.parametrize(
    ("policy", "argv0", "setting", "started"),
    [
        (POLICY, "train.py", "1", True),
        (POLICY, "/usr/bin/mlflow", "1", False),  # MLflow's own CLI and servers log no data
        (POLICY, "gunicorn", "1", False),
        (POLICY, "train.py", "0", False),  # switched off
        ("version: 1\nproject: {name: a, owner: b}\n", "train.py", "1", False),  # no datasets
    ],
)
def test_the_worker_is_started_at_import_only_where_it_will_be_used(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    argv0: str,
    setting: str,
    started: bool,
) -> None:
    (tmp_path / "governance.yaml").write_text(policy)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    monkeypatch.setenv("CSC_MLFLOW_BACKGROUND", setting)
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(_spawn, "_spawned", None)
    _spawn.prewarm_at_import()
    process = _spawn.take_spawned()
    try:
        assert (process is not None) is started
    finally:
        if process is not None:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.close()  # the worker ends when its parent closes its input
            assert process.wait(timeout=60) == 0
            process.stdout.close()
