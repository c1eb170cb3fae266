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

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._evidence import sha256_hex

from .conftest import REPO

README = (REPO / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _python_examples() -> list[tuple[str, str | None]]:
    """Every Python block of the README, with the output it says it prints (if it says)."""
    found = re.finditer(
        r"```python\n(?P<code>.*?)```(?:\s*\nprints\s*\n\s*```text\n(?P<out>.*?)```)?",
        README,
        flags=re.S,
    )
    return [(m["code"], m["out"]) for m in found]


def test_every_readme_python_block_runs_and_prints_what_it_says(
    tracking: str, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = _python_examples()
    assert len(examples) == len(_blocks("python")) >= 3
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, (code, expected) in enumerate(examples, 1):
        exec(compile(code, f"README.md python block {number}", "exec"), namespace)
        printed = capsys.readouterr().out
        if expected is not None:
            assert printed == expected, f"README python block {number}"


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
    # After deployment: a stable month passes, a month with placements moved is caught.
    assert "batch 2026-10: monitoring PASSED" in out
    assert "batch 2026-11: monitoring FAILED" in out
    assert "feature 'placement' has drifted from training" in out
    assert "Monitoring: 2 batches" in client.get_model_version("re-referral-risk", "1").description
    if status != "passed":
        assert decision["reasons"], "a status that is not passed must say why"


def test_every_example_file_is_exercised() -> None:
    """The quickstart runs above (the notebook in test_notebook.py); the policy and ethics files
    they use must load and check."""
    files = sorted(
        p.relative_to(REPO / "examples").as_posix()
        for p in (REPO / "examples").rglob("*")
        if p.is_file()
    )
    assert files == [
        "ethics/triage.yaml",
        "ethics/workbook.yaml",
        "governance.yaml",
        "notebook.ipynb",
        "quickstart.py",
    ], "a new example needs a test that runs it"
    from csc_mlflow.ethics import check_ethics

    policy = csc_mlflow.load_policy(REPO / "examples" / "governance.yaml")
    decision = check_ethics(policy)
    assert not [r for r in decision.reasons if "cannot read" in r.message or "unknown" in r.message]
