"""The report's first page, for the accountable officer: plain English, no measure names.

Built from the same sealed records as the rest of the report: what the model is for and who it
affects, the verdict, each problem in terms of children and families with what to do next and
whose job it is, the triage's risk level and reasons, the review date and the sign-offs. Every
figure it quotes is one the records publish (a withheld figure stays withheld). A glossary
explains each measure once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from csc_mlflow._evidence import (
    DataQualityPayload,
    EvidenceItem,
    FairnessPayload,
    GovernanceDecision,
    PerformancePayload,
    Reason,
    TriagePayload,
    WorkbookPayload,
)

__all__ = [
    "GLOSSARY",
    "PlainSummary",
    "Problem",
    "answer_text",
    "plain_markdown",
    "plain_summary",
    "question_text",
]

ROLE_WORDS: Final = {
    "developer": "the data team",
    "accountable_officer": "the accountable officer",
    "data_protection_officer": "the data protection officer",
    "practice_lead": "the practice lead",
    "legal": "legal services",
}

VERDICT_WORDS: Final = {
    "passed": "The evidence meets everything the policy asks. The model may be used as the "
    "policy allows.",
    "failed": "The model must not be used yet. The evidence shows problems the policy does "
    "not allow.",
    "incomplete": "The model must not be used yet. Some of the evidence the policy asks for "
    "is missing.",
    "pending": "The model must not be used yet. Its evidence has not been checked.",
}

_MEASURE_WORDS: Final = {
    "recall": "of children who went on to have the outcome, the model picks out {v} in 100",
    "precision": "of children the model picks out, {v} in 100 went on to have the outcome",
    "accuracy": "the model is right about {v} in 100 children",
    "specificity": "of children who did not have the outcome, the model leaves {v} in 100 alone",
}

_FAIRNESS_WORDS: Final = {
    "equalized_odds_difference": (
        "how often the model is wrong differs between groups by {v} in 100",
        "a gap of {l} in 100",
    ),
    "demographic_parity_difference": (
        "the share of children the model picks out differs between groups by {v} in 100",
        "a gap of {l} in 100",
    ),
    "demographic_parity_ratio": (
        "in one group the model picks out children at {v} in 100 of the rate of another",
        "no less than {l} in 100",
    ),
    "equal_opportunity_difference": (
        "of children who went on to have the outcome, the share the model picks out differs "
        "between groups by {v} in 100",
        "a gap of {l} in 100",
    ),
}

GLOSSARY: Final = (
    ("Recall", "Of the children who went on to have the outcome, how many the model picked out."),
    ("Precision", "Of the children the model picked out, how many went on to have the outcome."),
    ("Accuracy", "How many children, of all of them, the model was right about."),
    (
        "Equalised odds difference",
        "The biggest gap between groups in how often the model is wrong, either way.",
    ),
    (
        "Demographic parity ratio",
        "The rate at which the model picks out children in the group it picks least, as a "
        "share of the group it picks most.",
    ),
    (
        "Interval",
        "The range the true figure is likely to be in. Few children give a wide range.",
    ),
    (
        "Inconclusive",
        "The evidence cannot say whether a limit is met. It is never counted as a pass.",
    ),
    ("c", "A number from 1 to 5, held back so that no child can be picked out."),
)


@dataclass(frozen=True)
class Problem:
    """One problem in words, what to do about it, and whose job that is."""

    what: str
    next_step: str
    owner: str


@dataclass(frozen=True)
class PlainSummary:
    """The first page's content, ready to render as HTML or markdown."""

    name: str
    purpose: str
    affects: str
    verdict: str
    status: str
    problems: tuple[Problem, ...]
    risk: str | None
    risk_reasons: tuple[str, ...]
    review_by: str | None
    signoffs: tuple[str, ...]
    stage: str
    notes: tuple[str, ...] = field(default=())


def _in_100(value: float | None) -> str:
    return "an unknown number" if value is None else f"{round(value * 100):d}"


