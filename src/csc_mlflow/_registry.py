"""The registry store: model versions, their ledger of gate decisions, their descriptions.

The ledger is one model-version tag per decision, ``csc.gate.ledger.<hash>``, holding a
:class:`~csc_mlflow._evidence.LedgerEntry` as JSON (who, when, alias, decision, reasons,
manifest and policy hashes, package version, any waiver) and keyed by the entry's own
SHA-256, so concurrent writers never overwrite each other and an edited entry no longer
matches its key. Each entry names the SHA-256 of the entry its writer saw last, so a removed
entry leaves a dangling reference. The head tag ``csc.gate.head`` holds the count of entries
and a SHA-256 over all of them, settled by compare-and-set (written, read back, rewritten
until it agrees with the entries), so a removed *last* entry is detected too.

With a signing key (``$CSC_MLFLOW_SIGNING_KEY``) every entry and the head are signed, and a
ledger checked against the policy's public key detects any removal, reordering or edit.
Without one, see :data:`UNSIGNED_LIMITS`. A version's description keeps the user's own text
above a marked governance summary.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from csc_mlflow import _names as names
from csc_mlflow._evidence import LedgerEntry, LedgerHead, MonitorEntry, canonical_json, utc_now
from csc_mlflow._gate_decision import GateDecision
from csc_mlflow._runs import tracking_client
from csc_mlflow._signing import sign, verify
from csc_mlflow._version import __version__

_logger = logging.getLogger("csc_mlflow")

__all__ = [
    "LEDGER_PREFIX",
    "SUMMARY_MARK",
    "UNSIGNED_LIMITS",
    "GateHistory",
    "Ledger",
    "RegistryStore",
    "actor",
    "entry_digest",
    "monitor_history",
    "user_description",
]

LEDGER_PREFIX: Final = names.LEDGER_TAG_PREFIX
SUMMARY_MARK: Final = "<!-- csc-mlflow governance summary -->"
UNSIGNED_LIMITS: Final = (
    "the ledger is not signed: an edited entry, a removed entry and a removed last entry are "
    "detected, but someone who can write model-version tags can rewrite an entry together "
    "with every later entry and the head, or add a consistent entry of their own; set "
    "signing.public_key in the policy and $CSC_MLFLOW_SIGNING_KEY where decisions are made"
)
_HEAD_ROUNDS: Final = 20


def actor() -> str:
    """Who is acting: ``$CSC_MLFLOW_ACTOR``, else the login name."""
    try:
        return os.environ.get("CSC_MLFLOW_ACTOR") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): say so rather than fail
        return "unknown"


def entry_digest(entry: LedgerEntry) -> str:
    """The SHA-256 of an entry (signature included): its tag key and the next entry's
    ``previous_sha256``."""
    text = json.dumps(entry.to_json(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unsigned(record: Any) -> bytes:
    return canonical_json(record.model_copy(update={"signature": None}))


def _entries_sha256(digests: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(digests)).encode("utf-8")).hexdigest()


def _head_for(digests: list[str]) -> LedgerHead:
    head = LedgerHead(count=len(digests), entries_sha256=_entries_sha256(digests))
    signature = sign(_unsigned(head))
    return head.model_copy(update={"signature": signature.decode() if signature else None})


@dataclass(frozen=True)
class Ledger:
    """One version's ledger, read and checked: its entries (oldest first), the problems found,
    and whether signatures were checked."""

    entries: tuple[LedgerEntry, ...]
    problems: tuple[str, ...]
    signed: bool

    @property
    def intact(self) -> bool:
        """True when nothing was found wrong with the ledger."""
        return not self.problems

    def tip(self) -> LedgerEntry | None:
        """The newest entry no other entry follows (what a new entry chains to)."""
        followed = {e.previous_sha256 for e in self.entries}
        tips = [e for e in self.entries if entry_digest(e) not in followed]
        return max(tips, key=lambda e: (e.time, e.seq, entry_digest(e))) if tips else None


@dataclass(frozen=True)
class GateHistory:
    """Every ledger entry of a model, by time, and every problem found in the ledgers."""

    model: str
    entries: tuple[LedgerEntry, ...]
    problems: tuple[str, ...]
    signed: bool = False

    @property
    def limits(self) -> str | None:
        """What an unsigned ledger cannot show (None when signatures were checked)."""
        return None if self.signed else UNSIGNED_LIMITS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``gate history --json``)."""
        return {
            "model": self.model,
            "entries": [e.to_json() for e in self.entries],
            "problems": list(self.problems),
            "signed": self.signed,
            "limits": self.limits,
        }


