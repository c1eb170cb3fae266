"""Start and stop a real `mlflow server` on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MlflowServer:
    """A `mlflow server` process with a SQLite store under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        app_name: str | None = None,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        backend_store_uri: str | None = None,
        workers: int = 2,
        artifacts_destination: str | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend_store_uri or f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            artifacts_destination or str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        if app_name:
            command += ["--app-name", app_name]
        command += extra_args or []
        args = extra_args or []
        self.prefix = args[args.index("--static-prefix") + 1] if "--static-prefix" in args else ""
        full_env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
        full_env.pop("MLFLOW_TRACKING_URI", None)
        self.log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=root,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited: {(self.root / 'server.log').read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(
                    f"{self.url}{self.prefix}/health", timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("mlflow server did not start within 90 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