def question_text(question_id: str) -> str:
    """The triage question's text (the id itself for one the definition does not hold)."""
    from csc_mlflow.ethics._definition import triage_definition

    for question in triage_definition().questions:
        if question.id == question_id:
            return question.text
    return question_id


def answer_text(question_id: str, answer: Any) -> str:
    """An answer as the person gave it: Yes or No, the option's words, or their text."""
    from csc_mlflow.ethics._definition import triage_definition

    options: dict[str, str] = {}
    for question in triage_definition().questions:
        if question.id == question_id and question.options:
            options = dict(question.options)
    if isinstance(answer, bool):
        return "Yes" if answer else "No"
    if isinstance(answer, list | tuple):
        return "; ".join(options.get(str(a), str(a)) for a in answer) or "none"
    return options.get(str(answer), str(answer))


def _affects(triages: Sequence[TriagePayload]) -> str:
    for triage in triages:
        groups = triage.answers.get("question9")
        if groups:
            return answer_text("question9", groups)
    return "not recorded (the Ethics Triage's question on who is directly affected)"


def _fairness_problems(payload: FairnessPayload) -> list[Problem]:
    """One problem per measure and outcome, naming every group of children it concerns."""
    by_kind: dict[tuple[str, str, bool], list[Any]] = {}
    for t in payload.thresholds:
        if t.verdict != "meets":
            by_kind.setdefault((t.metric, t.verdict, t.estimate.value is None), []).append(t)
    found = []
    for (metric, verdict, withheld), judged in by_kind.items():
        said, allowed = _FAIRNESS_WORDS.get(
            metric, (f"{metric.replace('_', ' ')} is {{v}} in 100", "{l} in 100")
        )
        limit = allowed.format(l=_in_100(judged[0].limit))
        groups = _listed([t.feature.replace("-", " and ").replace("_", " ") for t in judged])
        if withheld and verdict == "breaches":
            what = (
                f"By {groups}, {said.split(' by {v}')[0].split(' at {v}')[0]} by more than the "
                f"policy allows ({limit}). The exact figures are held back because a group is "
                "very small."
            )
        elif withheld:
            what = (
                f"By {groups}, the model cannot be shown to treat groups of children fairly: the "
                f"figures are held back because a group is very small, so the policy's limit "
                f"({limit}) cannot be checked."
            )
        else:
            shown = "; ".join(
                f"by {t.feature.replace('-', ' and ').replace('_', ' ')}, "
                f"{said.format(v=_in_100(t.estimate.value))}"
                for t in judged
            )
            what = f"{shown[0].upper()}{shown[1:]}; the policy allows {limit}." + (
                " The evidence cannot settle it either way." if verdict != "breaches" else ""
            )
        found.append(
            Problem(
                what=what,
                next_step="Find out why the groups are treated differently and change the "
                "model or its use; the accountable officer decides whether the gap is acceptable.",
                owner="the data team, then the accountable officer",
            )
        )
    return found


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _performance_problems(payload: PerformancePayload) -> list[Problem]:
    found = []
    for t in payload.thresholds:
        if t.verdict == "meets":
            continue
        words = _MEASURE_WORDS.get(t.metric, f"{t.metric} is {{v}} in 100")
        if t.estimate.value is None:
            what = (
                f"How well the model works ({t.metric}) cannot be shown: the figure is held "
                "back or could not be measured."
            )
        else:
            what = (
                f"{words.format(v=_in_100(t.estimate.value)).capitalize()}; the policy asks for "
                f"{'at least' if t.bound == 'min' else 'at most'} {_in_100(t.limit)}."
            )
        found.append(
            Problem(
                what=what,
                next_step="Improve the model, or agree with the accountable officer that it "
                "should not be used for this purpose.",
                owner="the data team",
            )
        )
    return found


def _quality_problems(payload: DataQualityPayload) -> list[Problem]:
    failed = [r for r in payload.rules if not r.success]
    if not failed:
        return []
    examples = "; ".join(r.description.rstrip(".") for r in failed[:3])
    return [
        Problem(
            what=f"The {payload.name} data breaks {len(failed)} of the DfE's rules for this "
            f"return, so some records the model relies on may be wrong ({examples}).",
            next_step="Correct the records at source, or explain why the rule does not apply, "
            "then run the model again.",
            owner="the data team",
        )
    ]


