"""The payload of each evidence kind, as one typed model its writer and every reader share.

An evidence payload always holds ``name``, ``status`` (one of :data:`EVIDENCE_STATUSES`) and
``reasons`` (plain-English strings), then what its kind needs. The capabilities build these
models; the run writer serialises them; status, the gate, the report and the ATRS draft read
them back through :func:`csc_mlflow._evidence.parse_record` and use attributes, never keys.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field

from csc_mlflow._evidence._envelope import Record

__all__ = [
    "EVIDENCE_STATUSES",
    "DataQualityPayload",
    "DatasetFacts",
    "DriftRecord",
    "EstimateRecord",
    "EvidenceStatus",
    "FairnessPayload",
    "FairnessSettings",
    "FeatureProfile",
    "FeatureRecord",
    "FlaggedThemeRecord",
    "GroupRecord",
    "MonitoringPayload",
    "OverallRecord",
    "Payload",
    "PerformanceMetric",
    "PerformancePayload",
    "PerformanceThreshold",
    "ProfileBin",
    "RateChange",
    "ReferenceProfilePayload",
    "RuleRecord",
    "RulesSummary",
    "SignoffRecord",
    "SuiteFacts",
    "ThemeRecord",
    "ThresholdRecord",
    "TriagePayload",
    "WorkbookPayload",
]

EvidenceStatus = Literal[
    "passed", "warnings", "failed", "incomplete", "insufficient_evidence", "inconclusive"
]
EVIDENCE_STATUSES: Final = (
    "passed",
    "warnings",
    "failed",
    "incomplete",
    "insufficient_evidence",
    "inconclusive",
)


class _Payload(Record):
    name: str
    status: str
    reasons: tuple[str, ...] = ()


# --- data quality ----------------------------------------------------------------------------


class RuleRecord(Record):
    """One DfE rule's outcome, as counts only."""

    rule: str
    severity: str
    description: str
    expectation: str
    columns: tuple[str, ...]
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    missing_count: int | None
    problem: str | None = None
    suppressed: tuple[str, ...] = ()
    """Counts withheld because they are 1 to 5 (DfE disclosure control: shown as ``c``), with
    the percentage that would give them away."""


class SuiteFacts(Record):
    """Which suite judged the data."""

    ref: str
    sha256: str
    collection_year: str | None
    source: str


class DatasetFacts(Record):
    """The dataset judged: its MLflow digest and row count."""

    digest: str | None
    rows: int | None = None


class RulesSummary(Record):
    """How many rules ran and failed."""

    rules_evaluated: int
    rules_failed: int
    success_percent: float


class DataQualityPayload(_Payload):
    """``governance/data_quality/<name>.json``: per-rule counts, failures first."""

    block_on: str | None = None
    suite: SuiteFacts | None = None
    dataset: DatasetFacts
    summary: RulesSummary | None = None
    rules: tuple[RuleRecord, ...] = ()


# --- fairness --------------------------------------------------------------------------------


class EstimateRecord(Record):
    """A value with its interval; ``None`` where withheld or undefined."""

    value: float | None
    ci: tuple[float | None, float | None]
    groups: tuple[str, ...] = ()


class GroupRecord(Record):
    """One group: its published count (``c`` when suppressed) and, if judged, its metrics."""

    group: str
    count: int | str
    verdict: Literal["ok", "insufficient_evidence", "withheld"]
    metrics: dict[str, EstimateRecord] | None

    @property
    def judged(self) -> bool:
        """Whether the group was large enough for its metrics to be shown."""
        return self.verdict == "ok"


class FeatureRecord(Record):
    """A sensitive feature (or intersection): its groups and between-group disparities."""

    feature: str
    columns: tuple[str, ...]
    reference_group: str | None
    groups: tuple[GroupRecord, ...]
    disparities: dict[str, EstimateRecord]


class ThresholdRecord(Record):
    """A policy threshold judged on one feature."""

    metric: str
    feature: str
    bound: Literal["min", "max"]
    limit: float
    judge: str
    against: str
    estimate: EstimateRecord
    verdict: Literal["meets", "breaches", "inconclusive"]
    message: str


class OverallRecord(Record):
    """Everyone together (``c`` when there are 1 to the suppression limit)."""

    count: int | str
    metrics: dict[str, EstimateRecord]


class FairnessSettings(Record):
    """The small-number rules and options the evaluation ran with."""

    min_group_size: int
    suppress_counts_up_to: int
    confidence_level: float
    insufficient_evidence: str
    metrics: tuple[str, ...]
    undefined_rates: str
    age_at: str
    weighted: bool

    @property
    def confidence_percent(self) -> str:
        """The confidence level as people write it, e.g. ``95%``."""
        return f"{round(self.confidence_level * 100, 6):g}%"


class FairnessPayload(_Payload):
    """``governance/fairness/<name>.json``: group rates, disparities, threshold verdicts."""

    notes: tuple[str, ...] = ()
    settings: FairnessSettings
    overall: OverallRecord
    features: tuple[FeatureRecord, ...]
    thresholds: tuple[ThresholdRecord, ...] = ()
    charts: tuple[str, ...] = ()


# --- performance -----------------------------------------------------------------------------


class PerformanceMetric(Record):
    """One measure (a share of children) with its Wilson interval; ``None`` where withheld
    (a cell of the confusion matrix holds 1 to the suppression limit) or undefined."""

    metric: str
    estimate: EstimateRecord


