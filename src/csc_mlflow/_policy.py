"""The governance policy: a typed, frozen model of ``governance.yaml``.

The policy says which suites apply to which datasets, the sensitive features and their
groupings, the fairness metrics and thresholds, the minimum group size, which ethics
artefacts are required and what each registry alias requires. Every model forbids unknown
keys and is frozen; loading and error reporting live in :mod:`csc_mlflow._policy_io`.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from csc_mlflow._groupings import GROUPINGS

__all__ = [
    "AGGREGATE_METRICS",
    "GROUP_METRICS",
    "PERFORMANCE_METRICS",
    "ROLES",
    "AliasRequirements",
    "DatasetPolicy",
    "EthicsPolicy",
    "FairnessPolicy",
    "FairnessThreshold",
    "ModelsPolicy",
    "MonitoredFeature",
    "MonitoringPolicy",
    "PerformanceBound",
    "PerformancePolicy",
    "Policy",
    "Project",
    "SensitiveFeature",
    "SigningPolicy",
    "intersection_name",
    "threshold_metric_names",
]

NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
ALIAS_PATTERN: Final = re.compile(r"^[\w\-]+$")
FEATURE_PATTERN: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def intersection_name(features: tuple[str, ...]) -> str:
    """Name of an intersection of features, e.g. ``ethnicity-sex`` (features hold no '-')."""
    return "-".join(features)


Role = Literal[
    "developer", "accountable_officer", "data_protection_officer", "practice_lead", "legal"
]
ROLES: Final = (
    "developer",
    "accountable_officer",
    "data_protection_officer",
    "practice_lead",
    "legal",
)
RiskLevel = Literal["default", "low", "medium", "high"]

GROUP_METRICS: Final = (
    "count",
    "base_rate",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision",
    "accuracy",
    "roc_auc",
)
"""Per-group metrics the fairness engine computes (fairlearn's names)."""

AGGREGATE_METRICS: Final = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)
"""Between-group disparity measures with fairlearn's names."""

DEFAULT_METRICS: Final = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
    "base_rate",
)


def threshold_metric_names() -> tuple[str, ...]:
    """Every metric a fairness threshold may name."""
    derived = tuple(
        f"{metric}_{aggregate}"
        for metric in GROUP_METRICS
        if metric != "count"
        for aggregate in ("difference", "ratio")
    )
    return AGGREGATE_METRICS + derived


REQUIREMENT_KINDS: Final = (
    "data_quality",
    "fairness",
    "performance",
    "ethics.triage",
    "ethics.workbook",
    "reference_profile",
)
PERFORMANCE_METRICS: Final = ("accuracy", "recall", "precision", "specificity")
"""What a performance threshold can name: each a share of children, with a Wilson interval."""

NonEmptyStr = Annotated[str, Field(min_length=1)]


def _one_of(allowed: tuple[str, ...], found: object) -> str:
    return f"expected one of {', '.join(allowed)}; found {found!r}"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Project(_Model):
    """Who owns the work: shown in reports and pre-filled into the ATRS draft."""

    name: NonEmptyStr
    owner: NonEmptyStr
    accountable_officer: NonEmptyStr | None = None
    contact_email: NonEmptyStr | None = None
    description: NonEmptyStr | None = None


class DatasetPolicy(_Model):
    """Which expectation suite validates a dataset, and which failures block."""

    suite: NonEmptyStr
    block_on: Literal["error", "query"] = "error"
    required: bool = True