def _other_problem(reason: Reason) -> Problem:
    code, subject = reason.code, reason.subject
    if code in ("evidence.missing", "stage.evidence_missing"):
        return Problem(
            what=f"Evidence the policy asks for is missing: {reason.message.split(':')[0]}.",
            next_step="Produce it and run the model again.",
            owner="the data team",
        )
    if code.startswith("signoff") or "sign-off" in reason.message or "signed" in reason.message:
        return Problem(
            what=f"A required sign-off is missing ({subject}): {reason.message}",
            next_step="Ask the named role to review the Ethics Workbook and sign it off.",
            owner="the role named",
        )
    if code.startswith("ethics") or subject.startswith("ethics"):
        return Problem(
            what=f"The ethics work is not finished: {reason.message}",
            next_step="Complete the Ethics Triage and Workbook answers.",
            owner="the data team with the practice lead",
        )
    return Problem(
        what=f"{reason.message[0].upper()}{reason.message[1:]}",
        next_step="Resolve it and run the model again.",
        owner="the data team",
    )


def plain_summary(
    *,
    name: str,
    description: str | None,
    decision: GovernanceDecision,
    items: Sequence[EvidenceItem],
    stage: str,
) -> PlainSummary:
    """The first page for ``decision`` on the run holding ``items``."""
    payloads = [i.payload for i in items]
    triages = [p for p in payloads if isinstance(p, TriagePayload)]
    workbooks = [p for p in payloads if isinstance(p, WorkbookPayload)]
    problems: list[Problem] = []
    blocking = {r.subject for r in decision.reasons if r.blocking}
    explained: set[str] = set()
    for item in items:  # a record that blocks, in words drawn from its figures
        p = item.payload
        if item.requirement not in blocking:
            continue
        found = []
        if isinstance(p, FairnessPayload):
            found = _fairness_problems(p)
        elif isinstance(p, PerformancePayload):
            found = _performance_problems(p)
        elif isinstance(p, DataQualityPayload):
            found = _quality_problems(p)
        if found:
            problems += found
            explained.add(item.requirement)
    for reason in decision.reasons:
        if reason.blocking and reason.subject not in explained:
            problems.append(_other_problem(reason))
            explained.add(reason.subject)
    risk = next((t.risk for t in triages if t.risk), None)
    risk_reasons = tuple(
        dict.fromkeys(re.sub(r"^R\d+:\s*", "", r) for t in triages for r in t.risk_reasons)
    )
    signoffs = tuple(
        f"{s.name}, {ROLE_WORDS.get(s.role, s.role)}, {s.date}"
        for w in workbooks
        for s in w.signoffs
    )
    return PlainSummary(
        name=name,
        purpose=description or "not described in the policy (add project.description)",
        affects=_affects(triages),
        verdict=VERDICT_WORDS.get(decision.status, VERDICT_WORDS["incomplete"]),
        status=decision.status,
        problems=tuple(problems),
        risk=risk,
        risk_reasons=risk_reasons,
        review_by=next((w.review_by for w in workbooks if w.review_by), None),
        signoffs=signoffs,
        stage=stage,
    )


def plain_markdown(summary: PlainSummary, *, shown: int = 6) -> str:
    """The first page as short markdown: the verdict, what needs to happen, the key facts."""
    lines = [summary.verdict, ""]
    if summary.problems:
        lines.append("What needs to happen:")
        lines += [f"- {p.what} Next: {p.next_step} ({p.owner})" for p in summary.problems[:shown]]
        if len(summary.problems) > shown:
            lines.append(f"- and {len(summary.problems) - shown} more (see the report)")
        lines.append("")
    lines.append(f"For: {summary.purpose}")
    lines.append(
        f"Stage: {summary.stage}. Risk level: {summary.risk or 'not known'}. "
        f"Review by: {summary.review_by or 'not set'}."
    )
    return "\n".join(lines)
