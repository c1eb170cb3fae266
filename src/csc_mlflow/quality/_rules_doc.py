"""``docs/rules.md``, generated from the shipped suites (``python -m
csc_mlflow.quality._rules_doc > docs/rules.md``).

The encoded rules come from the suites themselves (rule, severity, suites, what each
expectation checks, and any note on where the DfE community validator reads a rule
differently); what remains, and why, is kept by hand in ``docs/rules-remaining.md`` and
appended. A test keeps the generated file in step with the suites.
"""

from __future__ import annotations

from pathlib import Path

from csc_mlflow.quality._suite import load_suite, shipped_suites

__all__ = ["render"]

_INTRO = """# DfE validation rules in the shipped suites

Generated from the suites in `src/csc_mlflow/expectations/` (also at `expectations/`) by
`python -m csc_mlflow.quality._rules_doc`; do not edit by hand. Rule ids and meanings follow the
DfE validators (the community validators `csc-validator-be-903` and `csc-validator-be-cin`,
which the DfE submission service mirrors; `benchmarks/dfe_agreement.py` compares verdicts row
by row). Severity `query` marks the DfE "Q" rules, which warn unless the policy's
`block_on: query` makes them block.
"""


def render(remaining: str) -> str:
    """The whole document: every encoded rule, then ``remaining`` (what is not encoded)."""
    rows: dict[str, dict[str, list[str]]] = {}
    for ref in shipped_suites():
        suite = load_suite(ref)
        for rule in suite.rules:
            entry = rows.setdefault(
                rule.rule, {"severity": [], "suites": [], "what": [], "notes": []}
            )
            for key, value in (
                ("severity", rule.severity),
                ("suites", ref),
                ("what", rule.description),
                ("notes", rule.reference_note or ""),
            ):
                if value and value not in entry[key]:
                    entry[key].append(value)
    lines = [
        _INTRO,
        f"## Encoded ({len(rows)} rules)",
        "",
        "| rule | severity | suites | what it checks |",
        "|---|---|---|---|",
    ]
    for rule_id, entry in rows.items():
        what = " ".join(entry["what"])
        if entry["notes"]:
            what += " Reference: " + " ".join(entry["notes"])
        severity, suites = ", ".join(entry["severity"]), ", ".join(entry["suites"])
        lines.append(f"| {rule_id} | {severity} | {suites} | {what} |")
    return "\n".join(lines) + "\n\n" + remaining.strip() + "\n"


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    print(render((root / "docs" / "rules-remaining.md").read_text()), end="")
