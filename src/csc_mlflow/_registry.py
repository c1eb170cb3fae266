"""The registry store: model versions, their ledger of gate decisions, their descriptions.

The ledger is one model-version tag per decision, ``csc.gate.ledger.<seq>``, holding a
:class:`~csc_mlflow._evidence.LedgerEntry` as JSON: who, when, alias, decision, reasons,
manifest and policy hashes, package version, any waiver, and the SHA-256 of the previous
entry, so a removed or edited entry breaks the chain. A version's description keeps the
user's own text above a marked governance summary.
"""

from __future__ import annotations

import getpass
import hashlib
import itertools
import json
import os
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from csc_mlflow import _names as names
from csc_mlflow._evidence import LedgerEntry, utc_now
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._runs import tracking_client
from csc_mlflow._version import __version__

__all__ = [
    "LEDGER_PREFIX",
    "SUMMARY_MARK",
    "GateHistory",
    "RegistryStore",
    "actor",
    "entry_digest",
]

LEDGER_PREFIX: Final = names.LEDGER_TAG_PREFIX
SUMMARY_MARK: Final = "<!-- csc-mlflow governance summary -->"


def actor() -> str:
    """Who is acting: ``$CSC_MLFLOW_ACTOR``, else the login name."""
    try:
        return os.environ.get("CSC_MLFLOW_ACTOR") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): say so rather than fail
        return "unknown"


def entry_digest(entry: LedgerEntry) -> str:
    """The SHA-256 the next entry records as ``previous_sha256``."""
    text = json.dumps(entry.to_json(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GateHistory:
    """Every ledger entry of a model, by time, and every problem found in the chains."""

    model: str
    entries: tuple[LedgerEntry, ...]
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``gate history --json``)."""
        return {
            "model": self.model,
            "entries": [e.to_json() for e in self.entries],
            "problems": list(self.problems),
        }


class RegistryStore:
    """Reads and writes model versions through one tracking client."""

    def __init__(self, client: Any = None, *, tracking_uri: str | None = None) -> None:
        self.client = client if client is not None else tracking_client(tracking_uri)

    def model_version(self, model: str, version: str) -> Any:
        """The registered model version (MLflow's error if there is none)."""
        return self.client.get_model_version(model, version)

    def versions(self, model: str) -> list[Any]:
        """Every version of ``model``."""
        return list(self.client.search_model_versions(f"name = '{model}'"))

    def versions_of_run(self, run_id: str) -> list[Any]:
        """Every registered version built from ``run_id``."""
        return list(self.client.search_model_versions(f"run_id = '{run_id}'"))

    def registered_models(self) -> list[Any]:
        """Every registered model."""
        return list(self.client.search_registered_models())

    def set_alias(self, model: str, alias: str, version: str) -> None:
        """Point ``alias`` at ``version``."""
        self.client.set_registered_model_alias(model, alias, version)

    def alias_version(self, model: str, alias: str) -> str | None:
        """The version ``alias`` points at, or None."""
        try:
            return str(self.client.get_model_version_by_alias(model, alias).version)
        except Exception:  # noqa: BLE001 - MLflow raises for an unset alias
            return None

    def delete_alias(self, model: str, alias: str) -> None:
        """Remove ``alias``."""
        self.client.delete_registered_model_alias(model, alias)

    # --- the ledger ------------------------------------------------------------------------

    def ledger(self, model: str, version: str) -> tuple[list[LedgerEntry], list[str]]:
        """The ledger of one version, oldest first, and entries that could not be read."""
        mv = self.model_version(model, version)
        found: list[LedgerEntry] = []
        problems: list[str] = []
        for key, value in sorted(mv.tags.items()):
            if not key.startswith(LEDGER_PREFIX):
                continue
            try:
                found.append(LedgerEntry.model_validate_json(value))
            except ValidationError:
                problems.append(f"version {version}: ledger tag {key} is not a ledger entry")
        return sorted(found, key=lambda e: e.seq), problems

    def append(
        self, decision: GateDecision, *, who: str | None = None, via: str = "client"
    ) -> LedgerEntry:
        """Record ``decision`` on its model version and return the entry."""
        existing, _ = self.ledger(decision.model, decision.version)
        entry = LedgerEntry(
            seq=(existing[-1].seq + 1) if existing else 1,
            time=utc_now(),
            actor=who or actor(),
            via=via,
            model=decision.model,
            version=decision.version,
            alias=decision.alias,
            decision=decision.decision,
            reasons=tuple(str(r) for r in decision.reasons),
            run_id=decision.run_id,
            manifest_sha256=decision.manifest_sha256,
            policy_sha256=decision.policy_sha256,
            package_version=__version__,
            waiver=decision.waiver,
            previous_sha256=entry_digest(existing[-1]) if existing else None,
        )
        self.client.set_model_version_tag(
            decision.model,
            decision.version,
            names.ledger_tag(entry.seq),
            json.dumps(entry.to_json(), sort_keys=True),
        )
        return entry

    def history(self, model: str) -> GateHistory:
        """Every ledger entry of every version of ``model``, by time, and any broken chains."""
        found: list[LedgerEntry] = []
        problems: list[str] = []
        for mv in self.versions(model):
            chain, unreadable = self.ledger(model, str(mv.version))
            problems.extend(unreadable)
            for previous, current in itertools.pairwise(chain):
                if current.previous_sha256 != entry_digest(previous):
                    problems.append(
                        f"version {mv.version}: ledger entry {current.seq} does not follow "
                        f"entry {previous.seq}"
                    )
            if chain and chain[0].seq != 1:
                problems.append(f"version {mv.version}: the ledger's first entries are missing")
            found.extend(chain)
        ordered = sorted(found, key=lambda e: (e.time, e.version, e.seq))
        return GateHistory(model=model, entries=tuple(ordered), problems=tuple(problems))

    # --- descriptions ----------------------------------------------------------------------

    def write_summary(self, model: str, version: str, summary: str) -> str:
        """Put ``summary`` (markdown) into the version's description, keeping the user's text."""
        mv = self.model_version(model, version)
        own = (mv.description or "").split(SUMMARY_MARK)[0].rstrip()
        block = f"{SUMMARY_MARK}\n{summary.rstrip()}\n{SUMMARY_MARK}"
        text = f"{own}\n\n{block}" if own else block
        self.client.update_model_version(model, version, description=text)
        return text
