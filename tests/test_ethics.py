"""The Ethics Triage and Workbook: rules, show-when conditions, completeness, evidence on runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml
from click.testing import CliRunner
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import _names as names
from csc_mlflow._cli import main
from csc_mlflow._policy_io import parse_policy
from csc_mlflow.ethics import check_ethics, evaluate_triage, evaluate_workbook, triage_definition
from csc_mlflow.ethics._templates import triage_template, workbook_template

from .conftest import REPO

# Answers under which no rule fires: a descriptive tool like ones the authority already runs well.
QUIET: dict[str, Any] = {
    "question0": "item1",
    "question1": True,
    "question1_2": True,
    "question3": False,
    "question4": True,
    "question7": True,
    "question7_1": True,
    "question8": False,
    "question5": True,
    "question5_1": False,
    "question9": ["item3"],
    "question10": [],
}


def answers(drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    result = {k: v for k, v in QUIET.items() if k not in drop}
    result.update(changes)
    return result


def test_quiet_answers_flag_nothing_and_are_low_risk() -> None:
    result = evaluate_triage(QUIET)
    assert result.problems == ()
    assert result.flagged == ()
    assert result.risk == "low"


ALL = (
    "bias",
    "co_design",
    "data_quality",
    "data_use",
    "evaluation",
    "governance",
    "legal",
    "procurement",
    "public_engagement",
)

RULES = [
    pytest.param(
        "R1",
        answers(drop=("question1_2", "question3"), question1=False, question2=False),
        ALL,
        "high",
        id="R1-never-deployed",
    ),
    pytest.param(
        "R2", answers(question1_2=False), ("evaluation",), "medium", id="R2-own-tools-not-effective"
    ),
    pytest.param(
        "R3",
        answers(drop=("question1_2",), question1=False, question2=True, question2_2=False),
        ("evaluation",),
        "medium",
        id="R3-others-not-effective",
    ),
    pytest.param(
        "R4",
        answers(question3=True),
        ("governance", "public_engagement"),
        "medium",
        id="R4-controversy",
    ),
    pytest.param(
        "R5", answers(question4=False), ("co_design",), "medium", id="R5-users-inexperienced"
    ),
    pytest.param(
        "R6",
        answers(drop=("question5_1",), question5=False),
        ("bias",),
        "medium",
        id="R6-no-bias-assessment",
    ),
    pytest.param("R7", answers(question5_1=True), ("bias",), "medium", id="R7-adverse-impact"),
    pytest.param(
        "R8",
        answers(drop=("question7_1",), question7=False),
        ("data_quality",),
        "medium",
        id="R8-quality-unknown",
    ),
    pytest.param(
        "R9", answers(question7_1=False), ("data_quality",), "medium", id="R9-quality-poor"
    ),
    pytest.param(
        "R10", answers(question8=True), ("data_use", "legal"), "medium", id="R10-personal-data"
    ),
    pytest.param(
        "R11",
        answers(question9=["item2"]),
        ("co_design", "public_engagement"),
        "medium",
        id="R11-families-affected",
    ),
    pytest.param("R12", answers(question10=["item1"]), ALL, "high", id="R12-little-oversight"),
    pytest.param(
        "R13", answers(question10=["item2"]), ALL, "high", id="R13-individual-predictions"
    ),
]


@pytest.mark.parametrize(("rule", "given", "themes", "risk"), RULES)
def test_each_published_rule(
    rule: str, given: dict[str, Any], themes: tuple[str, ...], risk: str
) -> None:
    result = evaluate_triage(given)
    assert result.problems == ()
    assert set(result.flagged_keys) == set(themes)
    assert all(rule in f.rules for f in result.flagged)
    assert result.risk == risk


def test_r2_keeps_the_published_quirk_with_an_honest_rationale() -> None:
    # No tool of our own, other authorities' tools had good evidence: still flag evaluation.
    result = evaluate_triage(
        answers(drop=("question1_2",), question1=False, question2=True, question2_2=True)
    )
    assert result.flagged_keys == ("evaluation",)
    (evaluation,) = result.flagged
    assert evaluation.rules == ("R2",)
    assert evaluation.rationales == (
        "No tool of this kind deployed by this authority; evidence from elsewhere does not show it works here.",
    )
    rule = next(r for r in triage_definition().rules if r.id == "R2")
    assert rule.deviation is not None
    assert "Kept deliberately" in rule.deviation


def test_thirteen_rules_and_nine_themes_are_shipped() -> None:
    definition = triage_definition()
    assert [r.id for r in definition.rules] == [f"R{i}" for i in range(1, 14)]
    assert tuple(definition.themes) == ALL


def test_answer_to_a_hidden_question_is_rejected() -> None:
    result = evaluate_triage(answers(question1_1=None, question2=True))
    assert result.problems == (
        "question2: answered, but the question is hidden by the answer to question1; remove this answer or change question1",
    )
    assert "question2" not in result.answers


def test_visible_required_question_missing_is_reported() -> None:
    result = evaluate_triage(answers(drop=("question1_2",)))
    assert result.problems == (
        "question1_2: required question not answered: Is there good evidence that those tools worked?",
    )
    assert not result.complete


def test_walking_the_tree_changes_what_is_required() -> None:
    no_own_tools = answers(drop=("question1_2", "question3"), question1=False)
    assert evaluate_triage(no_own_tools).problems == (
        "question2: required question not answered: Do you know of other local authorities that used this type of analytics on the problem you prioritised?",
    )
    with_others = no_own_tools | {"question2": True}
    problems = evaluate_triage(with_others).problems
    assert [p.split(":")[0] for p in problems] == ["question2_2", "question3"]


def test_unknown_ids_and_wrong_types_are_named() -> None:
    result = evaluate_triage(
        answers(question11=True, question0="item9", question4="maybe", question10="item1")
    )
    assert result.problems == (
        "question11: unknown question id; did you mean 'question1_1'?",
        "question0: expected one of item1, item2, item3; found 'item9'",
        "question4: expected yes or no (true/false); found 'maybe'",
        "question10: expected a list of some of item1, item2; found 'item1'",
    )


POLICY = """
version: 1
project: {name: p, owner: o}
ethics:
  triage: triage.yaml
  workbook: workbook.yaml
  signoff: {default: [accountable_officer], high: [accountable_officer, data_protection_officer]}
