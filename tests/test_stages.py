"""The guidance's stages as data: a run records its stage, the policy says what each stage
requires, an alias names the stage its model must have reached."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import RunEvidence, evaluate
from csc_mlflow import _names as names
from csc_mlflow._policy_io import parse_policy
from csc_mlflow._stages import stage_ids, stages
from csc_mlflow.exceptions import PolicyError, UsageError

from .test_decision import TODAY, item

WALK = parse_policy(
    """
version: 1
project: {name: walk, owner: team}
datasets: {train: {suite: s, required: false}}
stage_requirements:
  ethics_triage: [ethics.triage]
  design_and_development: [data_quality, ethics.workbook]
  testing_and_evaluation: [fairness]
gate:
  staging: {require: [data_quality], stage: testing_and_evaluation}
  champion: {require: [data_quality, fairness], stage: deployment}
"""
)
EVIDENCE_OF = {
    "ethics_triage": item("csc.ethics.triage", "triage", "passed", risk="low"),
    "design_and_development": item("csc.data_quality", "train", "passed"),
    "workbook": item("csc.ethics.workbook", "workbook", "passed", review_by="2030-01-01"),
    "testing_and_evaluation": item("csc.fairness", "model", "passed"),
}


def test_the_definition_says_which_names_are_the_guidances() -> None:
    assert stage_ids() == (
        "exploratory",
        "problem_identification",
        "choosing_a_solution",
        "ethics_triage",
        "design_and_development",
        "testing_and_evaluation",
        "deployment",
        "monitoring_and_review",
    )
    named = tuple(s.id for s in stages() if s.named_in_guidance)
    assert named == stage_ids()[:4]  # the three named stages and the triage checkpoint
    assert stages()[2].name == "Choosing a Data Analytics Solution"
    assert all(s.by_the_end for s in stages())


@pytest.mark.parametrize(
    "extra",
    [
        "stage: testing\n",
        "stage_requirements: {testing: [fairness]}\n",
        "stage_requirements: {deployment: [accuracy]}\n",
        "gate: {champion: {require: [fairness], stage: live}}\n",
    ],
)
def test_unknown_stages_and_requirements_are_refused_by_name(extra: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("version: 1\nproject: {name: a, owner: b}\n" + extra)
    message = str(caught.value)
    assert "testing_and_evaluation" in message or "one of" in message, message


def _evidence(stage: str, held: list[str]) -> RunEvidence:
    items = []
    for name in held:
        items.append(EVIDENCE_OF[name])
        if name == "design_and_development":
            items.append(EVIDENCE_OF["workbook"])
    return RunEvidence(
        run_status="FINISHED",
        items=tuple(items),
        policy_sha256=WALK.evidence_sha256,
        stage=stage,
    )


def test_a_project_walked_through_every_stage() -> None:
    """Exploratory to deployment: at each stage, the run with what every stage so far asks
    passes; one stage further without the new evidence is refused, naming what is missing."""
    gathered: list[str] = []
    for stage in stage_ids()[: stage_ids().index("deployment") + 1]:
        if stage in EVIDENCE_OF:
            missing = evaluate(WALK, _evidence(stage, gathered), today=TODAY)
            assert missing.status == "incomplete", stage
            codes = {(r.code, r.subject) for r in missing.reasons}
            assert any(c == "stage.evidence_missing" for c, _ in codes), missing.reasons
            gathered.append(stage)
        decision = evaluate(WALK, _evidence(stage, gathered), today=TODAY)
        assert decision.status == "passed", (stage, decision.reasons)


def test_a_later_stage_without_an_earlier_stages_evidence_lists_every_gap() -> None:
    decision = evaluate(WALK, _evidence("deployment", ["testing_and_evaluation"]), today=TODAY)
    assert decision.status == "incomplete"
    gaps = [str(r) for r in decision.reasons if r.code == "stage.evidence_missing"]
    assert len(gaps) == 3, gaps  # the triage, the data quality and the workbook
    assert any("stage Ethics Triage (checkpoint)" in g and "Ethics Triage" in g for g in gaps)
    assert any("stage Design and development" in g and "Ethics Workbook" in g for g in gaps)
    assert all("a run at stage Deployment needs" in g for g in gaps)


def test_an_alias_needs_its_stage() -> None:
    everything = list(EVIDENCE_OF)[:-1] + ["testing_and_evaluation"]
    testing = _evidence("testing_and_evaluation", everything)
    assert evaluate(WALK, testing, alias="staging", today=TODAY).status == "passed"
    blocked = evaluate(WALK, testing, alias="champion", today=TODAY)
    assert blocked.status == "failed"
    assert [r.code for r in blocked.reasons] == ["stage.not_reached"]
    assert "needs a model whose run reached stage Deployment" in str(blocked.reasons[0])
    deployed = _evidence("deployment", everything)
    assert evaluate(WALK, deployed, alias="champion", today=TODAY).status == "passed"


def test_a_run_with_no_stage_is_incomplete_where_stages_matter() -> None:
    unrecorded = RunEvidence(run_status="FINISHED", policy_sha256=WALK.evidence_sha256)
    decision = evaluate(WALK, unrecorded, today=TODAY)
    assert [r.code for r in decision.reasons] == ["stage.unrecorded"]


def test_the_projects_stage_is_outside_the_evidence_hash() -> None:
    later = parse_policy(yaml.safe_dump({**yaml.safe_load(WALK.snapshot()), "stage": "deployment"}))
    assert later.evidence_sha256 == WALK.evidence_sha256
    assert later.sha256 != WALK.sha256


def test_a_governed_run_seals_its_stage(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(
        "version: 1\nproject: {name: s, owner: t}\nstage: design_and_development\n"
        "stage_requirements: {ethics_triage: [ethics.triage]}\n"
    )
    with (
        pytest.raises(UsageError, match="testing_and_evaluation"),
        csc_mlflow.governed_run(policy, stage="testing"),
    ):
        pass
    with csc_mlflow.governed_run(policy) as default:
        mlflow.log_param("a", 1)
    with csc_mlflow.governed_run(policy, stage="exploratory") as early:
        mlflow.log_param("a", 1)
    first = csc_mlflow.get_status(default.info.run_id)
    assert first.manifest is not None
    assert first.manifest.run.stage == "design_and_development"
    assert first.status == "incomplete"
    assert "stage.evidence_missing" in {r.code for r in first.decision.reasons}  # type: ignore[union-attr]
    second = csc_mlflow.get_status(early.info.run_id)
    assert second.status == "passed", second.decision
    # The tag is a hint: rewriting it after the seal is itself a problem.
    MlflowClient().set_tag(early.info.run_id, names.STAGE_TAG, "deployment")
    third = csc_mlflow.get_status(early.info.run_id)
    assert third.status == "failed"
    assert any("sealed at stage 'exploratory'" in p for p in third.problems)
