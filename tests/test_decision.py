"""The pure decision: every reason collected, fail closed, monotone in the requirements."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from csc_mlflow import EvidenceItem, RunEvidence, evaluate
from csc_mlflow._evidence import (
    DataQualityPayload,
    DatasetFacts,
    FairnessPayload,
    FairnessSettings,
    OverallRecord,
    Payload,
    SignoffRecord,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._policy_io import parse_policy

POLICY = parse_policy(
    """
version: 1
project: {name: a, owner: b}
datasets: {train: {suite: s}, test: {suite: s}}
fairness: {sensitive_features: {eth: {column: ETHNIC}}}
ethics: {triage: t.yaml, workbook: w.yaml, signoff: {default: [accountable_officer], high: [accountable_officer, data_protection_officer]}}
gate:
  staging: {require: [data_quality.train]}
  champion: {require: [data_quality, fairness, ethics.triage, ethics.workbook], signoff: [legal], allow_warnings: false}
"""
)


def item(kind: str, name: str, status: str, **payload: object) -> EvidenceItem:
    path = {
        "csc.data_quality": f"governance/data_quality/{name}.json",
        "csc.fairness": f"governance/fairness/{name}.json",
        "csc.ethics.triage": "governance/ethics/triage.json",
        "csc.ethics.workbook": "governance/ethics/workbook.json",
    }[kind]
    common = {"name": name, "status": status, "reasons": (f"{name} is {status}",)}
    body: Payload
    if kind == "csc.data_quality":
        body = DataQualityPayload(**common, dataset=DatasetFacts(digest=None), **payload)
    elif kind == "csc.fairness":
        body = FairnessPayload(
            **common,
            settings=FairnessSettings(
                min_group_size=10,
                suppress_counts_up_to=5,
                confidence_level=0.95,
                insufficient_evidence="block",
                metrics=("selection_rate",),
                undefined_rates="withheld",
                age_at="2026-01-01",
                weighted=False,
            ),
            overall=OverallRecord(count=100, metrics={}),
            features=(),
            **payload,
        )
    elif kind == "csc.ethics.triage":
        body = TriagePayload(**common, definition_version="test", **payload)
    else:
        signoffs = tuple(
            SignoffRecord(name="A. Person", role=str(s["role"]), date="2026-01-01")  # type: ignore[index]
            for s in payload.pop("signoffs", ())  # type: ignore[attr-defined]
        )
        body = WorkbookPayload(**common, definition_version="test", signoffs=signoffs, **payload)
    return EvidenceItem(path=path, kind=kind, payload=body)


WORKBOOK_OK = item(
    "csc.ethics.workbook",
    "workbook",
    "passed",
    signoffs=[
        {"role": "accountable_officer"},
        {"role": "legal"},
        {"role": "data_protection_officer"},
    ],
    review_by="2030-01-01",
)
ALL_GOOD = (
    item("csc.data_quality", "train", "passed"),
    item("csc.data_quality", "test", "passed"),
    item("csc.fairness", "model", "passed"),
    item("csc.ethics.triage", "triage", "passed", risk="high"),
    WORKBOOK_OK,
)
TODAY = date(2026, 11, 24)


def good(**changes: object) -> RunEvidence:
    base = dict(run_status="FINISHED", items=ALL_GOOD, policy_sha256=POLICY.sha256)
    base.update(changes)
    return RunEvidence(**base)  # type: ignore[arg-type]


def test_everything_present_and_passing_passes() -> None:
    decision = evaluate(POLICY, good(), today=TODAY)
    assert decision.status == "passed"
    assert decision.reasons == ()


def test_every_reason_is_collected() -> None:
    evidence = good(
        run_status="FAILED",
        items=(
            item("csc.data_quality", "train", "failed"),
            item("csc.ethics.triage", "triage", "passed"),
        ),
        problems=("governance/x.json was changed after the run",),
    )
    decision = evaluate(POLICY, evidence, today=TODAY)
    assert decision.status == "failed"
    codes = sorted((r.code, r.subject) for r in decision.reasons)
    assert codes == [
        ("evidence.failed", "data_quality.train"),
        ("evidence.integrity", "evidence"),
        ("evidence.missing", "data_quality.test"),
        ("evidence.missing", "ethics.workbook"),
        ("evidence.missing", "fairness"),
        ("run.not_finished", "run"),
        ("signoff.missing", "sign-off by accountable_officer"),
    ]


def test_missing_only_is_incomplete() -> None:
    decision = evaluate(POLICY, good(items=ALL_GOOD[1:]), today=TODAY)
    assert decision.status == "incomplete"
    assert [r.message for r in decision.reasons] == [
        "no data-quality (dataset 'train') evidence on the run"
    ]


def test_unknown_status_fails_closed() -> None:
    evidence = good(items=(item("csc.data_quality", "train", "looks fine"),) + ALL_GOOD[1:])
    decision = evaluate(POLICY, evidence, today=TODAY)
    assert decision.status == "failed"
    assert decision.reasons[0].code == "evidence.unknown_status"


def test_policy_changed_blocks() -> None:
    decision = evaluate(POLICY, good(policy_sha256="0" * 64), today=TODAY)
    assert decision.status == "incomplete"
    assert decision.reasons[0].code == "policy.changed"


POLICY_TEXT = """
version: 1
project: {name: a, owner: b}
datasets: {train: {suite: s}, test: {suite: s}}
fairness: {sensitive_features: {eth: {column: ETHNIC}}}
ethics: {triage: t.yaml, workbook: w.yaml, signoff: {default: [accountable_officer], high: [accountable_officer, data_protection_officer]}}
"""


def test_a_new_waiver_alias_or_signing_key_keeps_earlier_evidence() -> None:
    """Promotion sections are read afresh by the gate: they do not set aside sealed evidence."""
    before = parse_policy(POLICY_TEXT + "gate: {staging: {require: [data_quality.train]}}\n")
    after = parse_policy(
        POLICY_TEXT + "gate:\n"
        "  staging: {require: [data_quality.train], waivers: {data_quality: [accountable_officer]}}\n"
        "  champion: {require: [fairness]}\n"
        "stages: {Production: champion}\n"
        "signing: {required: true, public_key: k.pem}\n"
    )
    assert before.sha256 != after.sha256
    assert before.evidence_sha256 == after.evidence_sha256
    decision = evaluate(after, good(policy_sha256=before.evidence_sha256), today=TODAY)
    assert "policy.changed" not in {r.code for r in decision.reasons}


def test_a_changed_rule_for_evidence_sets_it_aside() -> None:
    before = parse_policy(POLICY_TEXT)
    for changed in (
        POLICY_TEXT.replace("{suite: s}}", "{suite: s2}}"),
        POLICY_TEXT.replace("ETHNIC}}}", "ETHNIC}}, min_group_size: 50}"),
        POLICY_TEXT.replace("signoff: {default: [accountable_officer], ", "signoff: {"),
        POLICY_TEXT + "models: {allow_input_example: true}\n",
    ):
        after = parse_policy(changed)
        assert after.evidence_sha256 != before.evidence_sha256, changed
        decision = evaluate(after, good(policy_sha256=before.evidence_sha256), today=TODAY)
        assert decision.reasons[0].code == "policy.changed", changed


def test_runs_sealed_with_the_whole_policy_hash_still_match() -> None:
    decision = evaluate(POLICY, good(policy_sha256=POLICY.sha256), today=TODAY)
    assert "policy.changed" not in {r.code for r in decision.reasons}


def test_high_risk_needs_more_signoffs_and_review_date_expires() -> None:
    workbook = item(
        "csc.ethics.workbook",
        "workbook",
        "passed",
        signoffs=[{"role": "accountable_officer"}],
        review_by="2026-01-01",
    )
    evidence = good(items=ALL_GOOD[:4] + (workbook,))
    decision = evaluate(POLICY, evidence, today=TODAY)
    assert sorted(r.code for r in decision.reasons) == ["review.expired", "signoff.missing"]
    assert "data protection officer" in decision.reasons[0].message


def test_alias_asks_for_its_own_requirements() -> None:
    only_train = good(items=(item("csc.data_quality", "train", "passed"),))
    staging = evaluate(POLICY, only_train, alias="staging", today=TODAY)
    champion = evaluate(POLICY, only_train, alias="champion", today=TODAY)
    assert staging.status == "passed"
    assert champion.status != "passed"
    assert champion.alias == "champion"


def test_warnings_pass_a_run_but_not_an_alias_that_forbids_them() -> None:
    warned = good(items=(item("csc.data_quality", "train", "warnings"),) + ALL_GOOD[1:])
    assert evaluate(POLICY, warned, today=TODAY).status == "passed"
    assert evaluate(POLICY, warned, today=TODAY).reasons[0].outcome == "warning"
    assert evaluate(POLICY, warned, alias="champion", today=TODAY).status == "failed"


def test_unknown_alias_is_blocked() -> None:
    decision = evaluate(POLICY, good(), alias="production", today=TODAY)
    assert decision.status == "failed"
    assert "no requirements for alias 'production'" in decision.reasons[0].message


STATUSES = st.sampled_from(
    ["passed", "warnings", "failed", "incomplete", "insufficient_evidence", "???"]
)


@given(
    dq=STATUSES,
    fair=STATUSES,
    triage=STATUSES,
    run_status=st.sampled_from(["FINISHED", "FAILED", "KILLED"]),
    drop=st.sets(st.integers(0, 4)),
)
def test_requiring_more_never_turns_a_block_into_a_pass(
    dq: str, fair: str, triage: str, run_status: str, drop: set[int]
) -> None:
    items = [
        item("csc.data_quality", "train", dq),
        item("csc.data_quality", "test", "passed"),
        item("csc.fairness", "model", fair),
        item("csc.ethics.triage", "triage", triage),
        WORKBOOK_OK,
    ]
    evidence = good(
        run_status=run_status, items=tuple(i for n, i in enumerate(items) if n not in drop)
    )
    staging = evaluate(POLICY, evidence, alias="staging", today=TODAY)
    champion = evaluate(POLICY, evidence, alias="champion", today=TODAY)
    if not staging.passed:
        assert not champion.passed
    run = evaluate(POLICY, evidence, today=TODAY)
    kept = {i.status for i in evidence.items}
    if run_status != "FINISHED" or kept & {"???", "failed"}:
        assert run.status == "failed"
    if drop:
        assert not run.passed


def test_decision_module_is_pure() -> None:
    code = (
        "import sys; import csc_mlflow._decision, csc_mlflow._policy_io, csc_mlflow._evidence; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow','great_expectations','fairlearn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
