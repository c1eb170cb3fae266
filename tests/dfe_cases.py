"""Row-level verdicts of shipped rules, for comparing with the DfE validators' test cases.

Test-only: GX's COMPLETE result format names the rows a rule flags; evidence never does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from csc_mlflow.quality._suite import Suite, load_suite, quiet_gx
from csc_mlflow.quality._validate import gx_context, gx_suite, prepare

NA = None


def flagged(ref: str, rule: str, columns: dict[str, list[Any]]) -> list[int]:
    """Rows of ``columns`` that ``rule`` of suite ``ref`` flags (test-only: COMPLETE format)."""
    suite = load_suite(ref)
    only = dataclasses.replace(suite, rules=tuple(r for r in suite.rules if r.rule == rule))
    assert only.rules, f"{ref} has no rule {rule}"
    frame = pd.DataFrame(columns)
    for column, kind in suite.columns.items():
        if column not in frame:  # columns the case does not set are blank
            frame[column] = pd.NaT if kind == "date" else None
        elif kind == "date":
            frame[column] = pd.to_datetime(frame[column], format="%d/%m/%Y")
        else:
            frame[column] = frame[column].astype(object)
    return sorted(complete_rows(prepare(frame, only), only))


def complete_rows(prepared: pd.DataFrame, suite: Suite) -> set[int]:
    """Positions of the rows of ``prepared`` that any rule of ``suite`` flags (GX COMPLETE
    format, test-only); a rule that raises fails the test."""
    batch = (
        gx_context()
        .data_sources.get("csc_mlflow")
        .get_asset("frame")
        .get_batch_definition("whole")
        .get_batch(batch_parameters={"dataframe": prepared})
    )
    with quiet_gx():
        outcome = batch.validate(gx_suite(suite), result_format={"result_format": "COMPLETE"})
    rows: set[int] = set()
    for result in outcome.results:
        info = result.exception_info or {}
        raised = info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in info.values()
        )
        assert not raised, f"{(result.expectation_config.meta or {}).get('rule')} raised: {info}"
        rows.update(int(i) for i in (result.result or {}).get("unexpected_index_list") or [])
    return rows
