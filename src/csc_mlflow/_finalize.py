"""Run end: attach the evidence, write the manifest last, set the governance status.

MLflow has no end-of-run hook, but every ending (context-manager exit, ``end_run``, an
exception, autolog, the atexit handler, a direct client call) passes through
``MlflowClient.set_terminated``. We wrap that one method, once, and only after the user
opted in (a discoverable policy, ``autolog()`` or ``governed_run()``). The wrapper finalises
governed runs, then calls MLflow's own method; it never raises into the user's code and never
leaves a run that raised as ``passed``.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._decision import GovernanceDecision, Reason, evaluate
from csc_mlflow._evidence import (
    DatasetRef,
    EvidenceItem,
    ManifestEntry,
    RunEvidence,
    build_manifest,
    canonical_json,
    parse_record,
    sha256_hex,
)
from csc_mlflow._policy import Policy
from csc_mlflow.exceptions import CscMlflowError

_logger = logging.getLogger("csc_mlflow")

_lock = threading.Lock()
_local = threading.local()
_original: Callable[..., Any] | None = None

# Records written by this process, by run: path -> bytes (saves downloading them again).
_records: dict[str, dict[str, bytes]] = {}
# Fingerprint of the last finalisation of a run, and its decision (idempotence).
_finalised: dict[str, tuple[Any, GovernanceDecision]] = {}

_ETHICS_PATHS = frozenset({names.TRIAGE_PATH, names.WORKBOOK_PATH, names.REPORT_PATH})


def _ethics_sources(policy: Policy | None) -> tuple[tuple[str, str], ...]:
    """The ethics answer files' contents (hashed): a change means a new finalisation."""
    if policy is None or policy.ethics is None:
        return ()
    found = []
    for configured in (policy.ethics.triage, policy.ethics.workbook):
        if configured:
            path = policy.resolve(configured)
            try:
                found.append((str(path), sha256_hex(path.read_bytes())))
            except OSError:
                found.append((str(path), "unreadable"))
    return tuple(found)


def install_finalizer() -> None:
    """Wrap ``MlflowClient.set_terminated`` (idempotent)."""
    global _original
    with _lock:
        if _original is not None:
            return
        from mlflow.tracking.client import MlflowClient

        original = MlflowClient.set_terminated

        def set_terminated(
            self: Any, run_id: str, status: str | None = None, end_time: int | None = None
        ) -> Any:
            if not getattr(_local, "busy", False):
                _local.busy = True
                try:
                    finalize_run(self, run_id, status or "FINISHED")
                finally:
                    _local.busy = False
            return original(self, run_id, status=status, end_time=end_time)

        set_terminated.__wrapped__ = original  # type: ignore[attr-defined]
        _wrap_log_input()
        # The one place every run ending passes through (mlflow-notes.md §2).
        MlflowClient.set_terminated = set_terminated  # type: ignore[method-assign]
        _original = original


def uninstall_finalizer() -> None:
    """Put MLflow's own ``set_terminated`` back (idempotent)."""
    global _original
    with _lock:
        if _original is None:
            return
        from mlflow.tracking.client import MlflowClient

        MlflowClient.set_terminated = _original  # type: ignore[method-assign]
        _original = None
        _unwrap_log_input()


_original_log_input: Callable[..., Any] | None = None