class SensitiveFeature(_Model):
    """A protected characteristic: its column and how raw values map to groups.

    At most one of ``grouping`` (a shipped definition), ``groups`` (an inline mapping from
    group label to raw codes) and ``age_bands`` (band edges in whole years, for a date of
    birth column) may be given; with none, each raw value is its own group.
    """

    column: NonEmptyStr
    grouping: NonEmptyStr | None = None
    groups: dict[NonEmptyStr, tuple[NonEmptyStr, ...]] | None = None
    other: NonEmptyStr | None = None
    age_bands: tuple[Annotated[int, Field(ge=0, le=120)], ...] | None = None
    age_at: date | None = None
    reference_group: NonEmptyStr | None = None

    @field_validator("grouping")
    @classmethod
    def _known_grouping(cls, value: str | None) -> str | None:
        if value is not None and value not in GROUPINGS:
            raise ValueError(_one_of(tuple(sorted(GROUPINGS)), value))
        return value

    @field_validator("groups")
    @classmethod
    def _codes_in_one_group(
        cls, value: dict[str, tuple[str, ...]] | None
    ) -> dict[str, tuple[str, ...]] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("expected at least one group; found an empty mapping")
        seen: dict[str, str] = {}
        for label, codes in value.items():
            if not codes:
                raise ValueError(f"group {label!r} lists no codes")
            for code in codes:
                if code in seen:
                    raise ValueError(f"code {code!r} is in both {seen[code]!r} and {label!r}")
                seen[code] = label
        return value

    @field_validator("age_bands")
    @classmethod
    def _ascending(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and (not value or list(value) != sorted(set(value))):
            raise ValueError(f"expected strictly ascending whole years; found {list(value)}")
        return value

    @model_validator(mode="after")
    def _one_grouping(self) -> SensitiveFeature:
        given = [k for k in ("grouping", "groups", "age_bands") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of grouping, groups, age_bands; found {given}")
        if self.other is not None and self.groups is None:
            raise ValueError("'other' only applies together with 'groups'")
        if self.age_at is not None and self.age_bands is None and self.grouping != "dfe_age_band":
            raise ValueError("'age_at' only applies to age bands")
        return self


class FairnessThreshold(_Model):
    """A bound on a between-group measure, judged per sensitive feature."""

    metric: NonEmptyStr
    min: float | None = None
    max: float | None = None
    judge: Literal["point", "interval"] = "point"
    against: Literal["groups", "reference"] = "groups"
    features: tuple[NonEmptyStr, ...] | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        allowed = threshold_metric_names()
        if value not in allowed:
            raise ValueError(_one_of(allowed, value))
        return value

    @model_validator(mode="after")
    def _bounded(self) -> FairnessThreshold:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both; found neither")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is greater than 'max' ({self.max})")
        # Every measure a threshold can name (a rate, a difference of rates, a ratio of the
        # smaller to the larger, an AUC) lies from 0 to 1: a bound outside can never be met, or
        # is always met (a percentage written as 80 for 0.8, say).
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"'{bound}' is {value}, but {self.metric} lies from 0 to 1, so this bound "
                    f"{'can never be met' if (bound == 'min') == (value > 1) else 'always holds'}"
                    "; write it as a fraction (0.8, not 80)"
                )
        return self


class FairnessPolicy(_Model):
    """Sensitive features, intersections, metrics, thresholds and small-number rules."""

    sensitive_features: dict[NonEmptyStr, SensitiveFeature]
    intersections: tuple[tuple[NonEmptyStr, ...], ...] = ()
    metrics: tuple[NonEmptyStr, ...] = DEFAULT_METRICS
    thresholds: tuple[FairnessThreshold, ...] = ()
    min_group_size: Annotated[int, Field(ge=1)] = 10
    insufficient_evidence: Literal["block", "warn"] = "block"
    suppress_counts_up_to: Annotated[int, Field(ge=0)] = 5
    confidence_level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    required: bool = True

    @field_validator("sensitive_features")
    @classmethod
    def _features_named(cls, value: dict[str, SensitiveFeature]) -> dict[str, SensitiveFeature]:
        if not value:
            raise ValueError("expected at least one sensitive feature; found none")
        for name in value:
            if not FEATURE_PATTERN.match(name):
                raise ValueError(
                    f"feature names start with a letter and hold letters, digits and '_'; "
                    f"found {name!r}"
                )
        return value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for metric in value:
            if metric not in GROUP_METRICS:
                raise ValueError(_one_of(GROUP_METRICS, metric))
        return value

    @model_validator(mode="after")
    def _names_exist(self) -> FairnessPolicy:
        known = tuple(self.sensitive_features)
        for combo in self.intersections:
            if len(combo) < 2:
                raise ValueError(f"an intersection names two or more features; found {list(combo)}")
            for name in combo:
                if name not in known:
                    raise ValueError(f"intersection names unknown feature {name!r}; known: {known}")
        for threshold in self.thresholds:
            for name in threshold.features or ():
                if name not in known + tuple(intersection_name(c) for c in self.intersections):
                    raise ValueError(f"threshold names unknown feature {name!r}; known: {known}")
        return self


