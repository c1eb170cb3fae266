"""The one pure decision: ``evaluate(policy, evidence) -> GovernanceDecision``.

The run's status at run end and the gate's decision at promotion both come from here, so a
reviewer sees the same reasons in both places. It never stops at the first problem: every
reason is collected. It fails closed: anything it does not recognise blocks.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from csc_mlflow._evidence import (
    DecisionStatus,
    EvidenceItem,
    GovernanceDecision,
    Outcome,
    Reason,
    RunEvidence,
    TriagePayload,
    WorkbookPayload,
)
from csc_mlflow._policy import Policy

__all__ = [
    "GovernanceDecision",
    "Reason",
    "compare_with_holder",
    "evaluate",
    "judged_by",
    "monitoring_reasons",
    "requirements_for",
]

_STATUS_OUTCOME: Final[dict[str, Outcome | None]] = {
    "passed": None,
    "warnings": "warning",
    "failed": "failed",
    "incomplete": "incomplete",
    "insufficient_evidence": "incomplete",
    "inconclusive": "incomplete",
}


def requirements_for(
    policy: Policy, alias: str | None = None, *, purpose: str | None = None
) -> tuple[str, ...]:
    """The evidence a run (``alias=None``) or a registry alias requires, as requirement ids.

    For a run: every required dataset's data quality, fairness when the policy configures it
    as required, and each ethics file the policy names. For a monitoring run
    (``purpose="monitoring"``): the monitoring record, and the batch's data quality when
    ``monitoring.data_quality`` names a dataset. For an alias: ``gate.<alias>.require`` with
    ``data_quality`` expanded to every dataset the policy names.
    """
    if alias is None and purpose == "monitoring":
        dataset = policy.monitoring.data_quality if policy.monitoring is not None else None
        return (*((f"data_quality.{dataset}",) if dataset else ()), "monitoring")
    if alias is None:
        wanted: list[str] = [
            f"data_quality.{name}" for name, ds in policy.datasets.items() if ds.required
        ]
        if policy.fairness is not None and policy.fairness.required:
            wanted.append("fairness")
        if policy.performance is not None and policy.performance.required:
            wanted.append("performance")
        if policy.ethics is not None and policy.ethics.triage:
            wanted.append("ethics.triage")
        if policy.ethics is not None and policy.ethics.workbook:
            wanted.append("ethics.workbook")
        return tuple(wanted)
    expanded: list[str] = []
    for item in policy.gate[alias].require:
        if item == "data_quality":
            expanded.extend(f"data_quality.{name}" for name in policy.datasets)
        else:
            expanded.append(item)
    return tuple(dict.fromkeys(expanded))


def judged_by(policy: Policy, sealed_sha256: str | None) -> bool:
    """Whether evidence sealed with ``sealed_sha256`` was judged by the rules ``policy`` judges
    evidence by: its evidence hash, or (runs sealed by earlier releases) its whole-policy hash."""
    return sealed_sha256 is not None and sealed_sha256 in (policy.evidence_sha256, policy.sha256)


def evaluate(
    policy: Policy,
    evidence: RunEvidence,
    *,
    alias: str | None = None,
    today: date | None = None,
) -> GovernanceDecision:
    """Decide a run's governance status, or whether ``alias`` may move onto its model.

    Parameters
    ----------
    policy : Policy
        The policy in force now.
    evidence : RunEvidence
        What the run carries, with any integrity problems already found.
    alias : str, optional
        Judge against ``gate.<alias>`` instead of the run's own requirements.
    today : date, optional
        The date review-by dates are checked against (defaults to today, UTC).

    Returns
    -------
    GovernanceDecision
        ``failed`` if anything failed, else ``incomplete`` if anything is missing, else
        ``passed``; with every reason.
    """
    today = today or date.today()
    reasons: list[Reason] = []

    if evidence.run_status != "FINISHED":
        reasons.append(
            Reason(
                "run.not_finished",
                "run",
                f"the run ended with MLflow status {evidence.run_status}, not FINISHED "
                "(it raised, was killed or is still running), so its evidence cannot be trusted",
                "failed",
            )
        )
    reasons.extend(
        Reason("evidence.integrity", "evidence", problem, "failed") for problem in evidence.problems
    )
    reasons.extend(_example_rows(policy, evidence))
    if evidence.policy_sha256 is None:
        reasons.append(
            Reason(
                "policy.unknown",
                "policy",
                "the run records no policy hash, so it cannot be shown to meet this policy",
                "incomplete",
            )
        )
    elif not judged_by(policy, evidence.policy_sha256):
        reasons.append(
            Reason(
                "policy.changed",
                "policy",
                f"the evidence was judged by policy {evidence.policy_sha256[:12]} but the "
                f"policy in force judges evidence as {policy.evidence_sha256[:12]} (its "
                "datasets, fairness, ethics or models sections changed); re-run under the "
                "current policy",
                "incomplete",
            )
        )

    allow_warnings = True
    inconclusive_blocks = True
    if alias is not None and alias not in policy.gate:
        known = ", ".join(sorted(policy.gate)) or "none"
        reasons.append(
            Reason(
                "gate.unknown_alias",
                f"alias {alias}",
                f"the policy sets no requirements for alias {alias!r} (known: {known}); add "
                f"'gate: {{{alias}: {{require: [...]}}}}' to the policy",
                "failed",
            )
        )
        required: tuple[str, ...] = ()
    else:
        required = requirements_for(policy, alias, purpose=evidence.purpose)
        if alias is None and evidence.purpose is None and policy.monitoring and evidence.models:
            required += ("reference_profile",)  # what monitoring will compare live data with
        if alias is not None:
            allow_warnings = policy.gate[alias].allow_warnings
            inconclusive_blocks = policy.gate[alias].inconclusive == "block"

    reasons.extend(_missing(policy, evidence, required))
    if evidence.purpose == "monitoring" and alias is None:
        # A batch of live data: judged on its own records, not the training run's stages,
        # sign-offs or group performance (the version it monitors carries those).
        for item in evidence.items:
            reasons.extend(
                _judge_item(item, allow_warnings=True, inconclusive_blocks=inconclusive_blocks)
            )
        return _decided(reasons, alias)
    by_stage = stage_requirements(policy, evidence.stage, alias=alias)
    reasons.extend(_stage_reasons(policy, evidence, alias, by_stage, required))
    required = tuple(dict.fromkeys(required + tuple(r for _, r in by_stage)))
    judged = evidence.items if alias is None else _required_items(evidence, required)
    for item in judged:
        reasons.extend(
            _judge_item(
                item, allow_warnings=allow_warnings, inconclusive_blocks=inconclusive_blocks
            )
        )
    reasons.extend(_signoffs(policy, evidence, alias=alias, required=required, today=today))
    if alias is None or any(r.startswith("performance") for r in required):
        reasons.extend(_group_performance(policy, evidence))
    return _decided(reasons, alias)


def _decided(reasons: list[Reason], alias: str | None) -> GovernanceDecision:
    if any(r.outcome == "failed" for r in reasons):
        status: DecisionStatus = "failed"
    elif any(r.outcome == "incomplete" for r in reasons):
        status = "incomplete"
    else:
        status = "passed"
    return GovernanceDecision(status=status, reasons=tuple(reasons), alias=alias)


def monitoring_reasons(
    policy: Policy,
    *,
    last_status: str | None,
    last_at: datetime | None,
    deployed_since: datetime | None,
    now: datetime,
) -> list[Reason]:
    """What the live data says of a version, per ``monitoring``: its last monitoring run
    breached (or could not be judged), or it has been deployed longer than ``max_age_days``
    without one. Each reason blocks unless ``on_breach`` is ``warn``.

    ``deployed_since`` is when an alias first moved onto the version (None: never deployed,
    so no monitoring is due yet).
    """
    monitoring = policy.monitoring
    if monitoring is None:
        return []
    outcome: Outcome = "warning" if monitoring.on_breach == "warn" else "failed"
    reasons = []
    if last_status is not None and last_status != "passed":
        reasons.append(
            Reason(
                "monitoring.breach",
                "monitoring",
                f"the last monitoring run of this version is {last_status}: the live data no "
                "longer matches what the model was judged on (see its report)",
                outcome,
            )
        )
    started = max((t for t in (last_at, deployed_since) if t is not None), default=None)
    if deployed_since is not None and started is not None:
        age = (now - started).days
        if age > monitoring.max_age_days:
            since = "its last monitoring run" if last_at else "it was deployed"
            reasons.append(
                Reason(
                    "monitoring.stale",
                    "monitoring",
                    f"{age} days since {since}; the policy allows {monitoring.max_age_days} "
                    "(monitor a recent batch with 'csc-mlflow monitor')",
                    outcome,
                )
            )
    return reasons


def stage_requirements(
    policy: Policy, run_stage: str | None, *, alias: str | None = None
) -> tuple[tuple[str, str], ...]:
    """``(stage, requirement)`` for the run's stage and every stage before it (and, for an
    alias, the stage it needs and every one before that), as the policy sets them."""
    from csc_mlflow._stages import stage, stages_up_to

    reached: set[str] = set()
    for wanted in (run_stage, policy.gate[alias].stage if alias in policy.gate else None):
        if wanted is None:
            continue
        try:
            reached.update(s.id for s in stages_up_to(wanted))
        except ValueError:
            continue  # an unknown stage is a reason of its own
    ordered = sorted(reached, key=lambda s: stage(s).position)
    return tuple((s, r) for s in ordered for r in policy.stage_requirements.get(s, ()))


def _stage_reasons(
    policy: Policy,
    evidence: RunEvidence,
    alias: str | None,
    by_stage: tuple[tuple[str, str], ...],
    already: tuple[str, ...],
) -> list[Reason]:
    """The run's stage known and reached, and what each stage up to it requires present."""
    from csc_mlflow._stages import stage

    needed = policy.gate[alias].stage if alias in policy.gate else None
    if not (policy.stage_requirements or needed or evidence.stage):
        return []
    reasons = []
    current = None
    if evidence.stage is None:
        reasons.append(
            Reason(
                "stage.unrecorded",
                "stage",
                "the run records no stage of the guidance's process; set 'stage:' in the "
                "policy or start the run with governed_run(stage=...)",
                "incomplete",
            )
        )
    else:
        try:
            current = stage(evidence.stage)
        except ValueError as exc:
            reasons.append(Reason("stage.unknown", "stage", str(exc), "incomplete"))
    at = f"stage {current.name}" if current is not None else "its stage"
    for stage_id, requirement in by_stage:
        if requirement in already or evidence.find(requirement):
            continue
        reasons.append(
            Reason(
                "stage.evidence_missing",
                f"stage {stage(stage_id).name}",
                f"no {_describe_requirement(requirement)} evidence on the run: a run at {at} "
                f"needs what stage {stage(stage_id).name} requires",
                "incomplete",
            )
        )
    if needed is not None and (current is None or current.position < stage(needed).position):
        reasons.append(
            Reason(
                "stage.not_reached",
                f"alias {alias}",
                f"alias {alias} needs a model whose run reached stage {stage(needed).name}; "
                f"this run is at {at if current is not None else 'no recorded stage'}",
                "failed",
            )
        )
    return reasons


