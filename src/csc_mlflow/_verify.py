"""The one verification of a run's seal, used by ``status``, the gate, the server app, the
reconciler and the audit.

What it checks, every time:

- the manifest's SHA-256 against the run tag, and the run id the manifest names against the
  run (a manifest copied from another run is refused);
- every record the manifest lists (present, same SHA-256, nothing unlisted added), the run's
  dataset digests, and the models the run logged (each file of each model re-hashed when
  asked);
- the signature, when the policy requires one;
- the tags against the seal: the status, the policy hash and the MLflow status the run was
  sealed with are read from the manifest, and a tag or status changed since is a problem.

Tags are hints for the UI; what is decided comes from the seal. :func:`verify_version`
adds what the registry serves: the version's source must resolve to a model of its run, and
its files must hash to that model's sealed files.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    DatasetRef,
    GovernanceDecision,
    ManifestEntry,
    ManifestPayload,
    ModelFacts,
    ModelSeal,
    RunEvidence,
    listed_entries,
    parse_manifest,
    parse_record,
    sha256_hex,
)
from csc_mlflow._policy import Policy
from csc_mlflow._runs import RunWriter, first_line
from csc_mlflow._signing import verify
from csc_mlflow.exceptions import CscMlflowError, EvidenceError

__all__ = ["RunGovernance", "get_status", "served_files", "verify_run", "verify_version"]


@dataclass(frozen=True)
class RunGovernance:
    """A governed run's sealed status, and what re-reading its evidence found.

    ``status`` comes from the seal, never from a tag: ``incomplete`` when the run was never
    sealed, ``failed`` when anything in the seal does not verify, else the sealed decision.
    """

    run_id: str
    status: str
    decision: GovernanceDecision | None
    manifest_sha256: str | None
    evidence: RunEvidence
    problems: tuple[str, ...]
    manifest: ManifestPayload | None = None
    manifest_bytes: bytes | None = field(default=None, repr=False)
    signature: bytes | None = field(default=None, repr=False)
    tag_status: str | None = None
    sealed_policy_sha256: str | None = None
    signature_checked: bool = False
    sealed_report: bytes | None = field(default=None, repr=False)
    """The report the run was sealed with, when its bytes match the manifest's hash."""
    sealed_policy: bytes | None = field(default=None, repr=False)
    """The policy the run was sealed under (its content), when it matches the manifest."""

    @property
    def verified(self) -> bool:
        """True when the manifest and everything it seals are intact."""
        return not self.problems

    def __repr__(self) -> str:
        reasons = len(self.decision.reasons) if self.decision else 0
        return (
            f"RunGovernance(run_id={self.run_id!r}, status={self.status!r}, "
            f"verified={self.verified}, reasons={reasons}, problems={len(self.problems)})"
        )

    def _repr_html_(self) -> str:
        """The sealed status, whether the seal verifies, and every reason (notebooks)."""
        from csc_mlflow._notebook import card

        lines = [str(r) for r in (self.decision.reasons if self.decision else ())]
        if self.verified:
            lines.append(f"evidence verified against manifest {self.manifest_sha256}")
        else:
            lines += [f"NOT VERIFIED: {p}" for p in self.problems]
        return card(f"Governance of run {self.run_id}", self.status, lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``csc-mlflow status --json``)."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "verified": self.verified,
            "integrity_problems": list(self.problems),
            "manifest_sha256": self.manifest_sha256,
            "sealed_policy_sha256": self.sealed_policy_sha256,
            "signature_checked": self.signature_checked,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def get_status(
    run_id: str,
    *,
    tracking_uri: str | None = None,
    policy: Policy | None = None,
    hash_models: bool = True,
) -> RunGovernance:
    """Read ``run_id``'s sealed governance and verify everything the seal covers.

    ``policy`` says whether a signature is required (default: the policy in force, if one is
    found). ``hash_models=False`` checks which models are sealed but not their files (the gate
    re-hashes the registered version's files instead).

    Raises
    ------
    TrackingServerError
        The tracking store could not be reached or has no such run.
    EvidenceError
        The run is not governed by csc-mlflow.
    """
    return verify_run(
        RunWriter(tracking_uri=tracking_uri),
        run_id,
        policy=policy if policy is not None else _policy_in_force(),
        hash_models=hash_models,
    )


def _policy_in_force() -> Policy | None:
    from csc_mlflow._resolve import active_policy

    try:
        return active_policy()
    except CscMlflowError:
        return None


