"""The DfE community validators' own per-rule test cases, run through our shipped suites.

``tests/fixtures/dfe_reference`` holds every rule test of ``csc-validator-be-903`` 0.1.17 and
``csc-validator-be-cin`` 0.1.13 (MIT, Data to Insight), extracted by
``benchmarks/_dfe_reference_cases.py``: the input tables of each call and the rows the
reference flags. ``index.json`` says which version of a rule is in force in each collection
year. Test-only: row labels never leave the tests.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from csc_mlflow._codes import UNREADABLE_SUFFIX
from csc_mlflow.quality._suite import Rule, Suite, load_suite, shipped_suites
from csc_mlflow.quality._validate import prepare
from csc_mlflow.quality._views import join_source, table_view

from .dfe_cases import complete_rows

ROOT = Path(__file__).parent / "fixtures" / "dfe_reference"
COLLECTION = {"ssda903": "903", "cin": "cin"}


@cache
def index() -> dict[str, dict[str, dict[str, str]]]:
    return json.loads((ROOT / "index.json").read_text())


def reference_code(rule: str) -> str:
    """``903-101`` -> ``101``; ``CIN-8840`` -> ``8840``."""
    return rule.split("-", 1)[1]


@dataclass(frozen=True)
class Call:
    tables: dict[str, pd.DataFrame]
    metadata: dict[str, Any]
    flagged: dict[str, list[Any]]


def cases(suite: Suite, rule: str) -> list[Call] | None:
    """The reference's calls for ``rule`` in force in the suite's year (None: no such rule or
    no test for it)."""
    collection = COLLECTION[suite.name.split("/")[0]]
    ruleset = index()[collection].get(str(suite.collection_year), {}).get(reference_code(rule))
    if ruleset is None:
        return None
    path = ROOT / collection / f"{reference_code(rule)}@{ruleset}.json"
    if not path.exists():
        return None
    body = json.loads(path.read_text())
    return [_call(c) for c in body["calls"]]


def _cell(value: Any) -> Any:
    return value["date"] if isinstance(value, dict) else value


def _call(raw: dict[str, Any]) -> Call:
    tables = {}
    for name, spec in raw["tables"].items():
        frame = pd.DataFrame(
            [[_cell(v) for v in row] for row in spec["data"]],
            columns=spec["columns"],
            index=spec["index"],
            dtype=object,
        )
        tables[name] = frame
    return Call(tables, raw["metadata"], raw["flagged"])


def _typed(frame: pd.DataFrame, kinds: dict[str, str], *, lenient: bool = False) -> pd.DataFrame:
    """The case's cells as the suite's kinds; dates as dd/mm/YYYY (``lenient``: the CIN
    cases' other spellings too, which the CIN validator's rules parse themselves)."""
    out = frame.copy()
    for column in out.columns:
        kind = kinds.get(str(column), "text")
        if kind == "date":
            parsed = pd.to_datetime(out[column], format="%d/%m/%Y", errors="coerce")
            other = out[column].notna() & parsed.isna()  # a case's "17-06-2021"
            if lenient and other.any():
                parsed[other] = pd.to_datetime(
                    out.loc[other, column], format="mixed", dayfirst=True, errors="coerce"
                )
            text = out[column].map(lambda v: None if v is None else str(v).strip() or None)
            out[f"{column}{UNREADABLE_SUFFIX}"] = (text.notna() & parsed.isna()).astype("int64")
            out[column] = parsed
        elif kind == "number":
            out[column] = pd.to_numeric(out[column], errors="coerce")
        else:
            out[column] = out[column].map(lambda v: None if v is None else str(v)).astype(object)
    return out


def _period(metadata: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The case's collection period; one end given implies the other (a year apart)."""
    start, end = metadata.get("collection_start"), metadata.get("collection_end")
    if not start and not end:
        return None
    first = pd.to_datetime(_cell(start), format="%d/%m/%Y") if start else None
    last = pd.to_datetime(_cell(end), format="%d/%m/%Y") if end else None
    if first is None:
        first = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if last is None:
        last = first + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    return first, last


def _census_period(call: Call) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A CIN case's census year: the year ending on its Header's ReferenceDate."""
    header = call.tables.get("Header")
    if header is None or "ReferenceDate" not in header or header.empty:
        return None
    return _period({"collection_end": header["ReferenceDate"].iloc[0]})


def our_flags(suite: Suite, rule: str, call: Call) -> list[str] | None:
    """Labels of the suite table's rows that our ``rule`` flags on the call's tables (None:
    the call lacks the suite's table, so our rule would not run). A joined table the call
    leaves out is taken as empty."""
    assert suite.table is not None
    if suite.table not in call.tables:
        return None
    kinds = {name: dict(suite.columns) for name in call.tables}
    for spec, columns in suite.join.items():  # a joined column is typed as its view column
        source = join_source(spec)[0]
        kinds.setdefault(source, {}).update(
            {src: suite.columns[dst] for src, dst in columns.items() if dst in suite.columns}
        )
    lenient = suite.name.startswith("cin/")
    tables = {
        name: _typed(frame, kinds[name], lenient=lenient) for name, frame in call.tables.items()
    }
    kinds = dict(suite.columns)
    targets = {name for columns in suite.join.values() for name in columns.values()}
    for column, kind in suite.columns.items():  # columns the case does not set are blank
        if column not in tables[suite.table] and column not in targets:
            tables[suite.table][column] = pd.NaT if kind == "date" else None
    for spec, columns in suite.join.items():  # a table the case leaves out has no rows
        source = join_source(spec)[0]
        if source not in tables:
            keys = [] if source == "Header" else list(suite.key)
            tables[source] = pd.DataFrame(columns=[*keys, *columns], dtype=object)
        for column in columns:  # and a column it leaves out is blank
            if column not in tables[source] and not spec.endswith("@count"):
                tables[source][column] = None
    for column in suite.key:  # a key column the case leaves out is blank
        if column not in tables[suite.table]:
            tables[suite.table][column] = None
    view = table_view(tables, suite.table, suite.join, suite.key)
    if view.empty:
        return []
    only = dataclasses.replace(suite, rules=tuple(r for r in suite.rules if r.rule == rule))
    labels = list(view.index)
    period = _period(call.metadata) or _census_period(call)
    prepared = prepare(view.reset_index(drop=True), only, period=period)
    rows = complete_rows(prepared, only)
    return sorted(str(labels[i]) for i in rows)


@cache
def suite_of(ref: str) -> Suite:
    """A shipped suite, loaded once per test session (loading checks every expectation)."""
    return load_suite(ref)


def shipped_rules(collection: str) -> Iterator[tuple[str, str]]:
    """(suite ref, rule id) of every shipped rule of ``collection`` (``ssda903``, ``cin``)."""
    for ref in shipped_suites():
        if ref.startswith(f"{collection}/"):
            suite = suite_of(ref)
            for rule in dict.fromkeys(r.rule for r in suite.rules):
                yield ref, rule


def rule_of(suite: Suite, rule: str) -> Rule:
    return next(r for r in suite.rules if r.rule == rule)
