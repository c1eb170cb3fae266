"""The gate's ledger: every decision, appended as a model-version tag, hash-chained.

Each entry is the tag ``csc.gate.ledger.<seq>`` on the model version, holding JSON: who, when,
alias, decision, reasons, manifest hash, policy hash, package version, any waiver, and the
SHA-256 of the previous entry, so a removed or edited entry breaks the chain.
"""

from __future__ import annotations

import getpass
import hashlib
import itertools
import json
import os
from datetime import UTC, datetime
from typing import Any, Final

from csc_mlflow._version import __version__
from csc_mlflow.gate._check import GateDecision

PREFIX: Final = "csc.gate.ledger."


def actor() -> str:
    """Who is acting: ``$CSC_MLFLOW_ACTOR``, else the login name."""
    try:
        return os.environ.get("CSC_MLFLOW_ACTOR") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): say so rather than fail
        return "unknown"


def _digest(entry: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True).encode("utf-8")).hexdigest()


def entries(client: Any, model: str, version: str) -> list[dict[str, Any]]:
    """The ledger of one model version, oldest first."""
    mv = client.get_model_version(model, version)
    found = [json.loads(v) for k, v in mv.tags.items() if k.startswith(PREFIX)]
    return sorted(found, key=lambda e: e["seq"])


def append(
    client: Any, decision: GateDecision, *, who: str | None = None, via: str = "client"
) -> dict[str, Any]:
    """Record ``decision`` on its model version and return the entry."""
    existing = entries(client, decision.model, decision.version)
    entry = {
        "seq": (existing[-1]["seq"] + 1) if existing else 1,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": who or actor(),
        "via": via,
        "model": decision.model,
        "version": decision.version,
        "alias": decision.alias,
        "decision": decision.decision,
        "reasons": [str(r) for r in decision.reasons],
        "run_id": decision.run_id,
        "manifest_sha256": decision.manifest_sha256,
        "policy_sha256": decision.policy_sha256,
        "package_version": __version__,
        "waiver": decision.waiver,
        "previous_sha256": _digest(existing[-1]) if existing else None,
    }
    client.set_model_version_tag(
        decision.model,
        decision.version,
        f"{PREFIX}{entry['seq']:06d}",
        json.dumps(entry, sort_keys=True),
    )
    return entry


def history(client: Any, model: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every ledger entry of every version of ``model``, by time, and any broken chains."""
    found: list[dict[str, Any]] = []
    problems: list[str] = []
    for mv in client.search_model_versions(f"name = '{model}'"):
        chain = entries(client, model, mv.version)
        for previous, current in itertools.pairwise(chain):
            if current.get("previous_sha256") != _digest(previous):
                problems.append(
                    f"version {mv.version}: ledger entry {current['seq']} does not follow "
                    f"entry {previous['seq']}"
                )
        if chain and chain[0]["seq"] != 1:
            problems.append(f"version {mv.version}: the ledger's first entries are missing")
        found.extend(chain)
    return sorted(found, key=lambda e: (e["time"], e["version"], e["seq"])), problems
