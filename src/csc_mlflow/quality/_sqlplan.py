"""A suite as SQL: its derived columns and row conditions, computed where the data lives.

The shipped suites are written once, for pandas: derived columns are named derivations
(``quality._views``) and row conditions are pandas ``query`` text. To run the same suites in
Spark or in a SQL database, this module writes one query that adds, to the table as it is,
every derived column the rules read and one 0/1 column per distinct row condition. GX then
validates that query's rows with its own Spark or SQL engine, each rule's condition being the
plain ``Column(flag) == 1``, which every GX engine takes. Nothing is computed outside the
engine; only GX's counts come back.

Every derivation and every condition means here what it means in pandas, blanks included
(pandas' ``!=`` holds for a blank; a blank child is no child): ``tests/test_engines.py``
compares each shipped rule's counts on the same data through pandas, Spark and PostgreSQL.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from csc_mlflow._codes import UNREADABLE_SUFFIX
from csc_mlflow.exceptions import DataError

__all__ = ["ROW", "Dialect", "SuitePlan", "plan_suite"]

ROW: Final = "csc_row_order"
"""The column that keeps the data's own order (ties in a child's rows break by it, as pandas'
stable sort does)."""

_CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True)
class Dialect:
    """How one engine spells what differs: quoting, dates and a few functions."""

    name: str
    quote_char: str

    def quote(self, column: str) -> str:
        q = self.quote_char
        return f"{q}{column.replace(q, q + q)}{q}"

    def text(self, value: str) -> str:
        body = value.replace("'", "''")
        if self.name == "spark":
            body = body.replace("\\", "\\\\")
        return f"'{body}'"

    def timestamp(self, day: date) -> str:
        if self.name == "spark":
            return f"CAST('{day.isoformat()}' AS TIMESTAMP)"
        return f"TIMESTAMP '{day.isoformat()}'"

    def days(self, start: str, end: str) -> str:
        """Whole days from ``start`` to ``end`` (dates or midnight timestamps)."""
        if self.name == "spark":
            return f"datediff({end}, {start})"
        return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"

    def add_years(self, column: str, years: int) -> str:
        """``column`` plus whole years (29 February falls on 28 February, as pandas does)."""
        if self.name == "spark":
            return f"CAST(add_months({column}, {12 * years}) AS TIMESTAMP)"
        return f"CAST({column} + INTERVAL '{years} years' AS TIMESTAMP)"

    def part(self, what: str, column: str) -> str:
        if self.name == "spark":
            return f"{what}({column})"
        return f"CAST(EXTRACT({what.upper()} FROM {column}) AS INTEGER)"

    def weekday(self, column: str) -> str:
        """Monday 0 to Sunday 6, as pandas' ``day_of_week``."""
        if self.name == "spark":
            return f"CAST(weekday({column}) AS DOUBLE)"
        return f"CAST(EXTRACT(ISODOW FROM {column}) - 1 AS DOUBLE PRECISION)"

    def number(self, column: str) -> str:
        """A text or number as a number; blank when it is not one (pandas' ``coerce``)."""
        if self.name == "spark":
            return f"try_cast({column} AS DOUBLE)"
        return (
            f"CASE WHEN CAST({column} AS TEXT) ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)"
            f"([eE][-+]?[0-9]+)?\\s*$' THEN CAST(CAST({column} AS TEXT) AS DOUBLE PRECISION) END"
        )

    def string(self, column: str) -> str:
        return f"CAST({column} AS STRING)" if self.name == "spark" else f"CAST({column} AS TEXT)"

    def concat(self, *parts: str) -> str:
        """Joined text, blank when any part is blank."""
        if self.name == "spark":
            return f"concat({', '.join(parts)})"
        return "(" + " || ".join(parts) + ")"

    def full_match(self, column: str, pattern: str) -> str:
        if self.name == "spark":
            return f"({column} RLIKE {self.text('^' + pattern + '$')})"
        return f"({column} ~ {self.text('^' + pattern + '$')})"

    def substring(self, column: str, start: int, length: int) -> str:
        return f"substring({column}, {start}, {length})"