def _required_items(evidence: RunEvidence, required: tuple[str, ...]) -> tuple[EvidenceItem, ...]:
    seen: dict[str, EvidenceItem] = {}
    for requirement in required:
        for item in evidence.find(requirement):
            seen[item.path] = item
    return tuple(seen.values())


def _missing(policy: Policy, evidence: RunEvidence, required: tuple[str, ...]) -> list[Reason]:
    reasons = []
    for requirement in required:
        if requirement == "data_quality" and not policy.datasets:
            reasons.append(
                Reason(
                    "evidence.missing",
                    requirement,
                    "data quality is required but the policy names no datasets; add "
                    "'datasets: {<name>: {suite: ...}}'",
                    "incomplete",
                )
            )
        elif not evidence.find(requirement):
            reasons.append(
                Reason(
                    "evidence.missing",
                    requirement,
                    f"no {_describe_requirement(requirement)} evidence on the run",
                    "incomplete",
                )
            )
    return reasons


def _describe_requirement(requirement: str) -> str:
    kind, _, name = requirement.partition(".")
    if kind == "data_quality":
        return f"data-quality (dataset {name!r})" if name else "data-quality"
    if kind == "fairness":
        return f"fairness ({name!r})" if name else "fairness"
    if kind == "performance":
        return f"performance ({name!r})" if name else "performance"
    return {
        "ethics.triage": "Ethics Triage",
        "ethics.workbook": "Ethics Workbook",
        "reference_profile": "reference profile (the training data as monitoring compares "
        "live data with it: csc_mlflow.log_reference_profile)",
        "monitoring": "monitoring",
    }.get(requirement, requirement)


