"""Evidence records and the manifest: the one place their format is defined.

- :mod:`._envelope`: the envelope, provenance, canonical JSON and hashing;
- :mod:`._payloads`: the payload of each evidence kind (data quality, fairness, triage,
  workbook);
- :mod:`._sealed`: reasons, decisions, the manifest, waivers and ledger entries;
- :mod:`._items`: records as the decision logic sees them, and the only parser.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

from collections.abc import Iterable

from csc_mlflow._evidence._envelope import (
    SCHEMA_VERSION,
    Provenance,
    Record,
    canonical_json,
    package_versions,
    provenance,
    sha256_hex,
    utc_now,
)
from csc_mlflow._evidence._items import (
    EVIDENCE_KINDS,
    EXAMPLE_FILES,
    MANIFEST_KIND,
    Envelope,
    EvidenceItem,
    EvidenceKind,
    ModelFacts,
    RunEvidence,
    listed_entries,
    parse_manifest,
    parse_record,
)
from csc_mlflow._evidence._payloads import (
    EVIDENCE_STATUSES,
    DataQualityPayload,
    DatasetFacts,
    DriftRecord,
    EstimateRecord,
    EvidenceStatus,
    FairnessPayload,
    FairnessSettings,
    FeatureProfile,
    FeatureRecord,
    FlaggedThemeRecord,
    GroupRecord,
    MonitoringPayload,
    OverallRecord,
    Payload,
    PerformanceMetric,
    PerformancePayload,
    PerformanceThreshold,
    ProfileBin,
    RateChange,
    ReferenceProfilePayload,
    RuleRecord,
    RulesSummary,
    SignoffRecord,
    SuiteFacts,
    ThemeRecord,
    ThresholdRecord,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._evidence._sealed import (
    DatasetRef,
    DecisionStatus,
    GovernanceDecision,
    LedgerEntry,
    LedgerHead,
    ManifestEntry,
    ManifestPayload,
    ModelSeal,
    MonitorEntry,
    Outcome,
    Reason,
    RunRef,
    Waiver,
)

__all__ = [
    "EVIDENCE_KINDS",
    "EVIDENCE_STATUSES",
    "EXAMPLE_FILES",
    "MANIFEST_KIND",
    "SCHEMA_VERSION",
    "DataQualityPayload",
    "DatasetFacts",
    "DatasetRef",
    "DecisionStatus",
    "DriftRecord",
    "Envelope",
    "EstimateRecord",
    "EvidenceItem",
    "EvidenceKind",
    "EvidenceStatus",
    "FairnessPayload",
    "FairnessSettings",
    "FeatureProfile",
    "FeatureRecord",
    "FlaggedThemeRecord",
    "GovernanceDecision",
    "GroupRecord",
    "LedgerEntry",
    "LedgerHead",
    "ManifestEntry",
    "ManifestPayload",
    "ModelFacts",
    "ModelSeal",
    "MonitorEntry",
    "MonitoringPayload",
    "Outcome",
    "OverallRecord",
    "Payload",
    "PerformanceMetric",
    "PerformancePayload",
    "PerformanceThreshold",
    "ProfileBin",
    "Provenance",
    "RateChange",
    "Reason",
    "Record",
    "ReferenceProfilePayload",
    "RuleRecord",
    "RulesSummary",
    "RunEvidence",
    "RunRef",
    "SignoffRecord",
    "SuiteFacts",
    "ThemeRecord",
    "ThresholdRecord",
    "TriagePayload",
    "Waiver",
    "WorkbookPayload",
    "build_manifest",
    "canonical_json",
    "envelope",
    "listed_entries",
    "package_versions",
    "parse_manifest",
    "parse_record",
    "provenance",
    "sha256_hex",
    "utc_now",
]


def envelope(
    kind: str, payload: Record, *, run_id: str | None, policy_sha256: str | None
) -> Envelope:
    """``payload`` wrapped in the versioned envelope, with provenance made now."""
    return Envelope(kind, provenance(run_id=run_id, policy_sha256=policy_sha256), payload)


def build_manifest(
    entries: Iterable[ManifestEntry],
    *,
    datasets: Iterable[DatasetRef],
    policy_sha256: str | None,
    run_id: str,
    run_status: str,
    decision: GovernanceDecision,
    models: Iterable[ModelSeal] = (),
    stage: str | None = None,
    purpose: str | None = None,
) -> Envelope:
    """The manifest record for a run (an envelope of kind ``csc.manifest``)."""
    payload = ManifestPayload(
        items=tuple(sorted(entries, key=lambda e: e.path)),
        datasets=tuple(sorted(datasets, key=lambda d: (d.name, d.digest))),
        policy_sha256=policy_sha256,
        run=RunRef(run_id=run_id, mlflow_status=run_status, stage=stage, purpose=purpose),
        decision=decision,
        models=tuple(sorted(models, key=lambda m: m.model_id)),
    )
    return envelope(MANIFEST_KIND, payload, run_id=run_id, policy_sha256=policy_sha256)
