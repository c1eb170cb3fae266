"""Model-version summaries (markdown on the registry page) and reports for any governed run."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import GovernanceDecision, LedgerEntry, MonitorEntry, Reason
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore, monitor_history
from csc_mlflow._runs import RunWriter
from csc_mlflow._stages import stage_label
from csc_mlflow._verify import get_status
from csc_mlflow.report._facts import Lineage, ReportHeader
from csc_mlflow.report._monitoring import history_markdown

__all__ = [
    "describe_run_versions",
    "describe_version",
    "header_for",
    "render_run_report",
    "rendered_report",
    "sealed_policy",
    "version_summary",
]

_logger = logging.getLogger("csc_mlflow")


def header_for(policy: Policy | None, fallback: str) -> ReportHeader:
    """The report's header: the policy's project, or just a name when there is no policy."""
    if policy is None:
        return ReportHeader(name=fallback, owner="see the policy")
    project = policy.project
    return ReportHeader(
        name=project.name,
        owner=project.owner,
        accountable_officer=project.accountable_officer,
        description=project.description,
    )


def version_summary(
    *,
    status: str,
    reasons: str | None,
    latest: dict[str, LedgerEntry],
    run: Any,
    plain: str | None = None,
    compared: Mapping[str, str] | None = None,
    history: Sequence[MonitorEntry] = (),
) -> str:
    """The governance summary of a model version, as markdown (with its monitoring history,
    one line per batch, when it has been monitored)."""
    lines = [f"**Governance status: {status.upper()}**", ""]
    if run is not None and names.STAGE_TAG in run.data.tags:
        lines += [f"Stage: {stage_label(run.data.tags[names.STAGE_TAG])}", ""]
    if plain:  # the report's first page, in words
        lines += [plain, ""]
    elif reasons and status != "passed":
        lines += [f"Reasons: {reasons[:600]}", ""]
    if latest:
        lines.append("| alias | gate decision | when | by |")
        lines.append("|---|---|---|---|")
        lines += [
            f"| {a} | {e.decision} | {e.time} | {e.actor} |" for a, e in sorted(latest.items())
        ]
        lines.append("")
    lines += history_markdown(history)
    for alias, figures in sorted((compared or {}).items()):
        lines.append(f"Against the version holding {alias}, at the last check:")
        lines += [f"- {line}" for line in figures.splitlines()]
        lines.append("")
    if run is not None:
        link = (
            f"#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
            f"/artifacts/{names.REPORT_PATH}"
        )
        lines.append(
            f"[Governance report]({link}) (`{names.REPORT_PATH}` on run `{run.info.run_id}`)"
        )
    return "\n".join(lines)


def describe_version(
    model: str,
    version: str,
    *,
    client: Any = None,
    tracking_uri: str | None = None,
    read: Any = None,
    run: Any = None,
    status_tags: Mapping[str, str] | None = None,
) -> str:
    """Write a short governance summary into the version's description (keeping user text).

    ``read`` (the version as just read), ``run`` (its run) and ``status_tags`` (the status the
    run was just given) save reading them again; by default they are read here.
    """
    store = RegistryStore(client, tracking_uri=tracking_uri)
    mv = read if read is not None else store.model_version(model, version)
    if run is None and mv.run_id:
        run = RunWriter(store.client).get_run(mv.run_id)
    tags = {**(run.data.tags if run is not None else {}), **(status_tags or {})}
    entries = store.ledger(model, version, read=mv).entries
    latest = {entry.alias: entry for entry in entries}
    status = tags.get(names.STATUS_TAG, "not governed")
    summary = version_summary(
        status=status,
        reasons=tags.get(names.REASONS_TAG),
        latest=latest,
        run=run,
        plain=tags.get(names.PLAIN_SUMMARY_TAG),
        compared={
            key.removeprefix(names.COMPARED_TAG_PREFIX): value
            for key, value in (mv.tags or {}).items()
            if key.startswith(names.COMPARED_TAG_PREFIX)
        },
        history=monitor_history(mv.tags),
    )
    store.tag_version(model, version, {names.STATUS_TAG: status}, read=mv)
    return store.write_summary(model, version, summary, read=mv)


def describe_run_versions(
    run_id: str,
    *,
    client: Any = None,
    run: Any = None,
    status_tags: Mapping[str, str] | None = None,
) -> None:
    """Summaries for every registered version built from ``run_id`` (never raises).

    With ``run`` and the ``status_tags`` it was just given (at sealing), each version is read
    once (by the search) and written once, only if its summary changed.
    """
    try:
        store = RegistryStore(client)
        for mv in store.versions_of_run(run_id):
            describe_version(
                mv.name,
                str(mv.version),
                client=store.client,
                read=mv,
                run=run,
                status_tags=status_tags,
            )
    except Exception:
        _logger.warning(
            "csc-mlflow: could not summarise model versions of run %s", run_id, exc_info=True
        )


def render_run_report(
    run_id: str, *, tracking_uri: str | None = None, policy: Policy | None = None
) -> str:
    """Render the governance report for any governed run from its evidence records, with
    ``policy`` or else the policy the run was sealed under."""
    return rendered_report(run_id, tracking_uri=tracking_uri, policy=policy)[0]


def rendered_report(
    run_id: str, *, tracking_uri: str | None = None, policy: Policy | None = None
) -> tuple[str, str]:
    """The report rendered afresh, and which policy it was rendered with (in words)."""
    status = get_status(run_id, tracking_uri=tracking_uri)
    run = RunWriter(tracking_uri=tracking_uri).get_run(run_id)
    basis = f"the policy given ({policy.source or 'in memory'})" if policy is not None else ""
    if policy is None:
        policy = sealed_policy(status.sealed_policy)
        basis = (
            "the policy the run was sealed under"
            if policy is not None
            else "no policy (the run holds no sealed policy snapshot)"
        )
    decision = status.decision or GovernanceDecision(status="incomplete", reasons=())
    problems = tuple(Reason("evidence.integrity", "evidence", p, "failed") for p in status.problems)
    if problems:
        decision = GovernanceDecision(
            status="failed", reasons=decision.reasons + problems, alias=decision.alias
        )
    lineage = Lineage(
        run_id=run_id,
        mlflow_status=run.info.status,
        policy_sha256=status.evidence.policy_sha256,
        datasets=status.evidence.datasets,
        model_ids=tuple(o.model_id for o in (run.outputs.model_outputs if run.outputs else [])),
        stage=status.evidence.stage,
    )
    from csc_mlflow.report._html import render_report  # only when a report is rendered

    html = render_report(
        header=header_for(policy, run.data.tags.get("mlflow.runName", run_id)),
        decision=decision,
        items=status.evidence.items,
        lineage=lineage,
    )
    return html, basis


def sealed_policy(snapshot: bytes | None) -> Policy | None:
    """The policy sealed on a run (already checked against its manifest), or None."""
    if snapshot is None:
        return None
    try:
        return Policy.model_validate_json(snapshot)
    except ValueError:  # a snapshot written by a later release: render without it
        _logger.warning("csc-mlflow: the run's sealed policy snapshot could not be read")
        return None