def _wrap_log_input() -> None:
    """Validate each dataset the policy names as it is logged with ``mlflow.log_input``."""
    global _original_log_input
    import mlflow
    import mlflow.tracking.fluent as fluent

    original = fluent.log_input

    def log_input(dataset: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = original(dataset, *args, **kwargs)
        try:
            from csc_mlflow.quality._log import validate_logged_input

            validate_logged_input(dataset)
        except Exception:
            _logger.exception(
                "csc-mlflow: validating dataset %r failed", getattr(dataset, "name", None)
            )
        return result

    log_input.__wrapped__ = original  # type: ignore[attr-defined]
    fluent.log_input = log_input
    mlflow.log_input = log_input
    _original_log_input = original


def _unwrap_log_input() -> None:
    global _original_log_input
    if _original_log_input is None:
        return
    import mlflow
    import mlflow.tracking.fluent as fluent

    fluent.log_input = _original_log_input
    mlflow.log_input = _original_log_input
    _original_log_input = None


def finalizer_installed() -> bool:
    """Whether the run-end wrapper is in place."""
    return _original is not None


def remember_record(run_id: str, path: str, data: bytes) -> None:
    """Note a record this process logged, so finalisation need not download it."""
    _records.setdefault(run_id, {})[path] = data


def _repository(client: Any, run_id: str, artifact_uri: str | None) -> Any:
    """The run's artefact repository (given the URI, no extra round trip to fetch the run)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    uri = artifact_uri or client.get_run(run_id).info.artifact_uri
    return get_artifact_repository(uri, tracking_uri=client.tracking_uri)


def log_files(
    client: Any, run_id: str, files: Mapping[str, bytes], *, artifact_uri: str | None = None
) -> None:
    """Upload ``files`` (artefact path -> bytes) to the run in one call."""
    if not files:
        return
    with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp:
        root = Path(tmp)
        for path, data in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        repo = _repository(client, run_id, artifact_uri)
        repo.log_artifacts(str(root / names.ARTIFACT_ROOT), names.ARTIFACT_ROOT)
    for path, data in files.items():
        if path not in (names.MANIFEST_PATH, names.SIGNATURE_PATH):
            remember_record(run_id, path, data)


def log_record(client: Any, run_id: str, path: str, record: Mapping[str, Any]) -> bytes:
    """Write one evidence record to the run now, and remember it for finalisation."""
    data = canonical_json(record)
    log_files(client, run_id, {path: data})
    return data


def last_decision(run_id: str) -> GovernanceDecision | None:
    """The decision this process reached when it last finalised ``run_id``."""
    hit = _finalised.get(run_id)
    return hit[1] if hit else None


def finalize_run(client: Any, run_id: str, mlflow_status: str) -> GovernanceDecision | None:
    """Finalise ``run_id`` if it is governed; never raises.

    Returns the decision, or None when the run is not governed.
    """
    try:
        run = client.get_run(run_id)
    except Exception:
        _logger.exception("csc-mlflow: could not read run %s to finalise it", run_id)
        return None
    tags = run.data.tags
    if names.STATUS_TAG not in tags:
        return None
    try:
        return _finalize(client, run, mlflow_status)
    except Exception as exc:
        _logger.exception("csc-mlflow: finalising run %s failed", run_id)
        decision = GovernanceDecision(
            status="incomplete",
            reasons=(
                Reason(
                    "finalise.error",
                    "csc-mlflow",
                    f"finalising the run failed ({type(exc).__name__}: {exc}); the evidence "
                    "was not sealed. Fix the cause and re-run",
                    "incomplete",
                ),
            ),
        )
        try:
            _set_status_tags(client, run_id, decision, manifest_sha=None)
        except Exception:
            _logger.exception("csc-mlflow: could not mark run %s incomplete", run_id)
        return decision


def _finalize(client: Any, run: Any, mlflow_status: str) -> GovernanceDecision:
    from csc_mlflow._runtime import active_policy
    from csc_mlflow.ethics._records import ethics_evidence

    run_id = run.info.run_id
    tags = run.data.tags
    policy: Policy | None = None
    policy_problem: str | None = tags.get(names.POLICY_ERROR_TAG)
    if policy_problem is None:
        try:
            policy = active_policy()
        except CscMlflowError as exc:
            policy_problem = str(exc)
        if policy is None and policy_problem is None:
            policy_problem = "no governance policy is active at run end"

    artifact_uri = run.info.artifact_uri
    files = dict(_existing_records(client, run_id, artifact_uri))
    datasets = tuple(
        DatasetRef(
            name=d.dataset.name,
            digest=d.dataset.digest,
            context={t.key: t.value for t in d.tags}.get("mlflow.data.context"),
        )
        for d in (run.inputs.dataset_inputs if run.inputs else [])
    )
    fingerprint = (
        mlflow_status,
        tuple(sorted((p, sha256_hex(d)) for p, d in files.items() if p not in _ETHICS_PATHS)),
        datasets,
        policy.sha256 if policy else policy_problem,
        _ethics_sources(policy),
    )
    previous = _finalised.get(run_id)
    if previous is not None and previous[0] == fingerprint:
        return previous[1]

    new_files: dict[str, bytes] = {}
    extra_tags: dict[str, str] = {}
    if policy is not None:
        kinds = {p: _kind_of(p, d) for p, d in files.items() if p not in _ETHICS_PATHS}
        ethics = ethics_evidence(policy, run_id=run_id, existing=kinds)
        new_files.update(ethics.files)
        extra_tags.update(ethics.tags)
    files.update(new_files)

    items: list[EvidenceItem] = []
    problems: list[str] = []
    for path, data in sorted(files.items()):
        if not path.endswith(".json"):
            continue  # charts and the report are sealed by the manifest, not judged
        try:
            items.append(parse_record(path, data))
        except CscMlflowError as exc:
            problems.append(str(exc))
    evidence = RunEvidence(
        run_status=mlflow_status,
        items=tuple(items),
        datasets=datasets,
        policy_sha256=tags.get(names.POLICY_SHA_TAG),
        problems=tuple(problems),
    )

    if policy is None:
        decision = GovernanceDecision(
            status="incomplete",
            reasons=(Reason("policy.invalid", "policy", str(policy_problem), "incomplete"),),
        )
    else:
        decision = evaluate(policy, evidence)

    report = _report(policy, decision, files, datasets, run, mlflow_status)
    if report is not None:
        new_files[names.REPORT_PATH] = report
        files[names.REPORT_PATH] = report
    log_files(client, run_id, new_files, artifact_uri=artifact_uri)
    entries = [
        ManifestEntry(path=p, sha256=sha256_hex(d), size=len(d), kind=_kind_of(p, d))
        for p, d in files.items()
    ]
    manifest = canonical_json(
        build_manifest(
            entries,
            datasets=datasets,
            policy_sha256=tags.get(names.POLICY_SHA_TAG),
            run_id=run_id,
            run_status=mlflow_status,
            decision=decision.to_dict(),
        )
    )
    sealed = {names.MANIFEST_PATH: manifest}
    if policy is not None and policy.signing is not None and policy.signing.required:
        from csc_mlflow.gate._signing import sign

        signature = sign(manifest)
        if signature is not None:
            sealed[names.SIGNATURE_PATH] = signature
    log_files(client, run_id, sealed, artifact_uri=artifact_uri)
    manifest_sha = sha256_hex(manifest)
    _set_status_tags(client, run_id, decision, manifest_sha=manifest_sha, extra=extra_tags)
    for output in run.outputs.model_outputs if run.outputs else []:
        client.set_logged_model_tags(
            output.model_id,
            {names.STATUS_TAG: decision.status, names.MANIFEST_SHA_TAG: manifest_sha},
        )
    from csc_mlflow.report._summary import describe_run_versions

    if run.outputs and run.outputs.model_outputs:  # versions are registered from logged models
        describe_run_versions(client, run_id)
    _finalised[run_id] = (fingerprint, decision)
    _logger.info("csc-mlflow: run %s governance status %s", run_id, decision.status)
    return decision


def _report(
    policy: Policy | None,
    decision: GovernanceDecision,
    files: Mapping[str, bytes],
    datasets: tuple[DatasetRef, ...],
    run: Any,
    mlflow_status: str,
) -> bytes | None:
    """The HTML report, rendered from the records (never blocks sealing)."""
    import json

    from csc_mlflow._evidence import _packages
    from csc_mlflow.report._html import render_report

    try:
        records = {p: json.loads(d) for p, d in files.items() if p.endswith(".json")}
        project = policy.project.model_dump() if policy is not None else {"name": run.info.run_name}
        lineage = {
            "run_id": run.info.run_id,
            "mlflow_status": mlflow_status,
            "policy_sha256": run.data.tags.get(names.POLICY_SHA_TAG),
            "datasets": [
                {"name": d.name, "digest": d.digest, "context": d.context} for d in datasets
            ],
            "packages": _packages(),
            "model_ids": [o.model_id for o in (run.outputs.model_outputs if run.outputs else [])],
        }
        html = render_report(
            project=project, decision=decision.to_dict(), records=records, lineage=lineage
        )
        return html.encode("utf-8")
    except Exception:
        _logger.exception("csc-mlflow: rendering the governance report failed")
        return None


def _kind_of(path: str, data: bytes) -> str:
    if not path.endswith(".json"):
        return "attachment"
    try:
        return parse_record(path, data).kind
    except CscMlflowError:
        return "unreadable"


def _existing_records(client: Any, run_id: str, artifact_uri: str) -> dict[str, bytes]:
    """Every evidence record on the run: this process's, plus any others found there."""
    known = dict(_records.get(run_id, {}))
    repo = _repository(client, run_id, artifact_uri)
    for path in _list_files(repo, names.ARTIFACT_ROOT):
        if path in known or path in (names.MANIFEST_PATH, names.SIGNATURE_PATH):
            continue
        with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp:
            local = repo.download_artifacts(path, tmp)
            known[path] = Path(local).read_bytes()
    return known


def _list_files(repo: Any, folder: str) -> list[str]:
    found: list[str] = []
    for info in repo.list_artifacts(folder):
        if info.is_dir:
            found.extend(_list_files(repo, info.path))
        else:
            found.append(info.path)
    return found


def _set_status_tags(
    client: Any,
    run_id: str,
    decision: GovernanceDecision,
    *,
    manifest_sha: str | None,
    extra: Mapping[str, str] | None = None,
) -> None:
    from mlflow.entities import RunTag

    summary = (
        "; ".join(str(r) for r in decision.reasons) or "all required evidence present and passing"
    )
    run_tags = [
        RunTag(names.STATUS_TAG, decision.status),
        RunTag(names.REASONS_TAG, summary[: names.MAX_TAG_VALUE]),
    ]
    if manifest_sha is not None:
        run_tags.append(RunTag(names.MANIFEST_SHA_TAG, manifest_sha))
    run_tags.extend(RunTag(k, v[: names.MAX_TAG_VALUE]) for k, v in (extra or {}).items())
    client.log_batch(run_id, tags=run_tags)
