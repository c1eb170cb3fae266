"""Running a suite with Great Expectations, and reducing results to what a reviewer needs.

Nothing row-level leaves this module: GX is asked for its minimal counting result format
*and* every result is rebuilt from an allowlist of numeric counts, so a future GX default
cannot bring values, row indices or partial lists back. Progress bars and usage statistics
are off.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from csc_mlflow._evidence import RuleRecord
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._engine import configurations_read_once
from csc_mlflow.quality._suite import Suite, quiet_gx
from csc_mlflow.quality._views import collection_end, collection_start, derive

RESULT_FORMAT: Final = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
# The only result fields that may leave GX: counts and percentages, nothing else.
ALLOWED: Final = ("element_count", "unexpected_count", "unexpected_percent", "missing_count")

_lock = threading.Lock()
VALIDATING = threading.Lock()
_context: Any = None
_suites: dict[str, Any] = {}


RuleResult = RuleRecord
"""One rule's outcome, as counts only: the evidence record's own type."""


@dataclass(frozen=True)
class DataQualityResult:
    """Every rule's outcome for one dataset, and the verdict under ``block_on``."""

    suite: Suite
    rows: int
    rules: tuple[RuleResult, ...]
    block_on: str = "error"

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        """Rules that did not hold."""
        return tuple(r for r in self.rules if not r.success)

    @property
    def status(self) -> str:
        """``failed`` if a blocking rule failed, ``warnings`` if only queries did, else passed."""
        blocking = ("error", "query") if self.block_on == "query" else ("error",)
        if any(r.severity in blocking for r in self.failed):
            return "failed"
        return "warnings" if self.failed else "passed"

    @property
    def success_percent(self) -> float:
        """Share of rules that held."""
        return 100.0 * (len(self.rules) - len(self.failed)) / len(self.rules)

    def __repr__(self) -> str:
        rows = shown(self.rows, self.rows in SMALL)
        return (
            f"DataQualityResult(suite={self.suite.ref!r}, rows={rows}, status={self.status!r}, "
            f"rules={len(self.rules)}, failed={len(self.failed)})"
        )

    def _repr_html_(self) -> str:
        """The verdict and the failing rules, counts as they may be published (notebooks)."""
        from csc_mlflow._notebook import card, table

        rows = []
        for r in map(disclosed, self.failed):
            rows.append(
                (
                    r.rule,
                    r.severity,
                    shown(r.unexpected_count, "unexpected_count" in r.suppressed),
                    shown(r.element_count, "element_count" in r.suppressed),
                    _pct(r.unexpected_percent),
                    r.problem or r.description,
                )
            )
        lines = [
            f"{shown(self.rows, self.rows in SMALL)} rows, {len(self.rules)} rules, "
            f"{len(self.failed)} failed (blocking on {self.block_on})"
        ]
        if any(r.suppressed for r in map(disclosed, self.failed)):
            lines.append("c: a count of 1 to 5, withheld (DfE disclosure control)")
        body = (
            table(("rule", "severity", "failed", "of rows", "%", "description"), rows)
            if rows
            else ""
        )
        return card(f"Data quality: {self.suite.ref}", self.status, lines, body)

    def reasons(self) -> list[str]:
        """One plain-English line per failed rule."""
        lines = []
        for r in map(disclosed, self.failed):
            if r.problem:
                lines.append(f"{r.rule} ({r.severity}) {r.description} Could not run: {r.problem}")
            else:
                failed = shown(r.unexpected_count, "unexpected_count" in r.suppressed)
                of = shown(r.element_count, "element_count" in r.suppressed)
                small = " (c: a count of 1 to 5, withheld)" if r.suppressed else ""
                lines.append(
                    f"{r.rule} ({r.severity}) {r.description} Failed for {failed} of {of} rows "
                    f"({_pct(r.unexpected_percent)}){small}."
                )
        return lines


SMALL: Final = range(1, 6)
"""Counts of 1 to 5 are withheld from every output (DfE disclosure control, shown as ``c``)."""