def _judge_item(
    item: EvidenceItem, *, allow_warnings: bool, inconclusive_blocks: bool
) -> list[Reason]:
    subject = item.requirement
    if item.status not in _STATUS_OUTCOME:
        return [
            Reason(
                "evidence.unknown_status",
                subject,
                f"status {item.status!r} in {item.path} is not one csc-mlflow knows; "
                "treated as failed",
                "failed",
            )
        ]
    outcome = _STATUS_OUTCOME[item.status]
    if outcome is None:
        return []
    if item.status == "inconclusive" and not inconclusive_blocks:
        outcome = "warning"
    if outcome == "warning" and not allow_warnings:
        outcome = "failed"
    details = item.reasons or (f"status {item.status}",)
    return [Reason(f"evidence.{item.status}", subject, detail, outcome) for detail in details]


def _signoffs(
    policy: Policy,
    evidence: RunEvidence,
    *,
    alias: str | None,
    required: tuple[str, ...],
    today: date,
) -> list[Reason]:
    """Required sign-offs present, and the workbook's review-by date not passed.

    The policy's ``ethics.signoff`` roles apply wherever the workbook is required; an
    alias's own ``signoff`` roles apply to that alias.
    """
    roles: list[str] = []
    if policy.ethics is not None and policy.ethics.signoff and "ethics.workbook" in required:
        triages = [
            i.payload
            for i in evidence.find("ethics.triage")
            if isinstance(i.payload, TriagePayload)
        ]
        risk = (triages[0].risk or "default") if triages else "default"
        if risk == "unknown":  # an incomplete triage is treated as high risk
            risk = "high"
        by_risk = policy.ethics.signoff
        roles.extend(by_risk.get(risk, by_risk.get("default", ())))  # type: ignore[call-overload]
    if alias is not None and alias in policy.gate:
        roles.extend(policy.gate[alias].signoff)
    workbooks = [
        i.payload
        for i in evidence.find("ethics.workbook")
        if isinstance(i.payload, WorkbookPayload)
    ]
    if not workbooks and not roles:
        return []
    if not workbooks:
        return [
            Reason(
                "signoff.missing",
                f"sign-off by {role}",
                "a sign-off is required but the run carries no Ethics Workbook to hold it",
                "incomplete",
            )
            for role in dict.fromkeys(roles)
        ]
    workbook = workbooks[0]
    if not workbook.evaluated:
        return [
            Reason(
                "signoff.unchecked",
                f"sign-off by {role}",
                "the workbook was not evaluated, so its sign-offs cannot be checked",
                "incomplete",
            )
            for role in dict.fromkeys(roles)
        ]
    reasons = []
    signed = {s.role for s in workbook.signoffs}
    for role in dict.fromkeys(roles):
        if role not in signed:
            reasons.append(
                Reason(
                    "signoff.missing",
                    f"sign-off by {role}",
                    f"the workbook has no sign-off by the {role.replace('_', ' ')}",
                    "failed",
                )
            )
    reasons.extend(_implausible_dates(policy, workbook, today))
    review_by = workbook.review_by
    if review_by:
        try:
            due = date.fromisoformat(str(review_by))
        except ValueError:
            reasons.append(
                Reason(
                    "review.unreadable",
                    "review date",
                    f"review_by {review_by!r} is not a date (YYYY-MM-DD)",
                    "failed",
                )
            )
        else:
            horizon = _review_horizon(policy)
            if due > today + timedelta(days=horizon):
                reasons.append(
                    Reason(
                        "review.implausible",
                        "review date",
                        f"the workbook's review date {due.isoformat()} is more than {horizon} "
                        "days away; set a review date within the policy's horizon "
                        "(ethics.review_max_age_days)",
                        "failed",
                    )
                )
            elif due < today:
                reasons.append(
                    Reason(
                        "review.expired",
                        "review date",
                        f"the workbook was due for review by {due.isoformat()}; review it and "
                        "sign it off again",
                        "failed",
                    )
                )
    return reasons


