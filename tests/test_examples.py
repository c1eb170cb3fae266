"""The README's example code and the quickstart run, and end as they promise."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from csc_mlflow import _names as names
from csc_mlflow._evidence import sha256_hex

from .conftest import REPO

README = (REPO / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_example_prints_what_the_readme_says(
    tracking: str, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _blocks("python")[0]
    expected = _blocks("text")[0]
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == expected


def test_readme_setup_commands_are_the_ones_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    commands = _blocks("bash")[:2]
    assert "examples/quickstart.py" in commands[0]
    assert "pytest" in commands[1]
    assert "setup:quickstart" in ci
    assert "setup:tests" in ci


def test_quickstart_registers_a_model_with_sealed_evidence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert (tmp_path / "mlflow.db").exists()
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    version = client.get_model_version("re-referral-risk", "1")
    run = client.get_run(version.run_id)
    manifest = Path(client.download_artifacts(version.run_id, names.MANIFEST_PATH, str(tmp_path)))
    assert run.data.tags[names.MANIFEST_SHA_TAG] == sha256_hex(manifest.read_bytes())
    status = run.data.tags[names.STATUS_TAG]
    assert status in ("incomplete", "failed", "passed")
    decision = json.loads(manifest.read_bytes())["payload"]["decision"]
    assert decision["status"] == status
    assert f"governance status {status.upper()}" in out
    assert "mlflow ui --backend-store-uri sqlite:///" in out
    if status != "passed":
        assert decision["reasons"], "a status that is not passed must say why"
