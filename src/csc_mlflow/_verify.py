"""Reading a run's governance back from the tracking store, and checking its seal.

Used by ``csc-mlflow status`` and by the promotion gate: the manifest's SHA-256 must equal
the run tag, every listed record must be present with the listed SHA-256, nothing unlisted
may have been added, and the run's dataset digests must be the ones the manifest sealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    DatasetRef,
    GovernanceDecision,
    ManifestEntry,
    ManifestPayload,
    ModelFacts,
    RunEvidence,
    listed_entries,
    parse_manifest,
    parse_record,
    sha256_hex,
)
from csc_mlflow._runs import RunWriter
from csc_mlflow.exceptions import CscMlflowError, EvidenceError

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
    manifest: ManifestPayload | None = None
    manifest_bytes: bytes | None = field(default=None, repr=False)
    signature: bytes | None = field(default=None, repr=False)

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


def get_status(run_id: str, *, tracking_uri: str | None = None) -> RunGovernance:
    """Read ``run_id``'s governance status and verify its manifest against the evidence.

    Raises
    ------
    TrackingServerError
        The tracking store could not be reached or has no such run.
    EvidenceError
        The run is not governed by csc-mlflow.
    """
    writer = RunWriter(tracking_uri=tracking_uri)
    run = writer.get_run(run_id)
    tags = run.data.tags
    if names.STATUS_TAG not in tags:
        raise EvidenceError(
            f"run {run_id} is not governed by csc-mlflow (it has no {names.STATUS_TAG} tag); "
            "start runs with csc_mlflow.governed_run() or a governance.yaml in place",
            run_id=run_id,
        )
    files, problems = writer.download_governance(run_id)
    manifest_sha = tags.get(names.MANIFEST_SHA_TAG)
    manifest: ManifestPayload | None = None
    manifest_bytes = files.pop(names.MANIFEST_PATH, None)
    signature = files.pop(names.SIGNATURE_PATH, None)
    logged = tuple(
        DatasetRef(name=d.dataset.name, digest=d.dataset.digest) for d in run.inputs.dataset_inputs
    )
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
            manifest = parse_manifest(manifest_bytes)
            entries = manifest.items
        except EvidenceError as exc:
            problems.append(str(exc))
            entries = listed_entries(manifest_bytes)
        problems.extend(_check_items(files, entries))
        problems.extend(_check_datasets(logged, manifest))
    items = []
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
        datasets=logged,
        policy_sha256=tags.get(names.POLICY_SHA_TAG),
        problems=tuple(problems),
        models=tuple(
            ModelFacts(model_id=model_id, files=files_)
            for model_id, files_ in writer.logged_models(run).items()
        ),
    )
    return RunGovernance(
        run_id=run_id,
        status=tags[names.STATUS_TAG],
        decision=manifest.decision if manifest is not None else None,
        manifest_sha256=manifest_sha,
        evidence=evidence,
        problems=tuple(problems),
        manifest=manifest,
        manifest_bytes=manifest_bytes,
        signature=signature,
    )


def _check_items(files: dict[str, bytes], entries: tuple[ManifestEntry, ...]) -> list[str]:
    listed = {e.path: e for e in entries}
    problems = []
    for path, entry in sorted(listed.items()):
        data = files.get(path)
        if data is None:
            problems.append(f"{path} is listed in the manifest but missing from the run")
        elif sha256_hex(data) != entry.sha256:
            problems.append(
                f"{path} was changed after the run: its SHA-256 no longer matches the manifest"
            )
    for path in sorted(set(files) - set(listed)):
        problems.append(f"{path} is on the run but not in the manifest (added after sealing)")
    return problems


def _check_datasets(logged: tuple[DatasetRef, ...], manifest: ManifestPayload | None) -> list[str]:
    sealed = {(d.name, d.digest) for d in manifest.datasets} if manifest is not None else set()
    on_run = {(d.name, d.digest) for d in logged}
    problems = [
        f"dataset {name!r} (digest {digest}) was logged but is not in the manifest"
        for name, digest in sorted(on_run - sealed)
    ]
    problems += [
        f"dataset {name!r} (digest {digest}) is in the manifest but not on the run"
        for name, digest in sorted(sealed - on_run)
    ]
    return problems
