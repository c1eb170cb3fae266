"""DfE disclosure control that survives arithmetic.

Counts 1-5 are shown as ``c`` (*primary* suppression). A published table is a set of cells
with linear relations: the groups of a feature sum to everyone, and the cells of an
intersection that share one feature's group sum to that group. Whatever is hidden must stay
hidden under subtraction: no relation may have exactly one hidden part, and where the total
is known, the hidden parts together must not add up to 1-5 either (*secondary* suppression
hides the smallest other part until both hold).

The same rule runs twice: on the group sizes (which sizes are published), and on every count
behind a group's rates (which groups' rates are published). A group's rates reveal its
confusion counts - true and false positives and negatives, and their sums: positives,
negatives, predicted positives and negatives, correct and wrong - because rate x size gives
the numerator, so a group's rates are published only when each of those counts is 0 or above
the limit, its size is published, and no subtraction isolates them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SUPPRESSED", "Relation", "derived_counts", "primary", "secondary"]

SUPPRESSED = "c"

Relation = tuple[tuple[int, ...], int | None]
"""The parts of a relation, and the index of their total (None: a total that is published)."""


def derived_counts(cells: tuple[int, int, int, int]) -> tuple[int, ...]:
    """Every count a group's published rates reveal, from its (tn, fp, fn, tp)."""
    tn, fp, fn, tp = cells
    return (tn, fp, fn, tp, fn + tp, tn + fp, fp + tp, tn + fn, tn + tp, fp + fn, tn + fp + fn + tp)


def primary(values: Sequence[Sequence[int]], up_to: int) -> set[int]:
    """Cells any of whose counts lies from 1 to ``up_to``."""
    return {i for i, counts in enumerate(values) if any(1 <= n <= up_to for n in counts)}


def secondary(
    values: Sequence[Sequence[int]],
    hidden: set[int],
    relations: Sequence[Relation],
    up_to: int,
) -> set[int]:
    """Grow ``hidden`` until no relation lets a hidden count be worked out.

    ``values[i]`` holds cell ``i``'s counts (one per quantity, the size first); the smallest
    size goes first when another cell must be hidden.
    """
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for parts, total in relations:
            inside = [i for i in parts if i in hidden]
            total_known = total is None or total not in hidden
            if total_known:
                if not inside:
                    continue
                width = len(values[inside[0]])
                sums = [sum(values[i][q] for i in inside) for q in range(width)]
                unsafe = len(inside) == 1 or any(1 <= s <= up_to for s in sums)
            else:
                unsafe = not inside  # a hidden total equals the sum of its published parts
            if not unsafe:
                continue
            candidates = [i for i in parts if i not in hidden and values[i][0] > 0]
            if not candidates:
                if total is not None and total_known:
                    # No other part to hide (the hidden one is the only non-empty part): it
                    # equals the total, so the total is hidden with it.
                    hidden.add(total)
                    changed = True
                continue
            hidden.add(min(candidates, key=lambda i: (values[i][0], i)))
            changed = True
    return hidden
