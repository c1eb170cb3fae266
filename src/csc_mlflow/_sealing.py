"""Sealing a run: gather its evidence, decide, render the report, write the manifest last.

:func:`seal_run` is what the run-end hook calls for every governed run. Each step is its own
function: :func:`_gather` (the policy and every record on the run, the ethics records made
now), :func:`_decide` (the one pure decision), :func:`_report` (the HTML, never blocking),
:func:`_seal` (manifest and signature, uploaded after everything they list) and
:func:`_announce` (status tags, logged-model tags, registered versions' summaries).

It never raises into the user's code and never leaves a run that raised as ``passed``. What
the process remembered of the run is released once it is sealed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from csc_mlflow import _names as names
from csc_mlflow._decision import evaluate
from csc_mlflow._evidence import (
    DatasetRef,
    EvidenceItem,
    GovernanceDecision,
    ManifestEntry,
    ModelFacts,
    ModelSeal,
    Reason,
    RunEvidence,
    build_manifest,
    canonical_json,
    package_versions,
    parse_manifest,
    parse_record,
    sha256_hex,
)
from csc_mlflow._policy import Policy
from csc_mlflow._resolve import active_policy
from csc_mlflow._runs import RunWriter, forget_run, remembered_records
from csc_mlflow._signing import sign
from csc_mlflow._stages import stage_label
from csc_mlflow.ethics._records import ethics_evidence
from csc_mlflow.exceptions import CscMlflowError
from csc_mlflow.report._atrs import atrs_markdown
from csc_mlflow.report._card import field_page, model_card
from csc_mlflow.report._html import Lineage, render_report
from csc_mlflow.report._plain import plain_markdown, plain_summary
from csc_mlflow.report._summary import describe_run_versions, header_for

__all__ = ["last_decision", "seal_run", "sealed_fingerprints"]

_logger = logging.getLogger("csc_mlflow")

# The fingerprint and decision of the runs sealed last, so ending a run twice seals it once.
# Bounded: a long-lived process holds at most this many small entries, never records.
_FINGERPRINTS: Final = 64
_sealed: OrderedDict[str, tuple[Any, GovernanceDecision]] = OrderedDict()

_MADE_AT_SEAL = frozenset(
    {
        names.TRIAGE_PATH,
        names.WORKBOOK_PATH,
        names.REPORT_PATH,
        names.POLICY_PATH,
        names.MODEL_CARD_PATH,
        names.MODEL_CARD_HTML_PATH,
        names.ATRS_PATH,
        names.ATRS_HTML_PATH,
    }
)


def last_decision(run_id: str) -> GovernanceDecision | None:
    """The decision this process reached when it last sealed ``run_id`` (if still held)."""
    hit = _sealed.get(run_id)
    return hit[1] if hit else None


def forget_sealed() -> None:
    """Forget every sealed run's fingerprint (the next ending of any run seals it afresh)."""
    _sealed.clear()


def sealed_fingerprints() -> int:
    """How many sealed runs' fingerprints the process holds (at most a fixed few)."""
    return len(_sealed)


@dataclass
class _Gathered:
    policy: Policy | None
    policy_problem: str | None
    files: dict[str, bytes]
    datasets: tuple[DatasetRef, ...]
    models: tuple[ModelFacts, ...]
    sealed_models: tuple[ModelSeal, ...]
    first_status: str | None


def seal_run(client: Any, run_id: str, mlflow_status: str) -> GovernanceDecision | None:
    """Seal ``run_id`` if it is governed; never raises. None when the run is not governed."""
    writer = RunWriter(client)
    try:
        _datasets_validated(run_id)
    except Exception:  # a record not written is missing evidence: the decision says so
        _logger.exception("csc-mlflow: writing the data-quality records of run %s failed", run_id)
    try:
        run = writer.get_run(run_id)
    except CscMlflowError:
        _logger.exception("csc-mlflow: could not read run %s to seal it", run_id)
        return None
    if names.STATUS_TAG not in run.data.tags:
        return None
    try:
        return _seal_governed(writer, run, mlflow_status)
    except Exception as exc:
        _logger.exception("csc-mlflow: sealing run %s failed", run_id)
        decision = GovernanceDecision(
            status="incomplete",
            reasons=(
                Reason(
                    "finalise.error",
                    "csc-mlflow",
                    f"sealing the run failed ({type(exc).__name__}: {exc}); the evidence "
                    "was not sealed. Fix the cause and re-run",
                    "incomplete",
                ),
            ),
        )
        try:
            writer.log_summary(run_id, tags=_status_tags(decision, manifest_sha=None))
        except Exception:
            _logger.exception("csc-mlflow: could not mark run %s incomplete", run_id)
        return decision
    finally:
        forget_run(run_id)


