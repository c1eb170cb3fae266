"""DfE disclosure control: counts 1-5 shown as ``c``, with secondary suppression.

A published count table is a set of cells with linear relations: the cells of a feature sum
to the total, and the cells of an intersection that share one feature's group sum to that
group's published count. A suppressed cell could be recovered by subtraction whenever it is
the only suppressed cell in such a relation; secondary suppression hides the smallest other
cell in that relation until no relation has exactly one suppressed cell.
"""

from __future__ import annotations

from collections.abc import Sequence

SUPPRESSED = "c"


def primary(counts: Sequence[int], up_to: int) -> set[int]:
    """Indices of cells with a count from 1 to ``up_to``."""
    return {i for i, n in enumerate(counts) if 1 <= n <= up_to}


def secondary(
    counts: Sequence[int], suppressed: set[int], relations: Sequence[Sequence[int]]
) -> set[int]:
    """Grow ``suppressed`` until no relation has exactly one suppressed cell.

    ``relations`` lists groups of cell indices whose sum is published.
    """
    hidden = set(suppressed)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            inside = [i for i in relation if i in hidden]
            if len(inside) != 1:
                continue
            candidates = [i for i in relation if i not in hidden and counts[i] > 0]
            if not candidates:
                continue
            hidden.add(min(candidates, key=lambda i: (counts[i], i)))
            changed = True
    return hidden
