"""Gate speed, side by side in one run, against a real local `mlflow server`.

Prints the time of `csc_mlflow.gate.check` relative to the bare calls any check needs (one
`get_model_version` plus downloading the manifest), and the check time with 10 and with 1,000
model versions in the registry.

Run: python benchmarks/gate.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlflow
from benchmarks._timing import median, timed
from mlflow import MlflowClient
from tests.server import MlflowServer

import csc_mlflow
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.gate import check

POLICY = """version: 1
project: {name: bench, owner: bench}
datasets: {header: {suite: ssda903/header@2024-25}}
gate: {staging: {require: [data_quality]}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="csc-gate-bench-"))
    (root / "governance.yaml").write_text(POLICY)
    os.environ["CSC_MLFLOW_POLICY"] = str(root / "governance.yaml")
    server = MlflowServer(root / "server")
    try:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment("bench")
        data = make_ssda903(300, seed=1)
        with csc_mlflow.governed_run() as run:
            mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        client = MlflowClient()
        client.create_registered_model("bench")
        source = f"runs:/{run.info.run_id}/model"

        def add_versions(total: int) -> None:
            while len(client.search_model_versions("name = 'bench'")) < total:
                client.create_model_version("bench", source, run_id=run.info.run_id)

        def bare() -> None:
            version = client.get_model_version("bench", "1")
            with tempfile.TemporaryDirectory() as tmp:
                client.download_artifacts(version.run_id, "governance/manifest.json", tmp)

        def ours() -> None:
            decision = check("bench", "1", "staging")
            assert decision.passed, decision.reasons

        add_versions(10)
        ours()
        t_bare, t_check_10 = (
            timed(bare, args.repeat, pick=median),
            timed(ours, args.repeat, pick=median),
        )
        add_versions(1000)
        t_check_1000 = timed(ours, args.repeat, pick=median)
    finally:
        server.stop()
    print(
        f"bare get_model_version + manifest download {t_bare * 1000:7.1f} ms   gate.check "
        f"{t_check_10 * 1000:7.1f} ms   ratio {t_check_10 / t_bare:.2f}  (target <= 3)"
    )
    print(
        f"gate.check with 10 versions {t_check_10 * 1000:7.1f} ms   with 1,000 versions "
        f"{t_check_1000 * 1000:7.1f} ms   ratio {t_check_1000 / t_check_10:.2f}  (flat is ~1.0)"
    )


if __name__ == "__main__":
    main()