class PerformanceBound(_Model):
    """A bound on one performance measure (a share from 0 to 1)."""

    min: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    max: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    judge: Literal["point", "interval"] = "point"

    @model_validator(mode="after")
    def _bounded(self) -> PerformanceBound:
        if self.min is None and self.max is None:
            raise ValueError("expected 'min', 'max' or both (a fraction from 0 to 1)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is greater than 'max' ({self.max})")
        return self

    def verdict(
        self, bound: str, value: float | None, low: float | None, high: float | None
    ) -> Literal["meets", "breaches", "inconclusive"]:
        """``meets``, ``breaches`` or ``inconclusive`` for the ``min`` or ``max`` bound, on the
        point estimate or (``judge: interval``) the interval; a missing figure is inconclusive."""
        limit = getattr(self, bound)
        at_least = bound == "min"
        if value is None:
            return "inconclusive"
        if self.judge == "point":
            return "meets" if (value >= limit if at_least else value <= limit) else "breaches"
        if low is None or high is None:
            return "inconclusive"
        if (low >= limit) if at_least else (high <= limit):
            return "meets"
        if (high < limit) if at_least else (low > limit):
            return "breaches"
        return "inconclusive"


class PerformancePolicy(_Model):
    """What the model must achieve on children it was not built on (``recall: {min: 0.6}``):
    judged on the point estimate, or (``judge: interval``) on its confidence interval."""

    thresholds: dict[NonEmptyStr, PerformanceBound] = Field(default_factory=dict)
    confidence_level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    suppress_counts_up_to: Annotated[int, Field(ge=0)] = 5
    required: bool = False
    by_group: tuple[NonEmptyStr, ...] = ()
    """Sensitive features (or intersections) whose every group must meet the thresholds too,
    judged on the fairness record's per-group figures (a group too small to judge is
    inconclusive)."""

    @field_validator("thresholds")
    @classmethod
    def _known_metrics(cls, value: dict[str, PerformanceBound]) -> dict[str, PerformanceBound]:
        for metric in value:
            if metric not in PERFORMANCE_METRICS:
                raise ValueError(_one_of(PERFORMANCE_METRICS, metric))
        return value


class EthicsPolicy(_Model):
    """Where the team's triage answers and workbook live, and whose sign-off is required."""

    triage: NonEmptyStr | None = None
    workbook: NonEmptyStr | None = None
    signoff: dict[RiskLevel, tuple[Role, ...]] = Field(default_factory=dict)
    review_max_age_days: Annotated[int, Field(ge=1)] | None = None


