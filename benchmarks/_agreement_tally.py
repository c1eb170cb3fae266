"""Counting where csc-mlflow and the DfE validator flag the same rows (dev only)."""

from __future__ import annotations

from typing import Any


def tally(
    ours: dict[str, dict[str, set[int]]],
    reference: dict[str, Any],
    *,
    prefix: str,
    seed: int,
    disagreements: dict[str, list[str]],
) -> tuple[int, int]:
    """(shared, agree) over every rule and table both sides ran; each disagreement is added to
    ``disagreements`` by rule. A rule the reference lacks or could not run is not shared (an
    error is printed)."""
    shared = agree = 0
    for table, rules in ours.items():
        for rule, flagged in sorted(rules.items()):
            theirs = reference.get(rule.removeprefix(prefix))
            if theirs is None or "error" in theirs:
                if theirs:
                    print(f"{rule}: the reference could not run: {theirs['error']}")
                continue
            shared += 1
            theirs_rows = set(theirs.get(table, []))
            if flagged == theirs_rows:
                agree += 1
                continue
            disagreements.setdefault(rule, []).append(
                f"seed {seed} {table}: ours {len(flagged)} rows, reference {len(theirs_rows)}"
                f" ({len(flagged - theirs_rows)} only ours, {len(theirs_rows - flagged)}"
                " only theirs)"
            )
    return shared, agree