def _datasets_validated(run_id: str) -> None:
    """Wait for the datasets of ``run_id`` still being validated beside the training, and
    write their records (only if this process ever handed one over)."""
    import sys

    background = sys.modules.get("csc_mlflow.quality._background")
    if background is not None:
        background.collect(run_id)


def _seal_governed(writer: RunWriter, run: Any, mlflow_status: str) -> GovernanceDecision:
    run_id = run.info.run_id
    gathered = _gather(writer, run)
    if gathered.first_status is not None:
        mlflow_status = gathered.first_status  # a run sealed as raised stays raised
    fingerprint = _fingerprint(gathered, mlflow_status)
    previous = _sealed.get(run_id)
    if previous is not None and previous[0] == fingerprint:
        return previous[1]

    new_files: dict[str, bytes] = {}
    extra_tags: dict[str, str] = {}
    monitoring = run.data.tags.get(names.PURPOSE_TAG) == "monitoring"
    if gathered.policy is not None and not monitoring:
        kinds = {p: _kind_of(p, d) for p, d in gathered.files.items() if p not in _MADE_AT_SEAL}
        ethics = ethics_evidence(gathered.policy, run_id=run_id, existing=kinds)
        new_files.update(ethics.files)
        extra_tags.update(ethics.tags)
    if gathered.policy is not None:
        new_files[names.POLICY_PATH] = gathered.policy.snapshot()
    files = {**gathered.files, **new_files}

    items, decision = _decide(run, gathered, files, mlflow_status)
    documents = _documents(gathered, decision, items, run, mlflow_status)
    new_files.update(documents)
    files.update(documents)
    writer.log_files(run_id, new_files, artifact_uri=run.info.artifact_uri)
    manifest_sha = _seal(writer, run, gathered, files, decision, mlflow_status)
    extra_tags = {**extra_tags, **_plain_tag(gathered.policy, decision, items, run)}
    _announce(writer, run, decision, manifest_sha, extra_tags)
    _sealed[run_id] = (fingerprint, decision)
    while len(_sealed) > _FINGERPRINTS:
        _sealed.popitem(last=False)
    _logger.info("csc-mlflow: run %s governance status %s", run_id, decision.status)
    return decision


def _gather(writer: RunWriter, run: Any) -> _Gathered:
    """The governing policy (or why there is none), every record on the run, its datasets."""
    tags = run.data.tags
    policy: Policy | None = None
    problem: str | None = tags.get(names.POLICY_ERROR_TAG)
    if problem is None:
        try:
            policy = active_policy()
        except CscMlflowError as exc:
            problem = str(exc)
        if policy is None and problem is None:
            problem = "no governance policy is active at run end"
    run_id = run.info.run_id
    files = remembered_records(run_id)
    files.update(
        writer.governance_files(
            run_id,
            artifact_uri=run.info.artifact_uri,
            skip=frozenset(files) | {names.SIGNATURE_PATH},
        )
    )
    first_status = _status_sealed_before(files.pop(names.MANIFEST_PATH, None), run_id)
    datasets = tuple(
        DatasetRef(
            name=d.dataset.name,
            digest=d.dataset.digest,
            context={t.key: t.value for t in d.tags}.get("mlflow.data.context"),
        )
        for d in (run.inputs.dataset_inputs if run.inputs else [])
    )
    sealed_models = writer.seal_models(run)
    models = tuple(
        ModelFacts(model_id=m.model_id, files=tuple(f.path for f in m.files)) for m in sealed_models
    )
    return _Gathered(policy, problem, files, datasets, models, sealed_models, first_status)


def _status_sealed_before(manifest: bytes | None, run_id: str) -> str | None:
    """The MLflow status an earlier seal of this run recorded, when it was not FINISHED.

    A run that raised stays failed: resuming and ending it again, or changing its status
    afterwards, does not wash the failure out of the seal.
    """
    if manifest is None:
        return None
    try:
        earlier = parse_manifest(manifest)
    except CscMlflowError:
        return None
    if earlier.run.run_id != run_id or earlier.run.mlflow_status == "FINISHED":
        return None
    return earlier.run.mlflow_status


