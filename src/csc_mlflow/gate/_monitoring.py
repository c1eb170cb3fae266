"""What the gate makes of monitoring: the last monitoring run of a version, verified, and the
policy's consequence of a batch that did not pass (``monitoring.on_breach``).

The version's ``csc.monitor.*`` tags say which run was the last; its status is read from that
run's seal, never from a tag, and a run that does not verify, is not a monitoring run or
judged another version reads as ``unverifiable``: a breach, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from csc_mlflow._evidence import MonitoringPayload, Reason
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._policy import Policy
from csc_mlflow._registry import RegistryStore, monitor_history
from csc_mlflow._runs import RunWriter, first_line
from csc_mlflow._verify import verify_run
from csc_mlflow.exceptions import CscMlflowError

__all__ = ["LastMonitoring", "act_on_breach", "actions_recorded", "last_monitoring", "when"]


def when(stamp: str) -> datetime:
    """A recorded time (ISO 8601, UTC when it says no zone)."""
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LastMonitoring:
    """A version's last monitoring run as its seal says (``status`` None: never monitored;
    ``problem`` set: it does not verify, so neither its status nor its time counts)."""

    status: str | None = None
    at: datetime | None = None
    run_id: str = ""
    problem: str | None = None
    reasons: tuple[str, ...] = ()


def last_monitoring(
    writer: RunWriter, policy: Policy, model: str, version: str, tags: dict[str, str] | None
) -> LastMonitoring:
    """The version's last monitoring run, its status read from its verified seal."""
    history = monitor_history(tags)
    if not history:
        return LastMonitoring()
    last = history[-1]
    try:
        governance = verify_run(writer, last.run_id, policy=policy, hash_models=False)
    except CscMlflowError as exc:
        return LastMonitoring(run_id=last.run_id, problem=first_line(exc))
    judged = governance.evidence.payloads(MonitoringPayload)
    if governance.problems:
        return LastMonitoring(run_id=last.run_id, problem=governance.problems[0])
    if (
        governance.evidence.purpose != "monitoring"
        or not judged
        or (judged[0].model, judged[0].version) != (model, version)
    ):
        return LastMonitoring(
            run_id=last.run_id,
            problem=f"run {last.run_id} is not a monitoring run of {model} version {version}",
        )
    decision = governance.decision
    return LastMonitoring(
        status=governance.status,
        at=when(last.time),
        run_id=last.run_id,
        reasons=tuple(str(r) for r in decision.reasons) if decision is not None else (),
    )


def act_on_breach(
    store: RegistryStore,
    policy: Policy,
    model: str,
    version: str,
    run_id: str,
    status: str,
    reasons: tuple[str, ...],
    *,
    who: str | None = None,
) -> tuple[str, ...]:
    """The policy's consequence of a batch that did not pass, for each alias on the version,
    each written in its ledger: ``warn`` (recorded), ``block`` (the gate refuses the version
    until a batch passes) or ``remove_alias`` (removed now). ``("alias: action", ...)``."""
    if status == "passed" or policy.monitoring is None:
        return ()
    on_breach = policy.monitoring.on_breach
    aliases = sorted(
        alias
        for alias, held in (store.client.get_registered_model(model).aliases or {}).items()
        if str(held) == version
    )
    actions = []
    for alias in aliases:
        if on_breach == "remove_alias" and store.alias_version(model, alias) == version:
            store.delete_alias(model, alias)
            done, outcome = "removed", "failed"
        elif on_breach == "warn":
            done, outcome = "warned", "warning"
        else:
            done, outcome = "blocked", "failed"
        why = Reason(
            "monitoring.breach",
            "monitoring",
            f"monitoring run {run_id} is {status}: " + ("; ".join(reasons[:3]) or "see its report"),
            outcome,  # type: ignore[arg-type]
        )
        what = Reason(
            f"monitoring.{done}",
            "monitoring",
            {
                "removed": f"alias {alias!r} was removed from version {version} (on_breach: "
                "remove_alias)",
                "blocked": f"the gate refuses version {version} for {alias!r} until a "
                "monitoring run passes (on_breach: block)",
                "warned": f"alias {alias!r} stays on version {version} (on_breach: warn)",
            }[done],
            outcome,  # type: ignore[arg-type]
        )
        decision = GateDecision(
            model=model,
            version=version,
            alias=alias,
            decision="passed" if done == "warned" else "blocked",
            reasons=(why, what),
            run_id=run_id,
            policy_sha256=policy.sha256,
        )
        store.append(decision, who=who, via="monitor")
        actions.append(f"{alias}: {done}")
    return tuple(actions)


_PHRASES = {
    "removed": "(on_breach: remove_alias)",
    "blocked": "(on_breach: block)",
    "warned": "(on_breach: warn)",
}


def actions_recorded(
    store: RegistryStore, model: str, version: str, run_id: str
) -> tuple[str, ...]:
    """The actions the ledger records for monitoring run ``run_id`` (as ``act_on_breach``
    returns them), e.g. when the server took them."""
    found = []
    for entry in store.ledger(model, version).entries:
        if entry.via != "monitor" or entry.run_id != run_id:
            continue
        for done, phrase in _PHRASES.items():
            if any(reason.endswith(phrase) for reason in entry.reasons):
                found.append(f"{entry.alias}: {done}")
    return tuple(found)