DEFAULT_REVIEW_HORIZON_DAYS: Final = 1826
"""How far ahead a review date may lie (five years) when the policy sets no
``ethics.review_max_age_days``."""


def _review_horizon(policy: Policy) -> int:
    configured = policy.ethics.review_max_age_days if policy.ethics is not None else None
    return configured or DEFAULT_REVIEW_HORIZON_DAYS


def _implausible_dates(policy: Policy, workbook: WorkbookPayload, today: date) -> list[Reason]:
    """Sign-offs dated in the future, and sign-offs older than the policy allows."""
    reasons = []
    dated = []
    for signoff in workbook.signoffs:
        try:
            when = date.fromisoformat(signoff.date)
        except ValueError:
            continue  # the workbook evaluation already reported it
        dated.append(when)
        if when > today:
            reasons.append(
                Reason(
                    "signoff.future",
                    f"sign-off by {signoff.role}",
                    f"the sign-off by the {signoff.role.replace('_', ' ')} is dated "
                    f"{when.isoformat()}, after today; a sign-off records a review that happened",
                    "failed",
                )
            )
    limit = policy.ethics.review_max_age_days if policy.ethics is not None else None
    if limit is not None and dated and max(dated) < today - timedelta(days=limit):
        reasons.append(
            Reason(
                "review.stale",
                "review date",
                f"the latest sign-off is dated {max(dated).isoformat()}, more than {limit} days "
                "ago (ethics.review_max_age_days); review the workbook and sign it off again",
                "failed",
            )
        )
    return reasons


