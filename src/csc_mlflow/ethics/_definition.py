"""The Ethics Triage and Ethics Workbook definitions, loaded from the YAML shipped in the package.

The question tree, the show-when conditions and the rules that flag explainer themes are data
(``csc_mlflow/data/ethics/*.yaml``), not code branches; this module reads and checks them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Final, Literal

import yaml

from csc_mlflow.ethics._conditions import Condition, check_condition
from csc_mlflow.exceptions import EthicsError

QuestionType = Literal["bool", "radio", "checkbox", "comment"]
TRIAGE_RESOURCE: Final = "triage-v1.yaml"
WORKBOOK_RESOURCE: Final = "workbook-v1.yaml"


@dataclass(frozen=True)
class Theme:
    """An explainer theme of the guidance."""

    key: str
    label: str
    slug: str


@dataclass(frozen=True)
class Question:
    """One triage question."""

    id: str
    section: str
    type: QuestionType
    text: str
    required: bool = False
    options: Mapping[str, str] | None = None
    show_when: Condition | None = None


@dataclass(frozen=True)
class Rule:
    """A published rule mapping answers to flagged themes."""

    id: str
    when: Condition
    themes: tuple[str, ...]
    rationale: str
    raises_risk: bool = False
    deviation: str | None = None
    rationale_when_unanswered: str | None = None


@dataclass(frozen=True)
class TriageDefinition:
    """The whole triage: themes, questions in order, rules."""

    version: str
    source: str
    themes: Mapping[str, Theme]
    sections: Mapping[str, str]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]

    def question(self, question_id: str) -> Question | None:
        """The question with ``question_id``, if any."""
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class WorkbookQuestion:
    """One workbook question, owned by a role, optionally satisfied by run evidence."""

    id: str
    theme: str
    owner: str
    text: str
    evidence: str | None = None


@dataclass(frozen=True)
class WorkbookDefinition:
    """Workbook questions by theme."""

    version: str
    roles: tuple[str, ...]
    questions: tuple[WorkbookQuestion, ...]

    def by_theme(self, theme: str) -> tuple[WorkbookQuestion, ...]:
        """The questions of ``theme``, in order."""
        return tuple(q for q in self.questions if q.theme == theme)


def _read(resource: str) -> dict[str, Any]:
    text = files("csc_mlflow.data.ethics").joinpath(resource).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise EthicsError(f"{resource}: expected a mapping")
    return data


@functools.cache
def triage_definition() -> TriageDefinition:
    """The shipped Ethics Triage definition (checked on first load)."""
    data = _read(TRIAGE_RESOURCE)
    themes = {
        key: Theme(key=key, label=value["label"], slug=value["slug"])
        for key, value in data["themes"].items()
    }
    questions: list[Question] = []
    sections: dict[str, str] = {}
    for section in data["sections"]:
        sections[section["id"]] = section["title"]
        for q in section["questions"]:
            questions.append(
                Question(
                    id=q["id"],
                    section=section["id"],
                    type=q["type"],
                    text=q["text"],
                    required=bool(q.get("required", False)),
                    options=q.get("options"),
                    show_when=q.get("show_when"),
                )
            )
    ids = {q.id for q in questions}
    rules = []
    for r in data["rules"]:
        flagged = tuple(themes) if r["themes"] == "all" else tuple(r["themes"])
        unknown = set(flagged) - set(themes)
        if unknown:
            raise EthicsError(f"{TRIAGE_RESOURCE}: rule {r['id']} flags unknown themes {unknown}")
        check_condition(r["when"], ids, where=f"rule {r['id']}")
        rules.append(
            Rule(
                id=r["id"],
                when=r["when"],
                themes=flagged,
                rationale=r["rationale"],
                raises_risk=bool(r.get("raises_risk", False)),
                deviation=r.get("deviation"),
                rationale_when_unanswered=r.get("rationale_when_unanswered"),
            )
        )
    for q in questions:
        if q.show_when is not None:
            check_condition(q.show_when, ids, where=f"question {q.id}")
    return TriageDefinition(
        version=data["version"],
        source=data["source"],
        themes=themes,
        sections=sections,
        questions=tuple(questions),
        rules=tuple(rules),
    )


@functools.cache
def workbook_definition() -> WorkbookDefinition:
    """The shipped Ethics Workbook definition."""
    data = _read(WORKBOOK_RESOURCE)
    themes = triage_definition().themes
    questions = []
    for theme, items in data["themes"].items():
        if theme not in themes:
            raise EthicsError(f"{WORKBOOK_RESOURCE}: unknown theme {theme!r}")
        for item in items:
            if item["owner"] not in data["roles"]:
                raise EthicsError(f"{WORKBOOK_RESOURCE}: {item['id']} has unknown owner")
            questions.append(
                WorkbookQuestion(
                    id=item["id"],
                    theme=theme,
                    owner=item["owner"],
                    text=item["text"],
                    evidence=item.get("evidence"),
                )
            )
    return WorkbookDefinition(
        version=data["version"], roles=tuple(data["roles"]), questions=tuple(questions)
    )