class RegistryStore:
    """Reads and writes model versions through one tracking client."""

    def __init__(self, client: Any = None, *, tracking_uri: str | None = None) -> None:
        self.client = client if client is not None else tracking_client(tracking_uri)

    def model_version(self, model: str, version: str) -> Any:
        """The registered model version (MLflow's error if there is none)."""
        return self.client.get_model_version(model, version)

    def versions(self, model: str) -> list[Any]:
        """Every version of ``model`` (every page)."""
        return _every_page(self.client.search_model_versions, f"name = '{model}'")

    def versions_of_run(self, run_id: str) -> list[Any]:
        """Every registered version built from ``run_id`` (every page)."""
        return _every_page(self.client.search_model_versions, f"run_id = '{run_id}'")

    def registered_models(self) -> list[Any]:
        """Every registered model (every page: an audit that missed one would fail open)."""
        return _every_page(self.client.search_registered_models, None)

    def set_alias(self, model: str, alias: str, version: str) -> None:
        """Point ``alias`` at ``version``.

        Two writers setting a new alias at once can meet the store's unique constraint
        (MLflow's upsert reads, then inserts): the loser sets it again, now as an update.
        """
        for attempt in range(_HEAD_ROUNDS):
            try:
                self.client.set_registered_model_alias(model, alias, version)
                return
            except Exception as exc:  # re-raised unless it is that race
                text = str(exc)
                lost_race = "UNIQUE" in text or "unique" in text or "duplicate key" in text
                if not lost_race or attempt == _HEAD_ROUNDS - 1:
                    raise
                time.sleep(0.05)

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

    def ledger(
        self, model: str, version: str, *, public_key: Path | None = None, read: Any = None
    ) -> Ledger:
        """The ledger of one version, checked (signatures too, when ``public_key`` is given);
        ``read`` is the version as just read from the registry, if the caller has it."""
        tags = (read if read is not None else self.model_version(model, version)).tags
        return _check_ledger(version, tags, public_key)

    def append(
        self, decision: GateDecision, *, who: str | None = None, via: str = "client"
    ) -> LedgerEntry:
        """Record ``decision`` on its model version, settle the head, and return the entry."""
        tags = self.model_version(decision.model, decision.version).tags
        current = _check_ledger(decision.version, tags, None)
        tip = current.tip()
        entry = LedgerEntry(
            seq=len(current.entries) + 1,
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
            previous_sha256=entry_digest(tip) if tip is not None else None,
            nonce=secrets.token_hex(8),
        )
        signature = sign(_unsigned(entry))
        if signature is not None:
            entry = entry.model_copy(update={"signature": signature.decode()})
        self.client.set_model_version_tag(
            decision.model,
            decision.version,
            names.ledger_tag(entry_digest(entry), entry.seq),
            _readable(_entry_line(entry), entry),
        )
        if decision.compared:
            self.client.set_model_version_tag(
                decision.model,
                decision.version,
                f"{names.COMPARED_TAG_PREFIX}{decision.alias}",
                "\n".join(decision.compared)[: names.MAX_TAG_VALUE],
            )
        self._settle_head(decision.model, decision.version)
        return entry

    def _settle_head(self, model: str, version: str) -> None:
        """Write the head until it agrees with the entries (compare-and-set, retried).

        Every writer writes its entry before its head and checks after, so the last head
        written is checked against every entry written before it. Two writers creating the
        head tag at once can meet the store's unique constraint (MLflow's upsert reads, then
        inserts): the loser writes again in the next round.
        """
        for _ in range(_HEAD_ROUNDS):
            digests = _entry_digests(self.model_version(model, version).tags)
            head = _head_for(digests)
            plural = "entry" if head.count == 1 else "entries"
            text = _readable(f"ledger head: {head.count} {plural}", head)
            try:
                self.client.set_model_version_tag(model, version, names.LEDGER_HEAD_TAG, text)
            except Exception as exc:  # a store's upsert can lose a race (re-raised otherwise)
                if (
                    "UNIQUE" not in str(exc)
                    and "unique" not in str(exc)
                    and ("duplicate key" not in str(exc))
                ):
                    raise
                time.sleep(0.05)
                continue
            after = self.model_version(model, version).tags
            if sorted(_entry_digests(after)) == sorted(digests) and (
                after.get(names.LEDGER_HEAD_TAG) == text
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"the ledger head of {model} version {version} did not settle after "
            f"{_HEAD_ROUNDS} rounds of concurrent writes"
        )

    def history(self, model: str, *, public_key: Path | None = None) -> GateHistory:
        """Every ledger entry of every version of ``model``, by time, and any problem."""
        found: list[LedgerEntry] = []
        problems: list[str] = []
        for mv in self.versions(model):
            ledger = _check_ledger(str(mv.version), mv.tags, public_key)
            problems.extend(ledger.problems)
            found.extend(ledger.entries)
        ordered = sorted(found, key=lambda e: (e.time, e.version, e.seq))
        return GateHistory(
            model=model,
            entries=tuple(ordered),
            problems=tuple(problems),
            signed=public_key is not None,
        )

    # --- descriptions ----------------------------------------------------------------------

    def write_summary(self, model: str, version: str, summary: str, *, read: Any = None) -> str:
        """Put ``summary`` (markdown) into the version's description, keeping the user's text
        (``read``: the version as just read, if the caller has it). Written only if it changed."""
        mv = read if read is not None else self.model_version(model, version)
        text = mv.description or ""
        own = user_description(text) or ""
        # The summary opens the description (the versions list shows its first words: the
        # status), the mark after it, the user's own text kept below.
        new = f"{summary.rstrip()}\n{SUMMARY_MARK}" + (f"\n\n{own}" if own else "")
        if new != text:
            self.client.update_model_version(model, version, description=new)
        return new

    def record_monitoring(self, model: str, version: str, entry: MonitorEntry) -> None:
        """Record a monitored batch on the version: its numbered entry, then the last one."""
        data = entry.model_dump_json()
        if len(data) > names.MAX_TAG_VALUE:  # many groups: the figures give way, not the entry
            data = entry.model_copy(update={"rates": {}}).model_dump_json()
        self.client.set_model_version_tag(model, version, names.monitor_entry_tag(entry.seq), data)
        self.client.set_model_version_tag(model, version, names.MONITOR_LAST_TAG, data)

    def tag_version(
        self, model: str, version: str, tags: Mapping[str, str], *, read: Any = None
    ) -> None:
        """Set ``tags`` on the version, those that changed only."""
        mv = read if read is not None else self.model_version(model, version)
        current = dict(mv.tags or {})
        for key, value in tags.items():
            if current.get(key) != value:
                self.client.set_model_version_tag(model, version, key, value)


