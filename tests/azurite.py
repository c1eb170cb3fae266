"""Start and stop Azurite, Microsoft's Azure Storage emulator (from the npm registry), on a
free loopback port, for tests of artefacts kept in Azure Blob storage."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .server import free_port

ACCOUNT = "devstoreaccount1"
KEY = (  # Azurite's well-known development key (public, in Microsoft's documentation)
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
CACHE = Path(
    os.environ.get("CSC_MLFLOW_AZURITE", Path.home() / ".cache" / "csc-mlflow" / "azurite")
)


def azurite_blob() -> str:
    """The ``azurite-blob`` program: on the PATH, or installed once with npm into the cache
    (``.ci/run`` installs it there beforehand)."""
    found = shutil.which("azurite-blob") or CACHE / "node_modules" / ".bin" / "azurite-blob"
    if Path(found).exists():
        return str(found)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("Azurite needs Node.js and npm: install Debian's 'npm' (.ci/run does)")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "azurite@3"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return str(CACHE / "node_modules" / ".bin" / "azurite-blob")


class Azurite:
    """Azurite's blob service on 127.0.0.1, with one container; removed by :meth:`stop`."""

    def __init__(self, container: str = "artifacts") -> None:
        self.root = Path(tempfile.mkdtemp(prefix="csc-azurite-"))
        self.port = free_port()
        self.container = container
        self.log = open(self.root / "azurite.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                azurite_blob(),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--location",
                str(self.root / "data"),
                "--skipApiVersionCheck",
                "--loose",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait()
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(self.connection_string).create_container(container)

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};"
        )

    @property
    def artifacts_uri(self) -> str:
        """Where MLflow keeps artefacts in this container (``wasbs://``)."""
        return f"wasbs://{self.container}@{ACCOUNT}.blob.core.windows.net/mlflow"

    def blob_names(self) -> list[str]:
        from azure.storage.blob import BlobServiceClient

        client = BlobServiceClient.from_connection_string(self.connection_string)
        return [b.name for b in client.get_container_client(self.container).list_blobs()]

    def _wait(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"azurite exited: {(self.root / 'azurite.log').read_text()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers (an anonymous request to the root is refused)
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("azurite did not start within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)