class PerformanceThreshold(Record):
    """A policy bound judged on one measure."""

    metric: str
    bound: Literal["min", "max"]
    limit: float
    judge: str
    estimate: EstimateRecord
    verdict: Literal["meets", "breaches", "inconclusive"]
    message: str


class PerformancePayload(_Payload):
    """``governance/performance/<name>.json``: how well the model does, with intervals."""

    count: int | str
    confidence_level: float
    suppress_counts_up_to: int
    withheld: bool
    metrics: tuple[PerformanceMetric, ...]
    thresholds: tuple[PerformanceThreshold, ...] = ()


# --- monitoring ------------------------------------------------------------------------------


class ProfileBin(Record):
    """One bin of a profiled feature: the declared labels it holds and how many children.

    Bins are merged until every count is 0 or more than the suppression limit, so no count
    of 1 to the limit is published or follows from the others by subtraction.
    """

    labels: tuple[str, ...]
    count: int


class FeatureProfile(Record):
    """A feature's distribution: its bins in declared order (``Not recorded`` last)."""

    feature: str
    column: str
    kind: Literal["categorical", "numeric"]
    bins: tuple[ProfileBin, ...]


class ReferenceProfilePayload(_Payload):
    """``governance/monitoring/reference.json``: the training data as monitoring compares to
    it; per-feature distributions, the predictions', and each sensitive group's rates."""

    count: int
    suppress_counts_up_to: int
    confidence_level: float
    features: tuple[FeatureProfile, ...]
    groups: tuple[FeatureRecord, ...] = ()
    group_metrics: tuple[str, ...] = ()


class DriftRecord(Record):
    """One feature (or the predictions) compared with the reference profile."""

    feature: str
    column: str
    bins: tuple[tuple[tuple[str, ...], int, int], ...]
    """``(labels, reference count, batch count)`` per compared bin (merged as the profile's
    are: every count is 0 or more than the suppression limit)."""
    psi: float | None
    chi2: float | None
    dof: int
    p_value: float | None
    p_adjusted: float | None
    verdict: Literal["stable", "drifted", "inconclusive"]
    message: str


class RateChange(Record):
    """A sensitive group's rate in the batch against the same rate at training."""

    feature: str
    group: str
    metric: str
    reference: EstimateRecord
    batch: EstimateRecord
    change: EstimateRecord
    verdict: Literal["meets", "breaches", "inconclusive", "withheld", "not_compared"]
    """``withheld``: too few children in this batch to publish the rate (judged as the
    policy's ``fairness.insufficient_evidence`` says); ``not_compared``: training recorded no
    published rate for the group, so no batch can be compared (a warning: the gate judged the
    group at promotion from the fairness record)."""
    message: str


class MonitoringPayload(_Payload):
    """``governance/monitoring/<kind>.json``: one batch of live data against the reference
    profile of the model version it was scored by."""

    model: str
    version: str
    reference_run: str
    batch: str
    count: int
    outcomes: bool = False
    psi_max: float
    alpha: float
    max_rate_change: float | None
    judge: str
    drift: tuple[DriftRecord, ...] = ()
    changes: tuple[RateChange, ...] = ()
    groups: tuple[FeatureRecord, ...] = ()
    notes: tuple[str, ...] = ()


# --- ethics ----------------------------------------------------------------------------------


class FlaggedThemeRecord(Record):
    """A theme the triage flags, with the rules that flagged it and why."""

    theme: str
    label: str
    rules: tuple[str, ...]
    rationales: tuple[str, ...]


class TriagePayload(_Payload):
    """``governance/ethics/triage.json``. Unreadable answers leave only name, status, reasons."""

    definition_version: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    flagged_themes: tuple[FlaggedThemeRecord, ...] = ()
    risk: str | None = None
    risk_reasons: tuple[str, ...] = ()
    source: str | None = None
    source_sha256: str | None = None

    @property
    def evaluated(self) -> bool:
        """Whether the answers could be read and judged (else only the reasons say why not)."""
        return self.definition_version is not None


class SignoffRecord(Record):
    """A sign-off in the workbook."""

    name: str
    role: str
    date: str


class ThemeRecord(Record):
    """How far one theme's workbook questions are answered."""

    theme: str
    label: str
    required: bool
    answered: tuple[str, ...]
    unanswered: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    complete: bool


class WorkbookPayload(_Payload):
    """``governance/ethics/workbook.json``. Unreadable answers leave name, status, reasons."""

    notes: tuple[str, ...] = ()
    definition_version: str | None = None
    risk: str | None = None
    review_by: str | None = None
    signoffs: tuple[SignoffRecord, ...] = ()
    themes: tuple[ThemeRecord, ...] = ()
    answers: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    source_sha256: str | None = None

    @property
    def evaluated(self) -> bool:
        """Whether the workbook could be read and judged (its sign-offs are then known)."""
        return self.definition_version is not None

    def answer(self, question: str) -> Any:
        """The answer to ``question`` (the text of ``{answer: ...}`` forms), or None."""
        value = self.answers.get(question)
        return value.get("answer") if isinstance(value, dict) else value


Payload = (
    DataQualityPayload
    | FairnessPayload
    | PerformancePayload
    | TriagePayload
    | WorkbookPayload
    | ReferenceProfilePayload
    | MonitoringPayload
)
