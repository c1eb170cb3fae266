"""Ethics evidence on a run: evaluate the answer files the policy names and log the records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._decision import GovernanceDecision, evaluate
from csc_mlflow._evidence import (
    EvidenceItem,
    RunEvidence,
    TriagePayload,
    WorkbookPayload,
    canonical_json,
    envelope,
    sha256_hex,
)
from csc_mlflow._policy import Policy
from csc_mlflow.ethics._answers import read_answer_file
from csc_mlflow.ethics._triage import TriageResult, evaluate_triage
from csc_mlflow.ethics._workbook import WorkbookResult, evaluate_workbook
from csc_mlflow.exceptions import EthicsError


@dataclass(frozen=True)
class EthicsEvidence:
    """The ethics records for a run, and the tags that summarise them."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    payloads: Mapping[str, EthicsPayload] = field(default_factory=dict)


EthicsPayload = TriagePayload | WorkbookPayload
_KINDS = {names.TRIAGE_PATH: "csc.ethics.triage", names.WORKBOOK_PATH: "csc.ethics.workbook"}


def _raw(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def ethics_payloads(
    policy: Policy, *, evidence_paths: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, EthicsPayload]:
    """Evidence payloads (record path -> payload) for the ethics files ``policy`` names."""
    if policy.ethics is None:
        return {}
    payloads: dict[str, EthicsPayload] = {}
    evaluated: dict[str, TriageResult] = {}

    def triage(answers: dict[str, Any]) -> TriageResult:
        evaluated["triage"] = evaluate_triage(answers)
        return evaluated["triage"]

    def workbook(answers: dict[str, Any]) -> WorkbookResult:
        return evaluate_workbook(
            answers,
            triage=evaluated.get("triage"),
            evidence_kinds=tuple((evidence_paths or {}).keys()),
            evidence_paths=evidence_paths,
        )

    if policy.ethics.triage:
        payloads[names.TRIAGE_PATH] = _payload(
            policy, policy.ethics.triage, "Ethics Triage answers", "triage", triage
        )
    if policy.ethics.workbook:
        payloads[names.WORKBOOK_PATH] = _payload(
            policy, policy.ethics.workbook, "Ethics Workbook", "workbook", workbook
        )
    return payloads


def _payload(
    policy: Policy,
    configured: str,
    what: str,
    name: str,
    judge: Callable[[dict[str, Any]], TriageResult | WorkbookResult],
) -> EthicsPayload:
    """Read and judge one answers file; an unreadable one gives an ``incomplete`` payload."""
    path = policy.resolve(configured)
    raw = _raw(path)
    kind = TriagePayload if name == "triage" else WorkbookPayload
    payload: EthicsPayload
    try:
        judged = judge(read_answer_file(path, what)).to_payload()
        payload = judged.model_copy(
            update={"reasons": tuple(f"{configured}: {p}" for p in judged.reasons)}
        )
    except EthicsError as exc:
        payload = kind(name=name, status="incomplete", reasons=(str(exc),))
    return payload.model_copy(
        update={
            "source": str(path),
            "source_sha256": sha256_hex(raw) if raw is not None else None,
        }
    )


def ethics_evidence(
    policy: Policy, *, run_id: str, existing: Mapping[str, str] | None = None
) -> EthicsEvidence:
    """Records and tags for the run; ``existing`` maps record paths on the run to their kinds."""
    evidence_paths: dict[str, tuple[str, ...]] = {}
    for path, kind in (existing or {}).items():
        evidence_paths[kind] = (*evidence_paths.get(kind, ()), path)
    payloads = ethics_payloads(policy, evidence_paths=evidence_paths)
    files, tags = {}, {}
    for path, payload in payloads.items():
        record = envelope(
            _KINDS[path], payload, run_id=run_id, policy_sha256=policy.evidence_sha256
        )
        files[path] = canonical_json(record)
    triage = payloads.get(names.TRIAGE_PATH)
    if isinstance(triage, TriagePayload) and triage.risk is not None:
        tags[names.ETHICS_RISK_TAG] = triage.risk
        flagged = ",".join(t.theme for t in triage.flagged_themes)
        tags[names.ETHICS_FLAGGED_TAG] = flagged or "none"
    workbook = payloads.get(names.WORKBOOK_PATH)
    if workbook is not None:
        tags[names.WORKBOOK_COMPLETE_TAG] = "true" if workbook.status == "passed" else "false"
    return EthicsEvidence(files=files, tags=tags, payloads=payloads)


def check_ethics(policy: Policy, *, today: date | None = None) -> GovernanceDecision:
    """Completeness of the ethics files ``policy`` names, with the run's own decision logic.

    Missing answers, hidden or unknown answers, unsigned roles, an expired review date and
    flagged themes whose workbook section is empty each give their own reason.
    """
    payloads = ethics_payloads(policy)
    items = tuple(
        EvidenceItem(path=path, kind=_KINDS[path], payload=payload)
        for path, payload in payloads.items()
    )
    evidence = RunEvidence(run_status="FINISHED", items=items, policy_sha256=policy.evidence_sha256)
    decision = evaluate(policy, evidence, today=today)
    # The ethics files alone: other evidence, and what a stage asks of it, are not this check's.
    ethics_reasons = tuple(
        r
        for r in decision.reasons
        if not r.subject.startswith(("data_quality", "fairness", "performance"))
        and not r.code.startswith("stage.")
    )
    if any(r.outcome == "failed" for r in ethics_reasons):
        status = "failed"
    elif any(r.outcome == "incomplete" for r in ethics_reasons):
        status = "incomplete"
    else:
        status = "passed"
    return GovernanceDecision(status=status, reasons=ethics_reasons)
