"""For each theme the triage flags: what it asks, what answers it, and what is still missing.

The themes' explainers ship as data (``data/explainers/explainers-v1.yaml``, with where each
text comes from). Answers are the Ethics Workbook's (its questions in words, with the role that
owns each) and the automated records on the run; a record that failed is shown as evidence of
a problem, not as an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from csc_mlflow._evidence import EvidenceItem, TriagePayload, WorkbookPayload

__all__ = ["Explainer", "ThemeAccount", "explainers", "theme_accounts"]


@dataclass(frozen=True)
class Explainer:
    """One theme's explainer: what it asks, the risks it names, where it bites, its source."""

    key: str
    label: str
    asks: str
    risks: str
    stages: tuple[str, ...]
    evidence: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ThemeAccount:
    """A flagged theme, and how far the run's evidence and the workbook answer it."""

    explainer: Explainer
    why: tuple[str, ...]
    answered: tuple[str, ...]
    records: tuple[tuple[str, str], ...]
    problems: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


@cache
def explainers() -> dict[str, Explainer]:
    """Every theme's explainer, by the triage's theme key."""
    text = files("csc_mlflow.data.explainers").joinpath("explainers-v1.yaml")
    data: dict[str, Any] = yaml.safe_load(text.read_text(encoding="utf-8"))
    return {
        key: Explainer(
            key=key,
            label=entry["label"],
            asks=entry["asks"],
            risks=entry["risks"],
            stages=tuple(entry["stages"]),
            evidence=tuple(entry["evidence"]),
            source=entry["source"],
        )
        for key, entry in data["themes"].items()
    }


def theme_accounts(
    triages: Sequence[TriagePayload],
    workbooks: Sequence[WorkbookPayload],
    items: Sequence[EvidenceItem],
) -> list[ThemeAccount]:
    """An account of every theme the triage flags."""
    from csc_mlflow.ethics._definition import workbook_definition

    texts = {q.id: (q.text, q.owner) for q in workbook_definition().questions}
    progress = {t.theme: t for w in workbooks for t in w.themes}
    accounts = []
    for flagged in (f for t in triages for f in t.flagged_themes):
        explainer = explainers().get(flagged.theme)
        if explainer is None:
            continue
        theme = progress.get(flagged.theme)
        own = theme.answered if theme is not None else ()
        records = tuple(
            (item.path, item.status) for item in items if item.kind in explainer.evidence
        )
        failing = tuple((p, s) for p, s in records if s not in ("passed",))
        answered = tuple(
            f"{texts[q][0]} ({texts[q][1].replace('_', ' ')})" for q in own if q in texts
        )
        missing = tuple(
            f"{texts[q][0]} ({texts[q][1].replace('_', ' ')})"
            for q in (theme.unanswered if theme is not None else ())
            if q in texts
        )
        if theme is None:
            missing += ("the Ethics Workbook's section for this theme (no workbook on the run)",)
        if explainer.evidence and not records:
            missing += tuple(
                f"a {kind.removeprefix('csc.')} record on the run" for kind in explainer.evidence
            )
        accounts.append(
            ThemeAccount(
                explainer=explainer,
                why=flagged.rationales,
                answered=answered,
                records=tuple(r for r in records if r not in failing),
                problems=failing,
                missing=missing,
            )
        )
    return accounts
