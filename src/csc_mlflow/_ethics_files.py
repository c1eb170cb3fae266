"""Attach the ethics answer files the policy names (Ethics Triage, Ethics Workbook).

The files are read, checked to be YAML mappings, and logged as evidence records. Until the
triage and workbook are evaluated against their definitions, each record says so and stays
``incomplete``: attaching answers is not the same as judging them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from csc_mlflow import _names as names
from csc_mlflow._evidence import canonical_json, envelope, provenance, sha256_hex
from csc_mlflow._policy import Policy


def ethics_records(policy: Policy, *, run_id: str) -> dict[str, bytes]:
    """Evidence records (artefact path -> bytes) for the ethics files ``policy`` names."""
    if policy.ethics is None:
        return {}
    records: dict[str, bytes] = {}
    wanted = (
        ("csc.ethics.triage", "triage", policy.ethics.triage, names.TRIAGE_PATH),
        ("csc.ethics.workbook", "workbook", policy.ethics.workbook, names.WORKBOOK_PATH),
    )
    for kind, name, configured, path in wanted:
        if not configured:
            continue
        payload = _read_answers(policy.resolve(configured), name)
        record = envelope(kind, payload, provenance(run_id=run_id, policy_sha256=policy.sha256))
        records[path] = canonical_json(record)
    return records


def _read_answers(path: Path, name: str) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "source": str(path)}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return base | {
            "status": "incomplete",
            "reasons": [f"{path}: cannot read the {name} answers file ({exc.strerror})"],
        }
    try:
        answers = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        return base | {
            "status": "incomplete",
            "source_sha256": sha256_hex(raw),
            "reasons": [f"{path}: not valid YAML{at}; fix the file and re-run"],
        }
    if not isinstance(answers, dict):
        return base | {
            "status": "incomplete",
            "source_sha256": sha256_hex(raw),
            "reasons": [f"{path}: expected a mapping of answers; found {type(answers).__name__}"],
        }
    return base | {
        "status": "incomplete",
        "source_sha256": sha256_hex(raw),
        "answers": _jsonable(answers),
        "reasons": [
            f"the {name} answers are attached but this version of csc-mlflow does not yet "
            "evaluate them against the published definition"
        ],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