def verify_run(
    writer: RunWriter, run_id: str, *, policy: Policy | None, hash_models: bool = True
) -> RunGovernance:
    """:func:`get_status` through a given run writer (the server app passes its own)."""
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
    model_ids = writer.logged_model_ids(run)
    if manifest_bytes is None:
        problems.append(f"{names.MANIFEST_PATH} is missing: the evidence was never sealed")
    else:
        problems.extend(_check_manifest_tag(manifest_bytes, manifest_sha))
        try:
            manifest = parse_manifest(manifest_bytes)
            entries = manifest.items
        except EvidenceError as exc:
            problems.append(str(exc))
            entries = listed_entries(manifest_bytes)
        problems.extend(_check_items(files, entries))
        problems.extend(_check_datasets(logged, manifest))
    if manifest is not None:
        problems.extend(_check_against_run(manifest, run, tags))
        problems.extend(_check_models(writer, manifest.models, model_ids, hash_models))
    signature_checked = False
    if policy is not None and policy.signing is not None and policy.signing.required:
        signature_checked = True
        problem = _signature_problem(policy, manifest_bytes, signature)
        if problem:
            problems.append(problem)
    items = []
    for path, data in sorted(files.items()):
        if path in names.SEALED_ATTACHMENTS or not path.endswith(".json"):
            continue
        try:
            items.append(parse_record(path, data))
        except CscMlflowError as exc:
            problems.append(str(exc))
    sealed_policy = manifest.policy_sha256 if manifest is not None else None
    listed = {e.path: e.sha256 for e in manifest.items} if manifest is not None else {}
    report = _as_sealed(files, listed, names.REPORT_PATH)
    snapshot = _as_sealed(files, listed, names.POLICY_PATH)
    evidence = RunEvidence(
        # The seal's MLflow status and policy hash, never the live status or the tag.
        run_status=manifest.run.mlflow_status if manifest is not None else run.info.status,
        items=tuple(items),
        datasets=logged,
        policy_sha256=sealed_policy,
        stage=manifest.run.stage if manifest is not None else None,
        purpose=manifest.run.purpose if manifest is not None else None,
        problems=tuple(problems),
        models=tuple(
            ModelFacts(model_id=m.model_id, files=tuple(f.path for f in m.files))
            for m in (manifest.models if manifest is not None else ())
        )
        or tuple(ModelFacts(model_id=i) for i in model_ids),
    )
    if manifest is None:
        status = "pending" if run.info.status == "RUNNING" else "incomplete"
    elif problems:
        status = "failed"
    else:
        status = manifest.decision.status
    return RunGovernance(
        run_id=run_id,
        status=status,
        decision=manifest.decision if manifest is not None else None,
        manifest_sha256=manifest_sha,
        evidence=evidence,
        problems=tuple(problems),
        manifest=manifest,
        manifest_bytes=manifest_bytes,
        signature=signature,
        tag_status=tags.get(names.STATUS_TAG),
        sealed_policy_sha256=sealed_policy,
        signature_checked=signature_checked,
        sealed_report=report,
        sealed_policy=snapshot,
    )


def _as_sealed(files: dict[str, bytes], listed: dict[str, str], path: str) -> bytes | None:
    """The bytes of ``path`` when the manifest lists them with this hash, else None."""
    data = files.get(path)
    return data if data is not None and listed.get(path) == sha256_hex(data) else None


def served_files(writer: RunWriter, model_version: Any) -> tuple[ManifestEntry, ...]:
    """Every file the registry serves for ``model_version``, hashed."""
    name, version = model_version.name, str(model_version.version)
    return writer.hash_location(writer.version_download_uri(name, version))


def verify_version(
    writer: RunWriter,
    model_version: Any,
    governance: RunGovernance,
    *,
    served: Future[tuple[ManifestEntry, ...]] | None = None,
) -> list[str]:
    """Problems with what the registry serves for ``model_version``, given its run's seal.

    The version's source must name a model the run logged and sealed (or, for a plain
    artefact URI, hash to one), and every file the registry serves for the version must hash
    to that model's sealed files: nothing added, removed or changed.
    """
    name, version = model_version.name, str(model_version.version)
    where = f"{name} version {version}"
    manifest = governance.manifest
    if manifest is None:
        return [f"{where}: its run's seal cannot be read, so its model cannot be checked"]
    sealed = {m.model_id: m for m in manifest.models}
    if not sealed:
        return [
            f"{where}: the run's manifest seals no model, so the files the registry serves "
            "cannot be checked; log the model inside the governed run"
        ]
    source = str(model_version.source or "")
    claimed = _model_id_of(source)
    problems: list[str] = []
    if claimed is not None:
        if claimed not in sealed:
            return [
                f"{where}: its source {source} is not a model its run "
                f"{governance.run_id} logged and sealed; register the model the run logged"
            ]
        try:
            owner = writer.logged_model(claimed).source_run_id
        except Exception as exc:  # noqa: BLE001 - an unreadable model cannot be trusted
            return [f"{where}: cannot read logged model {claimed} ({first_line(exc)})"]
        if owner != governance.run_id:
            return [
                f"{where}: logged model {claimed} belongs to run {owner}, not to the version's run"
            ]
    try:
        found = served.result() if served is not None else served_files(writer, model_version)
    except Exception as exc:  # noqa: BLE001 - files that cannot be read cannot be trusted
        return [f"{where}: cannot read the files the registry serves ({first_line(exc)})"]
    candidates = [sealed[claimed]] if claimed is not None else list(sealed.values())
    differences = [_differences(seal, found) for seal in candidates]
    if not any(d == [] for d in differences):
        if claimed is not None:
            problems.extend(f"{where}: {d}" for d in differences[0])
        else:
            problems.append(
                f"{where}: the files the registry serves (source {source}) are not any model "
                "its run logged and sealed"
            )
    return problems


