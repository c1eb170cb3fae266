"""Which policy governs the next run, and the tags a governed run starts with.

Called from the run-context provider at every new run, so it is cheap: the policy file is
parsed once and cached by path, modification time and size.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from csc_mlflow import _names as names
from csc_mlflow._policy import Policy
from csc_mlflow._policy_io import POLICY_ENV, POLICY_FILENAME, find_policy_file, load_policy
from csc_mlflow._state import STATE
from csc_mlflow._version import __version__
from csc_mlflow.exceptions import PolicyError

_logger = logging.getLogger("csc_mlflow")

_cache: dict[Path, tuple[tuple[int, int], Policy]] = {}


def governing() -> bool:
    """Whether new runs are governed: a policy was chosen in code or can be discovered."""
    if STATE.disabled:
        return False
    if STATE.explicit_policy() is not None:
        return True
    return bool(os.environ.get(POLICY_ENV)) or (Path.cwd() / POLICY_FILENAME).is_file()


def active_policy() -> Policy | None:
    """The policy governing new runs now, or None when nothing governs them.

    Raises :class:`PolicyError` when a discoverable policy file is invalid.
    """
    if STATE.disabled:
        return None
    explicit = STATE.explicit_policy()
    if explicit is not None:
        return explicit
    found = find_policy_file()
    return None if found is None else cached_policy(found)


def cached_policy(path: Path) -> Policy:
    """Load ``path``, reusing the parsed policy while the file is unchanged."""
    resolved = path.resolve()
    stat = resolved.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    hit = _cache.get(resolved)
    if hit is not None and hit[0] == key:
        return hit[1]
    policy = load_policy(resolved)
    _cache[resolved] = (key, policy)
    return policy


def policy_tags(policy: Policy) -> dict[str, str]:
    """The start-of-run tags for a run governed by ``policy``."""
    tags = {
        names.STATUS_TAG: names.STATUS_PENDING,
        names.POLICY_SHA_TAG: policy.sha256,
        names.PACKAGE_VERSION_TAG: __version__,
    }
    if policy.source is not None:
        tags[names.POLICY_SOURCE_TAG] = str(policy.source)[: names.MAX_TAG_VALUE]
    return tags


def start_tags() -> dict[str, str]:
    """Tags for a new run, and the end-of-run finaliser installed (once).

    An invalid policy does not stop the run: it is tagged ``pending`` with the error, and
    finalisation then marks it ``incomplete`` with that reason.
    """
    from csc_mlflow._finalize import install_finalizer

    try:
        policy = active_policy()
    except PolicyError as exc:
        _logger.warning("csc-mlflow: %s", exc)
        install_finalizer()
        return {
            names.STATUS_TAG: names.STATUS_PENDING,
            names.PACKAGE_VERSION_TAG: __version__,
            names.POLICY_ERROR_TAG: str(exc)[: names.MAX_TAG_VALUE],
        }
    if policy is None:
        return {}
    install_finalizer()
    return policy_tags(policy)
