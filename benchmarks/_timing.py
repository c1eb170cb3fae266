"""Shared timing helper for the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(
    fn: Callable[[], object], repeat: int, *, pick: Callable[[list[float]], float] = min
) -> float:
    """Seconds ``fn`` takes: the best (``min``) or ``statistics.median`` of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return pick(times)


median = statistics.median