SPARK: Final = Dialect("spark", "`")
POSTGRES: Final = Dialect("postgresql", '"')


@dataclass(frozen=True)
class SuitePlan:
    """What to add to the table so GX can validate the suite's rules with any engine."""

    stages: tuple[tuple[tuple[str, str], ...], ...]
    """Derived columns as (name, SQL expression), in stages: a stage may read the columns of
    those before it (windows over windows need a query each)."""
    flags: Mapping[str, str]
    """Each distinct row condition's pandas text -> the 0/1 column that holds it."""
    flag_sql: Mapping[str, str]
    """Each flag column -> its SQL expression."""
    rewritten: Mapping[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Rules GX's Spark and SQL engines would count differently from its pandas engine, by
    index, as (expectation, kwargs) over a 0/1 column that holds pandas' answer."""

    @property
    def orders_rows(self) -> bool:
        """Whether a derived column depends on the rows' order (a window over a child's
        rows), so the row numbering must hold still across GX's passes."""
        return any(ROW in expr for stage in self.stages for _, expr in stage)

    def query(self, source: str, dialect: Dialect, columns: Sequence[str]) -> str:
        """One SELECT over ``source`` (a table or view name, quoted as needed) that adds every
        derived column and flag; ``columns`` are the source's own columns."""
        q = dialect.quote
        base = ", ".join(q(c) for c in columns)
        sql = f"SELECT {base} FROM {source}"
        present = list(columns)
        for number, stage in enumerate((*self.stages, tuple(self.flag_sql.items()))):
            if not stage:
                continue
            added = ", ".join(f"{expr} AS {q(name)}" for name, expr in stage)
            kept = ", ".join(q(c) for c in present)
            sql = f"SELECT {kept}, {added} FROM ({sql}) AS csc_stage_{number}"
            present += [name for name, _ in stage]
        return sql


def plan_suite(
    suite: Any,
    columns: Sequence[str],
    dialect: Dialect,
    *,
    start: date | None,
    end: date | None,
) -> SuitePlan:
    """The SQL that adds ``suite``'s derived columns and row-condition flags to a table with
    ``columns`` (which must include :data:`ROW`). ``start`` and ``end`` are the collection
    year's first and last days."""
    present = set(columns)
    stage_of: dict[str, int] = {}
    exprs: dict[str, str] = {}
    for name in suite.needed_derived():
        how, first, second = suite.derived[name]
        reads = [a for a in (first, second) if a in suite.derived]
        depth = max((stage_of[a] + 1 for a in reads), default=0)
        if how == "period_days":
            # Three steps: each row's continuation, the running period number, its length.
            steps = _period_days_steps(first, second, dialect, end, name)
        elif how == "values_of_child" and dialect.name != "spark":
            steps = _values_of_child_steps(first, second, dialect, name)
        else:
            steps = [(name, _derived(how, first, second, dialect, present, start, end))]
        for offset, (step, expr) in enumerate(steps):
            stage_of[step] = depth + offset
            exprs[step] = expr
    stages: list[list[tuple[str, str]]] = []
    for name, expr in exprs.items():
        level = stage_of[name]
        while len(stages) <= level:
            stages.append([])
        stages[level].append((name, expr))
    flags: dict[str, str] = {}
    flag_sql: dict[str, str] = {}
    for rule in suite.rules:
        text = rule.kwargs.get("row_condition")
        if not isinstance(text, str) or text in flags:
            continue
        flag = f"csc_if_{len(flags)}"
        flags[text] = flag
        flag_sql[flag] = f"CASE WHEN {condition_sql(text, dialect)} THEN 1 ELSE 0 END"
    rewritten: dict[int, tuple[str, dict[str, Any]]] = {}
    for index, rule in enumerate(suite.rules):
        if rule.type not in _PAIRS or rule.kwargs.get("ignore_row_if") != "neither":
            continue
        # pandas compares a blank as unequal (so unexpected); Spark and SQL leave the row out.
        a, b = dialect.quote(rule.kwargs["column_A"]), dialect.quote(rule.kwargs["column_B"])
        if rule.type == "expect_column_pair_values_to_be_equal":
            holds = f"{a} = {b}"
        else:
            holds = f"{a} >= {b}" if rule.kwargs.get("or_equal") else f"{a} > {b}"
        column = f"csc_pair_{index}"
        flag_sql[column] = f"CASE WHEN {holds} THEN 1 ELSE 0 END"
        kwargs: dict[str, Any] = {"column": column, "value_set": [1]}
        if "row_condition" in rule.kwargs:
            kwargs["row_condition"] = rule.kwargs["row_condition"]
        rewritten[index] = ("expect_column_values_to_be_in_set", kwargs)
    return SuitePlan(
        stages=tuple(tuple(s) for s in stages),
        flags=flags,
        flag_sql=flag_sql,
        rewritten=rewritten,
    )


_PAIRS: Final = (
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
)


# -- derivations -----------------------------------------------------------------------------


def _derived(
    how: str,
    first: str,
    second: str,
    d: Dialect,
    present: set[str],
    start: date | None,
    end: date | None,
) -> str:
    """The SQL expression of one derivation of ``quality._views``."""
    q = d.quote
    a, b = q(first) if first else "", q(second) if second else ""
    if how in ("collection_start", "collection_end"):
        day = start if how == "collection_start" else end
        if day is None:
            raise DataError(
                f"the suite compares dates with the collection year ({how}) but names no "
                "collection_year",
                key="collection_year",
            )
        return d.timestamp(day)
    if how == "unreadable_date":
        marks = f"{first}{UNREADABLE_SUFFIX}"
        return f"COALESCE(CAST({q(marks)} AS INTEGER), 0)" if marks in present else "0"
    if how == "years_later":
        return d.add_years(a, int(second))
    if how in ("years_between", "days_between"):
        days = d.days(a, b)
        return f"({days} / 365.25)" if how == "years_between" else days
    if how == "days_to_end":
        stop = f"COALESCE({b}, {d.timestamp(end)})" if end is not None else b
        return d.days(a, stop)
    if how == "age_years":
        later = (
            f"CASE WHEN {d.part('month', b)} < {d.part('month', a)} OR "
            f"({d.part('month', b)} = {d.part('month', a)} AND "
            f"{d.part('day', b)} < {d.part('day', a)}) THEN 1 ELSE 0 END"
        )
        return (
            f"CASE WHEN {a} IS NOT NULL AND {b} IS NOT NULL THEN "
            f"{d.part('year', b)} - {d.part('year', a)} - ({later}) END"
        )
    if how == "upper":
        return f"UPPER({d.string(a)})"
    if how == "difference":
        return f"ABS({d.number(a)} - {d.number(b)})"
    if how == "weekday":
        return d.weekday(a)
    if how == "group_of":
        return d.concat(d.string(a), "'|'", d.string(b))
    if how == "upn_check":
        return _upn_check(a, d)
    if how == "rows_of_child":
        return f"CASE WHEN {a} IS NOT NULL THEN COUNT(*) OVER (PARTITION BY {b}, {a}) END"
    if how == "blank_rows_of_child":
        return f"SUM(CASE WHEN {a} IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY {b})"
    if how in ("previous_value", "next_value"):
        order = _child_order(second, present, d)
        step = "LAG" if how == "previous_value" else "LEAD"
        return f"CASE WHEN {b} IS NOT NULL THEN {step}({a}) OVER ({order}) END"
    if how == "previous_end":
        window = f"PARTITION BY {a} ORDER BY {b} ASC NULLS LAST, {q(ROW)} ASC"
        return f"CASE WHEN {a} IS NOT NULL THEN LAG({q('DEC')}) OVER ({window}) END"
    if how == "first_of_child":
        window = f"PARTITION BY {a} ORDER BY {b} ASC NULLS LAST, {q(ROW)} ASC"
        return (
            f"CASE WHEN {a} IS NOT NULL AND {b} IS NOT NULL AND "
            f"ROW_NUMBER() OVER ({window}) = 1 THEN 1 ELSE 0 END"
        )
    if how == "values_of_child":
        return _values_of_child(a, b, d)
    raise DataError(
        f"the derived column {how!r} has no SQL form; validate this table with pandas",
        key="derived",
    )


def _child_order(child: str, present: set[str], d: Dialect) -> str:
    """A child's rows in start order (the data's order on a tie), as ``quality._views``."""
    from csc_mlflow.quality._views import LATEST_BY

    for start in ("DECOM", *LATEST_BY.values()):
        if start in present:
            return (
                f"PARTITION BY {d.quote(child)} ORDER BY {d.quote(start)} ASC NULLS LAST, "
                f"{d.quote(ROW)} ASC"
            )
    raise DataError("no start date to order the child's rows by (DECOM)", column="DECOM")


def _period_days_steps(
    value: str, child: str, d: Dialect, end: date | None, name: str
) -> list[tuple[str, str]]:
    q = d.quote
    stop = f"COALESCE({q('DEC')}, {d.timestamp(end)})" if end is not None else q("DEC")
    window = f"PARTITION BY {q(child)} ORDER BY {q('DECOM')} ASC NULLS LAST, {q(ROW)} ASC"
    joined, number = f"{name}__continues", f"{name}__period"
    continues = (
        f"CASE WHEN {q(child)} IS NOT NULL AND {q(value)} IS NOT NULL "
        f"AND LAG({q(value)}) OVER ({window}) = {q(value)} "
        f"AND LAG({stop}) OVER ({window}) = {q('DECOM')} THEN 0 ELSE 1 END"
    )
    running = f"SUM({q(joined)}) OVER ({window} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    # A blank child's rows are each a period of their own (pandas never links them).
    period = f"PARTITION BY {q(child)}, {q(number)}, CASE WHEN {q(child)} IS NULL THEN {q(ROW)} END"
    decom = q("DECOM")
    first, last = f"MIN({decom}) OVER ({period})", f"MAX({stop}) OVER ({period})"
    days = f"CASE WHEN {decom} IS NOT NULL THEN {d.days(first, last)} END"
    return [(joined, continues), (number, running), (name, days)]


def _values_of_child(value: str, child: str, d: Dialect) -> str:
    if d.name == "spark":
        values = f"array_sort(collect_set(CAST({value} AS STRING)) OVER (PARTITION BY {child}))"
        return (
            f"CASE WHEN {child} IS NOT NULL AND size({values}) > 0 "
            f"THEN concat('|', array_join({values}, '|'), '|') ELSE '||' END"
        )
    raise AssertionError("values_of_child in SQL takes two steps")


def _values_of_child_steps(value: str, child: str, d: Dialect, name: str) -> list[tuple[str, str]]:
    """PostgreSQL: every value of the child gathered by a window, then deduplicated and sorted
    byte by byte (``COLLATE "C"``, as Python sorts) in a subquery over that array."""
    q = d.quote
    gathered = f"{name}__values"
    collect = f"array_agg(CAST({q(value)} AS TEXT)) OVER (PARTITION BY {q(child)})"
    distinct = (
        f"SELECT string_agg(csc_v, '|' ORDER BY csc_v COLLATE \"C\") FROM "
        f"(SELECT DISTINCT csc_x AS csc_v FROM unnest({q(gathered)}) AS csc_x "
        "WHERE csc_x IS NOT NULL) AS csc_values"
    )
    joined = (
        f"CASE WHEN {q(child)} IS NULL THEN '||' "
        f"ELSE COALESCE('|' || ({distinct}) || '|', '||') END"
    )
    return [(gathered, collect), (name, joined)]


def _upn_check(upn: str, d: Dialect) -> str:
    text = d.string(upn)
    shaped = f"(length({text}) = 13 AND {d.full_match(d.substring(text, 2, 12), '[0-9]{12}')})"
    total = " + ".join(
        f"CAST({d.substring(text, p + 1, 1)} AS INTEGER) * {p + 1}" for p in range(1, 13)
    )
    letters = d.text(_CHECK_LETTERS)
    expected = f"substring({letters}, MOD({total}, 23) + 1, 1)"
    return (
        f"CASE WHEN {shaped} THEN CASE WHEN {d.substring(text, 1, 1)} = {expected} "
        "THEN 1.0 ELSE 0.0 END END"
    )


# -- row conditions --------------------------------------------------------------------------


def condition_sql(text: str, d: Dialect) -> str:
    """A pandas ``query`` condition as a SQL boolean that holds on the same rows.

    pandas reads ``&`` and ``|`` as ``and`` and ``or`` (comparisons bind tighter) and ``~`` as
    ``not``; ``!=`` holds where either side is blank, every other comparison fails there.
    """
    try:
        tree = ast.parse(_booleans(text), mode="eval")
        return _sql(tree.body, d)
    except (SyntaxError, tokenize.TokenError, _Unsupported) as exc:
        raise DataError(
            f"row condition {text!r} has no SQL form ({exc}); validate this table with pandas",
            key="row_condition",
        ) from exc


class _Unsupported(ValueError):
    pass


def _booleans(text: str) -> str:
    """pandas' own rewriting: ``&``, ``|`` and ``~`` outside strings become and/or/not."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.OP and token.string in ("&", "|", "~"):
            out.append((tokenize.NAME, {"&": "and", "|": "or", "~": "not"}[token.string]))
        else:
            out.append((token.type, token.string))
    return tokenize.untokenize(out)


_COMPARE: Final = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "="}


def _sql(node: ast.AST, d: Dialect) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = " AND " if isinstance(node.op, ast.And) else " OR "
        return "(" + joiner.join(f"COALESCE({_sql(v, d)}, FALSE)" for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"(NOT COALESCE({_sql(node.operand, d)}, FALSE))"
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            a = _value(left, d)
            b = "" if isinstance(op, ast.In | ast.NotIn) else _value(right, d)
            if isinstance(op, ast.NotEq):
                parts.append(f"(NOT COALESCE({a} = {b}, FALSE))")
            elif type(op) in _COMPARE:
                parts.append(f"({a} {_COMPARE[type(op)]} {b})")
            elif isinstance(op, ast.In | ast.NotIn):  # pandas reads `in [...]` as isin
                inside = f"({a} IN ({_listed(right, d)}))"
                parts.append(
                    inside if isinstance(op, ast.In) else f"(NOT COALESCE({inside}, FALSE))"
                )
            else:
                raise _Unsupported(f"operator {type(op).__name__}")
            left = right
        return "(" + " AND ".join(parts) + ")"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method, target = node.func.attr, node.func.value
        if method in ("notna", "notnull") and not node.args:
            return f"({_value(target, d)} IS NOT NULL)"
        if method in ("isna", "isnull") and not node.args:
            return f"({_value(target, d)} IS NULL)"
        if method == "isin" and len(node.args) == 1:
            return f"({_value(target, d)} IN ({_listed(node.args[0], d)}))"
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return "TRUE" if node.value else "FALSE"
    raise _Unsupported(f"{ast.unparse(node)!r}")


def _listed(values: ast.AST, d: Dialect) -> str:
    if not isinstance(values, ast.List | ast.Tuple) or not values.elts:
        raise _Unsupported("a list of values must be a non-empty [...]")
    return ", ".join(_value(v, d) for v in values.elts)


def _value(node: ast.AST, d: Dialect) -> str:
    if isinstance(node, ast.Name):
        return d.quote(node.id)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None:
            raise _Unsupported(f"the constant {value!r}")
        if isinstance(value, str):
            return d.text(value)
        if isinstance(value, int | float):
            return repr(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"-{_value(node.operand, d)}"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("upper", "lower")
        and not node.args
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "str"
    ):
        return f"{node.func.attr.upper()}({d.string(_value(node.func.value.value, d))})"
    raise _Unsupported(f"{ast.unparse(node)!r}")