def _fingerprint(gathered: _Gathered, mlflow_status: str) -> Any:
    """What the seal depends on: a run ended twice with nothing changed is sealed once."""
    return (
        mlflow_status,
        tuple(
            sorted((p, sha256_hex(d)) for p, d in gathered.files.items() if p not in _MADE_AT_SEAL)
        ),
        gathered.datasets,
        gathered.sealed_models,
        gathered.policy.sha256 if gathered.policy else gathered.policy_problem,
        _ethics_sources(gathered.policy),
    )


def _ethics_sources(policy: Policy | None) -> tuple[tuple[str, str], ...]:
    """The ethics answer files' contents (hashed): a change means a new seal."""
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


def _decide(
    run: Any, gathered: _Gathered, files: Mapping[str, bytes], mlflow_status: str
) -> tuple[tuple[EvidenceItem, ...], GovernanceDecision]:
    """Parse every record and reach the decision (an unreadable record is a problem)."""
    items: list[EvidenceItem] = []
    problems: list[str] = []
    for path, data in sorted(files.items()):
        if not path.endswith(".json") or path in names.SEALED_ATTACHMENTS:
            continue  # charts, the report and the policy are sealed by the manifest, not judged
        try:
            items.append(parse_record(path, data))
        except CscMlflowError as exc:
            problems.append(str(exc))
    if gathered.policy is None:
        decision = GovernanceDecision(
            status="incomplete",
            reasons=(
                Reason("policy.invalid", "policy", str(gathered.policy_problem), "incomplete"),
            ),
        )
        return tuple(items), decision
    evidence = RunEvidence(
        run_status=mlflow_status,
        items=tuple(items),
        datasets=gathered.datasets,
        policy_sha256=run.data.tags.get(names.POLICY_SHA_TAG),
        problems=tuple(problems),
        models=gathered.models,
        stage=run.data.tags.get(names.STAGE_TAG),
        purpose=run.data.tags.get(names.PURPOSE_TAG),
    )
    return tuple(items), evaluate(gathered.policy, evidence)


def _documents(
    gathered: _Gathered,
    decision: GovernanceDecision,
    items: tuple[EvidenceItem, ...],
    run: Any,
    mlflow_status: str,
) -> dict[str, bytes]:
    """The HTML report and the model card, rendered from the records (never block sealing)."""
    try:
        lineage = Lineage(
            run_id=run.info.run_id,
            mlflow_status=mlflow_status,
            policy_sha256=run.data.tags.get(names.POLICY_SHA_TAG),
            datasets=gathered.datasets,
            packages=package_versions(),
            model_ids=tuple(o.model_id for o in (run.outputs.model_outputs if run.outputs else [])),
            stage=run.data.tags.get(names.STAGE_TAG),
        )
        header = header_for(gathered.policy, run.info.run_name)
        html = render_report(header=header, decision=decision, items=items, lineage=lineage)
        documents = {names.REPORT_PATH: html.encode("utf-8")}
    except Exception:
        _logger.exception("csc-mlflow: rendering the governance report failed")
        return {}
    if run.data.tags.get(names.PURPOSE_TAG) == "monitoring":
        return documents  # a batch of live data: no model card or ATRS record of its own
    try:
        card, card_html = model_card(header=header, decision=decision, items=items, lineage=lineage)
        documents[names.MODEL_CARD_PATH] = card.encode("utf-8")
        documents[names.MODEL_CARD_HTML_PATH] = card_html.encode("utf-8")
    except Exception:
        _logger.exception("csc-mlflow: writing the model card failed")
    try:
        policy = gathered.policy
        atrs = atrs_markdown(
            title_name=header.name,
            about=f"run `{run.info.run_id}` (its models: {', '.join(lineage.model_ids) or 'none'}",
            status=decision.status,
            project=policy.project if policy is not None else None,
            evidence=RunEvidence(
                run_status=mlflow_status,
                items=items,
                datasets=gathered.datasets,
                stage=lineage.stage,
            ),
            model_label=", ".join(lineage.model_ids) or None,
            registry_description=None,
            record_id=run.info.run_id,
        )
        documents[names.ATRS_PATH] = atrs.encode("utf-8")
        documents[names.ATRS_HTML_PATH] = field_page(atrs).encode("utf-8")
    except Exception:
        _logger.exception("csc-mlflow: writing the ATRS record failed")
    return documents