def monitor_history(tags: Mapping[str, str] | None) -> list[MonitorEntry]:
    """The monitored batches recorded on a version, in order (unreadable tags left out)."""
    entries = []
    for key, value in sorted((tags or {}).items()):
        if not key.startswith(names.MONITOR_ENTRY_PREFIX):
            continue
        try:
            entries.append(MonitorEntry.model_validate_json(value))
        except ValueError:
            _logger.warning("csc-mlflow: monitoring tag %s is not readable; left out", key)
    return entries


def user_description(description: str | None) -> str | None:
    """The user's own text in a version's description, without csc-mlflow's summary."""
    text = description or ""
    if text.count(SUMMARY_MARK) >= 2:  # an earlier layout: the user's text, then the block
        own = text.split(SUMMARY_MARK)[0]
    elif SUMMARY_MARK in text:  # the summary first, the mark, then the user's text
        own = text.split(SUMMARY_MARK, 1)[1]
    else:
        own = text
    return own.strip() or None


def _entry_digests(tags: dict[str, str]) -> list[str]:
    return [names.ledger_key_parts(k)[1] for k in tags if k.startswith(LEDGER_PREFIX)]


def _entry_line(entry: LedgerEntry) -> str:
    """One line a reviewer reads on the version page before the entry's full record."""
    line = (
        f"#{entry.seq} {entry.alias}: {entry.decision}, {entry.time}, by {entry.actor} "
        f"via {entry.via}"
    )
    return line.replace("{", "(").replace("}", ")")