def _model_id_of(source: str) -> str | None:
    """``m-...`` for a source ``models:/m-...`` (a logged model), else None."""
    if source.startswith("models:/"):
        rest = source.removeprefix("models:/").strip("/")
        if rest.startswith("m-") and "/" not in rest:
            return rest
    return None


def _differences(seal: ModelSeal, served: tuple[ManifestEntry, ...]) -> list[str]:
    sealed = seal.digests()
    found = {e.path: e.sha256 for e in served}
    out = [f"model file {p} is sealed but not served" for p in sorted(set(sealed) - set(found))]
    out += [
        f"model file {p} is served but was not sealed (added after the run)"
        for p in sorted(set(found) - set(sealed))
    ]
    out += [
        f"model file {p} was changed after the run: its SHA-256 no longer matches the manifest"
        for p in sorted(set(sealed) & set(found))
        if sealed[p] != found[p]
    ]
    return out


def _check_manifest_tag(manifest_bytes: bytes, manifest_sha: str | None) -> list[str]:
    if manifest_sha is None:
        return [f"the run has no {names.MANIFEST_SHA_TAG} tag to check the manifest against"]
    if sha256_hex(manifest_bytes) != manifest_sha:
        return [
            f"{names.MANIFEST_PATH} does not match the {names.MANIFEST_SHA_TAG} tag: the "
            "manifest or the tag was changed after the run"
        ]
    return []


def _check_against_run(manifest: ManifestPayload, run: Any, tags: dict[str, str]) -> list[str]:
    """The manifest belongs to this run, and the tags and status still say what it sealed."""
    run_id = run.info.run_id
    if manifest.run.run_id != run_id:
        return [
            f"{names.MANIFEST_PATH} seals run {manifest.run.run_id}, not this run ({run_id}): "
            "evidence was copied from another run"
        ]
    problems = []
    sealed_status = manifest.decision.status
    if tags.get(names.STATUS_TAG) not in (sealed_status, None):
        problems.append(
            f"the {names.STATUS_TAG} tag says {tags[names.STATUS_TAG]!r} but the run was sealed "
            f"{sealed_status!r}: the tag was changed after the run"
        )
    if tags.get(names.POLICY_SHA_TAG) != manifest.policy_sha256:
        problems.append(
            f"the {names.POLICY_SHA_TAG} tag no longer matches the policy hash the run was "
            "sealed under: the tag was changed after the run"
        )
    if manifest.run.stage is not None and tags.get(names.STAGE_TAG) != manifest.run.stage:
        problems.append(
            f"the {names.STAGE_TAG} tag says {tags.get(names.STAGE_TAG)!r} but the run was "
            f"sealed at stage {manifest.run.stage!r}: the tag was changed after the run"
        )
    if tags.get(names.PURPOSE_TAG) != manifest.run.purpose:
        problems.append(
            f"the {names.PURPOSE_TAG} tag says {tags.get(names.PURPOSE_TAG)!r} but the run was "
            f"sealed as {manifest.run.purpose or 'a training run'}: the tag was changed after "
            "the run"
        )
    live = run.info.status
    if live != manifest.run.mlflow_status and live != "RUNNING":
        problems.append(
            f"the run was sealed with MLflow status {manifest.run.mlflow_status} but now says "
            f"{live}: its status was changed after the run"
        )
    return problems


def _check_models(
    writer: RunWriter, sealed: tuple[ModelSeal, ...], on_run: tuple[str, ...], hash_models: bool
) -> list[str]:
    by_id = {m.model_id: m for m in sealed}
    problems = [
        f"model {i} was logged on the run but is not in the manifest (logged after sealing)"
        for i in on_run
        if i not in by_id
    ]
    problems += [
        f"model {i} is in the manifest but no longer on the run" for i in by_id if i not in on_run
    ]
    if not hash_models:
        return problems
    for model_id, seal in sorted(by_id.items()):
        if model_id not in on_run:
            continue
        try:
            found = writer.hash_location(writer.logged_model(model_id).artifact_location)
        except Exception as exc:  # noqa: BLE001 - files that cannot be read cannot be trusted
            problems.append(f"model {model_id}: cannot read its files ({first_line(exc)})")
            continue
        problems.extend(f"model {model_id}: {d}" for d in _differences(seal, found))
    return problems


def _signature_problem(
    policy: Policy, manifest_bytes: bytes | None, signature: bytes | None
) -> str | None:
    assert policy.signing is not None
    if not policy.signing.public_key:
        return "the policy requires signed manifests but names no signing.public_key"
    if manifest_bytes is None:
        return "the manifest is missing, so its signature cannot be checked"
    return verify(manifest_bytes, signature, policy.resolve(policy.signing.public_key))


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
