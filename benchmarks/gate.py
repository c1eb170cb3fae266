"""Gate speed, side by side in one run, against a real local `mlflow server`.

Prints the time of `csc_mlflow.gate.check` on a version whose model is 50 MB (every model
file downloaded from the registry and re-hashed against the run's manifest) relative to a
bare client doing the same I/O (the version, its run, the run's `governance/` folder and
`models:/<name>/<version>` downloaded), interleaved, median and spread; and the check time
with 10 and with 1,000 model versions in the registry.

Run: python benchmarks/gate.py [--repeat 10] [--megabytes 50]
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
import numpy as np
from benchmarks._timing import median, timed
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier
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
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="csc-gate-bench-"))
    (root / "governance.yaml").write_text(POLICY)
    os.environ["CSC_MLFLOW_POLICY"] = str(root / "governance.yaml")
    server = MlflowServer(root / "server")
    try:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment("bench")
        data = make_ssda903(300, seed=1)
        model = DummyClassifier().fit([[0], [1]], [0, 1])
        model.weights_ = np.random.default_rng(0).random(args.megabytes * (1 << 20) // 8)
        with csc_mlflow.governed_run():
            mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                pip_requirements=["scikit-learn"],
                serialization_format="cloudpickle",
            )
        client = MlflowClient()
        client.create_registered_model("bench")

        def add_versions(total: int) -> None:
            while len(client.search_model_versions("name = 'bench'")) < total:
                client.create_model_version(
                    "bench", info.model_uri, run_id=info.run_id, model_id=info.model_id
                )

        def bare() -> None:
            # The same I/O the check needs, with a bare client: the version, its run, the run's
            # governance/ folder and every model file, downloaded.
            version = client.get_model_version("bench", "1")
            run = client.get_run(str(version.run_id))
            with tempfile.TemporaryDirectory() as tmp:
                client.download_artifacts(run.info.run_id, "governance", tmp)
                mlflow.artifacts.download_artifacts(artifact_uri="models:/bench/1", dst_path=tmp)

        def ours() -> None:
            decision = check("bench", "1", "staging")
            assert decision.passed, decision.reasons

        add_versions(10)
        ours()
        size = sum(
            f.stat().st_size
            for f in Path(mlflow.artifacts.download_artifacts("models:/bench/1")).rglob("*")
        )
        bare_times, check_times = [], []
        for _ in range(args.repeat):  # interleaved
            bare_times.append(timed(bare, 1))
            check_times.append(timed(ours, 1))
        t_bare, t_check_10 = median(bare_times), median(check_times)
        add_versions(1000)
        t_check_1000 = timed(ours, args.repeat, pick=median)
    finally:
        server.stop()
    print(f"model version of {size / (1 << 20):.1f} MB, median of {args.repeat}")
    print(
        f"bare client (version, run, governance/ and model downloaded) {t_bare * 1000:7.1f} ms "
        f"({min(bare_times) * 1000:.0f}-{max(bare_times) * 1000:.0f})   gate.check (the same "
        f"+ re-hash + verify + judge) {t_check_10 * 1000:7.1f} ms "
        f"({min(check_times) * 1000:.0f}-{max(check_times) * 1000:.0f})   "
        f"ratio {t_check_10 / t_bare:.2f}  (target <= 1.3)"
    )
    print(
        f"gate.check with 10 versions {t_check_10 * 1000:7.1f} ms   with 1,000 versions "
        f"{t_check_1000 * 1000:7.1f} ms   ratio {t_check_1000 / t_check_10:.2f}  (flat is ~1.0)"
    )


if __name__ == "__main__":
    main()
