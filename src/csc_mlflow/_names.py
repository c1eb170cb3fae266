"""Every MLflow tag, metric and artefact name csc-mlflow writes, in one place.

Tags and metrics live under the ``csc.`` prefix; artefacts under the ``governance/`` folder of
the run. Names are built here and nowhere else, so a reviewer (or a search filter) can rely on
them. See DESIGN.md, "Evidence on a run".
"""

from __future__ import annotations

from typing import Final, Literal

# --- artefact layout -------------------------------------------------------------------------
ARTIFACT_ROOT: Final = "governance"
MANIFEST_PATH: Final = f"{ARTIFACT_ROOT}/manifest.json"
SIGNATURE_PATH: Final = f"{ARTIFACT_ROOT}/manifest.sig"
REPORT_PATH: Final = f"{ARTIFACT_ROOT}/report.html"
TRIAGE_PATH: Final = f"{ARTIFACT_ROOT}/ethics/triage.json"
WORKBOOK_PATH: Final = f"{ARTIFACT_ROOT}/ethics/workbook.json"
POLICY_PATH: Final = f"{ARTIFACT_ROOT}/policy.json"
MODEL_CARD_PATH: Final = f"{ARTIFACT_ROOT}/model_card.md"
MODEL_CARD_HTML_PATH: Final = f"{ARTIFACT_ROOT}/model_card.html"
ATRS_PATH: Final = f"{ARTIFACT_ROOT}/atrs.md"
ATRS_HTML_PATH: Final = f"{ARTIFACT_ROOT}/atrs.html"
"""The governing policy's content, sealed with the run (what ``report --render`` renders by)."""
SEALED_ATTACHMENTS: Final = frozenset({REPORT_PATH, POLICY_PATH})
"""Sealed files that are not evidence records (the manifest covers them; nothing judges them)."""


REFERENCE_PROFILE_PATH: Final = f"{ARTIFACT_ROOT}/monitoring/reference.json"
"""The training data's profile, what monitoring compares each batch of live data with."""
MONITORING_PATH: Final = f"{ARTIFACT_ROOT}/monitoring/batch.json"
"""A monitoring run's comparison of its batch with the reference profile."""
OUTCOMES_PATH: Final = f"{ARTIFACT_ROOT}/monitoring/outcomes.json"
"""A monitoring run's error rates per group, once an earlier batch's outcomes are known."""


def data_quality_path(dataset: str) -> str:
    """Artefact path of the data-quality record for ``dataset``."""
    return f"{ARTIFACT_ROOT}/data_quality/{dataset}.json"


def fairness_path(name: str) -> str:
    """Artefact path of the fairness record called ``name``."""
    return f"{ARTIFACT_ROOT}/fairness/{name}.json"


def performance_path(name: str) -> str:
    """Artefact path of the performance record called ``name``."""
    return f"{ARTIFACT_ROOT}/performance/{name}.json"


# --- tags ------------------------------------------------------------------------------------
TAG_PREFIX: Final = "csc."
STATUS_TAG: Final = "csc.governance.status"
REASONS_TAG: Final = "csc.governance.reasons"
NOTE_TAG: Final = "mlflow.note.content"
"""MLflow's run description: csc-mlflow's verdict opens it, the user's own note kept below."""
NOTE_MARK: Final = "<!-- csc-mlflow governance -->"
MANIFEST_SHA_TAG: Final = "csc.manifest.sha256"
POLICY_SHA_TAG: Final = "csc.policy.sha256"
POLICY_SOURCE_TAG: Final = "csc.policy.source"
POLICY_ERROR_TAG: Final = "csc.policy.error"
PACKAGE_VERSION_TAG: Final = "csc.package.version"
PLAIN_SUMMARY_TAG: Final = "csc.governance.summary"
"""The report's first page as markdown (for the version description and /csc/governance)."""
STAGE_TAG: Final = "csc.stage"
"""The guidance stage a run belongs to (set at run start; the seal records it)."""
PURPOSE_TAG: Final = "csc.run.purpose"
"""``monitoring`` on a monitoring run (sealed in its manifest); absent on a training run."""
MONITOR_MODEL_TAG: Final = "csc.monitor.model"
MONITOR_VERSION_TAG: Final = "csc.monitor.version"
MONITOR_BATCH_TAG: Final = "csc.monitor.batch"
MONITOR_REFERENCE_TAG: Final = "csc.monitor.reference_run"
MONITOR_OUTCOMES_FOR_TAG: Final = "csc.monitor.outcomes_for"
"""On a monitoring run: the model version it judged, the batch, the training run whose
reference profile it compared with, and (for outcomes) the monitoring run they complete."""
MONITOR_LAST_TAG: Final = "csc.monitor.last"
MONITOR_ENTRY_PREFIX: Final = "csc.monitor.batch."
"""On a model version: the last monitoring run, and one tag per monitored batch (numbered so
the MLflow UI lists them in order): the history the version summary charts."""


