"""A whole return validated at once: every shipped suite of a collection year, each on its table
or named view, built once per validation; last year's return joined where rules need it.

Tables are named as the DfE validators name them (``Header``, ``Episodes``, ``Reviews``,
``UASC``, ``OC2``, ``OC3``, ``AD1``, ``PlacedAdoption``, ``PrevPerm``, ``Missing``); last
year's tables carry the suffix ``_last`` (``Episodes_last``). Results stay counts only.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from csc_mlflow._codes import CIN_COLUMNS, SSDA903_TABLES
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._suite import Suite, load_suite, shipped_suites
from csc_mlflow.quality._validate import DataQualityResult, validate_frame
from csc_mlflow.quality._views import join_source, table_view

__all__ = ["COLLECTIONS", "ReturnResult", "return_suites", "validate_return"]

COLLECTIONS: Final = {"903": "ssda903", "ssda903": "ssda903", "cin": "cin"}
REQUIRED: Final = {"ssda903": ("Header", "Episodes"), "cin": ("ChildIdentifiers",)}
"""Tables without which a return is not a return: validating stops with an error."""


@dataclass(frozen=True)
class NotRun:
    """A suite that did not run, and why (a table the return does not have)."""

    suite: str
    reason: str
    rules: int


@dataclass(frozen=True)
class ReturnResult:
    """Every suite's result for one return, and the suites that could not run."""

    collection: str
    year: str
    results: tuple[DataQualityResult, ...]
    not_run: tuple[NotRun, ...]

    @property
    def status(self) -> str:
        """``failed`` if a blocking rule failed, ``warnings`` if only queries did, else
        ``passed``; rules of tables the return does not have are listed in ``not_run``."""
        statuses = {r.status for r in self.results}
        if "failed" in statuses:
            return "failed"
        return "warnings" if "warnings" in statuses else "passed"

    @property
    def rules_run(self) -> int:
        """How many DfE rules ran (a rule may hold several expectations)."""
        return sum(len({rule.rule for rule in r.rules}) for r in self.results)


def return_suites(collection: str, year: str) -> tuple[Suite, ...]:
    """The shipped suites of ``collection`` (``903`` or ``cin``) for ``year`` (``2024-25``)."""
    name = COLLECTIONS.get(collection.lower())
    if name is None:
        raise DataError(
            f"unknown collection {collection!r}; expected one of 903, cin", key="collection"
        )
    refs = [r for r in shipped_suites() if r.startswith(f"{name}/") and r.endswith(f"@{year}")]
    if not refs:
        years = sorted({r.split("@")[1] for r in shipped_suites() if r.startswith(f"{name}/")})
        raise DataError(
            f"no shipped {name} suites for collection year {year!r}; shipped years: "
            f"{', '.join(years)}",
            key="year",
        )
    return tuple(load_suite(r) for r in refs)


def validate_return(
    tables: Mapping[str, pd.DataFrame],
    *,
    collection: str,
    year: str,
    last_year: Mapping[str, pd.DataFrame] | None = None,
    block_on: str = "error",
    fast: bool = True,
) -> ReturnResult:
    """Validate a whole return (``{table name: DataFrame}``, dates parsed) with every shipped
    suite of ``collection`` for ``year``; ``last_year`` is the previous year's return.
    ``fast=False`` validates as plain GX would (see :func:`validate_frame`).

    Raises :class:`DataError` for an unknown table name (with close matches), a missing
    required table, or a table missing a column its rules need.
    """
    suites = return_suites(collection, year)
    name = COLLECTIONS[collection.lower()]
    known = _known_tables(suites) | set(CIN_COLUMNS if name == "cin" else SSDA903_TABLES)
    every = dict(_checked(tables, known, ""))
    every.update(_checked(last_year or {}, known, "_last"))
    for table in REQUIRED[name]:
        if table not in every:
            raise DataError(
                f"the return has no {table} table; a {name} return needs "
                f"{', '.join(REQUIRED[name])}",
                key=table,
            )
    results, not_run = [], []
    for suite in suites:
        rules = len({r.rule for r in suite.rules})
        needed = [suite.table or ""] + [join_source(s)[0] for s in suite.join]
        absent = [t for t in needed if t not in every]
        if absent:
            where = "last year's return" if absent[0].endswith("_last") else "the return"
            table = absent[0].removesuffix("_last")
            not_run.append(NotRun(suite.ref, f"{where} has no {table} table", rules))
            continue
        assert suite.table is not None
        lacking = _lacking(suite, every) if suite.needs else None
        if lacking:
            not_run.append(
                NotRun(suite.ref, f"the {lacking} column is missing: {suite.needs}", rules)
            )
            continue
        view = table_view(every, suite.table, suite.join, suite.key)
        if view.empty:
            not_run.append(NotRun(suite.ref, f"the {suite.table} table has no rows", rules))
            continue
        results.append(validate_frame(view, suite, block_on=block_on, fast=fast))
    return ReturnResult(name, year, tuple(results), tuple(not_run))


def _lacking(suite: Suite, tables: Mapping[str, pd.DataFrame]) -> str | None:
    """``Table.column`` of the first column the suite reads that the return lacks, if any."""
    wanted = {str(suite.table): [c for c in suite.required_columns() if c in suite.columns]}
    for spec, mapping in suite.join.items():
        source, how = join_source(spec)
        if how != "count":
            wanted.setdefault(source, []).extend(mapping)
    joined = {n for mapping in suite.join.values() for n in mapping.values()}
    for table, names in wanted.items():
        for column in names:
            if table == suite.table and column in joined:
                continue
            if column not in tables[table].columns:
                return f"{table.removesuffix('_last')}.{column}" + (
                    " (last year)" if table.endswith("_last") else ""
                )
    return None


def _known_tables(suites: tuple[Suite, ...]) -> set[str]:
    known = set()
    for suite in suites:
        if suite.table:
            known.add(suite.table)
        known.update(join_source(s)[0].removesuffix("_last") for s in suite.join)
    return known


def _checked(tables: Mapping[str, Any], known: set[str], suffix: str) -> dict[str, pd.DataFrame]:
    out = {}
    for table, frame in tables.items():
        if table not in known:
            close = difflib.get_close_matches(str(table), sorted(known), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise DataError(
                f"unknown table {table!r}; the rules read {', '.join(sorted(known))}.{hint}",
                key=str(table),
            )
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"table {table!r}: expected a pandas DataFrame; found {type(frame).__name__}",
                key=str(table),
            )
        out[f"{table}{suffix}"] = frame
    return out