class AliasRequirements(_Model):
    """What a registry alias (``staging``, ``champion``) requires before it may move."""

    require: tuple[NonEmptyStr, ...] = ()
    signoff: tuple[Role, ...] = ()
    allow_warnings: bool = True
    inconclusive: Literal["block", "warn"] = "block"
    waivers: dict[NonEmptyStr, tuple[Role, ...]] = Field(default_factory=dict)
    audit: Literal["remove", "report"] = "remove"
    stage: NonEmptyStr | None = None
    """The guidance stage a model's run must have reached for this alias (its requirements,
    and every earlier stage's, then apply)."""
    promoters: tuple[Role, ...] = ()
    """Roles whose members may move this alias (``roles`` names them), checked against the
    user the server authenticated; empty: anyone MLflow's permissions let set it."""
    regression: dict[NonEmptyStr, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict
    )
    """Challenger against champion: how far each measure may fall behind the version that
    holds the alias (``recall: 0.02``; a fairness disparity such as
    ``equalized_odds_difference: 0.02`` may rise, a ratio fall, by as much)."""

    @field_validator("regression")
    @classmethod
    def _known_measures(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = PERFORMANCE_METRICS + threshold_metric_names()
        for measure in value:
            if measure not in allowed:
                raise ValueError(_one_of(allowed, measure))
        return value

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str | None) -> str | None:
        return _check_stage(value)

    @field_validator("require")
    @classmethod
    def _known_requirements(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            _check_requirement(item)
        return value

    @field_validator("waivers")
    @classmethod
    def _known_waivers(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for item in value:
            _check_requirement(item)
        return value


def _check_stage(value: str | None) -> str | None:
    if value is not None:
        from csc_mlflow._stages import stage

        stage(value)  # ValueError naming the stages
    return value


def _check_requirement(item: str) -> None:
    kind, _, name = item.partition(".")
    if item in REQUIREMENT_KINDS:
        return
    if kind in ("data_quality", "fairness", "performance") and NAME_PATTERN.match(name):
        return
    raise ValueError(
        _one_of(
            REQUIREMENT_KINDS + ("data_quality.<dataset>", "fairness.<name>", "performance.<name>"),
            item,
        )
    )


class ModelsPolicy(_Model):
    """What a logged model may carry."""

    allow_input_example: bool = False
    """Whether a model may carry example rows of its input (``input_example.json``,
    ``serving_input_example.json``): for CSC models those rows are children's records."""


class SigningPolicy(_Model):
    """Ed25519 signing of the manifest, verified by the gate against ``public_key``."""

    required: bool = False
    public_key: NonEmptyStr | None = None


class MonitoredFeature(_Model):
    """A column whose distribution is profiled at training and compared in each batch.

    Its bins are declared, never learnt from the data (a learnt edge or label would publish a
    child's value): ``values`` (each listed code its own bin, anything else ``Other``),
    ``grouping`` or ``groups`` (codes mapped to named groups, as for sensitive features), or
    ``bins`` (numeric edges). Missing values form the bin ``Not recorded``.
    """

    column: NonEmptyStr
    values: tuple[NonEmptyStr, ...] | None = None
    grouping: NonEmptyStr | None = None
    groups: dict[NonEmptyStr, tuple[NonEmptyStr, ...]] | None = None
    bins: tuple[float, ...] | None = None

    @field_validator("grouping")
    @classmethod
    def _known_grouping(cls, value: str | None) -> str | None:
        from csc_mlflow._groupings import CodeGroupingDefinition

        if value is not None and not isinstance(GROUPINGS.get(value), CodeGroupingDefinition):
            codes = tuple(
                sorted(n for n, g in GROUPINGS.items() if isinstance(g, CodeGroupingDefinition))
            )
            raise ValueError(_one_of(codes, value))
        return value

    @field_validator("bins")
    @classmethod
    def _increasing(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (not value or any(b <= a for a, b in itertools.pairwise(value))):
            raise ValueError(f"expected at least one edge, strictly increasing; found {value}")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> MonitoredFeature:
        given = [k for k in ("values", "grouping", "groups", "bins") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of values (codes), grouping, groups or bins (numeric edges) "
                f"for column {self.column!r}; found {', '.join(given) or 'none'}. Bins are "
                "declared, not learnt from the data, so no child's value is published"
            )
        return self


class DriftPolicy(_Model):
    """When a feature (or the predictions) has drifted from the reference profile."""

    psi_max: Annotated[float, Field(gt=0.0)] = 0.2
    """Population stability index above which a feature has drifted."""
    alpha: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.01
    """Significance for the chi-square test, after Holm's correction across the features."""


class MonitoringFairness(_Model):
    """How far a group's rate may move from the reference profile."""

    max_rate_change: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    """Largest change in a group's selection rate (and, once outcomes are recorded, its error
    rates) from training."""
    judge: Literal["point", "interval"] = "point"
    """``point``: the change itself; ``interval``: its Newcombe interval must lie within the
    bound to pass (one that straddles it is inconclusive)."""


class MonitoringPolicy(_Model):
    """What keeps a deployed model's evidence current: a reference profile at training, then
    one monitoring run per batch of live data, judged here and acted on by the gate."""

    features: dict[NonEmptyStr, MonitoredFeature] = Field(default_factory=dict)
    data_quality: NonEmptyStr | None = None
    """The dataset (under ``datasets``) whose suite checks each batch's data quality, judged
    as that dataset's ``block_on`` says."""
    drift: DriftPolicy = Field(default_factory=DriftPolicy)
    fairness: MonitoringFairness | None = Field(default_factory=MonitoringFairness)
    on_breach: Literal["warn", "block", "remove_alias"] = "block"
    """What a breach, or a deployed version without a recent monitoring run, does:
    ``warn`` records it; ``block`` also makes the gate refuse the version; ``remove_alias``
    also removes every alias on the version at once."""
    max_age_days: Annotated[int, Field(ge=1)] = 35
    """The longest a deployed version may go without a monitoring run."""
    min_batch_size: Annotated[int, Field(ge=10)] = 100
    """The fewest children a batch (or the reference) may hold: fewer cannot be compared, or
    published, without disclosing them."""

    @field_validator("features")
    @classmethod
    def _feature_names(cls, value: dict[str, MonitoredFeature]) -> dict[str, MonitoredFeature]:
        for name in value:
            if not FEATURE_PATTERN.match(name) or name == "prediction":
                raise ValueError(
                    "monitored feature names start with a letter and hold letters, digits and "
                    f"'_' ('prediction' is reserved); found {name!r}"
                )
        return value


GROUP_PREFIX: Final = "group:"
"""A member of a role written ``group:<name>`` is every user in the MLflow role ``<name>``."""

PROMOTION_SECTIONS: Final = frozenset({"gate", "stages", "signing", "stage", "monitoring", "roles"})
"""The policy's sections outside the hash that seals evidence: what the gate reads afresh at
each promotion, ``stage``, the default for new runs (each run seals its own stage), and
``monitoring``, which may be added or tuned after a model is deployed without setting aside
the evidence it was trained with."""


def _canonical(content: Any) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _content_sha256(content: Any) -> str:
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


class Policy(_Model):
    """A whole ``governance.yaml``. Build with :func:`csc_mlflow.load_policy`."""

    version: Literal[1]
    project: Project
    datasets: dict[NonEmptyStr, DatasetPolicy] = Field(default_factory=dict)
    fairness: FairnessPolicy | None = None
    performance: PerformancePolicy | None = None
    ethics: EthicsPolicy | None = None
    gate: dict[NonEmptyStr, AliasRequirements] = Field(default_factory=dict)
    signing: SigningPolicy | None = None
    models: ModelsPolicy = Field(default_factory=ModelsPolicy)
    stages: dict[Literal["Staging", "Production"], NonEmptyStr] = Field(default_factory=dict)
    stage: NonEmptyStr | None = None
    """The project's stage in the guidance's process: the stage of new runs unless a run
    names its own (``governed_run(stage=...)`` or the ``csc.stage`` tag)."""
    monitoring: MonitoringPolicy | None = None
    roles: dict[Role, tuple[NonEmptyStr, ...]] = Field(default_factory=dict)
    """Who holds each role: MLflow usernames (``accountable_officer: [a.officer]``) and groups,
    written ``group:<name>``: every user MLflow's administrator gave the MLflow role
    ``<name>`` (MLflow's role-based access, 3.17 and later). With the server's authentication
    on, promotion (``gate.<alias>.promoters``) and waivers are checked against the user MLflow
    authenticated."""
    stage_requirements: dict[NonEmptyStr, tuple[NonEmptyStr, ...]] = Field(default_factory=dict)
    """What each stage requires (``ethics_triage: [ethics.triage]``): a run at a stage must
    hold the evidence of that stage and of every stage before it."""

    _source: Path | None = PrivateAttr(default=None)
    _sha256: str = PrivateAttr(default="")
    _evidence_sha256: str = PrivateAttr(default="")

    @field_validator("datasets")
    @classmethod
    def _dataset_names(cls, value: dict[str, DatasetPolicy]) -> dict[str, DatasetPolicy]:
        for name in value:
            if not NAME_PATTERN.match(name):
                raise ValueError(
                    f"dataset names may hold letters, digits, '_' and '-'; found {name!r}"
                )
        return value

    @field_validator("stage")
    @classmethod
    def _known_project_stage(cls, value: str | None) -> str | None:
        return _check_stage(value)

    @field_validator("stage_requirements")
    @classmethod
    def _stage_requirements(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name, required in value.items():
            _check_stage(name)
            for item in required:
                _check_requirement(item)
        return value

    @field_validator("gate")
    @classmethod
    def _alias_names(cls, value: dict[str, AliasRequirements]) -> dict[str, AliasRequirements]:
        for alias in value:
            if not ALIAS_PATTERN.match(alias) or alias == "latest" or re.fullmatch(r"v\d+", alias):
                raise ValueError(
                    "alias names hold letters, digits, '_' and '-', and are not 'latest' or "
                    f"'v<digits>' (MLflow reserves those); found {alias!r}"
                )
        return value

    @model_validator(mode="after")
    def _groups_are_features(self) -> Policy:
        wanted = self.performance.by_group if self.performance is not None else ()
        if not wanted:
            return self
        known: tuple[str, ...] = ()
        if self.fairness is not None:
            known = tuple(self.fairness.sensitive_features) + tuple(
                intersection_name(c) for c in self.fairness.intersections
            )
        for feature in wanted:
            if feature not in known:
                raise ValueError(
                    f"performance.by_group names {feature!r}, which is not a sensitive feature "
                    f"or intersection under 'fairness' (known: {', '.join(known) or 'none'})"
                )
        return self

    @model_validator(mode="after")
    def _monitored_not_sensitive(self) -> Policy:
        if self.monitoring is None or self.fairness is None:
            return self
        sensitive = {f.column: n for n, f in self.fairness.sensitive_features.items()}
        for name, feature in self.monitoring.features.items():
            if feature.column in sensitive:
                raise ValueError(
                    f"monitoring.features.{name} profiles column {feature.column!r}, the "
                    f"sensitive feature {sensitive[feature.column]!r}: its groups are already "
                    "compared in each batch, with their small counts suppressed (publishing "
                    "its bins too would let a suppressed count be worked out); remove it"
                )
        return self

    @model_validator(mode="after")
    def _monitoring_dataset(self) -> Policy:
        wanted = self.monitoring.data_quality if self.monitoring is not None else None
        if wanted is not None and wanted not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise ValueError(
                f"monitoring.data_quality names {wanted!r}, which is not a dataset under "
                f"'datasets' (known: {known}); its suite checks each batch"
            )
        return self

    @model_validator(mode="after")
    def _stages_name_aliases(self) -> Policy:
        for stage, alias in self.stages.items():
            if alias not in self.gate:
                known = ", ".join(sorted(self.gate)) or "none"
                raise ValueError(
                    f"stages.{stage} names alias {alias!r}, which has no requirements under "
                    f"'gate' (known: {known}); a stage is judged like the alias it names"
                )
        return self

    def model_post_init(self, context: Any, /) -> None:
        content = self.model_dump(mode="json", exclude_defaults=True)
        self._sha256 = _content_sha256(content)
        self._evidence_sha256 = _content_sha256(
            {k: v for k, v in content.items() if k not in PROMOTION_SECTIONS}
        )

    @property
    def sha256(self) -> str:
        """Canonical SHA-256 of the whole policy's content (independent of layout and
        comments): what the gate judged a promotion against."""
        return self._sha256

    @property
    def evidence_sha256(self) -> str:
        """Canonical SHA-256 of what judges a run's evidence: the policy without its promotion
        sections (``gate``, ``stages``, ``signing``), which the gate reads afresh at every
        promotion, and ``monitoring``, which judges live batches after deployment. A run is
        sealed with this hash, so a new waiver clause, alias or monitoring section does not
        set aside evidence that was judged by the same rules."""
        return self._evidence_sha256

    def roles_of(self, user: str, groups: Iterable[str] = ()) -> tuple[str, ...]:
        """The roles ``roles`` gives ``user`` (an MLflow username), by name or through one of
        the MLflow ``groups`` (role names) the user belongs to."""
        held = {user} | {f"{GROUP_PREFIX}{g}" for g in groups}
        return tuple(role for role, members in self.roles.items() if held & set(members))

    def snapshot(self) -> bytes:
        """The policy's content as canonical JSON, sealed on each run it governs."""
        return _canonical(self.model_dump(mode="json", exclude_defaults=True)).encode("utf-8")

    @property
    def source(self) -> Path | None:
        """The file the policy was loaded from, if any."""
        return self._source

    def resolve(self, path: str) -> Path:
        """A path named in the policy, relative to the policy file's folder."""
        candidate = Path(path).expanduser()
        if candidate.is_absolute() or self._source is None:
            return candidate
        return self._source.parent / candidate
