"""The small condition language of the triage definition (show-when and rule conditions).

``{q: ID, is: V}`` the answer equals V; ``{q: ID, is_not: V}`` it is absent or differs;
``{q: ID, includes: OPT}`` a checkbox answer includes OPT; ``{all: [...]}``, ``{any: [...]}``,
``{not: {...}}`` combine them.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from csc_mlflow.exceptions import EthicsError

Condition = Mapping[str, Any]

_LEAF_OPS = ("is", "is_not", "includes")


def holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``answers`` (unanswered means absent)."""
    if "all" in condition:
        return all(holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, answers) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], answers)
    answer = answers.get(condition["q"])
    if "is" in condition:
        return answer is not None and answer == condition["is"]
    if "is_not" in condition:
        return answer is None or answer != condition["is_not"]
    return isinstance(answer, list) and condition["includes"] in answer


def could_hold(condition: Condition, answers: Mapping[str, Any], unknown: Set[str]) -> bool:
    """Whether ``condition`` could hold once the ``unknown`` questions are answered.

    Three-valued: a leaf on an unknown question could go either way. Conservative where one
    question appears twice (each appearance may take its own value), so it never misses a
    flag that some answers would raise.
    """
    return _outcomes(condition, answers, unknown)[0]


def _outcomes(
    condition: Condition, answers: Mapping[str, Any], unknown: Set[str]
) -> tuple[bool, bool]:
    """(could be true, could be false)."""
    if "all" in condition:
        parts = [_outcomes(c, answers, unknown) for c in condition["all"]]
        return all(t for t, _ in parts), any(f for _, f in parts)
    if "any" in condition:
        parts = [_outcomes(c, answers, unknown) for c in condition["any"]]
        return any(t for t, _ in parts), all(f for _, f in parts)
    if "not" in condition:
        true, false = _outcomes(condition["not"], answers, unknown)
        return false, true
    if condition["q"] in unknown:
        return True, True
    value = holds(condition, answers)
    return value, not value


def referenced(condition: Condition) -> tuple[str, ...]:
    """The question ids a condition reads."""
    for key in ("all", "any"):
        if key in condition:
            return tuple(q for c in condition[key] for q in referenced(c))
    if "not" in condition:
        return referenced(condition["not"])
    return (condition["q"],)


def check_condition(condition: Any, ids: Set[str], *, where: str) -> None:
    """Raise EthicsError unless ``condition`` is well formed and names known questions."""
    if not isinstance(condition, Mapping):
        raise EthicsError(f"{where}: a condition is a mapping; found {condition!r}")
    for key in ("all", "any"):
        if key in condition:
            for part in condition[key]:
                check_condition(part, ids, where=where)
            return
    if "not" in condition:
        check_condition(condition["not"], ids, where=where)
        return
    ops = [op for op in _LEAF_OPS if op in condition]
    if condition.get("q") not in ids or len(ops) != 1:
        raise EthicsError(f"{where}: malformed condition {dict(condition)!r}")
