"""Blank, commented answer files (``ethics init``) and the interactive triage."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from csc_mlflow.ethics._definition import Question, triage_definition, workbook_definition
from csc_mlflow.ethics._triage import visible


def _comment(text: str, indent: str = "") -> str:
    return "\n".join(f"{indent}# {line}" for line in textwrap.wrap(text, 92))


def _describe(question: Question) -> str:
    kind = {"bool": "yes / no", "comment": "free text", "radio": "one of", "checkbox": "a list of"}[
        question.type
    ]
    parts = [f"{question.id} ({kind}{', required' if question.required else ''})"]
    if question.show_when is not None:
        parts.append(f"shown when {_condition_text(question.show_when)}")
    return "; ".join(parts)


def _condition_text(condition: Mapping[str, Any]) -> str:
    if "all" in condition:
        return " and ".join(_condition_text(c) for c in condition["all"])
    if "any" in condition:
        return " or ".join(_condition_text(c) for c in condition["any"])
    if "not" in condition:
        return f"not ({_condition_text(condition['not'])})"
    for op, word in (("is", "is"), ("is_not", "is not"), ("includes", "includes")):
        if op in condition:
            value = condition[op]
            shown = (
                {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
            )
            return f"{condition['q']} {word} {shown}"
    return "?"


def triage_template(answers: Mapping[str, Any] | None = None) -> str:
    """The triage answers file, every question commented; ``answers`` pre-filled if given."""
    definition = triage_definition()
    answers = answers or {}
    lines = [
        "# Ethics Triage answers (DfE / RTA guidance on data analytics in children's social care).",
        f"# Definition: {definition.version}. Answer the questions shown for your earlier answers;",
        "# leave hidden ones blank. 'csc-mlflow ethics check' reports what is missing.",
    ]
    section = None
    for question in definition.questions:
        if question.section != section:
            section = question.section
            lines += ["", f"# == {definition.sections[section]} =="]
        lines.append(_comment(question.text))
        lines.append(_comment(_describe(question)))
        for option, label in (question.options or {}).items():
            lines.append(_comment(f"  {option}: {label}"))
        value = answers.get(question.id)
        rendered = (
            ""
            if value is None
            else " "
            + yaml.safe_dump(value, default_flow_style=True, width=10_000)
            .strip()
            .removesuffix("...")
            .strip()
        )
        lines.append(f"{question.id}:{rendered}")
    return "\n".join(lines) + "\n"


def workbook_template() -> str:
    """The workbook file: review date, sign-offs and every question by theme, blank."""
    definition = workbook_definition()
    themes = triage_definition().themes
    lines = [
        "# Ethics Workbook: work through the questions of every theme the triage flags (required)",
        "# and, where you can, the others (recommended). Answers are text; a data-quality or",
        "# fairness result logged on the same run also answers the question marked 'evidence'.",
        f"# Definition: {definition.version}.",
        "",
        "# The date by which the workbook must be reviewed again (YYYY-MM-DD).",
        "review_by:",
        "",
        "# Who signed it off. Roles: " + ", ".join(definition.roles) + ".",
        "signoffs: []",
        "#  - {name: Jane Example, role: accountable_officer, date: 2026-11-01}",
        "",
        "answers:",
    ]
    for key, theme in themes.items():
        lines.append(f"  # == {theme.label} ==")
        for question in definition.by_theme(key):
            lines.append(_comment(question.text, "  "))
            extra = f"; evidence: {question.evidence}" if question.evidence else ""
            lines.append(f"  # owner: {question.owner}{extra}")
            lines.append(f"  {question.id}:")
    return "\n".join(lines) + "\n"


Ask = Callable[[Question, Mapping[str, Any]], Any]


def run_triage(ask: Ask, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask the visible questions in order (``ask`` returns an answer or None) and collect them
    into ``answers`` as they come (so an interrupted triage keeps what was given); questions
    already answered there are not asked again."""
    answers = {} if answers is None else answers
    given = set(answers)
    for question in triage_definition().questions:
        if question.id in given or not visible(question, answers):
            continue
        value = ask(question, answers)
        if value is not None and value != "" and value != []:
            answers[question.id] = value
    for question in triage_definition().questions:
        if question.id in answers and not visible(question, answers):
            del answers[question.id]  # hidden by another answer: never written
    return answers
