"""The envelope every record is written in, canonical JSON and hashing.

Every record csc-mlflow writes under a run's ``governance/`` folder is an *envelope*::

    {
      "schema_version": 1,
      "kind": "csc.data_quality" | "csc.fairness" | "csc.ethics.triage"
              | "csc.ethics.workbook" | "csc.manifest",
      "provenance": {"created_at": "2026-11-24T10:00:00Z", "run_id": "...",
                     "policy_sha256": "...", "packages": {"csc-mlflow": "0.1.0", ...},
                     "platform": "linux"},
      "payload": {...}
    }

JSON is written with sorted keys, two-space indent and a final newline, so equal content
gives equal bytes. Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from csc_mlflow._version import package_version

__all__ = [
    "SCHEMA_VERSION",
    "Provenance",
    "Record",
    "canonical_json",
    "package_versions",
    "provenance",
    "sha256_hex",
    "utc_now",
]

SCHEMA_VERSION: Final = 1

# Packages whose versions every provenance block records when they are installed.
_PROVENANCE_PACKAGES: Final = (
    "csc-mlflow",
    "mlflow",
    "great-expectations",
    "fairlearn",
    "pandas",
    "scikit-learn",
)


class Record(BaseModel):
    """Base of every typed record: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (every field written, so equal content gives equal bytes)."""
        return self.model_dump(mode="json")


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` (JSON data, or a record with ``to_json``) so equal content gives equal
    bytes."""
    to_json = getattr(obj, "to_json", None)
    if callable(to_json):
        obj = to_json()
    text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_PACKAGES_CACHE: dict[str, str] = {}


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the evidence (read once per process)."""
    if not _PACKAGES_CACHE:
        for name in _PROVENANCE_PACKAGES:
            found = package_version(name)
            if found is not None:
                _PACKAGES_CACHE[name] = found
        _PACKAGES_CACHE["python"] = platform.python_version()
    return dict(_PACKAGES_CACHE)


class Provenance(Record):
    """Who made a record, when, under which policy, with which packages."""

    created_at: str
    run_id: str | None
    policy_sha256: str | None
    packages: dict[str, str]
    platform: str


def provenance(*, run_id: str | None, policy_sha256: str | None) -> Provenance:
    """The provenance block of a record made now."""
    return Provenance(
        created_at=utc_now(),
        run_id=run_id,
        policy_sha256=policy_sha256,
        packages=package_versions(),
        platform=sys.platform,
    )
