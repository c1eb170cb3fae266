"""Evidence records and the manifest: the one place their format is defined.

Every record csc-mlflow writes under a run's ``governance/`` folder is an *envelope*::

    {
      "schema_version": 1,
      "kind": "csc.data_quality" | "csc.fairness" | "csc.ethics.triage"
              | "csc.ethics.workbook" | "csc.manifest",
      "provenance": {"created_at": "2026-11-24T10:00:00Z", "run_id": "...",
                     "policy_sha256": "...", "packages": {"csc-mlflow": "0.1.0", ...}},
      "payload": {...}
    }

An evidence payload always holds ``name``, ``status`` (one of :data:`EVIDENCE_STATUSES`)
and ``reasons`` (plain-English strings), then what its kind needs. The workbook payload also
holds ``signoffs`` (``[{"name", "role", "date"}]``), ``review_by`` (ISO date) and the triage
payload ``risk``: the decision logic reads those.

The manifest's payload lists every record (path, SHA-256, size, kind), the run's dataset
digests, the policy hash, the run's MLflow status and the decision. It is written last and
its own SHA-256 is the run tag ``csc.manifest.sha256``.

JSON is written with sorted keys, two-space indent and a final newline, so equal content
gives equal bytes. Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from csc_mlflow._version import package_version
from csc_mlflow.exceptions import EvidenceError

__all__ = [
    "EVIDENCE_KINDS",
    "EVIDENCE_STATUSES",
    "SCHEMA_VERSION",
    "DatasetRef",
    "EvidenceItem",
    "ManifestEntry",
    "RunEvidence",
    "build_manifest",
    "canonical_json",
    "envelope",
    "parse_record",
    "provenance",
    "sha256_hex",
]

SCHEMA_VERSION: Final = 1

EvidenceKind = Literal[
    "csc.data_quality", "csc.fairness", "csc.ethics.triage", "csc.ethics.workbook"
]
EVIDENCE_KINDS: Final = (
    "csc.data_quality",
    "csc.fairness",
    "csc.ethics.triage",
    "csc.ethics.workbook",
)
MANIFEST_KIND: Final = "csc.manifest"

EvidenceStatus = Literal["passed", "warnings", "failed", "incomplete", "insufficient_evidence"]
EVIDENCE_STATUSES: Final = ("passed", "warnings", "failed", "incomplete", "insufficient_evidence")

# Packages whose versions every provenance block records when they are installed.
_PROVENANCE_PACKAGES: Final = (
    "csc-mlflow",
    "mlflow",
    "great-expectations",
    "fairlearn",
    "pandas",
    "scikit-learn",
)


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` so that equal content always gives equal bytes."""
    text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_PACKAGES_CACHE: dict[str, str] = {}


def _packages() -> dict[str, str]:
    if not _PACKAGES_CACHE:
        for name in _PROVENANCE_PACKAGES:
            found = package_version(name)
            if found is not None:
                _PACKAGES_CACHE[name] = found
        _PACKAGES_CACHE["python"] = platform.python_version()
    return dict(_PACKAGES_CACHE)


def provenance(*, run_id: str | None, policy_sha256: str | None) -> dict[str, Any]:
    """The provenance block of a record: who made it, when, under which policy."""
    return {
        "created_at": utc_now(),
        "run_id": run_id,
        "policy_sha256": policy_sha256,
        "packages": _packages(),
        "platform": sys.platform,
    }


def envelope(kind: str, payload: Mapping[str, Any], prov: Mapping[str, Any]) -> dict[str, Any]:
    """Wrap ``payload`` in the versioned envelope every record uses."""
    if kind not in EVIDENCE_KINDS and kind != MANIFEST_KIND:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {EVIDENCE_KINDS}")
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "provenance": dict(prov),
        "payload": dict(payload),
    }


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence record as the decision logic sees it."""

    path: str
    kind: str
    name: str
    status: str
    reasons: tuple[str, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def requirement(self) -> str:
        """The requirement id this record satisfies, e.g. ``data_quality.train``."""
        if self.kind == "csc.data_quality":
            return f"data_quality.{self.name}"
        if self.kind == "csc.fairness":
            return f"fairness.{self.name}"
        return self.kind.removeprefix("csc.")


def parse_record(path: str, data: bytes) -> EvidenceItem:
    """Read one evidence record's bytes; raise :class:`EvidenceError` if it is not ours."""
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"{path}: not valid JSON ({exc}); the record is unreadable") from exc
    if not isinstance(record, dict):
        raise EvidenceError(f"{path}: expected a JSON object; found {type(record).__name__}")
    if record.get("schema_version") != SCHEMA_VERSION:
        raise EvidenceError(
            f"{path}: schema_version {record.get('schema_version')!r} is not the supported "
            f"{SCHEMA_VERSION}; upgrade csc-mlflow to read it"
        )
    kind = record.get("kind")
    payload = record.get("payload")
    if kind not in EVIDENCE_KINDS or not isinstance(payload, dict):
        raise EvidenceError(f"{path}: kind {kind!r} with payload is not an evidence record")
    reasons = payload.get("reasons", [])
    return EvidenceItem(
        path=path,
        kind=str(kind),
        name=str(payload.get("name", "")),
        status=str(payload.get("status", "")),
        reasons=tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        payload=payload,
    )


@dataclass(frozen=True)
class DatasetRef:
    """A dataset the run logged with ``mlflow.log_input``: name, digest and context."""

    name: str
    digest: str
    context: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    """One file the manifest seals."""

    path: str
    sha256: str
    size: int
    kind: str


@dataclass(frozen=True)
class RunEvidence:
    """Everything the decision logic needs to know about a run's evidence.

    ``problems`` holds integrity problems found while reading the evidence (a hash that
    does not match, an unreadable record); each one blocks.
    """

    run_status: str
    items: tuple[EvidenceItem, ...] = ()
    datasets: tuple[DatasetRef, ...] = ()
    policy_sha256: str | None = None
    problems: tuple[str, ...] = ()

    def find(self, requirement: str) -> tuple[EvidenceItem, ...]:
        """Records satisfying ``requirement`` (``fairness`` matches every fairness record)."""
        return tuple(
            item
            for item in self.items
            if item.requirement == requirement or item.requirement.startswith(requirement + ".")
        )


def build_manifest(
    entries: Iterable[ManifestEntry],
    *,
    datasets: Iterable[DatasetRef],
    policy_sha256: str | None,
    run_id: str,
    run_status: str,
    decision: Mapping[str, Any],
) -> dict[str, Any]:
    """The manifest record for a run (an envelope of kind ``csc.manifest``)."""
    payload = {
        "items": [
            {"path": e.path, "sha256": e.sha256, "size": e.size, "kind": e.kind}
            for e in sorted(entries, key=lambda e: e.path)
        ],
        "datasets": [
            {"name": d.name, "digest": d.digest, "context": d.context}
            for d in sorted(datasets, key=lambda d: (d.name, d.digest))
        ],
        "policy_sha256": policy_sha256,
        "run": {"run_id": run_id, "mlflow_status": run_status},
        "decision": dict(decision),
    }
    return envelope(MANIFEST_KIND, payload, provenance(run_id=run_id, policy_sha256=policy_sha256))