def monitor_entry_tag(seq: int) -> str:
    """Model-version tag holding monitored batch number ``seq``."""
    return f"{MONITOR_ENTRY_PREFIX}{seq:04d}"


ETHICS_RISK_TAG: Final = "csc.ethics.risk"
ETHICS_FLAGGED_TAG: Final = "csc.ethics.flagged_themes"
WORKBOOK_COMPLETE_TAG: Final = "csc.ethics.workbook.complete"


def data_quality_status_tag(dataset: str) -> str:
    """Tag holding the data-quality status of ``dataset``."""
    return f"csc.dq.{dataset}.status"


def performance_status_tag(name: str) -> str:
    """Tag holding the status of the performance evaluation called ``name``."""
    return f"csc.performance.{name}.status"


def performance_metric(name: str, metric: str) -> str:
    """MLflow metric holding a judged performance measure, e.g. ``csc.performance.model.recall``."""
    return f"csc.performance.{name}.{metric}"


def fairness_status_tag(name: str) -> str:
    """Tag holding the status of the fairness evaluation called ``name``."""
    return f"csc.fairness.{name}.status"


RUNS_VIEW_KEY: Final = "csc-governance"
RUNS_VIEW_TAG: Final = f"mlflow.sharedViewState.{RUNS_VIEW_KEY}"
"""An experiment tag holding a view of the run list MLflow's UI opens by link (a "shared
view"): its columns include each run's governance status."""
RUNS_VIEW_COLUMNS: Final = (
    f"tags.`{STATUS_TAG}`",
    "attributes.`Dataset`",
    "attributes.`Models`",
)
RUNS_VIEW_ORDER: Final = ("attributes.`Run Name`", f"tags.`{STATUS_TAG}`")
"""The status column straight after the run's name, where a narrow window still shows it."""


def runs_view_link(experiment_id: str) -> str:
    """The MLflow UI's run list of an experiment with a governance status column.

    Append it to the tracking server's address. The view is kept on the experiment (a tag
    MLflow's UI reads as a shared view) when csc-mlflow seals a run in it.

    Examples
    --------
    >>> runs_view_link("3")
    '#/experiments/3/runs?viewStateShareKey=csc-governance'
    """
    return f"#/experiments/{experiment_id}/runs?viewStateShareKey={RUNS_VIEW_KEY}"


LEDGER_TAG_PREFIX: Final = "csc.gate.ledger."
LEDGER_HEAD_TAG: Final = "csc.gate.head"
COMPARED_TAG_PREFIX: Final = "csc.gate.compared."
"""Model-version tag per alias: the last check's challenger-against-champion figures, side by
side (for people; the gate never reads it)."""
GATE_TAG_PREFIX: Final = "csc.gate."


def ledger_tag(digest: str, seq: int | None = None) -> str:
    """Model-version tag holding the ledger entry whose SHA-256 is ``digest``: keyed by its own
    hash, so two writers can never overwrite each other's entries, after its number, so the
    MLflow UI (which sorts tags by key) lists the entries in order. Entries written before
    0.2 carry no number."""
    numbered = f"{seq:04d}." if seq is not None else ""
    return f"{LEDGER_TAG_PREFIX}{numbered}{digest[:32]}"


def ledger_key_parts(key: str) -> tuple[int | None, str]:
    """The number (None if the key carries none) and the digest part of a ledger tag key."""
    rest = key.removeprefix(LEDGER_TAG_PREFIX)
    number, dot, digest = rest.partition(".")
    if dot and number.isdigit():
        return int(number), digest
    return None, rest


# --- metrics ---------------------------------------------------------------------------------


def fairness_metric(feature: str, disparity: str) -> str:
    """Metric name such as ``csc.fairness.ethnicity.selection_rate_difference``."""
    return f"csc.fairness.{feature}.{disparity}"


def data_quality_metric(dataset: str, figure: str) -> str:
    """Metric name such as ``csc.dq.episodes.rules_failed``."""
    return f"csc.dq.{dataset}.{figure}"


# --- statuses --------------------------------------------------------------------------------
GovernanceStatus = Literal["pending", "passed", "failed", "incomplete"]
STATUS_PENDING: Final = "pending"
STATUS_PASSED: Final = "passed"
STATUS_FAILED: Final = "failed"
STATUS_INCOMPLETE: Final = "incomplete"

# Longest value we put in a run tag: MLflow truncates run tag values past 8000 characters.
MAX_TAG_VALUE: Final = 4000
