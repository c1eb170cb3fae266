"""The guidance's stages of a project, in order, read from the shipped definition.

``data/stages/stages-v1.yaml`` lists them with where each name comes from: the first four
are named in the DfE guidance, the later ones are this project's names (the definition says
so). A run records the stage it belongs to; the policy says what each stage requires and
which stage each registry alias needs (see :mod:`csc_mlflow._decision`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

import yaml

__all__ = [
    "DEFINITION_VERSION",
    "Stage",
    "stage",
    "stage_ids",
    "stage_label",
    "stages",
    "stages_up_to",
]

DEFINITION_VERSION: Final = 1


@dataclass(frozen=True)
class Stage:
    """One stage: its id (what policies and tags use), its name, whether the guidance names
    it verbatim, and what the team should have by its end."""

    id: str
    name: str
    named_in_guidance: bool
    by_the_end: str
    position: int


@cache
def stages() -> tuple[Stage, ...]:
    """Every stage, in the order a project goes through them."""
    text = files("csc_mlflow.data.stages").joinpath(f"stages-v{DEFINITION_VERSION}.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    return tuple(
        Stage(
            id=entry["id"],
            name=entry["name"],
            named_in_guidance=bool(entry["named_in_guidance"]),
            by_the_end=" ".join(entry["by_the_end"].split()),
            position=position,
        )
        for position, entry in enumerate(data["stages"])
    )


def stage_ids() -> tuple[str, ...]:
    """The stage ids, in order."""
    return tuple(s.id for s in stages())


def stage(stage_id: str) -> Stage:
    """The stage called ``stage_id``; ``ValueError`` naming the known ones otherwise."""
    for found in stages():
        if found.id == stage_id:
            return found
    raise ValueError(f"unknown stage {stage_id!r}; the stages are {', '.join(stage_ids())}")


def stage_label(stage_id: str | None) -> str:
    """A stage's name for people: 'not recorded', or the id itself when it is not known."""
    if stage_id is None:
        return "not recorded"
    try:
        return stage(stage_id).name
    except ValueError:
        return f"{stage_id} (not a stage csc-mlflow knows)"


def stages_up_to(stage_id: str) -> tuple[Stage, ...]:
    """``stage_id`` and every stage before it."""
    last = stage(stage_id).position
    return tuple(s for s in stages() if s.position <= last)