def disclosed(rule: RuleResult) -> RuleResult:
    """``rule`` as it may leave the process: each count of 1 to 5 withheld (None, named in
    ``suppressed``), and the percentage withheld with a withheld count it would give away."""
    counts = {
        key: getattr(rule, key) for key in ("element_count", "unexpected_count", "missing_count")
    }
    hidden = tuple(key for key, value in counts.items() if value in SMALL)
    if not hidden:
        return rule
    changes: dict[str, Any] = {key: None for key in hidden}
    if {"element_count", "unexpected_count"} & set(hidden):
        changes["unexpected_percent"] = None
        hidden += ("unexpected_percent",)
    return rule.model_copy(update={**changes, "suppressed": hidden})


def shown(value: int | None, suppressed: bool) -> str:
    """A count as printed: ``c`` when withheld."""
    return "c" if suppressed else str(value or 0)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(float(value)) else None


def scrub(result: Mapping[str, Any] | None) -> dict[str, float | None]:
    """Keep only the allowed numeric counts of a GX result; drop everything else."""
    result = result or {}
    return {key: _number(result.get(key)) for key in ALLOWED}


def prepare(
    frame: Any,
    suite: Suite,
    *,
    collection_year: str | None = None,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    fast: bool = True,
) -> pd.DataFrame:
    """Check the data can be validated by ``suite``; add the derived columns.

    ``period`` (first and last day of the collection) defaults to the suite's collection year.
    With ``fast`` (the default) GX is handed only the columns the rules and their row
    conditions read, and dates as ``datetime64[ns]``, the unit its vectorised date comparisons
    take (others go row by row); the data is not copied.

    Raises :class:`DataError` naming the column and what to do: a missing column (with close
    matches), an empty frame, dates held as text, a suite for another collection year.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame, a Spark DataFrame or a csc_mlflow.SqlTable to "
            f"validate; found {type(frame).__name__}",
            key="data",
        )
    if collection_year and suite.collection_year and collection_year != suite.collection_year:
        raise DataError(
            f"suite {suite.ref} is written for collection year {suite.collection_year} but the "
            f"data is for {collection_year}; use {suite.name}@{collection_year}",
            key="collection_year",
        )
    if frame.empty:
        raise DataError(
            f"the dataset is empty (0 rows); suite {suite.ref} has nothing to check. "
            "Check the extract or the filter that produced it.",
            key="data",
        )
    present = [str(c) for c in frame.columns]
    for column in suite.required_columns():
        if column not in frame.columns:
            close = difflib.get_close_matches(column, present, n=3)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise DataError(
                f"column {column!r} is missing: suite {suite.ref} needs it.{hint} "
                f"It needs: {', '.join(suite.required_columns())}.",
                column=column,
            )
    for column, kind in suite.columns.items():
        if kind == "date" and column in frame.columns:
            series = frame[column]
            if not pd.api.types.is_datetime64_any_dtype(series) and series.notna().any():
                raise DataError(
                    f"column {column!r} holds text or numbers, not dates (dtype {series.dtype}); "
                    f"parse it first, e.g. df[{column!r}] = pd.to_datetime(df[{column!r}], "
                    "format='%d/%m/%Y')",
                    column=column,
                )
    start, end = period or (
        collection_start(suite.collection_year),
        collection_end(suite.collection_year),
    )
    needed = suite.needed_derived()
    if not needed and not fast:
        return frame
    prepared: pd.DataFrame = frame.copy(deep=False)  # new columns only; the data is shared
    prepared.attrs = {}
    for column in needed:  # in order: one may use another
        how, first, second = suite.derived[column]
        prepared[column] = derive(prepared, how, first, second, end, start)
    prepared.attrs = {}
    return _for_gx(prepared, suite) if fast else prepared


def _for_gx(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """The frame as GX computes it fastest with the same results: only the columns the rules
    read (each row condition filters, and GX copies, every column it is given; a suite with a
    table-level rule keeps them all), dates in nanoseconds (a date outside what nanoseconds
    hold stays as it is)."""
    read = {c for rule in suite.rules for c in rule.columns}
    if all(rule.columns for rule in suite.rules):
        conditions = [
            str(rule.kwargs["row_condition"])
            for rule in suite.rules
            if "row_condition" in rule.kwargs
        ]
        # A column named anywhere in a condition is kept (more than it needs is harmless).
        read |= {str(c) for c in frame.columns if any(str(c) in text for text in conditions)}
        frame = frame[[c for c in frame.columns if str(c) in read]]
    for column in read & {str(c) for c in frame.columns}:
        series = frame[column]
        dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "M" and dtype != _NANOSECONDS:
            try:
                frame[column] = series.astype(_NANOSECONDS)
            except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                continue
    return frame


_NANOSECONDS: Final = np.dtype("datetime64[ns]")


def gx_context() -> Any:
    """The process's one ephemeral GX context (built on first use, then kept)."""
    global _context
    with _lock:
        if _context is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
            with quiet_gx():
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig

            from csc_mlflow.quality._engine import shared_domain_engine

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(
                globally=False, metric_calculations=False
            )
            for name in ("csc_mlflow", "plain"):
                source = context.data_sources.add_pandas(name)
                source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")
                _batch_definitions[name] = (
                    context.data_sources.get(name).get_asset("frame").get_batch_definition("whole")
                )
            # GX's datasource takes its engine class from this class-level hook; set on our
            # datasource only ("plain" keeps GX's engine, for comparison).
            object.__setattr__(
                _batch_definitions["csc_mlflow"].data_asset.datasource,
                "execution_engine_override",
                shared_domain_engine(),
            )
            _context = context
        return _context


