"""Starting the data-quality worker early, and the framing of its messages.

A training script spends seconds importing and loading data before it logs its first
dataset; the worker (``quality._worker``) needs about as long to import Great Expectations.
When ``import mlflow`` loads the plugin in a folder whose policy names datasets, the worker
is started there and then, so it is ready when the first dataset arrives. This module is
imported during ``import mlflow``: standard library only, and it never raises.

Not started: with ``CSC_MLFLOW_BACKGROUND=0``, without a policy naming datasets, or inside
MLflow's own command-line tools and web servers (``mlflow``, ``gunicorn``, ``uvicorn``,
``waitress-serve``), which log no datasets.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

__all__ = ["background_enabled", "receive", "send", "send_bytes", "spawn_worker", "take_spawned"]

_HEADER = struct.Struct("!Q")
_SERVERS = frozenset({"mlflow", "gunicorn", "uvicorn", "waitress-serve"})
_spawned: subprocess.Popen[bytes] | None = None


def background_enabled() -> bool:
    """Whether logged datasets are validated in the worker (``CSC_MLFLOW_BACKGROUND``)."""
    return os.environ.get("CSC_MLFLOW_BACKGROUND", "1").strip().lower() not in ("0", "false", "no")


def send(stream: IO[bytes], message: Any) -> None:
    """Write one message (a length-prefixed pickle) and flush it."""
    send_bytes(stream, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def send_bytes(stream: IO[bytes], data: bytes) -> None:
    """Write one pickled message, length-prefixed, and flush it."""
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """Read one message; EOFError when the other side has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe mid-message")
    return pickle.loads(data)  # our own process at the other end of our own pipe


def spawn_worker() -> subprocess.Popen[bytes]:
    """A new worker process (``python -m csc_mlflow.quality._worker``) with its two pipes."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.Popen(
        [sys.executable, "-m", "csc_mlflow.quality._worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def take_spawned() -> subprocess.Popen[bytes] | None:
    """The worker started at import, handed over once (None if none, or it has stopped)."""
    global _spawned
    process, _spawned = _spawned, None
    return process if process is not None and process.poll() is None else None


def prewarm_at_import() -> None:
    """Start the worker now if this folder's policy names datasets (never raises)."""
    global _spawned
    try:
        if _spawned is not None or not background_enabled():
            return
        if Path(sys.argv[0] if sys.argv else "").name in _SERVERS:
            return
        given = os.environ.get("CSC_MLFLOW_POLICY")
        path = Path(given).expanduser() if given else Path.cwd() / "governance.yaml"
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return
        if "datasets:" not in path.read_text(encoding="utf-8", errors="replace"):
            return
        process = spawn_worker()
        assert process.stdin is not None
        send(process.stdin, ("warm-policy", str(path.resolve())))
        _spawned = process
    except Exception:  # noqa: BLE001 - the worker is an optimisation: never break the import
        _spawned = None
