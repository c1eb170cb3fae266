"""What a run's seal and a model version's ledger hold: reasons, decisions, the manifest,
waivers and ledger entries, each one typed model shared by its writer and its readers.

The manifest's payload lists every record (path, SHA-256, size, kind), the run's dataset
digests, the policy hash, the run's MLflow status and the decision. It is written last and
its own SHA-256 is the run tag ``csc.manifest.sha256``.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from csc_mlflow._evidence._envelope import Record

__all__ = [
    "DatasetRef",
    "DecisionStatus",
    "GovernanceDecision",
    "LedgerEntry",
    "LedgerHead",
    "ManifestEntry",
    "ManifestPayload",
    "ModelSeal",
    "MonitorEntry",
    "Outcome",
    "Reason",
    "RunRef",
    "Waiver",
]

Outcome = Literal["failed", "incomplete", "warning"]
DecisionStatus = Literal["passed", "failed", "incomplete"]


class Reason(Record):
    """One reason behind a decision, in plain English.

    ``outcome`` is ``failed`` (evidence says no, or something is wrong), ``incomplete``
    (evidence is missing or cannot be judged) or ``warning`` (worth reading; does not block).
    """

    code: str
    subject: str
    message: str
    outcome: Outcome

    def __init__(self, code: str, subject: str, message: str, outcome: Outcome) -> None:
        super().__init__(  # type: ignore[call-arg]
            code=code, subject=subject, message=message, outcome=outcome
        )

    @property
    def blocking(self) -> bool:
        """Whether this reason stops a pass."""
        return self.outcome != "warning"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return self.to_json()

    def __str__(self) -> str:
        return f"[{self.outcome}] {self.subject}: {self.message}"


class GovernanceDecision(Record):
    """A status and every reason for it."""

    status: DecisionStatus
    reasons: tuple[Reason, ...]
    alias: str | None = None

    @property
    def passed(self) -> bool:
        """True only when nothing blocks."""
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the manifest and ``--json`` output carry)."""
        return self.to_json()

    @classmethod
    def from_dict(cls, data: Any) -> GovernanceDecision:
        """Rebuild a decision written by :meth:`to_dict`."""
        return cls.model_validate(data)


class DatasetRef(Record):
    """A dataset the run logged with ``mlflow.log_input``: name, digest and context."""

    name: str
    digest: str
    context: str | None = None


class ManifestEntry(Record):
    """One file the manifest seals."""

    path: str
    sha256: str
    size: int
    kind: str


class ModelSeal(Record):
    """A model the run logged: its id and every one of its files (paths relative to the
    model's folder), each with its SHA-256 and size."""

    model_id: str
    files: tuple[ManifestEntry, ...]

    def digests(self) -> dict[str, str]:
        """Path -> SHA-256 of every file."""
        return {f.path: f.sha256 for f in self.files}


class RunRef(Record):
    """The run a manifest seals, and how MLflow says it ended."""

    run_id: str
    mlflow_status: str
    stage: str | None = None
    """The guidance stage the run belongs to, as sealed (manifests before 0.2 have none)."""
    purpose: str | None = None
    """``monitoring`` for a monitoring run; None for a training run."""


class ManifestPayload(Record):
    """``governance/manifest.json``: everything the seal covers, and the decision."""

    items: tuple[ManifestEntry, ...]
    datasets: tuple[DatasetRef, ...]
    policy_sha256: str | None
    run: RunRef
    decision: GovernanceDecision
    models: tuple[ModelSeal, ...] = ()

    def entry(self, path: str) -> ManifestEntry | None:
        """The entry for ``path``, if the manifest lists it."""
        return next((e for e in self.items if e.path == path), None)


class Waiver(Record):
    """A named person's acceptance of blocking reasons, for stated requirements, until a date."""

    name: str
    role: str
    reason: str
    expires: date
    covers: tuple[str, ...]

    def __init__(
        self, name: str, role: str, reason: str, expires: date, covers: tuple[str, ...]
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            name=name, role=role, reason=reason, expires=expires, covers=covers
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (kept in the ledger)."""
        return self.to_json()


class LedgerEntry(Record):
    """One gate decision as recorded on a model version (a tag holding this as JSON).

    ``previous_sha256`` is the SHA-256 of the entry the writer saw last (None for the first),
    so a removed or edited entry breaks the chain. ``seq`` is the writer's count, for reading;
    the tag key is the entry's own hash, so concurrent writers never overwrite each other.
    ``nonce`` makes two identical decisions made in the same second two entries.
    ``signature`` signs the entry without it, when the writer holds the signing key.
    """

    seq: int
    time: str
    actor: str
    via: str
    model: str
    version: str
    alias: str
    decision: Literal["passed", "blocked", "waived"]
    reasons: tuple[str, ...]
    run_id: str | None
    manifest_sha256: str | None
    policy_sha256: str | None
    package_version: str
    waiver: Waiver | None
    previous_sha256: str | None
    nonce: str = ""
    signature: str | None = None


class MonitorEntry(Record):
    """One monitored batch as recorded on the model version it judged (a tag holding this
    as JSON): enough for the history and its charts, nothing a child could be found from."""

    seq: int
    run_id: str
    experiment_id: str = ""
    batch: str
    status: str
    time: str
    count: int
    outcomes: bool = False
    psi: dict[str, float | None] = Field(default_factory=dict)
    rates: dict[str, float | None] = Field(default_factory=dict)
    """Selection rate per sensitive group (``feature/group``), None where withheld."""
    breaches: tuple[str, ...] = ()


class LedgerHead(Record):
    """The ledger's head on a model version: how many entries, and the SHA-256 over all their
    digests (sorted), so a removed last entry is detected; signed like the entries."""

    count: int
    entries_sha256: str
    signature: str | None = None
