"""What csc-mlflow costs an MLflow user, measured side by side in one run.

1. ``start_run`` + ``end_run`` on a SQLite store: with the plugin active and a policy present
   (tags at start; evidence, manifest and status at the end) against plain MLflow (our
   provider taken out of MLflow's registry, no run-end wrapper). Interleaved, median.
2. ``import mlflow`` in a fresh interpreter: with csc-mlflow's entry points visible against
   the same interpreter with them hidden (both pay the same filtering shim). Interleaved, median.

Run: python benchmarks/hook_overhead.py [--runs 40] [--imports 9]
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

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow
from mlflow.tracking.context.registry import _run_context_provider_registry

from csc_mlflow._hooks._provider import CscRunContextProvider
from csc_mlflow._hooks._run_end import install_hooks, uninstall_hooks

POLICY = "version: 1\nproject: {name: bench, owner: bench}\n"

IMPORT_SHIM = """
import importlib.metadata as m, time
_eps = m.entry_points
def entry_points(**kw):
    found = _eps(**kw)
    hide = {hide}
    return m.EntryPoints([e for e in found if not (hide and e.value.startswith("csc_mlflow"))])
m.entry_points = entry_points
t = time.perf_counter()
import mlflow
print(time.perf_counter() - t)
"""


def _providers(active: bool) -> None:
    registry = _run_context_provider_registry._registry
    ours = [p for p in registry if isinstance(p, CscRunContextProvider)]
    if active and not ours:
        registry.append(CscRunContextProvider())
    if not active:
        for provider in ours:
            registry.remove(provider)


def _one_run() -> float:
    start = time.perf_counter()
    mlflow.start_run()
    mlflow.end_run()
    return time.perf_counter() - start


def bench_runs(n: int) -> tuple[float, float]:
    root = Path(tempfile.mkdtemp(prefix="csc-bench-"))
    governed_dir, plain_dir = root / "governed", root / "plain"
    governed_dir.mkdir()
    plain_dir.mkdir()
    (governed_dir / "governance.yaml").write_text(POLICY)
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    plain, governed = [], []
    for i in range(n + 3):
        os.chdir(plain_dir)
        _providers(active=False)
        uninstall_hooks()
        t_plain = _one_run()
        os.chdir(governed_dir)
        _providers(active=True)
        install_hooks()
        t_gov = _one_run()
        if i >= 3:  # warm-up
            plain.append(t_plain)
            governed.append(t_gov)
    return statistics.median(plain), statistics.median(governed)


def _import_time(hide: bool) -> float:
    code = IMPORT_SHIM.format(hide=hide)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_import(n: int) -> tuple[float, float]:
    without, with_ = [], []
    for _ in range(n):
        without.append(_import_time(hide=True))
        with_.append(_import_time(hide=False))
    return statistics.median(without), statistics.median(with_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--imports", type=int, default=9)
    args = parser.parse_args()
    plain, governed = bench_runs(args.runs)
    print(
        f"start_run+end_run  plain MLflow {plain * 1000:8.1f} ms   with csc-mlflow + policy "
        f"{governed * 1000:8.1f} ms   ratio {governed / plain:.2f}  (target <= 1.5)"
    )
    without, with_ = bench_import(args.imports)
    print(
        f"import mlflow      without pkg  {without * 1000:8.1f} ms   with csc-mlflow installed "
        f"{with_ * 1000:8.1f} ms   ratio {with_ / without:.2f}  (target <= 1.05)"
    )


if __name__ == "__main__":
    main()