def gx_batch_definition(*, shared: bool = True) -> Any:
    """The whole-dataframe batch definition: with csc-mlflow's shared-domain engine, or
    (``shared=False``) with GX's own engine as a user would configure it."""
    gx_context()
    return _batch_definitions["csc_mlflow" if shared else "plain"]


_batch_definitions: dict[str, Any] = {}


def gx_suite(suite: Suite) -> Any:
    """The GX ExpectationSuite for ``suite`` (built once per suite content)."""
    import great_expectations as gx

    from csc_mlflow.quality._suite import build, expectation_classes

    context = gx_context()
    content = repr([(r.rule, r.type, sorted(r.kwargs.items())) for r in suite.rules])
    key = (
        f"{suite.name}@{suite.collection_year}-{hashlib.sha256(content.encode()).hexdigest()[:20]}"
    )
    with _lock:
        if key not in _suites:
            classes = expectation_classes()
            expectations = [
                build(
                    classes[rule.type],
                    rule.kwargs,
                    suite.columns,
                    meta={"rule": rule.rule, "csc_index": i},
                )
                for i, rule in enumerate(suite.rules)
            ]
            with quiet_gx():  # GX re-reads each expectation as it adds the suite
                _suites[key] = context.suites.add(
                    gx.ExpectationSuite(name=key, expectations=expectations)
                )
        return _suites[key]


def run_suite(frame: pd.DataFrame, suite: Suite, *, shared: bool = True) -> list[dict[str, Any]]:
    """Validate ``frame`` with GX; one raw (unscrubbed) result dict per rule, in order.

    ``shared=False`` runs GX's own engine (each metric filters its rows afresh): the
    reference the shared-domain engine is tested against.
    """
    expectations = gx_suite(suite)
    batch_definition = gx_batch_definition(shared=shared)
    with VALIDATING:  # one batch at a time: GX's engine holds the batch being validated
        engine = batch_definition.data_asset.datasource.get_execution_engine()
        if shared and hasattr(engine, "columns_by_condition"):
            engine.columns_by_condition(_columns_by_condition(frame, suite))
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        once = configurations_read_once() if shared else contextlib.nullcontext()
        try:
            with quiet_gx(), once:
                outcome = batch.validate(expectations, result_format=RESULT_FORMAT)
        finally:
            release = getattr(
                batch_definition.data_asset.datasource.get_execution_engine(), "release", None
            )
            if release is not None:
                release()
    return raw_results(outcome, suite)


