"""Run the DfE community validator's CIN rules on a CIN census XML (dev only).

Runs inside the reference's own virtual environment (it needs pandas < 2), called by
``benchmarks/dfe_agreement.py --collection cin``:
``python _dfe_reference_cin.py CENSUS.xml RULESET RULE,RULE,...`` (``cin2025_26``). Reads the
XML with the reference's own ingress, runs each rule on a fresh copy and prints JSON: rule
code -> {table: [row positions]} (null when the ruleset has no such rule, or the error when it
could not run). Row positions never leave the developer's machine.
"""

import copy
import importlib
import json
import sys
import xml.etree.ElementTree as ET

import numpy as np
from cin_validator import cin_validator


def _rows(context):
    flagged = {}
    issues = []
    for attr in ("type1_issues", "type2_issues", "type3_issues"):
        found = getattr(context, attr, None)
        if found:
            issues += found if isinstance(found, list) else [found]
    for issue in issues:
        table = getattr(issue.table, "name", str(issue.table))
        for rows in issue.row_df["ROW_ID"]:
            for row in rows if isinstance(rows, (list, tuple, np.ndarray)) else [rows]:
                flagged.setdefault(table, set()).add(int(row))
    for locator in getattr(context, "issues", None) or []:
        table = getattr(locator.table, "name", str(locator.table))
        flagged.setdefault(table, set()).add(int(locator.row))
    return {t: sorted(r) for t, r in flagged.items()}


def main():
    path, ruleset, codes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    raw = cin_validator.convert_data(ET.parse(path).getroot())
    data = cin_validator.enum_keys(cin_validator.process_data(raw))
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    from cin_validator.rule_engine import RuleContext

    out = {}
    for code in codes:
        rule = registry.get(code)
        if rule is None:
            out[code] = None
            continue
        try:
            context = RuleContext(rule)
            rule.func(copy.deepcopy(data), context)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            out[code] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out[code] = _rows(context)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
