"""What governance costs a realistic training run, as a whole cold process and warm.

The training script (printed with ``--show``) is quickstart-sized: a synthetic SSDA903 return
of 20,000 children, the Header and Episodes tables logged with ``mlflow.log_input`` (each
validated against its DfE suite when governed), a logistic regression, a logged and registered
model. Both sides run the very same script file on their own SQLite store:

- plain: the working folder has no ``governance.yaml`` (csc-mlflow installed, doing nothing);
- governed: the folder has one naming both datasets' suites (data quality at ``log_input``,
  the run sealed at its end: records, report, manifest with the model's files hashed, tags,
  the registered version's summary).

Cold: ``python train.py`` as a new process each time (interpreter start, imports, data
generation and the run; the stores are created before the timer). Warm: the training
function called again in one long-lived process per side. Interleaved, median and spread of
``--repeat`` runs each.

Run: python benchmarks/realistic_run.py [--children 20000] [--repeat 3] [--show]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

TRAIN = textwrap.dedent(
    '''
    """A quickstart-sized training run (the benchmark's script)."""
    import os
    import sys
    import time

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    started = time.perf_counter()

    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    from csc_mlflow.datasets import make_ssda903

    FEATURES = ["n_episodes", "n_moves", "age_at_entry", "UASC"]
    CHILDREN = int(sys.argv[1])


    def train():
        data = make_ssda903(CHILDREN, seed=7, collection_year="2024-25")
        frame = data.modelling_frame().astype({c: float for c in FEATURES})
        episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
        with mlflow.start_run():
            mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
            mlflow.log_input(mlflow.data.from_pandas(episodes, name="episodes"), context="source")
            model = LogisticRegression(max_iter=500).fit(frame[FEATURES], frame["re_referral"])
            mlflow.log_metric("accuracy", model.score(frame[FEATURES], frame["re_referral"]))
            signature = infer_signature(frame[FEATURES], model.predict(frame[FEATURES]))
            mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name="bench",
                signature=signature,
                pip_requirements=["scikit-learn", "pandas"],
            )


    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("bench")
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        start = time.perf_counter()
        train()
        print("run", time.perf_counter() - start, flush=True)
    print("process", time.perf_counter() - started, flush=True)
    '''
)

POLICY = """version: 1
project: {name: bench, owner: bench}
datasets:
  header: {suite: ssda903/header@2024-25}
  episodes: {suite: ssda903/episodes@2024-25}
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_MLFLOW")}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", GX_ANALYTICS_ENABLED="False")
    return env


def _run(folder: Path, children: int, runs: int = 1) -> tuple[float, list[float]]:
    """Wall time of ``python train.py`` in ``folder``, and the script's own run times."""
    import time

    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "train.py", str(children), str(runs)],
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"the training script failed in {folder}:\n{out.stderr[-3000:]}")
    times = [float(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("run ")]
    return wall, times


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (range {min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show", action="store_true", help="print the training script")
    args = parser.parse_args()
    if args.show:
        print(TRAIN)
        return
    root = Path(tempfile.mkdtemp(prefix="csc-realistic-"))
    plain, governed = root / "plain", root / "governed"
    for folder in (plain, governed):
        folder.mkdir()
        (folder / "train.py").write_text(TRAIN)
    (governed / "governance.yaml").write_text(POLICY)
    for folder in (plain, governed):  # the stores (and their schema) exist before the timer
        _run(folder, 200)

    cold: dict[str, list[float]] = {"plain": [], "governed": []}
    for _ in range(args.repeat):
        cold["plain"].append(_run(plain, args.children)[0])
        cold["governed"].append(_run(governed, args.children)[0])
    warm: dict[str, list[float]] = {"plain": [], "governed": []}
    for _ in range(args.repeat):  # one process per side, its first run a warm-up
        warm["plain"].append(statistics.median(_run(plain, args.children, 3)[1][1:]))
        warm["governed"].append(statistics.median(_run(governed, args.children, 3)[1][1:]))

    print(
        f"training script: {args.children:,} children, header + episodes logged with their "
        "suites, logistic regression, logged and registered model (--show prints it)"
    )
    for label, times, target in (("cold process", cold, 1.10), ("warm run", warm, 1.20)):
        ratio = statistics.median(times["governed"]) / statistics.median(times["plain"])
        print(
            f"{label:13} plain {_spread(times['plain'])}   governed {_spread(times['governed'])}"
            f"   ratio {ratio:.2f}  (target <= {target:.2f})"
        )


if __name__ == "__main__":
    main()