def _example_rows(policy: Policy, evidence: RunEvidence) -> list[Reason]:
    """A logged model carrying example rows of its input, unless the policy allows it."""
    if policy.models.allow_input_example:
        return []
    return [
        Reason(
            "model.input_example",
            f"model {model.model_id}",
            f"the logged model carries example rows of its input ({', '.join(model.example_files)}"
            "), which for a children's social care model are children's records; log it with a "
            "signature and no input_example (or set 'models: {allow_input_example: true}' if "
            "the rows are synthetic)",
            "failed",
        )
        for model in evidence.models
        if model.example_files
    ]


def _measures(evidence: RunEvidence) -> dict[str, float | None]:
    """``kind:record:feature:measure`` -> the point estimate, for every performance share and
    fairness disparity on the run."""
    from csc_mlflow._evidence import FairnessPayload, PerformancePayload

    found: dict[str, float | None] = {}
    for p in evidence.payloads(PerformancePayload):
        for m in p.metrics:
            found[f"performance:{p.name}::{m.metric}"] = m.estimate.value
    for f in evidence.payloads(FairnessPayload):
        for feature in f.features:
            for measure, estimate in feature.disparities.items():
                found[f"fairness:{f.name}:{feature.feature}:{measure}"] = estimate.value
    return found


def compare_with_holder(
    policy: Policy,
    alias: str,
    candidate: RunEvidence,
    holder: RunEvidence,
    holder_version: str,
) -> tuple[list[Reason], list[str]]:
    """Challenger against champion: each measure the alias's ``regression`` names, on the
    candidate and on the version holding the alias. Returns the blocking reasons and one line
    per comparison (both figures side by side).

    Higher is better for a performance share and a ratio; lower for a difference. A measure
    that cannot be compared (missing on either, or withheld) is incomplete, never passed.
    """
    reasons: list[Reason] = []
    lines: list[str] = []
    ours, theirs = _measures(candidate), _measures(holder)
    for measure, allowed in policy.gate[alias].regression.items():
        keys = sorted(k for k in theirs if k.endswith(f":{measure}"))
        if not keys:
            reasons.append(
                Reason(
                    "gate.regression",
                    f"alias {alias}",
                    f"{measure}: version {holder_version}, which holds {alias}, has no sealed "
                    f"{measure} to compare with, so the candidate cannot be shown not to "
                    "fall behind it",
                    "incomplete",
                )
            )
            continue
        lower_is_better = measure.endswith("_difference")
        for key in keys:
            feature = key.split(":")[2]
            where = f"{measure}" + (f" ({feature})" if feature else "")
            mine, held = ours.get(key), theirs[key]
            if mine is None or held is None:
                reasons.append(
                    Reason(
                        "gate.regression",
                        f"alias {alias}",
                        f"{where}: cannot be compared with version {holder_version} (missing "
                        "or withheld on one of them); the candidate cannot be shown not to fall "
                        "behind",
                        "incomplete",
                    )
                )
                continue
            change = held - mine if not lower_is_better else mine - held
            verdict = "worse beyond what the policy allows" if change > allowed + 1e-12 else "ok"
            lines.append(
                f"{where}: candidate {mine:.3f}, version {holder_version} ({alias}) {held:.3f}; "
                f"allowed to fall behind by {allowed:g}: {verdict}"
            )
            if verdict != "ok":
                reasons.append(
                    Reason(
                        "gate.regression",
                        f"alias {alias}",
                        f"{where} is {mine:.3f} against {held:.3f} for version {holder_version}, "
                        f"which holds {alias}: "
                        f"{'higher' if lower_is_better else 'lower'} by {change:.3f}, more than "
                        f"the {allowed:g} the policy allows",
                        "failed",
                    )
                )
    return reasons, lines


