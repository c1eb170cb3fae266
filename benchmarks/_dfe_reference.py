"""Run the DfE community validator's rules on a folder of 903 CSV files (dev only).

Runs inside the reference's own virtual environment (it needs pandas < 2), called by
``benchmarks/dfe_agreement.py``: ``python _dfe_reference.py FOLDER YEAR_END RULE,RULE,...
[LAST_YEAR_FOLDER]``.
Prints JSON: rule code -> {table: [row positions]} (or null when the year has no such rule,
or the error when it could not run). Row positions never leave the developer's machine.
"""

import json
import sys
from pathlib import Path

from lac_validator.datastore import create_datastore
from lac_validator.ingress import read_from_text
from lac_validator.rules.ruleset_utils import get_year_ruleset


def main() -> None:
    folder, year_end, codes = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    files = [
        {"name": p.name, "file_content": p.read_bytes(), "description": "This year"}
        for p in sorted(folder.glob("*.csv"))
    ]
    if len(sys.argv) > 4:  # last year's return
        files += [
            {"name": p.name, "file_content": p.read_bytes(), "description": "Prev year"}
            for p in sorted(Path(sys.argv[4]).glob("*.csv"))
        ]
    dfs, extra = read_from_text(raw_files=files)
    store = create_datastore(
        dfs, {"collectionYear": year_end, "localAuthority": "E09000027", **extra}
    )
    registry = get_year_ruleset(year_end)
    out = {}
    for code in codes:
        rule = registry.get(code)
        if rule is None:
            out[code] = None
            continue
        try:
            # A deep copy per rule: the validator's own shallow copy lets one rule's in-place
            # edits (e.g. 365 filling open episodes' DEC) leak into the rules after it.
            fresh = {k: v.copy(deep=True) if k != "metadata" else dict(v) for k, v in store.items()}
            result = rule.func(fresh)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            out[code] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out[code] = {t: sorted(int(i) for i in v) for t, v in (result or {}).items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
