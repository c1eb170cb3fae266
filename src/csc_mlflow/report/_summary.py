"""Model-version summaries (markdown on the registry page) and reports for any governed run."""

from __future__ import annotations

import json
import logging
from typing import Any

from csc_mlflow import _names as names

_logger = logging.getLogger("csc_mlflow")
MARK = "<!-- csc-mlflow governance summary -->"


def describe_version(client: Any, model: str, version: str) -> str:
    """Write a short governance summary into the version's description (keeping user text)."""
    from csc_mlflow.gate._ledger import entries

    mv = client.get_model_version(model, version)
    run = client.get_run(mv.run_id) if mv.run_id else None
    tags = run.data.tags if run else {}
    status = tags.get(names.STATUS_TAG, "not governed")
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries(client, model, version):
        latest[entry["alias"]] = entry
    lines = [MARK, f"**Governance status: {status.upper()}**", ""]
    reasons = tags.get(names.REASONS_TAG)
    if reasons and status != "passed":
        lines += [f"Reasons: {reasons[:600]}", ""]
    if latest:
        lines.append("| alias | gate decision | when | by |")
        lines.append("|---|---|---|---|")
        lines += [
            f"| {a} | {e['decision']} | {e['time']} | {e['actor']} |"
            for a, e in sorted(latest.items())
        ]
        lines.append("")
    if run is not None:
        link = (
            f"#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
            f"/artifacts/{names.REPORT_PATH}"
        )
        lines.append(
            f"[Governance report]({link}) (`{names.REPORT_PATH}` on run `{run.info.run_id}`)"
        )
    summary = "\n".join(lines) + "\n" + MARK
    own = (mv.description or "").split(MARK)[0].rstrip()
    text = f"{own}\n\n{summary}" if own else summary
    client.update_model_version(model, version, description=text)
    return text


def describe_run_versions(client: Any, run_id: str) -> None:
    """Summaries for every registered version built from ``run_id`` (never raises)."""
    try:
        for mv in client.search_model_versions(f"run_id = '{run_id}'"):
            describe_version(client, mv.name, mv.version)
    except Exception:
        _logger.warning(
            "csc-mlflow: could not summarise model versions of run %s", run_id, exc_info=True
        )


def render_run_report(run_id: str, *, tracking_uri: str | None = None) -> str:
    """Render the governance report for any governed run from its evidence records."""
    from mlflow import MlflowClient

    from csc_mlflow._verify import get_status
    from csc_mlflow.report._html import render_report

    status = get_status(run_id, tracking_uri=tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri)
    run = client.get_run(run_id)
    records = {i.path: {"kind": i.kind, "payload": dict(i.payload)} for i in status.evidence.items}
    decision = (
        status.decision.to_dict() if status.decision else {"status": status.status, "reasons": []}
    )
    problems = [{"outcome": "failed", "subject": "evidence", "message": p} for p in status.problems]
    decision = {**decision, "reasons": list(decision.get("reasons", [])) + problems}
    if status.problems:
        decision["status"] = "failed"
    project = {"name": run.data.tags.get("mlflow.runName", run_id), "owner": "see the policy"}
    try:
        from csc_mlflow._runtime import active_policy

        policy = active_policy()
        if policy is not None:
            project = policy.project.model_dump()
    except Exception:  # noqa: BLE001 - the report renders without the project block
        pass
    lineage = {
        "run_id": run_id,
        "mlflow_status": run.info.status,
        "policy_sha256": status.evidence.policy_sha256,
        "datasets": [
            {"name": d.name, "digest": d.digest, "context": None} for d in status.evidence.datasets
        ],
        "packages": {},
        "model_ids": [o.model_id for o in (run.outputs.model_outputs if run.outputs else [])],
    }
    return render_report(project=project, decision=decision, records=records, lineage=lineage)


def _json(data: bytes) -> Any:
    return json.loads(data)
