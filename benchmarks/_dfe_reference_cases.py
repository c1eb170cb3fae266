"""Extract the DfE community validators' own per-rule test cases (dev only, not in CI).

Runs inside the reference's virtual environment (pandas < 2): every rule module of
``lac_validator`` (SSDA903) and ``cin_validator`` (CIN census) has a ``test_validate`` whose
fixture tables and asserted verdicts are the rule's cases. This script runs each test with the
rule's entry point wrapped, so every call's input tables and the rows the reference flags are
recorded, and writes one JSON file per rule version:

    python benchmarks/_dfe_reference_cases.py OUT_DIR

``OUT_DIR/<collection>/<code>@<ruleset>.json``: ``{"rule", "ruleset", "message", "calls":
[{"tables": {name: {"columns", "index", "data"}}, "metadata": {...}, "flagged": {table:
[row labels]}}]}``. Only cases whose test passes are written. The fixtures are the reference's
synthetic test rows (MIT licence, Data to Insight); no real child's data.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return {"date": value.strftime("%d/%m/%Y")}
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _frame(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in frame.columns],
        "index": [_value(i) for i in frame.index],
        "data": [[_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _tables(dfs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    tables, metadata = {}, {}
    for name, value in dfs.items():
        key = getattr(name, "name", str(name))
        if isinstance(value, pd.DataFrame):
            tables[key] = _frame(value)
        elif key == "metadata" and isinstance(value, dict):
            for k, v in value.items():
                metadata[k] = _frame(v) if isinstance(v, pd.DataFrame) else _value(v)
    return tables, metadata


def _lac(module: Any, calls: list[dict[str, Any]]) -> None:
    original = module.validate

    def recording(dfs: Any, *args: Any, **kwargs: Any) -> Any:
        tables, metadata = _tables(dfs)
        result = original(copy.deepcopy(dfs), *args, **kwargs)
        flagged = {t: sorted(_value(i) for i in rows) for t, rows in (result or {}).items()}
        calls.append({"tables": tables, "metadata": metadata, "flagged": flagged})
        return result

    module.validate = recording


def _cin(module: Any, calls: list[dict[str, Any]]) -> None:
    original = module.run_rule

    def recording(rule: Any, datasets: Any) -> Any:
        tables, metadata = _tables(datasets)
        context = original(rule, copy.deepcopy(datasets))
        flagged: dict[str, set[Any]] = {}
        issues = []
        for attr in ("type1_issues", "type2_issues", "type3_issues"):
            found = getattr(context, attr, None)
            if found:
                issues += found if isinstance(found, list) else [found]
        for issue in issues:
            table = getattr(issue.table, "name", str(issue.table))
            for rows in issue.row_df["ROW_ID"]:
                for row in rows if isinstance(rows, (list, tuple, np.ndarray)) else [rows]:
                    flagged.setdefault(table, set()).add(_value(row))
        for locator in getattr(context, "issues", None) or []:
            table = getattr(locator.table, "name", str(locator.table))
            flagged.setdefault(table, set()).add(_value(locator.row))
        la_level = bool(getattr(context, "la_issues", None))
        calls.append(
            {
                "tables": tables,
                "metadata": metadata,
                "flagged": {t: sorted(r, key=str) for t, r in flagged.items()},
                **({"la_level": True} if la_level else {}),
            }
        )
        return context

    module.run_rule = recording


def main() -> None:
    out = Path(sys.argv[1])
    written = failed = 0
    for package, collection, wrap in (
        ("lac_validator", "903", _lac),
        ("cin_validator", "cin", _cin),
    ):
        root = Path(next(iter(importlib.import_module(f"{package}.rules").__path__)))
        for ruleset in sorted(p for p in root.iterdir() if p.is_dir() and "20" in p.name):
            for path in sorted(ruleset.glob("rule_*.py")):
                module = importlib.import_module(f"{package}.rules.{ruleset.name}.{path.stem}")
                definition = getattr(module.validate, "rule", None) or getattr(
                    module.validate, "__rule_def__", None
                )
                if definition is None or not hasattr(module, "test_validate"):
                    continue
                calls: list[dict[str, Any]] = []
                wrap(module, calls)
                try:
                    module.test_validate()
                except Exception as exc:  # noqa: BLE001 - a failing reference test is skipped
                    failed += 1
                    print(f"skip {collection} {path.stem}@{ruleset.name}: {exc!r}"[:200])
                    continue
                if not calls:
                    continue
                code = str(definition.code)
                target = out / collection / f"{code}@{ruleset.name}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                body = {
                    "rule": code,
                    "ruleset": ruleset.name,
                    "message": str(definition.message),
                    "calls": calls,
                }
                target.write_text(json.dumps(body, sort_keys=True) + "\n", encoding="utf-8")
                written += 1
    index: dict[str, dict[str, dict[str, str]]] = {}
    for package, collection in (("lac_validator", "903"), ("cin_validator", "cin")):
        utils = importlib.import_module(f"{package}.rules.ruleset_utils")
        for year_end in ("2024", "2025", "2026"):
            registry = utils.get_year_ruleset(year_end)
            year = f"{int(year_end) - 1}-{year_end[2:]}"
            index.setdefault(collection, {})[year] = {
                str(code): str(getattr(rule, "func", rule).__module__).split(".")[-2]
                for code, rule in sorted(registry.items())
            }
    (out / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    print(f"wrote {written} rule versions; {failed} reference tests failed and were skipped")


if __name__ == "__main__":
    main()
