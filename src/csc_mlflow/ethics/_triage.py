"""Evaluating a team's Ethics Triage answers against the shipped definition."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from csc_mlflow._evidence import FlaggedThemeRecord, TriagePayload
from csc_mlflow.ethics._conditions import could_hold, holds, referenced
from csc_mlflow.ethics._definition import Question, TriageDefinition, triage_definition

RiskLevel = Literal["low", "medium", "high", "unknown"]


@dataclass(frozen=True)
class FlaggedTheme:
    """A theme the triage flags, with every rule that flagged it and why."""

    key: str
    label: str
    rules: tuple[str, ...]
    rationales: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    """The outcome of evaluating triage answers."""

    definition_version: str
    answers: Mapping[str, Any]
    flagged: tuple[FlaggedTheme, ...]
    risk: RiskLevel
    risk_reasons: tuple[str, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every required, visible question answered, and nothing invalid."""
        return not self.problems

    @property
    def flagged_keys(self) -> tuple[str, ...]:
        """Keys of the flagged themes, in definition order."""
        return tuple(f.key for f in self.flagged)

    def to_payload(self) -> TriagePayload:
        """The evidence payload of ``governance/ethics/triage.json``."""
        return TriagePayload(
            name="triage",
            status="passed" if self.complete else "incomplete",
            reasons=self.problems,
            definition_version=self.definition_version,
            answers=dict(self.answers),
            flagged_themes=tuple(
                FlaggedThemeRecord(
                    theme=f.key, label=f.label, rules=f.rules, rationales=f.rationales
                )
                for f in self.flagged
            ),
            risk=self.risk,
            risk_reasons=self.risk_reasons,
        )


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


def visible(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether ``question`` is shown, given the answers so far."""
    return question.show_when is None or holds(question.show_when, answers)


def _check_answer(question: Question, value: Any) -> str | None:
    if question.type == "bool" and not isinstance(value, bool):
        return f"{question.id}: expected yes or no (true/false); found {value!r}"
    if question.type == "radio":
        options = tuple(question.options or {})
        if value not in options:
            return f"{question.id}: expected one of {', '.join(options)}; found {value!r}"
    if question.type == "checkbox":
        options = tuple(question.options or {})
        if not isinstance(value, list) or any(v not in options for v in value):
            return (
                f"{question.id}: expected a list of some of {', '.join(options)}; found {value!r}"
            )
    if question.type == "comment" and not isinstance(value, str):
        return f"{question.id}: expected text; found {value!r}"
    return None


def evaluate_triage(
    answers: Mapping[str, Any], definition: TriageDefinition | None = None
) -> TriageResult:
    """Check ``answers`` and apply the rules.

    Every required, visible question must be answered; an answer to a hidden question or an
    unknown id is rejected with a message saying why. Rules are applied to the valid,
    visible answers only, so a rejected answer cannot flag or unflag a theme.
    """
    definition = definition or triage_definition()
    ids = [q.id for q in definition.questions]
    problems: list[str] = []
    given = {k: v for k, v in answers.items() if _answered(v)}
    for key in given:
        if key not in ids:
            close = difflib.get_close_matches(key, ids, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known ids: {', '.join(ids)}"
            problems.append(f"{key}: unknown question id{hint}")
    usable: dict[str, Any] = {}
    for question in definition.questions:
        value = given.get(question.id)
        shown = visible(question, usable)
        if value is not None and not shown:
            depends = ", ".join(dict.fromkeys(referenced(question.show_when or {})))
            problems.append(
                f"{question.id}: answered, but the question is hidden by the answer to "
                f"{depends}; remove this answer or change {depends}"
            )
            continue
        if value is None:
            if shown and question.required:
                problems.append(f"{question.id}: required question not answered: {question.text}")
            continue
        wrong = _check_answer(question, value)
        if wrong:
            problems.append(wrong)
        else:
            usable[question.id] = value
    if problems:
        # Fail closed: until every question is answered, a rule that the missing answers
        # could trigger counts as triggered, and the risk is unknown (treated as high).
        unknown = frozenset(q.id for q in definition.questions if q.id not in usable)
        flagged, risk_reasons = _apply_rules(definition, usable, unknown=unknown)
        risk: RiskLevel = "unknown"
        risk_reasons.insert(
            0,
            "the triage is incomplete, so its risk level is unknown and treated as high until "
            "every question is answered",
        )
    else:
        flagged, risk_reasons = _apply_rules(definition, usable)
        if risk_reasons:
            risk = "high"
        elif flagged:
            risk = "medium"
        else:
            risk = "low"
    return TriageResult(
        definition_version=definition.version,
        answers=dict(usable),
        flagged=flagged,
        risk=risk,
        risk_reasons=tuple(risk_reasons),
        problems=tuple(problems),
    )


def _apply_rules(
    definition: TriageDefinition,
    answers: Mapping[str, Any],
    *,
    unknown: frozenset[str] = frozenset(),
) -> tuple[tuple[FlaggedTheme, ...], list[str]]:
    """The themes the rules flag; with ``unknown`` questions, every rule they could trigger."""
    hits: dict[str, tuple[list[str], list[str]]] = {}
    risk_reasons: list[str] = []
    for rule in definition.rules:
        if holds(rule.when, answers):
            rationale = rule.rationale
            if rule.rationale_when_unanswered and not any(
                q in answers for q in referenced(rule.when)
            ):
                rationale = rule.rationale_when_unanswered
        elif unknown and could_hold(rule.when, answers, unknown):
            missing = ", ".join(q for q in dict.fromkeys(referenced(rule.when)) if q in unknown)
            rationale = (
                f"not yet ruled out: unanswered {missing} could trigger it. {rule.rationale}"
            )
        else:
            continue
        if rule.raises_risk:
            risk_reasons.append(f"{rule.id}: {rationale}")
        for theme in rule.themes:
            rules, rationales = hits.setdefault(theme, ([], []))
            rules.append(rule.id)
            if rationale not in rationales:
                rationales.append(rationale)
    flagged = tuple(
        FlaggedTheme(
            key=key,
            label=theme.label,
            rules=tuple(hits[key][0]),
            rationales=tuple(hits[key][1]),
        )
        for key, theme in definition.themes.items()
        if key in hits
    )
    return flagged, risk_reasons