def _plain_tag(
    policy: Policy | None, decision: GovernanceDecision, items: tuple[EvidenceItem, ...], run: Any
) -> dict[str, str]:
    """The report's first page as a tag (never blocks sealing)."""
    try:
        project = policy.project if policy is not None else None
        summary = plain_summary(
            name=project.name if project else run.info.run_name or run.info.run_id,
            description=project.description if project else None,
            decision=decision,
            items=items,
            stage=stage_label(run.data.tags.get(names.STAGE_TAG)),
        )
        return {names.PLAIN_SUMMARY_TAG: plain_markdown(summary)}
    except Exception:
        _logger.exception("csc-mlflow: writing the plain summary failed")
        return {}


def _seal(
    writer: RunWriter,
    run: Any,
    gathered: _Gathered,
    files: Mapping[str, bytes],
    decision: GovernanceDecision,
    mlflow_status: str,
) -> str:
    """Write the manifest (and its signature) after everything it lists; its SHA-256."""
    run_id = run.info.run_id
    entries = [
        ManifestEntry(path=p, sha256=sha256_hex(d), size=len(d), kind=_kind_of(p, d))
        for p, d in files.items()
    ]
    manifest = canonical_json(
        build_manifest(
            entries,
            datasets=gathered.datasets,
            policy_sha256=run.data.tags.get(names.POLICY_SHA_TAG),
            run_id=run_id,
            run_status=mlflow_status,
            decision=decision,
            models=gathered.sealed_models,
            stage=run.data.tags.get(names.STAGE_TAG),
            purpose=run.data.tags.get(names.PURPOSE_TAG),
        )
    )
    sealed = {names.MANIFEST_PATH: manifest}
    policy = gathered.policy
    if policy is not None and policy.signing is not None and policy.signing.required:
        signature = sign(manifest)
        if signature is not None:
            sealed[names.SIGNATURE_PATH] = signature
    writer.log_files(run_id, sealed, artifact_uri=run.info.artifact_uri)
    return sha256_hex(manifest)


def _announce(
    writer: RunWriter,
    run: Any,
    decision: GovernanceDecision,
    manifest_sha: str,
    extra_tags: Mapping[str, str],
) -> None:
    """Status tags on the run and its logged models; summaries on its registered versions."""
    run_id = run.info.run_id
    status = _status_tags(decision, manifest_sha=manifest_sha)
    note = {names.NOTE_TAG: _run_note(run, decision)}
    writer.log_summary(run_id, tags={**status, **extra_tags, **note})
    writer.share_runs_view(run.info.experiment_id)
    writer.tag_logged_models(
        run, {names.STATUS_TAG: decision.status, names.MANIFEST_SHA_TAG: manifest_sha}
    )
    if run.outputs and run.outputs.model_outputs:  # versions are registered from logged models
        plain = {k: v for k, v in extra_tags.items() if k == names.PLAIN_SUMMARY_TAG}
        describe_run_versions(
            run_id, client=writer.client, run=run, status_tags={**status, **plain}
        )


def _run_note(run: Any, decision: GovernanceDecision) -> str:
    """The run's description: the verdict, a link to the report and the blocking reasons,
    then the user's own note as it was (everything after csc-mlflow's mark)."""
    existing = run.data.tags.get(names.NOTE_TAG, "")
    own = existing.split(names.NOTE_MARK, 1)[1] if names.NOTE_MARK in existing else existing
    link = (
        f"#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
        f"/artifacts/{names.REPORT_PATH}"
    )
    lines = [f"**Governance status: {decision.status.upper()}** ([governance report]({link}))"]
    blocking = [r for r in decision.reasons if r.blocking]
    lines += [f"- {str(r)[:300]}" for r in blocking[:5]]
    if len(blocking) > 5:
        lines.append(f"- and {len(blocking) - 5} more (see the report)")
    note = "\n".join(lines) + f"\n{names.NOTE_MARK}"
    return note + (f"\n\n{own.strip()}" if own.strip() else "")


def _status_tags(decision: GovernanceDecision, *, manifest_sha: str | None) -> dict[str, str]:
    summary = (
        "; ".join(str(r) for r in decision.reasons) or "all required evidence present and passing"
    )
    tags = {names.STATUS_TAG: decision.status, names.REASONS_TAG: summary}
    if manifest_sha is not None:
        tags[names.MANIFEST_SHA_TAG] = manifest_sha
    return tags


def _kind_of(path: str, data: bytes) -> str:
    if path == names.POLICY_PATH:
        return "policy"
    if not path.endswith(".json"):
        return "attachment"
    try:
        return parse_record(path, data).kind
    except CscMlflowError:
        return "unreadable"
