"""Reading a run's governance back from the tracking store, and checking its seal.

Used by ``csc-mlflow status`` and by the promotion gate: the manifest's SHA-256 must equal
the run tag, every listed record must be present with the listed SHA-256, nothing unlisted
may have been added, and the run's dataset digests must be the ones the manifest sealed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._decision import GovernanceDecision
from csc_mlflow._evidence import DatasetRef, RunEvidence, parse_record, sha256_hex
from csc_mlflow.exceptions import CscMlflowError, EvidenceError, TrackingServerError

__all__ = ["RunGovernance", "get_status"]


@dataclass(frozen=True)
class RunGovernance:
    """A governed run's status as recorded, and what re-reading its evidence found."""

    run_id: str
    status: str
    decision: GovernanceDecision | None
    manifest_sha256: str | None
    evidence: RunEvidence
    problems: tuple[str, ...]

    @property
    def verified(self) -> bool:
        """True when the manifest and every record it lists are intact."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``csc-mlflow status --json``)."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "verified": self.verified,
            "integrity_problems": list(self.problems),
            "manifest_sha256": self.manifest_sha256,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def _client(tracking_uri: str | None) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def get_status(run_id: str, *, tracking_uri: str | None = None) -> RunGovernance:
    """Read ``run_id``'s governance status and verify its manifest against the evidence.

    Raises
    ------
    TrackingServerError
        The tracking store could not be reached or has no such run.
    EvidenceError
        The run is not governed by csc-mlflow.
    """
    client = _client(tracking_uri)
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        uri = tracking_uri or _current_uri()
        raise TrackingServerError(
            f"cannot read run {run_id!r} from the tracking store at {uri}: {_first_line(exc)}. "
            "Check the run id, and that the server is running (or set MLFLOW_TRACKING_URI)."
        ) from exc
    tags = run.data.tags
    if names.STATUS_TAG not in tags:
        raise EvidenceError(
            f"run {run_id} is not governed by csc-mlflow (it has no {names.STATUS_TAG} tag); "
            "start runs with csc_mlflow.governed_run() or a governance.yaml in place"
        )
    files, problems = _download_governance(client, run_id)
    manifest_sha = tags.get(names.MANIFEST_SHA_TAG)
    decision, items = None, []
    manifest_bytes = files.pop(names.MANIFEST_PATH, None)
    if manifest_bytes is None:
        problems.append(f"{names.MANIFEST_PATH} is missing: the evidence was never sealed")
    else:
        if manifest_sha is None:
            problems.append(
                f"the run has no {names.MANIFEST_SHA_TAG} tag to check the manifest against"
            )
        elif sha256_hex(manifest_bytes) != manifest_sha:
            problems.append(
                f"{names.MANIFEST_PATH} does not match the {names.MANIFEST_SHA_TAG} tag: the "
                "manifest or the tag was changed after the run"
            )
        try:
            manifest = json.loads(manifest_bytes)
            payload = manifest["payload"]
            listed = {entry["path"]: entry for entry in payload["items"]}
            decision = GovernanceDecision.from_dict(payload["decision"])
            sealed_datasets = {(d["name"], d["digest"]) for d in payload["datasets"]}
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{names.MANIFEST_PATH} is unreadable ({exc!r})")
            listed, sealed_datasets = {}, set()
        problems.extend(_check_items(files, listed))
        logged = {(d.dataset.name, d.dataset.digest) for d in run.inputs.dataset_inputs}
        for name, digest in sorted(logged - sealed_datasets):
            problems.append(
                f"dataset {name!r} (digest {digest}) was logged but is not in the manifest"
            )
        for name, digest in sorted(sealed_datasets - logged):
            problems.append(
                f"dataset {name!r} (digest {digest}) is in the manifest but not on the run"
            )
    files.pop(names.SIGNATURE_PATH, None)
    for path, data in sorted(files.items()):
        if path == names.REPORT_PATH or not path.endswith(".json"):
            continue
        try:
            items.append(parse_record(path, data))
        except CscMlflowError as exc:
            problems.append(str(exc))
    evidence = RunEvidence(
        run_status=run.info.status,
        items=tuple(items),
        datasets=tuple(
            DatasetRef(d.dataset.name, d.dataset.digest) for d in run.inputs.dataset_inputs
        ),
        policy_sha256=tags.get(names.POLICY_SHA_TAG),
        problems=tuple(problems),
    )
    return RunGovernance(
        run_id=run_id,
        status=tags[names.STATUS_TAG],
        decision=decision,
        manifest_sha256=manifest_sha,
        evidence=evidence,
        problems=tuple(problems),
    )


def _check_items(files: dict[str, bytes], listed: dict[str, Any]) -> list[str]:
    problems = []
    for path, entry in sorted(listed.items()):
        data = files.get(path)
        if data is None:
            problems.append(f"{path} is listed in the manifest but missing from the run")
        elif sha256_hex(data) != entry.get("sha256"):
            problems.append(
                f"{path} was changed after the run: its SHA-256 no longer matches the manifest"
            )
    for path in sorted(set(files) - set(listed) - {names.SIGNATURE_PATH}):
        problems.append(f"{path} is on the run but not in the manifest (added after sealing)")
    return problems


def _download_governance(client: Any, run_id: str) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp, _no_progress_bar():
        try:
            local = Path(client.download_artifacts(run_id, names.ARTIFACT_ROOT, tmp))
        except Exception as exc:  # noqa: BLE001 - any failure here means unverifiable evidence
            problems.append(
                f"cannot download the {names.ARTIFACT_ROOT}/ artefacts: {_first_line(exc)}"
            )
            return files, problems
        for path in sorted(local.rglob("*")):
            if path.is_file():
                files[f"{names.ARTIFACT_ROOT}/{path.relative_to(local).as_posix()}"] = (
                    path.read_bytes()
                )
    return files, problems


@contextmanager
def _no_progress_bar() -> Iterator[None]:
    """MLflow draws a download progress bar on stderr; a status check should not."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _current_uri() -> str:
    import mlflow

    return str(mlflow.get_tracking_uri())