"""


def _write(folder: Path, triage: dict[str, Any], workbook: dict[str, Any]) -> Any:
    (folder / "triage.yaml").write_text(yaml.safe_dump(triage))
    (folder / "workbook.yaml").write_text(yaml.safe_dump(workbook))
    (folder / "governance.yaml").write_text(POLICY)
    return csc_mlflow.load_policy(folder / "governance.yaml")


def _all_answers(*themes: str) -> dict[str, str]:
    from csc_mlflow.ethics import workbook_definition

    return {
        q.id: "answered" for q in workbook_definition().questions if not themes or q.theme in themes
    }


def test_required_themes_follow_the_triage() -> None:
    triage = evaluate_triage(answers(question4=False))  # flags co_design only
    result = evaluate_workbook(
        {"review_by": "2030-01-01", "answers": _all_answers("co_design")}, triage=triage
    )
    assert result.complete
    assert [t.theme for t in result.themes if t.required] == ["co_design"]
    assert any("recommended theme 'Mitigating bias' unanswered" in n for n in result.notes)
    empty = evaluate_workbook({"review_by": "2030-01-01", "answers": {}}, triage=triage)
    assert empty.problems == (
        "theme 'Co-design' is flagged by the triage but its workbook section is empty (CD1, CD2)",
    )


def test_run_evidence_answers_the_matching_question() -> None:
    triage = evaluate_triage(answers(drop=("question5_1",), question5=False))  # flags bias
    some = {k: v for k, v in _all_answers("bias").items() if k != "BI1"}
    without = evaluate_workbook({"review_by": "2030-01-01", "answers": some}, triage=triage)
    assert without.problems == (
        "theme 'Mitigating bias' is flagged by the triage; unanswered: BI1",
    )
    linked = evaluate_workbook(
        {"review_by": "2030-01-01", "answers": some},
        triage=triage,
        evidence_kinds=("csc.fairness",),
        evidence_paths={"csc.fairness": ("governance/fairness/model.json",)},
    )
    assert linked.complete
    bias = next(t for t in linked.themes if t.theme == "bias")
    assert bias.evidence == ("governance/fairness/model.json",)


@pytest.mark.parametrize(
    ("workbook", "code", "message"),
    [
        (
            {"review_by": "2030-01-01", "signoffs": []},
            "signoff.missing",
            "no sign-off by the accountable officer",
        ),
        (
            {
                "review_by": "2026-01-01",
                "signoffs": [
                    {"name": "A", "role": "accountable_officer", "date": "2025-12-01"},
                    {"name": "B", "role": "data_protection_officer", "date": "2025-12-01"},
                ],
            },
            "review.expired",
            "due for review by 2026-01-01",
        ),
        (
            {
                "signoffs": [
                    {"name": "A", "role": "accountable_officer", "date": "2025-12-01"},
                    {"name": "B", "role": "data_protection_officer", "date": "2025-12-01"},
                ]
            },
            "evidence.incomplete",
            "review_by: missing",
        ),
    ],
    ids=["unsigned-role", "expired-review", "no-review-date"],
)
def test_each_workbook_gap_blocks_with_its_own_reason(
    tmp_path: Path, workbook: dict[str, Any], code: str, message: str
) -> None:
    policy = _write(
        tmp_path, answers(question4=False), workbook | {"answers": _all_answers("co_design")}
    )
    decision = check_ethics(policy, today=date(2026, 11, 24))
    assert not decision.passed
    matching = [r for r in decision.reasons if r.code == code]
    assert matching, decision.reasons
    assert message in matching[0].message


def test_high_risk_needs_the_dpo_too(tmp_path: Path) -> None:
    signed = [{"name": "A", "role": "accountable_officer", "date": "2026-01-01"}]
    policy = _write(
        tmp_path,
        answers(question10=["item2"]),
        {"review_by": "2030-01-01", "signoffs": signed, "answers": _all_answers()},
    )
    decision = check_ethics(policy, today=date(2026, 11, 24))
    assert [r.subject for r in decision.reasons] == ["sign-off by data_protection_officer"]


def test_example_ethics_files_are_complete() -> None:
    policy = csc_mlflow.load_policy(REPO / "examples" / "governance.yaml")
    decision = check_ethics(policy, today=date(2026, 11, 24))
    assert decision.status == "passed", decision.reasons


def test_templates_list_every_question_and_parse(tmp_path: Path) -> None:
    triage = yaml.safe_load(triage_template())
    assert list(triage) == [q.id for q in triage_definition().questions]
    assert all(v is None for v in triage.values())
    workbook = yaml.safe_load(workbook_template())
    assert set(workbook) == {"review_by", "signoffs", "answers"}
    assert len(workbook["answers"]) == 27
    assert (
        evaluate_triage(triage).problems[0].startswith("question0: required question not answered")
    )


def test_ethics_init_writes_templates_and_will_not_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["ethics", "init"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "ethics" / "triage.yaml").exists()
    again = runner.invoke(main, ["ethics", "init"])
    assert again.exit_code == 1
    assert "already exist; pass --force to overwrite them" in again.output


def test_interactive_triage_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # The visible questions in order for a predictive tool never deployed anywhere.
    typed = [
        "3",  # question0: predictive
        "no",  # question1
        "no",  # question2 (shown because question1 is no)
        "yes",  # question4
        "Used a similar dashboard.",  # question4_1
        "yes",
        "yes",
        "",  # question7, question7_1, question7_2
        "yes",
        "3",  # question8, question8_1: item3 is shown as 3 (the 5th option in the list)
        "no",  # question5
        "",  # question5_3
        "1,2",  # question9
        "",  # question9_1
        "2",  # question10: individual predictions
    ]
    result = CliRunner().invoke(main, ["ethics", "triage"], input="\n".join(typed) + "\n")
    assert result.exit_code == 0, result.output
    assert "risk level: high" in result.output
    written = yaml.safe_load((tmp_path / "ethics" / "triage.yaml").read_text())
    assert written["question1"] is False
    assert written["question8_1"] == "item3"
    assert written["question9"] == ["item1", "item2"]
    assert written.get("question1_2") is None
    assert evaluate_triage(written).complete
    (tmp_path / "ethics" / "workbook.yaml").write_text(
        yaml.safe_dump(
            {
                "review_by": "2030-01-01",
                "answers": _all_answers(),
                "signoffs": [
                    {"name": "A", "role": "accountable_officer", "date": "2026-01-01"},
                    {"name": "B", "role": "data_protection_officer", "date": "2026-01-01"},
                ],
            }
        )
    )
    (tmp_path / "governance.yaml").write_text(
        POLICY.replace("triage.yaml", "ethics/triage.yaml").replace(
            "workbook.yaml", "ethics/workbook.yaml"
        )
    )
    check = CliRunner().invoke(main, ["ethics", "check"])
    assert check.exit_code == 0, check.output
    assert "ethics: PASSED" in check.output


def test_interactive_triage_reasks_a_bad_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    typed = [
        "7",
        "item1",  # question0: 7 is not an option, so it is asked again
        "yes",
        "",
        "yes",
        "",  # question1, question1_1, question1_2, question1_3
        "no",
        "",  # question3, question3_1
        "yes",
        "",  # question4, question4_1
        "yes",
        "yes",
        "",  # question7, question7_1, question7_2
        "no",  # question8
        "yes",
        "no",
        "",
        "",  # question5, question5_1, question5_2, question5_3
        "3",
        "",
        "",  # question9, question9_1, question10
    ]
    result = CliRunner().invoke(main, ["ethics", "triage"], input="\n".join(typed) + "\n")
    assert result.exit_code == 0, result.output
    assert "please answer with the numbers shown" in result.output
    assert yaml.safe_load((tmp_path / "ethics" / "triage.yaml").read_text())["question0"] == "item1"


def test_run_carries_ethics_records_tags_and_manifest_entries(
    tracking: str, tmp_path: Path
) -> None:
    policy = _write(
        tmp_path,
        answers(question10=["item2"]),
        {
            "review_by": "2030-01-01",
            "answers": _all_answers(),
            "signoffs": [
                {"name": "A", "role": "accountable_officer", "date": "2026-01-01"},
                {"name": "B", "role": "data_protection_officer", "date": "2026-01-01"},
            ],
        },
    )
    with csc_mlflow.governed_run(policy) as run:
        pass
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.verified
    assert status.status == "passed", status.decision
    tags = MlflowClient().get_run(run.info.run_id).data.tags
    assert tags[names.ETHICS_RISK_TAG] == "high"
    assert tags[names.ETHICS_FLAGGED_TAG] == ",".join(ALL)
    assert tags[names.WORKBOOK_COMPLETE_TAG] == "true"
    kinds = {i.path: i.kind for i in status.evidence.items}
    assert kinds == {
        names.TRIAGE_PATH: "csc.ethics.triage",
        names.WORKBOOK_PATH: "csc.ethics.workbook",
    }
    triage = next(i for i in status.evidence.items if i.kind == "csc.ethics.triage")
    assert triage.payload.definition_version == triage_definition().version
    assert triage.payload.risk == "high"


@pytest.mark.parametrize(
    ("triage_text", "message"),
    [
        (
            None,
            "triage.yaml: the Ethics Triage answers file does not exist; create it with 'csc-mlflow ethics init'",
        ),
        ("question0: [item1\n", "not valid YAML"),
        ("- question0\n", "expected a mapping of question ids to answers; found list"),
    ],
    ids=["missing", "malformed", "not-a-mapping"],
)
def test_bad_answer_files_make_the_run_incomplete_not_lost(
    tracking: str, tmp_path: Path, triage_text: str | None, message: str
) -> None:
    signed = [{"name": "A", "role": "accountable_officer", "date": "2026-01-01"}]
    policy = _write(
        tmp_path, {}, {"review_by": "2030-01-01", "signoffs": signed, "answers": _all_answers()}
    )
    triage = tmp_path / "triage.yaml"
    if triage_text is None:
        triage.unlink()
    else:
        triage.write_text(triage_text)
    with csc_mlflow.governed_run(policy) as run:
        mlflow.log_metric("kept", 1.0)
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.status == "incomplete"
    assert status.decision is not None
    assert [r.subject for r in status.decision.reasons] == ["ethics.triage"]
    assert any(message in r.message for r in status.decision.reasons), status.decision.reasons
    assert MlflowClient().get_run(run.info.run_id).data.metrics["kept"] == 1.0


def test_parse_policy_signoff_by_risk() -> None:
    policy = parse_policy(POLICY)
    assert policy.ethics is not None
    assert policy.ethics.signoff["high"] == ("accountable_officer", "data_protection_officer")


def test_an_incomplete_triage_fails_closed_unknown_risk_and_possible_flags() -> None:
    """Hole 6 of the evidence issue: four answers missing gave risk 'low' and no flags."""
    missing = ("question0", "question1", "question4", "question5")
    result = evaluate_triage(answers(drop=missing))
    assert result.problems
    assert result.risk == "unknown"
    assert result.risk_reasons[0].startswith("the triage is incomplete")
    assert result.flagged, "rules the missing answers could trigger must count as triggered"
    assert any("not yet ruled out: unanswered" in r for f in result.flagged for r in f.rationales)
    complete = evaluate_triage(QUIET)
    assert complete.flagged == ()  # a complete quiet triage still flags nothing
    assert set(complete.flagged_keys) <= set(result.flagged_keys)


@pytest.mark.parametrize("drop", [("question0",), ("question4",), ("question9",), ("question10",)])
def test_dropping_any_one_answer_never_flags_fewer_themes(drop: tuple[str, ...]) -> None:
    for changes in ({}, {"question4": True}, {"question9": ["item1"]}):
        full = evaluate_triage(answers(**changes))
        partial = evaluate_triage(answers(drop=drop, **changes))
        if partial.problems:
            assert set(full.flagged_keys) <= set(partial.flagged_keys), (drop, changes)
            assert partial.risk == "unknown"


def test_an_incomplete_triage_needs_the_high_risk_signoffs(tmp_path: Path) -> None:
    policy = _write(
        tmp_path,
        answers(drop=("question0",)),
        {
            "review_by": "2027-06-30",
            "answers": _all_answers(*ALL),
            "signoffs": [{"name": "A", "role": "accountable_officer", "date": "2026-11-01"}],
        },
    )
    decision = check_ethics(policy, today=date(2026, 11, 24))
    assert any(
        r.subject == "sign-off by data_protection_officer" and r.outcome == "failed"
        for r in decision.reasons
    )


@pytest.mark.parametrize(
    ("workbook", "extra_policy", "code"),
    [
        ({"review_by": "9999-12-31"}, "", "review.implausible"),
        (
            {
                "review_by": "2027-06-30",
                "signoffs": [{"name": "A", "role": "accountable_officer", "date": "2099-01-01"}],
            },
            "",
            "signoff.future",
        ),
        (
            {
                "review_by": "2027-06-30",
                "signoffs": [{"name": "A", "role": "accountable_officer", "date": "2025-01-01"}],
            },
            "  review_max_age_days: 365\n",
            "review.stale",
        ),
        ({"review_by": "2028-06-30"}, "  review_max_age_days: 365\n", "review.implausible"),
    ],
    ids=["review-by-9999", "signed-in-2099", "signed-too-long-ago", "review-beyond-max-age"],
)
def test_implausible_or_stale_dates_block(
    tmp_path: Path, workbook: dict[str, Any], extra_policy: str, code: str
) -> None:
    body = {"answers": _all_answers(*ALL), **workbook}
    body.setdefault(
        "signoffs", [{"name": "A", "role": "accountable_officer", "date": "2026-11-01"}]
    )
    policy = _write(tmp_path, QUIET, body)
    if extra_policy:
        (tmp_path / "governance.yaml").write_text(POLICY + extra_policy)
        policy = csc_mlflow.load_policy(tmp_path / "governance.yaml")
    decision = check_ethics(policy, today=date(2026, 11, 24))
    assert code in {r.code for r in decision.reasons}, decision.reasons
    assert decision.status == "failed"


def test_triage_fills_the_blank_template_but_never_overwrites_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["ethics", "init"]).exit_code == 0
    typed = ["3", "no", "no", "yes", "x", "yes", "yes", "", "yes", "3", "no", "", "1,2", "", "2"]
    first = CliRunner().invoke(main, ["ethics", "triage"], input="\n".join(typed) + "\n")
    assert first.exit_code == 0, first.output
    answered = (tmp_path / "ethics" / "triage.yaml").read_text()
    again = CliRunner().invoke(main, ["ethics", "triage"], input="\n".join(typed) + "\n")
    assert again.exit_code == 1
    assert "already holds a complete triage; pass --force" in again.output
    assert (tmp_path / "ethics" / "triage.yaml").read_text() == answered


TRIAGE_TYPED = ["3", "no", "no", "yes", "x", "yes", "yes", "", "yes", "3", "no", "", "1,2", "", "2"]


def test_triage_shows_sections_places_and_full_text_never_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["ethics", "triage"], input="\n".join(TRIAGE_TYPED) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Novelty of the proposed solution  (question 1 of 25)" in out
    assert "Use of data in the proposed solution" in out
    assert "What scale of data does the tool need to work?" in out
    assert "question8_1" not in out
    assert "item3" not in out  # no internal ids
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("What scale of data"))
    numbers = [line.split(")")[0].strip() for line in lines[start + 1 : start + 6]]
    assert numbers == ["1", "2", "3", "4", "5"]  # shown as the file writes them (itemN is N)
    why = lines[lines.index("why:") + 1 :]
    assert why
    assert len(why) == len(set(why))  # each rule's reason once


def test_an_interrupted_triage_keeps_its_answers_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The input ends after five answers (as Ctrl-D at the sixth question would).
    typed = "\n".join(TRIAGE_TYPED[:5]) + "\n"
    first = CliRunner().invoke(main, ["ethics", "triage"], input=typed)
    assert first.exit_code == 1
    assert "Aborted" not in first.output
    assert "the triage was interrupted; the 5 answers given are saved in" in first.output
    saved = yaml.safe_load((tmp_path / "ethics" / "triage.yaml").read_text())
    assert saved["question0"] == "item3"
    assert saved["question4_1"] == "x"
    rest = "\n".join(TRIAGE_TYPED[5:]) + "\n"
    second = CliRunner().invoke(main, ["ethics", "triage"], input=rest)
    assert second.exit_code == 0, second.output
    assert "resuming (5 answers kept" in second.output
    done = yaml.safe_load((tmp_path / "ethics" / "triage.yaml").read_text())
    assert evaluate_triage(done).complete
    assert done["question8_1"] == "item3"


def test_ethics_check_works_on_the_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    assert CliRunner().invoke(main, ["ethics", "init"]).exit_code == 0
    blank = CliRunner().invoke(main, ["ethics", "check"])
    assert blank.exit_code == 3, blank.output
    assert "checking the files alone" in blank.output
    typed = "\n".join(TRIAGE_TYPED) + "\n"
    filled = CliRunner().invoke(main, ["ethics", "triage"], input=typed)  # fills the template
    assert filled.exit_code == 0, filled.output
    (tmp_path / "ethics" / "workbook.yaml").write_text(
        yaml.safe_dump({"review_by": "2030-01-01", "answers": _all_answers()})
    )
    alone = CliRunner().invoke(main, ["ethics", "check"])
    assert alone.exit_code == 0, alone.output
    assert "ethics: PASSED" in alone.output
    nothing = tmp_path / "empty"
    nothing.mkdir()
    monkeypatch.chdir(nothing)
    none = CliRunner().invoke(main, ["ethics", "check"])
    assert none.exit_code == 1
    assert "no ethics files to check" in none.output
