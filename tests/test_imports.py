"""Import cost: csc_mlflow and the provider must not drag in Great Expectations or fairlearn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("great_expectations", "fairlearn")

PROBE = """
import json, sys
{statement}
print(json.dumps({{
    "heavy": sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}),
    "provider": "csc_mlflow._hooks._provider" in sys.modules,
}}))
"""


@pytest.mark.parametrize(
    "statement", ["import csc_mlflow", "import mlflow", "import mlflow; import csc_mlflow"]
)
def test_import_loads_neither_great_expectations_nor_fairlearn(statement: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    if statement.startswith("import mlflow"):
        assert result["provider"], "the run-context provider should load with mlflow"


def test_import_mlflow_turns_telemetry_off_unless_the_user_chose() -> None:
    code = "import os, mlflow; from mlflow.telemetry import get_telemetry_client; print(get_telemetry_client() is None, os.environ['MLFLOW_DISABLE_TELEMETRY'])"
    env = {
        k: v
        for k, v in __import__("os").environ.items()
        if k not in ("MLFLOW_DISABLE_TELEMETRY", "CI")
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["True", "true"]
