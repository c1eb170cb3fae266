"""Evaluating a team's Ethics Workbook: answers by theme, evidence links, sign-offs, review date."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from csc_mlflow._evidence import SignoffRecord, ThemeRecord, WorkbookPayload
from csc_mlflow.ethics._definition import WorkbookDefinition, triage_definition, workbook_definition
from csc_mlflow.ethics._triage import TriageResult

TOP_LEVEL_KEYS = ("review_by", "signoffs", "answers")


@dataclass(frozen=True)
class ThemeProgress:
    """How far a theme's questions are answered."""

    theme: str
    label: str
    required: bool
    answered: tuple[str, ...]
    unanswered: tuple[str, ...]
    evidence: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every question answered (by text or by run evidence)."""
        return not self.unanswered


@dataclass(frozen=True)
class WorkbookResult:
    """The outcome of evaluating a workbook."""

    definition_version: str
    themes: tuple[ThemeProgress, ...]
    signoffs: tuple[Mapping[str, str], ...]
    review_by: str | None
    answers: Mapping[str, Any]
    problems: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    risk: str = "default"

    @property
    def complete(self) -> bool:
        """Every required theme complete and the file valid."""
        return not self.problems

    def to_payload(self) -> WorkbookPayload:
        """The evidence payload of ``governance/ethics/workbook.json``."""
        return WorkbookPayload(
            name="workbook",
            status="passed" if self.complete else "incomplete",
            reasons=self.problems,
            notes=self.notes,
            definition_version=self.definition_version,
            risk=self.risk,
            review_by=self.review_by,
            signoffs=tuple(SignoffRecord(**s) for s in self.signoffs),
            themes=tuple(
                ThemeRecord(
                    theme=t.theme,
                    label=t.label,
                    required=t.required,
                    answered=t.answered,
                    unanswered=t.unanswered,
                    evidence=t.evidence,
                    complete=t.complete,
                )
                for t in self.themes
            ),
            answers=dict(self.answers),
        )


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("answer")
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any, where: str, problems: list[str]) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        problems.append(f"{where}: expected a date (YYYY-MM-DD); found {value!r}")
        return None


def evaluate_workbook(
    workbook: Mapping[str, Any],
    *,
    triage: TriageResult | None,
    evidence_kinds: Collection[str] = (),
    evidence_paths: Mapping[str, tuple[str, ...]] | None = None,
    definition: WorkbookDefinition | None = None,
) -> WorkbookResult:
    """Check a workbook's answers, sign-offs and review date against the definition.

    Themes the triage flags are required; the rest are recommended (reported, not blocking).
    Without a usable triage every theme is required. A question whose definition names an
    evidence kind (``csc.data_quality``, ``csc.fairness``) counts as answered when the run
    carries that kind of evidence.
    """
    definition = definition or workbook_definition()
    themes = triage_definition().themes
    problems: list[str] = []
    notes: list[str] = []
    for key in workbook:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{key}: unknown key; allowed: {', '.join(TOP_LEVEL_KEYS)}{hint}")
    raw_answers = workbook.get("answers") or {}
    if not isinstance(raw_answers, Mapping):
        problems.append("answers: expected a mapping of question ids (DQ1, BI1, ...) to answers")
        raw_answers = {}
    ids = [q.id for q in definition.questions]
    for key in raw_answers:
        if key not in ids:
            close = difflib.get_close_matches(str(key), ids, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"answers.{key}: unknown workbook question{hint}")
    signoffs = _signoffs(workbook.get("signoffs"), definition.roles, problems)
    review_by = workbook.get("review_by")
    review = _date(review_by, "review_by", problems) if review_by is not None else None
    if review is None and review_by is None:
        problems.append("review_by: missing; set the date by which the workbook must be reviewed")

    usable_triage = triage is not None and triage.complete
    required = set(triage.flagged_keys) if triage is not None and usable_triage else set(themes)
    if not usable_triage:
        notes.append("no complete triage: every theme is treated as required")
    evidence_paths = evidence_paths or {}
    progress = []
    for key, theme in themes.items():
        answered: list[str] = []
        unanswered: list[str] = []
        linked: list[str] = []
        for question in definition.by_theme(key):
            if _text(raw_answers.get(question.id)) is not None:
                answered.append(question.id)
            elif question.evidence and question.evidence in evidence_kinds:
                answered.append(question.id)
                linked.extend(evidence_paths.get(question.evidence, ()))
            else:
                unanswered.append(question.id)
        item = ThemeProgress(
            theme=key,
            label=theme.label,
            required=key in required,
            answered=tuple(answered),
            unanswered=tuple(unanswered),
            evidence=tuple(linked),
        )
        progress.append(item)
        if item.complete:
            continue
        if item.required and not item.answered:
            problems.append(
                f"theme '{theme.label}' is flagged by the triage but its workbook section is empty "
                f"({', '.join(item.unanswered)})"
            )
        elif item.required:
            problems.append(
                f"theme '{theme.label}' is flagged by the triage; "
                f"unanswered: {', '.join(item.unanswered)}"
            )
        else:
            notes.append(
                f"recommended theme '{theme.label}' unanswered: {', '.join(item.unanswered)}"
            )
    answers = {str(k): _plain(v) for k, v in raw_answers.items()}
    return WorkbookResult(
        definition_version=definition.version,
        themes=tuple(progress),
        signoffs=tuple(signoffs),
        review_by=review,
        answers=answers,
        problems=tuple(problems),
        notes=tuple(notes),
        risk=triage.risk if triage is not None and usable_triage else "default",
    )


def _signoffs(raw: Any, roles: tuple[str, ...], problems: list[str]) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append("signoffs: expected a list of {name, role, date}")
        return []
    found = []
    for index, entry in enumerate(raw):
        where = f"signoffs[{index}]"
        if not isinstance(entry, Mapping) or set(entry) != {"name", "role", "date"}:
            problems.append(f"{where}: expected exactly name, role and date; found {entry!r}")
            continue
        if entry["role"] not in roles:
            problems.append(
                f"{where}.role: expected one of {', '.join(roles)}; found {entry['role']!r}"
            )
            continue
        when = _date(entry["date"], f"{where}.date", problems)
        if when is not None and str(entry["name"]).strip():
            found.append({"name": str(entry["name"]), "role": str(entry["role"]), "date": when})
        elif when is not None:
            problems.append(f"{where}.name: a sign-off needs the signer's name")
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
