"""Expectation suites users can read and write: YAML (or GX's JSON), checked on load.

A suite names its table and collection year, declares its columns and their kinds (``date``
or ``text``), the columns csc-mlflow derives before validating (ages, durations), and one
expectation per entry: a Great Expectations ``type``, its ``kwargs`` and a ``meta`` block with
the DfE ``rule`` id, a plain-English ``description`` and a ``severity`` (``error``, or
``query`` for the DfE "Q" rules that warn). Shipped suites are referred to as
``<collection>/<table>@<year>`` (``ssda903/episodes@2024-25``).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from csc_mlflow._policy_io import check_yaml_bounds, yaml_where
from csc_mlflow.exceptions import SuiteError

SUITE_KEYS: Final = (
    "name",
    "collection_year",
    "description",
    "table",
    "key",
    "join",
    "needs",
    "columns",
    "derived",
    "example_row",
    "expectations",
)
ENTRY_KEYS: Final = ("type", "kwargs", "meta", "examples")
META_KEYS: Final = ("rule", "description", "severity")
DERIVATIONS: Final = (
    "years_between",
    "days_between",
    "days_to_end",
    "period_days",
    "first_of_child",
    "age_years",
    "previous_end",
    "collection_start",
    "collection_end",
    "years_later",
    "previous_value",
    "next_value",
    "rows_of_child",
    "values_of_child",
    "blank_rows_of_child",
    "group_of",
    "weekday",
    "unreadable_date",
    "upn_check",
    "upper",
    "difference",
)
"""How a derived column is computed (see ``quality._views``): ``years_between`` and
``days_between`` two dates of the row; ``days_to_end`` from a start to an end, an open end
running to the collection year's end; ``period_days`` the length of the period of consecutive
episodes of the same child with the same value of a column (each starting the day the one
before ended; open to the collection end), given ``[column, child]``; ``first_of_child`` 1 on
the child's earliest episode, given ``[child, start]``; ``age_years`` whole years between two
dates, birthdays counted on the day; ``previous_end`` the end of the child's episode before,
given ``[child, start]``; ``collection_start`` and ``collection_end`` the collection year's
first and last day on every row (``[]``), for rules that compare a date with the year;
``years_later`` a date plus whole years, given ``[column, years]`` (29 February + 1 -> 28
February); ``previous_value`` and ``next_value`` a column of the child's episode before or
after (in start order: ``DECOM``, or the table's own start date), given ``[column, child]``;
``rows_of_child`` how many of the child's rows have the row's value of a column, and
``values_of_child`` every value the child has in a column (``|V3|V4|``), given ``[column,
child]``; ``blank_rows_of_child`` how many of the child's rows have a column blank, given
``[column, child]``; ``group_of`` one key made of two columns (a CIN episode:
``[LAchildID, CINdetailsID]``), for the rules within a group;
``weekday`` the day of the week of a date (0 Monday to 6 Sunday), given ``[column]``;
``unreadable_date`` 1 where reading the return found text that is not a date in the column
(kept blank; see ``_codes.UNREADABLE_DATE_RULES``), else 0, given ``[column]``;
``upn_check`` 1 where a UPN of a letter and 12 digits has the right check letter, 0 where
not, blank for a UPN of another shape, given ``[column]``; ``upper`` a code in capitals
(for rules that compare codes regardless of case), given ``[column]``; ``difference`` how
far apart two numbers are (a distance this year and last), given ``[column, column]``.
Derived columns are computed in order, so one may use those above it."""
REF_PATTERN: Final = re.compile(r"^(?P<name>[a-z0-9_]+/[a-z0-9_]+)@(?P<year>\d{4}-\d{2})$")

Severity = Literal["error", "query"]


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, with the DfE rule it encodes."""

    rule: str
    severity: Severity
    description: str
    type: str
    kwargs: Mapping[str, Any]
    examples: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reference_note: str | None = None
    """Where the DfE community validator reads the rule differently, and why (meta key)."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation reads (including its row condition's)."""
        found = [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]
        found += list(self.kwargs.get("column_list", ()))
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Suite:
    """A checked suite, ready to run."""

    name: str
    collection_year: str | None
    description: str
    columns: Mapping[str, str]
    derived: Mapping[str, tuple[str, str, str]]
    rules: tuple[Rule, ...]
    sha256: str
    source: str
    example_row: Mapping[str, Any] = field(default_factory=dict)
    table: str | None = None
    """The return's table the suite validates (``Episodes``): one result row per table row."""
    key: tuple[str, ...] = ("CHILD",)
    """The columns that tie a row to the rows of other tables: the child (``CHILD``,
    ``LAchildID``), then a CIN episode (``CINdetailsID``). A joined table is matched on the key
    columns it has; a table with none (the CIN Header) gives its first row to every row."""
    needs: str | None = None
    """Where the suite's columns come from when a return may lack them (the DfE derives
    placement distances from postcodes): a return without them lists the suite as not run,
    with this, instead of stopping with an error."""
    join: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Columns of other tables of the return joined on the child, as ``{table: {column: name
    in the view}}`` (``Header: [DOB]`` in YAML, or ``Header: {DOB: HEADER_DOB}`` to rename):
    the suite then validates the view ``table`` + its child's facts (``quality._views``)."""

    @property
    def ref(self) -> str:
        """``name@year`` for a versioned suite, else the name."""
        return f"{self.name}@{self.collection_year}" if self.collection_year else self.name

    def required_columns(self) -> tuple[str, ...]:
        """Every input column the rules read, derived columns' inputs included."""
        needed: list[str] = []
        for rule in self.rules:
            for column in rule.columns:
                if column in self.derived:
                    needed.extend(self._inputs(column))
                else:
                    needed.append(column)
            for column in _condition_columns(rule.kwargs.get("row_condition"), self.columns):
                needed.append(column)
            for column in _condition_columns(rule.kwargs.get("row_condition"), self.derived):
                needed.extend(self._inputs(column))
        return tuple(dict.fromkeys(needed))

    def needed_derived(self) -> tuple[str, ...]:
        """The derived columns the rules read, with those they are derived from, in order."""
        wanted: set[str] = set()
        pending = [c for r in self.rules for c in r.columns if c in self.derived]
        for rule in self.rules:
            pending += [
                c
                for c in _condition_columns(rule.kwargs.get("row_condition"), self.derived)
                if c in self.derived
            ]
        while pending:
            column = pending.pop()
            if column not in wanted:
                wanted.add(column)
                pending += [a for a in self.derived[column][1:] if a in self.derived]
        return tuple(c for c in self.derived if c in wanted)

    def _inputs(self, column: str) -> list[str]:
        """The input columns a derived column reads, through derived columns it uses."""
        found = []
        for arg in self.derived[column][1:]:
            if arg in self.derived:
                found += self._inputs(arg)
            elif arg and not arg.isdigit():
                found.append(arg)
        return found


def _condition_columns(condition: str | None, known: Mapping[str, Any]) -> list[str]:
    if not condition:
        return []
    return [c for c in known if re.search(rf"\b{re.escape(c)}\b", condition)]


def shipped_suites() -> tuple[str, ...]:
    """References of every suite shipped with the package."""
    root = files("csc_mlflow.expectations")
    refs = []
    for collection in root.iterdir():
        if collection.is_dir() and not collection.name.startswith("_"):
            refs += [
                f"{collection.name}/{p.name.removesuffix('.yaml')}"
                for p in collection.iterdir()
                if p.name.endswith(".yaml")
            ]
    return tuple(sorted(refs))


def load_suite(ref: str | Path, *, base: Path | None = None) -> Suite:
    """Load a shipped suite by reference, or a suite file (YAML, or GX JSON) by path.

    Raises
    ------
    SuiteError
        The suite does not exist or breaks the format; the message names the file, the
        entry and the key.
    """
    text, source = _read(ref, base)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    loaded = _loaded.get((source, sha256))
    if loaded is not None:  # the same file, unchanged: checked already
        return loaded
    bounds = check_yaml_bounds(text)  # JSON is YAML too: the same bounds hold
    if bounds is not None:
        raise SuiteError(f"{source}: {bounds}; fix the suite file", key=str(source))
    if source.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SuiteError(f"{source}: not valid JSON ({exc})", key=str(source)) from exc
        data = _from_gx_json(data, source)
    else:
        try:
            data = yaml.load(text, Loader=_SAFE_LOADER)  # a safe loader (C or Python)
        except yaml.YAMLError as exc:
            at = yaml_where(exc)
            raise SuiteError(
                f"{source}: {at}not valid YAML ({getattr(exc, 'problem', exc)})",
                key=str(source),
            ) from exc
    suite = _check(data, source, sha256)
    _loaded[(source, sha256)] = suite
    while len(_loaded) > _MAX_LOADED:
        _loaded.pop(next(iter(_loaded)))
    return suite


_SAFE_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (ten times faster), else PyYAML's."""
_MAX_LOADED: Final = 64
_loaded: dict[tuple[str, str], Suite] = {}
"""Suites checked in this process, by file and content: loading one again is a lookup."""


def _read(ref: str | Path, base: Path | None) -> tuple[str, str]:
    match = REF_PATTERN.match(str(ref)) if not isinstance(ref, Path) else None
    if match:
        collection, table = match["name"].split("/")
        resource = files("csc_mlflow.expectations").joinpath(
            collection, f"{table}@{match['year']}.yaml"
        )
        if not resource.is_file():
            close = difflib.get_close_matches(str(ref), shipped_suites(), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise SuiteError(
                f"no shipped suite {ref!r}; shipped: {', '.join(shipped_suites())}.{hint}",
                key=str(ref),
            )
        return resource.read_text(encoding="utf-8"), f"{ref} (shipped)"
    path = Path(ref)
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise SuiteError(
            f"{path}: cannot read the suite ({exc.strerror}); give a path to a suite file or a "
            f"shipped suite such as {shipped_suites()[0]}",
            key=str(path),
        ) from exc


def _from_gx_json(data: Any, source: str) -> dict[str, Any]:
    """GX's own suite JSON (``name``, ``expectations: [{type, kwargs, meta}]``) to ours."""
    if not isinstance(data, dict) or "expectations" not in data:
        raise SuiteError(
            f"{source}: expected a GX suite object with 'expectations'", key=str(source)
        )
    return {
        "name": data.get("name") or data.get("expectation_suite_name") or Path(source).stem,
        "collection_year": (data.get("meta") or {}).get("collection_year"),
        "description": (data.get("meta") or {}).get("description", ""),
        "expectations": [
            {
                "type": e.get("type") or e.get("expectation_type"),
                "kwargs": e.get("kwargs", {}),
                "meta": e.get("meta", {}),
            }
            for e in data["expectations"]
        ],
    }


def expectation_classes() -> dict[str, type]:
    with quiet_gx():  # the first import of GX in most processes
        import great_expectations.expectations as gxe

    classes = {}
    for name in dir(gxe):
        cls = getattr(gxe, name)
        if isinstance(cls, type) and name.startswith("Expect") and hasattr(cls, "expectation_type"):
            classes[str(cls.expectation_type)] = cls
    return classes


def _check(data: Any, source: str, sha256: str) -> Suite:
    if not isinstance(data, dict):
        raise SuiteError(
            f"{source}: expected a mapping with 'name' and 'expectations'", key=str(source)
        )
    unknown = [k for k in data if k not in SUITE_KEYS]
    if unknown:
        raise SuiteError(
            f"{source}: unknown key {unknown[0]!r}; allowed: {', '.join(SUITE_KEYS)}",
            key=str(source),
        )
    if (
        not data.get("name")
        or not isinstance(data.get("expectations"), list)
        or not data["expectations"]
    ):
        raise SuiteError(
            f"{source}: a suite needs a 'name' and a non-empty list of 'expectations'",
            key=str(source),
        )
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    for column, kind in columns.items():
        if kind not in ("date", "text", "number"):
            raise SuiteError(
                f"{source}: columns.{column}: expected date, text or number; found {kind!r}",
                key=str(source),
            )
    derived: dict[str, tuple[str, str, str]] = {}
    for column, spec in (data.get("derived") or {}).items():
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in DERIVATIONS:
            raise SuiteError(
                f"{source}: derived.{column}: expected one of {', '.join(DERIVATIONS)}",
                key=str(source),
            )
        how, args = next(iter(spec.items()))
        wanted = 0 if how.startswith("collection_") else 2
        one = ("weekday", "unreadable_date", "upn_check", "upper")
        if how in one and isinstance(args, list) and len(args) == 1:
            args = [args[0], ""]
        if not isinstance(args, list) or len(args) != wanted:
            raise SuiteError(
                f"{source}: derived.{column}.{how}: expected "
                f"{'no column names ([])' if wanted == 0 else 'two column names'}",
                key=str(source),
            )
        args = [str(a) for a in args] + ["", ""]
        derived[str(column)] = (how, args[0], args[1])
    table, join = _check_view(data, source, columns)
    key = data.get("key", ["CHILD"])
    if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
        raise SuiteError(
            f"{source}: key: expected a list of columns, e.g. [LAchildID, CINdetailsID]",
            key=str(source),
        )
    if "key" in data and any(k not in columns for k in key):
        missing = next(k for k in key if k not in columns)
        raise SuiteError(
            f"{source}: key: column {missing!r} is not declared under columns:", key=str(source)
        )
    classes = expectation_classes()
    rules = []
    for index, entry in enumerate(data["expectations"]):
        rules.append(_check_entry(entry, f"{source}: expectations[{index}]", classes, columns))
    year = data.get("collection_year")
    return Suite(
        name=str(data["name"]),
        collection_year=str(year) if year else None,
        description=str(data.get("description", "")),
        columns=columns,
        derived=derived,
        rules=tuple(rules),
        sha256=sha256,
        source=source,
        example_row=data.get("example_row") or {},
        table=table,
        key=tuple(key),
        join=join,
        needs=str(data["needs"]) if data.get("needs") else None,
    )


def _check_view(
    data: Mapping[str, Any], source: str, columns: Mapping[str, str]
) -> tuple[str | None, dict[str, dict[str, str]]]:
    table = data.get("table")
    if table is not None and (not isinstance(table, str) or not table):
        raise SuiteError(f"{source}: table: expected a table name such as Episodes", key=source)
    join: dict[str, dict[str, str]] = {}
    raw = data.get("join") or {}
    if raw and table is None:
        raise SuiteError(f"{source}: join: needs 'table', the table joined to", key=source)
    if not isinstance(raw, dict):
        raise SuiteError(f"{source}: join: expected {{Table: [column, ...]}}", key=source)
    for other, wanted in raw.items():
        if isinstance(wanted, list):
            wanted = {c: c for c in wanted}
        if not isinstance(wanted, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in wanted.items()
        ):
            raise SuiteError(
                f"{source}: join.{other}: expected a list of columns or {{column: name}}",
                key=source,
            )
        undeclared = [c for c in wanted.values() if c not in columns]
        if undeclared:
            raise SuiteError(
                f"{source}: join.{other}: column {undeclared[0]!r} is not declared under columns:",
                key=source,
            )
        join[str(other)] = dict(wanted)
    return table, join


def _check_entry(
    entry: Any, where: str, classes: Mapping[str, type], columns: Mapping[str, str]
) -> Rule:
    from pydantic import ValidationError
    from pydantic.v1 import ValidationError as V1ValidationError

    if not isinstance(entry, dict):
        raise SuiteError(f"{where}: expected a mapping with type, kwargs and meta", key=str(where))
    unknown = [k for k in entry if k not in ENTRY_KEYS]
    if unknown:
        raise SuiteError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(ENTRY_KEYS)}", key=str(where)
        )
    kind = entry.get("type")
    if kind not in classes:
        close = difflib.get_close_matches(str(kind), list(classes), n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise SuiteError(f"{where}.type: unknown expectation type {kind!r}{hint}", key=str(where))
    meta = entry.get("meta") or {}
    missing = [k for k in META_KEYS if not meta.get(k)]
    if missing:
        raise SuiteError(
            f"{where}.meta: missing {', '.join(missing)} (every rule names its DfE id, "
            "a plain-English description and a severity)",
            key=str(where),
        )
    if meta["severity"] not in ("error", "query"):
        raise SuiteError(
            f"{where}.meta.severity: expected error or query; found {meta['severity']!r}",
            key=str(where),
        )
    kwargs = dict(entry.get("kwargs") or {})
    try:
        build(classes[str(kind)], kwargs, columns)
    except (ValidationError, V1ValidationError) as exc:
        first = exc.errors()[0]
        argument = ".".join(str(p) for p in first["loc"]) or "kwargs"
        raise SuiteError(
            f"{where}.kwargs.{argument}: {first['msg']} (found {first.get('input')!r})",
            key=str(where),
        ) from None
    except (TypeError, ValueError) as exc:
        raise SuiteError(f"{where}.kwargs: {exc}", key=str(where)) from None
    return Rule(
        rule=str(meta["rule"]),
        severity=meta["severity"],
        description=str(meta["description"]),
        type=str(kind),
        kwargs=kwargs,
        examples=entry.get("examples") or {},
        reference_note=str(meta["reference_note"]) if meta.get("reference_note") else None,
    )


@contextlib.contextmanager
def quiet_gx() -> Iterator[None]:
    """Silence GX's deprecation of pandas-syntax row conditions (GX 1.9+) and PySpark's note
    on pandas 3, and nothing else.

    They still work throughout GX 1.x; moving the suites to GX Condition objects is due
    before GX 2.0.
    """
    with warnings.catch_warnings():
        for message in (
            "The condition_parser parameter is deprecated",
            "Passing a string to the row_condition",
        ):
            warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
        # GX imports pyspark when it is installed; PySpark 4 warns it is not yet tested with
        # pandas 3 (csc-mlflow's Spark path is, by tests/test_engines.py).
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield


def build(cls: type, kwargs: Mapping[str, Any], columns: Mapping[str, str], **extra: Any) -> Any:
    """Instantiate a GX expectation from suite kwargs."""
    with quiet_gx():
        return cls(**_typed(kwargs, columns), **extra)


def _typed(kwargs: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """Bounds on date columns become timestamps (YAML gives strings or dates)."""
    import pandas as pd

    out = dict(kwargs)
    if columns.get(str(out.get("column"))) == "date":
        for key in ("min_value", "max_value"):
            if out.get(key) is not None:
                out[key] = pd.Timestamp(out[key]).to_pydatetime()
    return out
