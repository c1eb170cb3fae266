"""CLI wall time, side by side in one run: `status`, `report`, `atrs` and `gate check` against
a bare `python -c "import mlflow"`, on the quickstart's store.

Runs the quickstart in a scratch folder (its SQLite store, run and registered version), then
times each command as a fresh process, interleaved with the baselines, `--repeat` rounds,
median and range. Two stores: the quickstart's SQLite file (every command then loads MLflow's
SQL store, which the baseline does not: `import mlflow.store.tracking.sqlalchemy_store` is
shown as a second baseline) and a real `mlflow server` on 127.0.0.1 over that file.

Run: python benchmarks/cli_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from tests.server import MlflowServer  # noqa: E402

PYTHON = sys.executable
POLICY = str(REPO / "examples" / "governance.yaml")


def wall(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def quickstart(folder: Path) -> str:
    done = subprocess.run(
        [PYTHON, str(REPO / "examples" / "quickstart.py")],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("run "))
    return line.split()[1].rstrip(":")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    folder = Path(tempfile.mkdtemp(prefix="csc-cli-bench-"))
    run_id = quickstart(folder)
    out = folder / "out"
    cli = [PYTHON, "-m", "csc_mlflow._cli"]
    commands = {
        "status": [*cli, "status", run_id],
        "report": [*cli, "report", run_id, "-o", str(out / "report.html")],
        "atrs": [
            *cli,
            "atrs",
            "re-referral-risk",
            "1",
            "-o",
            str(out / "atrs.md"),
            "--policy",
            POLICY,
        ],
        "gate check": [*cli, "gate", "check", "re-referral-risk", "1", "--alias", "staging"]
        + ["--policy", POLICY],
    }
    out.mkdir()
    same_reads = (
        "import mlflow, tempfile; c = mlflow.MlflowClient(); "
        f"c.get_run({run_id!r}); "
        f"c.download_artifacts({run_id!r}, 'governance', tempfile.mkdtemp())"
    )
    baselines = {
        'python -c "import mlflow"': [PYTHON, "-c", "import mlflow"],
        "import MLflow's SQL store": [
            PYTHON,
            "-c",
            "import mlflow.store.tracking.sqlalchemy_store",
        ],
        "MLflow client, status's reads": [PYTHON, "-c", same_reads],
    }
    server = MlflowServer(folder)  # its backend is the quickstart's mlflow.db
    try:
        stores = {"SQLite file": f"sqlite:///{folder / 'mlflow.db'}", "mlflow server": server.url}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(repeat):
            for store, uri in stores.items():
                env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
                for name, args in {**baselines, **commands}.items():
                    if store != "SQLite file" and name in list(baselines)[:2]:
                        continue
                    times.setdefault((store, name), []).append(wall(args, env))
    finally:
        server.stop()
    base = statistics.median(times[("SQLite file", 'python -c "import mlflow"')])
    floor = statistics.median(times[("SQLite file", "import MLflow's SQL store")])
    print(f"{'store':<14} {'command':<30} {'median s':>9} {'range s':>13} {'x import mlflow':>16}")
    for (store, name), found in times.items():
        middle = statistics.median(found)
        spread = f"{min(found):.2f}-{max(found):.2f}"
        print(f"{store:<14} {name:<30} {middle:>9.2f} {spread:>13} {middle / base:>16.2f}")
    print(
        f"target: each command within 1.3x of a bare import ({1.3 * base:.2f} s). MLflow's SQL "
        f"store alone is {floor / base:.2f}x: on a SQLite file no command that reads it can be "
        "faster than that."
    )


if __name__ == "__main__":
    main()
