"""Records as the decision logic sees them, and the one place their bytes are parsed.

:func:`parse_record` and :func:`parse_manifest` turn a record's bytes into typed models (or
raise :class:`EvidenceError` saying what is wrong); nothing else in csc-mlflow reads evidence
JSON by key.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import ValidationError

from csc_mlflow._evidence._envelope import SCHEMA_VERSION, Provenance, Record
from csc_mlflow._evidence._payloads import (
    DataQualityPayload,
    FairnessPayload,
    MonitoringPayload,
    Payload,
    PerformancePayload,
    ReferenceProfilePayload,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._evidence._sealed import DatasetRef, ManifestEntry, ManifestPayload
from csc_mlflow.exceptions import EvidenceError

__all__ = [
    "EVIDENCE_KINDS",
    "EXAMPLE_FILES",
    "MANIFEST_KIND",
    "Envelope",
    "EvidenceItem",
    "EvidenceKind",
    "ModelFacts",
    "RunEvidence",
    "listed_entries",
    "parse_manifest",
    "parse_record",
]

EvidenceKind = Literal[
    "csc.data_quality",
    "csc.fairness",
    "csc.performance",
    "csc.ethics.triage",
    "csc.ethics.workbook",
    "csc.reference_profile",
    "csc.monitoring",
]
MANIFEST_KIND: Final = "csc.manifest"

_PAYLOAD_TYPES: Final[dict[str, type[Record]]] = {
    "csc.data_quality": DataQualityPayload,
    "csc.fairness": FairnessPayload,
    "csc.performance": PerformancePayload,
    "csc.ethics.triage": TriagePayload,
    "csc.ethics.workbook": WorkbookPayload,
    "csc.reference_profile": ReferenceProfilePayload,
    "csc.monitoring": MonitoringPayload,
    MANIFEST_KIND: ManifestPayload,
}
EVIDENCE_KINDS: Final = tuple(k for k in _PAYLOAD_TYPES if k != MANIFEST_KIND)


@dataclass(frozen=True)
class Envelope:
    """A record ready to write: schema version, kind, provenance, then the payload."""

    kind: str
    provenance: Provenance
    payload: Record

    def __post_init__(self) -> None:
        expected = _PAYLOAD_TYPES.get(self.kind)
        if expected is None or not isinstance(self.payload, expected):
            raise EvidenceError(
                f"a {type(self.payload).__name__} cannot be written as a {self.kind!r} record; "
                f"kinds: {', '.join(_PAYLOAD_TYPES)}"
            )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "provenance": self.provenance.to_json(),
            "payload": self.payload.to_json(),
        }


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence record as the decision logic sees it."""

    path: str
    kind: str
    payload: Payload

    @property
    def name(self) -> str:
        """The record's name (a dataset, an evaluation, ``triage`` or ``workbook``)."""
        return self.payload.name

    @property
    def status(self) -> str:
        """The record's own status."""
        return self.payload.status

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the record's status is what it is."""
        return self.payload.reasons

    @property
    def requirement(self) -> str:
        """The requirement id this record satisfies, e.g. ``data_quality.train``."""
        if self.kind == "csc.data_quality":
            return f"data_quality.{self.name}"
        if self.kind == "csc.fairness":
            return f"fairness.{self.name}"
        if self.kind == "csc.performance":
            return f"performance.{self.name}"
        return self.kind.removeprefix("csc.")


EXAMPLE_FILES: Final = ("input_example.json", "serving_input_example.json")
"""Files MLflow writes inside a model when it is logged with example rows of its input."""


@dataclass(frozen=True)
class ModelFacts:
    """A model the run logged: its id and the files it carries."""

    model_id: str
    files: tuple[str, ...] = ()

    @property
    def example_files(self) -> tuple[str, ...]:
        """Files holding example rows of the model's input (personal data, for CSC models)."""
        return tuple(f for f in self.files if f.rsplit("/", 1)[-1] in EXAMPLE_FILES)


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
    models: tuple[ModelFacts, ...] = ()
    stage: str | None = None
    purpose: str | None = None
    """``monitoring`` for a monitoring run (judged by the policy's ``monitoring`` section);
    None for a training run."""

    def find(self, requirement: str) -> tuple[EvidenceItem, ...]:
        """Records satisfying ``requirement`` (``fairness`` matches every fairness record)."""
        return tuple(
            item
            for item in self.items
            if item.requirement == requirement or item.requirement.startswith(requirement + ".")
        )

    def payloads(self, kind: type[Payload]) -> tuple[Any, ...]:
        """The payloads of one kind, in path order."""
        return tuple(
            i.payload
            for i in sorted(self.items, key=lambda i: i.path)
            if isinstance(i.payload, kind)
        )


def _load(path: str, data: bytes) -> tuple[str, dict[str, Any], Provenance | None]:
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(
            f"{path}: not valid JSON ({exc}); the record is unreadable", key=path
        ) from exc
    if not isinstance(record, dict):
        raise EvidenceError(
            f"{path}: expected a JSON object; found {type(record).__name__}", key=path
        )
    if record.get("schema_version") != SCHEMA_VERSION:
        raise EvidenceError(
            f"{path}: schema_version {record.get('schema_version')!r} is not the supported "
            f"{SCHEMA_VERSION}; upgrade csc-mlflow to read it",
            key=path,
        )
    kind, payload = record.get("kind"), record.get("payload")
    if kind not in _PAYLOAD_TYPES or not isinstance(payload, dict):
        raise EvidenceError(f"{path}: kind {kind!r} with payload is not a csc record", key=path)
    try:
        prov = Provenance.model_validate(record.get("provenance"))
    except ValidationError:
        prov = None
    return str(kind), payload, prov


def _typed(path: str, kind: str, payload: dict[str, Any]) -> Any:
    try:
        return _PAYLOAD_TYPES[kind].model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise EvidenceError(
            f"{path}: the {kind} payload does not follow its schema ({where}: {first['msg']}; "
            f"{exc.error_count()} problem(s)); the record is unreadable",
            key=path,
        ) from None


def parse_record(path: str, data: bytes) -> EvidenceItem:
    """Read one evidence record's bytes; raise :class:`EvidenceError` if it is not ours."""
    kind, payload, _ = _load(path, data)
    if kind == MANIFEST_KIND:
        raise EvidenceError(f"{path}: a manifest is not an evidence record", key=path)
    return EvidenceItem(path=path, kind=kind, payload=_typed(path, kind, payload))


def parse_manifest(data: bytes, path: str = "governance/manifest.json") -> ManifestPayload:
    """Read a manifest's bytes; raise :class:`EvidenceError` if it is not a manifest."""
    kind, payload, _ = _load(path, data)
    if kind != MANIFEST_KIND:
        raise EvidenceError(f"{path}: kind {kind!r} is not a manifest", key=path)
    typed: ManifestPayload = _typed(path, kind, payload)
    return typed


def listed_entries(data: bytes) -> tuple[ManifestEntry, ...]:
    """The file entries of a manifest whose payload as a whole does not parse.

    A tampered manifest still tells which files it claimed to seal, so each of them can be
    checked too; entries that are not well formed are left out (the manifest itself has
    already been reported as unreadable).
    """
    try:
        items = json.loads(data)["payload"]["items"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return ()
    found = []
    for item in items if isinstance(items, list) else ():
        try:
            found.append(ManifestEntry.model_validate(item))
        except ValidationError:
            continue
    return tuple(found)