_GROUP_METRIC: Final = {
    "accuracy": "accuracy",
    "recall": "true_positive_rate",
    "precision": "precision",
    "specificity": "true_negative_rate",
}


def _group_performance(policy: Policy, evidence: RunEvidence) -> list[Reason]:
    """``performance.by_group``: every judged group of each named feature meets each
    threshold, on the fairness record's per-group figures. Groups too small to judge are
    counted, never named, and make the verdict inconclusive."""
    from csc_mlflow._evidence import FairnessPayload

    settings = policy.performance
    if settings is None or not settings.by_group or not settings.thresholds:
        return []
    features = {f.feature: f for p in evidence.payloads(FairnessPayload) for f in p.features}
    reasons = []
    for name in settings.by_group:
        feature = features.get(name)
        subject = f"performance by {name}"
        if feature is None:
            reasons.append(
                Reason(
                    "performance.groups_missing",
                    subject,
                    f"no fairness record on the run holds the groups of {name!r}, so "
                    "performance in each group cannot be shown",
                    "incomplete",
                )
            )
            continue
        unjudged = sum(1 for g in feature.groups if not g.judged)
        for metric, bounds in settings.thresholds.items():
            for bound in ("min", "max"):
                if getattr(bounds, bound) is None:
                    continue
                sign = ">=" if bound == "min" else "<="
                for group in (g for g in feature.groups if g.judged):
                    estimate = (group.metrics or {}).get(_GROUP_METRIC[metric])
                    verdict = bounds.verdict(
                        bound,
                        estimate.value if estimate else None,
                        *(estimate.ci if estimate else (None, None)),
                    )
                    if verdict == "meets":
                        continue
                    shown = (
                        f"{estimate.value:.3f}"
                        if estimate and estimate.value is not None
                        else "withheld"
                    )
                    reasons.append(
                        Reason(
                            f"performance.group_{verdict}",
                            subject,
                            f"{metric} {sign} {getattr(bounds, bound):g} in group {group.group}: "
                            f"{verdict} ({metric} {shown})",
                            "failed" if verdict == "breaches" else "incomplete",
                        )
                    )
                if unjudged:
                    reasons.append(
                        Reason(
                            "performance.group_inconclusive",
                            subject,
                            f"{metric} {sign} {getattr(bounds, bound):g}: {unjudged} group(s) "
                            "have too few children to judge, so it cannot be shown for every "
                            "group",
                            "incomplete",
                        )
                    )
    return reasons
