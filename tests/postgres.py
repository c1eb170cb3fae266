"""Start and stop a real PostgreSQL on 127.0.0.1 (``initdb`` and ``pg_ctl`` on a temporary
folder) for deployment tests; as the ``postgres`` user when the tests run as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .server import free_port

_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for folder in _BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    raise RuntimeError(
        f"PostgreSQL's {name} is not installed: install Debian's 'postgresql' package "
        "(.ci/run does)"
    )


class Postgres:
    """A PostgreSQL cluster in a temporary folder on a free loopback port, with database
    ``mlflow``; removed by :meth:`stop`."""

    def __init__(self) -> None:
        # Its own folder under /tmp: the postgres user must reach it (pytest's are private).
        root = Path(tempfile.mkdtemp(prefix="csc-postgres-"))
        root.chmod(0o755)
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_user:
            shutil.chown(root, "postgres")
        self._run(
            _tool("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._run(
            _tool("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(root / "postgres.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {root} -c fsync=off -c max_connections=200",
            "start",
        )
        self._run(
            _tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "mlflow"
        )

    @property
    def uri(self) -> str:
        """The SQLAlchemy URI MLflow takes (psycopg 3, from the ``postgres`` extra)."""
        return self.uri_for("mlflow")

    def uri_for(self, database: str) -> str:
        """The URI of ``database`` (made by :meth:`create_database`)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, database: str) -> str:
        """A new empty database; its URI."""
        self._run(
            _tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database
        )
        return self.uri_for(database)

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_user, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr or result.stdout}")

    def stop(self) -> None:
        for _ in range(3):
            try:
                self._run(_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
                break
            except RuntimeError:
                time.sleep(1)
        shutil.rmtree(self.root, ignore_errors=True)