def _readable(line: str, record: LedgerEntry | LedgerHead) -> str:
    """A ledger tag's value: a line to read, then the record as compact JSON (what is checked).

    The line holds no brace, so the record starts at the first one.
    """
    body = json.dumps(record.to_json(), sort_keys=True, separators=(",", ":"))
    return f"{line} {body}"


def _record_text(value: str) -> str:
    """The JSON record in a ledger tag's value (after its readable line, if it has one)."""
    start = value.find("{")
    return value[start:] if start >= 0 else value


def _check_ledger(version: str, tags: dict[str, str], public_key: Path | None) -> Ledger:
    """Read a version's ledger tags and find everything wrong with them."""
    entries: list[LedgerEntry] = []
    problems: list[str] = []
    where = f"version {version}"
    digests: dict[str, LedgerEntry] = {}
    for key, value in sorted(tags.items()):
        if not key.startswith(LEDGER_PREFIX):
            continue
        try:
            entry = LedgerEntry.model_validate_json(_record_text(value))
        except ValidationError:
            problems.append(f"{where}: ledger tag {key} is not a ledger entry")
            continue
        digest = entry_digest(entry)
        number, keyed = names.ledger_key_parts(key)
        if keyed != digest[:32] or number not in (None, entry.seq):
            problems.append(
                f"{where}: ledger entry {keyed[:12]} (seq {entry.seq}) was edited: its "
                "content no longer matches its key"
            )
        problems.extend(_signature(entry, public_key, f"{where}: ledger entry {entry.seq}"))
        digests[digest] = entry
        entries.append(entry)
    for entry in entries:
        if entry.previous_sha256 is not None and entry.previous_sha256 not in digests:
            problems.append(
                f"{where}: ledger entry {entry.seq} follows an entry that is no longer there "
                "(an entry was removed or edited)"
            )
    head_text = tags.get(names.LEDGER_HEAD_TAG)
    if entries or head_text is not None:
        problems.extend(_check_head(where, head_text, list(tags), public_key))
    ordered = sorted(entries, key=lambda e: (e.time, e.seq, entry_digest(e)))
    return Ledger(entries=tuple(ordered), problems=tuple(problems), signed=public_key is not None)


def _check_head(
    where: str, head_text: str | None, keys: list[str], public_key: Path | None
) -> list[str]:
    if head_text is None:
        return [f"{where}: the ledger has entries but no head ({names.LEDGER_HEAD_TAG})"]
    try:
        head = LedgerHead.model_validate_json(_record_text(head_text))
    except ValidationError:
        return [f"{where}: the ledger head ({names.LEDGER_HEAD_TAG}) is not readable"]
    problems = []
    digests = [names.ledger_key_parts(k)[1] for k in keys if k.startswith(LEDGER_PREFIX)]
    if head.count != len(digests) or head.entries_sha256 != _entries_sha256(digests):
        problems.append(
            f"{where}: the ledger head counts {head.count} entries but {len(digests)} are "
            "present, or they are not the entries it sealed: an entry was removed or added"
        )
    problems.extend(_signature(head, public_key, f"{where}: the ledger head"))
    return problems


def _signature(
    record: LedgerEntry | LedgerHead, public_key: Path | None, subject: str
) -> list[str]:
    """What is wrong with ``record``'s signature (nothing is checked without a key)."""
    if public_key is None:
        return []
    signature = record.signature.encode() if record.signature else None
    problem = verify(_unsigned(record), signature, public_key, subject=subject)
    return [problem] if problem else []


def _every_page(search: Any, filter_string: str | None) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = search(filter_string=filter_string, page_token=token)
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found