def raw_results(outcome: Any, suite: Suite) -> list[dict[str, Any]]:
    """One raw result dict per rule of ``suite``, in order, from a GX validation result (a
    rule GX gave no result for counts as raised)."""
    raw: list[dict[str, Any]] = [
        {"success": False, "result": {}, "raised": True, "exception": "no result"}
        for _ in suite.rules
    ]
    # GX does not keep the suite's order: match each result to its rule by our index.
    for result in outcome.results:
        index = int((result.expectation_config.meta or {}).get("csc_index", -1))
        info = result.exception_info or {}
        raised = bool(info.get("raised_exception")) if isinstance(info, dict) else False
        if not raised and isinstance(info, dict):
            raised = any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
        if 0 <= index < len(raw):
            raw[index] = {
                "success": bool(result.success) and not raised,
                "result": result.result,
                "raised": raised,
                "exception": _exception_name(info),
            }
    return raw


def _columns_by_condition(frame: pd.DataFrame, suite: Suite) -> dict[str, tuple[str, ...]]:
    """Each row condition's columns: those read by every rule under it, and every column named
    in it (a name found anywhere in its text; more than it needs is harmless). A condition a
    table-level rule uses keeps every column (it is left out)."""
    every: dict[str, set[str]] = {}
    whole: set[str] = set()
    for rule in suite.rules:
        condition = rule.kwargs.get("row_condition")
        if not isinstance(condition, str):
            continue
        if not rule.columns:
            whole.add(condition)
        every.setdefault(condition, set()).update(rule.columns)
    names = [str(c) for c in frame.columns]
    return {
        condition: tuple(c for c in names if c in read or c in condition)
        for condition, read in every.items()
        if condition not in whole
    }


def _exception_name(info: Any) -> str | None:
    """The exception's type only: its message could quote the data."""
    if not isinstance(info, dict):
        return None
    message = str(info.get("exception_message") or "")
    if not message:
        nested = [v for v in info.values() if isinstance(v, dict) and v.get("exception_message")]
        message = str(nested[0]["exception_message"]) if nested else ""
    return message.split(":")[0].split("(")[0].strip()[:60] or None if message else None


def validate_frame(
    frame: Any,
    suite: Suite,
    *,
    block_on: str = "error",
    collection_year: str | None = None,
    fast: bool = True,
) -> DataQualityResult:
    """Validate ``frame`` against ``suite`` and reduce every result to counts.

    ``fast=False`` validates as plain GX would (the data as given, every metric filtering its
    own rows): the reference the fast path is tested against, with identical results.
    """
    prepared = prepare(frame, suite, collection_year=collection_year, fast=fast)
    raw = run_suite(prepared, suite, shared=fast)
    return DataQualityResult(
        suite=suite, rows=len(prepared), rules=rule_results(suite, raw), block_on=block_on
    )


def rule_results(suite: Suite, raw: list[dict[str, Any]]) -> tuple[RuleResult, ...]:
    """Each rule's outcome as counts only (every GX result scrubbed to the allowlist)."""
    rules = []
    for rule, outcome in zip(suite.rules, raw, strict=True):
        counts = scrub(outcome["result"])
        if counts["element_count"] == 0 and counts["unexpected_count"] is None:
            # GX's Spark and SQL engines count nothing as "no count"; pandas says 0
            counts["unexpected_count"] = 0.0
        problem = None
        if outcome["raised"]:
            problem = (
                f"the check raised an error ({outcome['exception'] or 'unknown'}); "
                f"check the type of column(s) {', '.join(rule.columns)}"
            )
        rules.append(
            RuleResult(
                rule=rule.rule,
                severity=rule.severity,
                description=rule.description,
                expectation=rule.type,
                columns=rule.columns,
                success=outcome["success"],
                element_count=_int(counts["element_count"]),
                unexpected_count=_int(counts["unexpected_count"]),
                unexpected_percent=counts["unexpected_percent"],
                missing_count=_int(counts["missing_count"]),
                problem=problem,
            )
        )
    return tuple(rules)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
