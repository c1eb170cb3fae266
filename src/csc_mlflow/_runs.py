"""The run writer: the one place csc-mlflow talks to MLflow's tracking client.

It finds the active run, writes records and files to a run's ``governance/`` folder in one
upload, writes tags and metrics in one batch, and reads a run and its files back. It is the
only module that constructs an ``MlflowClient``; everything above it (verification, the
registry store, the capabilities, sealing, the hooks, the gate) goes through it.

Records written by this process are remembered per run until the run is sealed
(:func:`forget_run`), so sealing need not download what it just uploaded.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from csc_mlflow import _names as names
from csc_mlflow._evidence import Envelope, ManifestEntry, ModelSeal, canonical_json
from csc_mlflow.exceptions import NoActiveRunError, TrackingServerError

__all__ = [
    "RunWriter",
    "active_run",
    "active_run_id",
    "cached_runs",
    "current_tracking_uri",
    "first_line",
    "forget_run",
    "hash_folder",
    "remembered_records",
    "serve_artifacts_from",
    "tracking_client",
]

# Records this process logged, by run: artefact path -> bytes. Released when the run is
# sealed; bounded for runs that are never sealed (not governed): sealing downloads anything
# it no longer remembers.
_MAX_REMEMBERED_RUNS: Final = 32
_records: OrderedDict[str, dict[str, bytes]] = OrderedDict()
_views_shared: set[tuple[str, str]] = set()  # (store, experiment) given the run-list view
_logger = logging.getLogger("csc_mlflow")


# Inside ``mlflow server`` csc-mlflow reads its own stores directly: proxied artefact URIs
# (``mlflow-artifacts:/...``) are read from the server's artefacts destination.
_served_from: str | None = None


def serve_artifacts_from(destination: str | None) -> None:
    """Read ``mlflow-artifacts:`` URIs from ``destination`` (the server's own store)."""
    global _served_from
    _served_from = destination.rstrip("/") if destination else None


def _resolve_uri(uri: str) -> str:
    if _served_from and uri.startswith("mlflow-artifacts:"):
        from urllib.parse import urlparse

        return f"{_served_from}/{urlparse(uri).path.lstrip('/')}"
    return uri


def tracking_client(tracking_uri: str | None = None, *, registry_uri: str | None = None) -> Any:
    """An ``MlflowClient`` for ``tracking_uri`` (default: MLflow's current tracking URI)."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)


def _hash_file(path: Path) -> tuple[str, int]:
    import hashlib

    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return digest.hexdigest(), path.stat().st_size


def hash_folder(root: Path) -> tuple[ManifestEntry, ...]:
    """Every file under ``root``: its path (relative, POSIX), SHA-256 and size.

    Files are hashed two at a time (hashing releases the GIL), in place: nothing is copied.
    """
    from concurrent.futures import ThreadPoolExecutor

    files = sorted(p for p in root.rglob("*") if p.is_file())
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashed = list(pool.map(_hash_file, files))
    return tuple(
        ManifestEntry(path=p.relative_to(root).as_posix(), sha256=h, size=n, kind="model")
        for p, (h, n) in zip(files, hashed, strict=True)
    )


def _local_folder(uri: str) -> Path | None:
    """The local folder ``uri`` names, when it is one (no download needed)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme == "file":
        candidate = Path(unquote(parsed.path))
    elif parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        candidate = Path(uri)
    else:
        return None
    return candidate if candidate.is_dir() else None


def current_tracking_uri() -> str:
    """MLflow's tracking URI as it stands now."""
    import mlflow

    return str(mlflow.get_tracking_uri())


def active_run() -> Any:
    """The active fluent run, or None."""
    import mlflow

    return mlflow.active_run()


def active_run_id(run_id: str | None, action: str) -> str:
    """``run_id``, or the active run's id; :class:`NoActiveRunError` when there is neither."""
    if run_id is not None:
        return run_id
    active = active_run()
    if active is None:
        raise NoActiveRunError(
            f"no active MLflow run: {action} inside 'with csc_mlflow.governed_run():' "
            "or pass run_id=...",
            key="run_id",
        )
    return str(active.info.run_id)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (MLflow's can run to pages)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def remembered_records(run_id: str) -> dict[str, bytes]:
    """The records this process logged to ``run_id`` and has not yet sealed."""
    return dict(_records.get(run_id, {}))


def forget_run(run_id: str) -> None:
    """Release what this process remembers of ``run_id`` (called when it is sealed)."""
    _records.pop(run_id, None)


def cached_runs() -> tuple[str, ...]:
    """Runs whose records this process still holds (empty once every run is sealed)."""
    return tuple(_records)


@contextmanager
def _no_progress_bar() -> Iterator[None]:
    """MLflow draws a download progress bar on stderr; reading evidence should not.

    Safe across threads: the variable is restored when the last reader finishes.
    """
    global _quiet_readers, _bar_before
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    with _bar_lock:
        if _quiet_readers == 0:
            _bar_before = os.environ.get(key)
            os.environ[key] = "false"
        _quiet_readers += 1
    try:
        yield
    finally:
        with _bar_lock:
            _quiet_readers -= 1
            if _quiet_readers == 0:
                if _bar_before is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = _bar_before


_bar_lock = threading.Lock()
_quiet_readers = 0
_bar_before: str | None = None


class RunWriter:
    """Writes and reads a run's governance through one tracking client.

    Give it the client MLflow handed you (inside a hook), or a tracking URI.
    """

    def __init__(self, client: Any = None, *, tracking_uri: str | None = None) -> None:
        self.client = client if client is not None else tracking_client(tracking_uri)

    @property
    def tracking_uri(self) -> str:
        """Where this writer writes."""
        return str(self.client.tracking_uri)

    # --- reading ---------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Any:
        """The run, or :class:`TrackingServerError` naming it and what to check."""
        try:
            return self.client.get_run(run_id)
        except Exception as exc:
            raise TrackingServerError(
                f"cannot read run {run_id!r} from the tracking store at {self.tracking_uri}: "
                f"{first_line(exc)}. Check the run id, and that the server is running "
                "(or set MLFLOW_TRACKING_URI).",
                run_id=run_id,
            ) from exc

    def governance_files(
        self, run_id: str, *, artifact_uri: str | None = None, skip: frozenset[str] = frozenset()
    ) -> dict[str, bytes]:
        """Every file under the run's ``governance/`` folder but those in ``skip``."""
        repo = self._repository(run_id, artifact_uri)
        found: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp, _no_progress_bar():
            for path in self._list(repo, names.ARTIFACT_ROOT):
                if path not in skip:
                    found[path] = Path(repo.download_artifacts(path, tmp)).read_bytes()
        return found

    def model_files(self, model_id: str) -> tuple[str, ...]:
        """The paths of every file of a logged model (relative to the model's folder)."""
        model = self.client.get_logged_model(model_id)
        repo = self._repository_at(model.artifact_location)
        return tuple(sorted(self._list(repo, None)))

    def logged_models(self, run: Any) -> dict[str, tuple[str, ...]]:
        """Every model the run logged: its id and the paths of its files."""
        return {model_id: self.model_files(model_id) for model_id in self.logged_model_ids(run)}

    @staticmethod
    def logged_model_ids(run: Any) -> tuple[str, ...]:
        """The ids of every model the run logged (from the run's outputs)."""
        outputs = run.outputs.model_outputs if run.outputs else []
        return tuple(dict.fromkeys(o.model_id for o in outputs))

    def logged_model(self, model_id: str) -> Any:
        """The logged model ``model_id`` (MLflow's error if there is none)."""
        return self.client.get_logged_model(model_id)

    def hash_location(self, uri: str) -> tuple[ManifestEntry, ...]:
        """Every file under artefact location ``uri``, hashed (in place when it is local)."""
        resolved = _resolve_uri(uri)
        local = _local_folder(resolved)
        if local is not None:
            return hash_folder(local)
        repo = self._repository_at(uri)
        with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp, _no_progress_bar():
            return hash_folder(Path(repo.download_artifacts("", tmp)))

    def seal_models(self, run: Any) -> tuple[ModelSeal, ...]:
        """Every model the run logged, each with every one of its files hashed."""
        return tuple(
            ModelSeal(
                model_id=model_id,
                files=self.hash_location(self.logged_model(model_id).artifact_location),
            )
            for model_id in self.logged_model_ids(run)
        )

    def version_download_uri(self, model: str, version: str) -> str:
        """Where the registry serves ``model`` version ``version`` from."""
        return str(self.client.get_model_version_download_uri(model, version))

    def download_governance(self, run_id: str) -> tuple[dict[str, bytes], list[str]]:
        """Every file under ``governance/`` in one download, or the problem that stopped it."""
        files: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp, _no_progress_bar():
            try:
                repo = self._repository(run_id, None)
                local = Path(repo.download_artifacts(names.ARTIFACT_ROOT, tmp))
            except Exception as exc:  # noqa: BLE001 - any failure means unverifiable evidence
                return files, [
                    f"cannot download the {names.ARTIFACT_ROOT}/ artefacts: {first_line(exc)}"
                ]
            for path in sorted(local.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(local).as_posix()
                    files[f"{names.ARTIFACT_ROOT}/{relative}"] = path.read_bytes()
        return files, []

    # --- writing ---------------------------------------------------------------------------

    def log_files(
        self, run_id: str, files: Mapping[str, bytes], *, artifact_uri: str | None = None
    ) -> None:
        """Upload ``files`` (artefact path under ``governance/`` -> bytes) in one call."""
        if not files:
            return
        with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp:
            root = Path(tmp)
            for path, data in files.items():
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            repo = self._repository(run_id, artifact_uri)
            repo.log_artifacts(str(root / names.ARTIFACT_ROOT), names.ARTIFACT_ROOT)
        sealed = (names.MANIFEST_PATH, names.SIGNATURE_PATH)
        for path, data in files.items():
            if path not in sealed:
                _records.setdefault(run_id, {})[path] = data
                _records.move_to_end(run_id)
        while len(_records) > _MAX_REMEMBERED_RUNS:
            _records.popitem(last=False)

    def log_record(
        self,
        run_id: str,
        path: str,
        record: Envelope,
        *,
        attachments: Mapping[str, bytes] | None = None,
    ) -> bytes:
        """Write one evidence record (and any files that go with it) now, in one upload."""
        data = canonical_json(record)
        self.log_files(run_id, {**(attachments or {}), path: data})
        return data

    def log_summary(
        self,
        run_id: str,
        *,
        tags: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        model_id: str | None = None,
    ) -> None:
        """Tags and metrics in one batch (metrics also on ``model_id`` when given)."""
        from mlflow.entities import Metric, RunTag
        from mlflow.utils.time import get_current_time_millis

        now = get_current_time_millis()  # type: ignore[no-untyped-call]
        self.client.log_batch(
            run_id,
            metrics=[
                Metric(k, float(v), now, 0, model_id=model_id, run_id=run_id)
                for k, v in sorted((metrics or {}).items())
            ],
            tags=[RunTag(k, v[: names.MAX_TAG_VALUE]) for k, v in sorted((tags or {}).items())],
        )

    def share_runs_view(self, experiment_id: str) -> None:
        """Give the experiment the run-list view with the governance status column (an
        experiment tag MLflow's UI reads as a shared view), once per experiment and process.

        Best effort: a user who may not tag the experiment still has every run sealed.
        """
        key = (str(self.client.tracking_uri), experiment_id)
        if key in _views_shared:
            return
        view = {
            "selectedColumns": list(names.RUNS_VIEW_COLUMNS),
            "columnOrder": list(names.RUNS_VIEW_ORDER),
            "columnWidths": {names.RUNS_VIEW_ORDER[1]: 190},
        }
        try:
            self.client.set_experiment_tag(
                experiment_id, names.RUNS_VIEW_TAG, json.dumps(view, sort_keys=True)
            )
        except Exception as exc:  # noqa: BLE001 - a permission refused: the view is a convenience
            _logger.debug("csc-mlflow: no run-list view on experiment %s: %s", experiment_id, exc)
            return
        _views_shared.add(key)

    def tag_logged_models(self, run: Any, tags: Mapping[str, str]) -> None:
        """Set ``tags`` on every model the run logged."""
        for output in run.outputs.model_outputs if run.outputs else []:
            self.client.set_logged_model_tags(output.model_id, dict(tags))

    # --- helpers ---------------------------------------------------------------------------

    def _repository(self, run_id: str, artifact_uri: str | None) -> Any:
        return self._repository_at(artifact_uri or self.client.get_run(run_id).info.artifact_uri)

    def _repository_at(self, uri: str) -> Any:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        return get_artifact_repository(_resolve_uri(uri), tracking_uri=self.client.tracking_uri)

    def _list(self, repo: Any, folder: str | None) -> list[str]:
        found: list[str] = []
        for info in repo.list_artifacts(folder):
            if info.is_dir:
                found.extend(self._list(repo, info.path))
            else:
                found.append(info.path)
        return found
