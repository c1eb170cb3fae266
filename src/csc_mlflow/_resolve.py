"""Which policy governs: the one ``resolve_policy()`` every caller uses.

In order: the policy passed in code, the innermost open ``governed_run`` block's, the one
``autolog(policy=...)`` chose, then discovery (``$CSC_MLFLOW_POLICY``, ``./governance.yaml``).
Called from the run-context provider at every new run, so it is cheap: a discovered policy
file is parsed once and cached by path, modification time and size.
"""

from __future__ import annotations

import os
from pathlib import Path

from csc_mlflow._policy import Policy
from csc_mlflow._policy_io import POLICY_ENV, POLICY_FILENAME, find_policy_file, load_policy
from csc_mlflow._state import STATE

__all__ = [
    "DEFAULT_MODEL_POLICY",
    "active_policy",
    "cached_policy",
    "clear_policy_cache",
    "governing",
    "policy_for_model",
    "resolve_policy",
]

DEFAULT_MODEL_POLICY = "default.yaml"
"""In a folder of policies, the one for models without a file of their own (if present)."""

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


def resolve_policy(policy: Policy | str | os.PathLike[str] | None = None) -> Policy:
    """The policy to use: ``policy`` itself, the file it names, or the active one.

    Raises
    ------
    PolicyNotFoundError
        Nothing was given and no policy is active or discoverable.
    PolicyError
        The file is invalid.
    """
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy)
    found = active_policy()
    return found if found is not None else load_policy()


def policy_for_model(model: str, policy: Policy | str | os.PathLike[str] | None = None) -> Policy:
    """The policy that judges registered model ``model``.

    ``policy`` (else ``$CSC_MLFLOW_POLICY``) may name a folder of policies, one per model:
    ``<folder>/<model>.yaml`` (or ``.yml``), else ``<folder>/default.yaml``; a model with
    neither is refused, never judged by another model's rules. Anything else resolves as
    :func:`resolve_policy` does.
    """
    from csc_mlflow.exceptions import PolicyNotFoundError

    source = policy if policy is not None else os.environ.get(POLICY_ENV) or None
    if isinstance(source, Policy) or source is None:
        return resolve_policy(source)
    folder = Path(source).expanduser()
    if not folder.is_dir():
        return resolve_policy(source)
    if "/" in model or "\\" in model or model in ("", ".", ".."):
        raise PolicyNotFoundError(
            f"model name {model!r} cannot name a policy file in {folder}", path=folder
        )
    for candidate in (f"{model}.yaml", f"{model}.yml", DEFAULT_MODEL_POLICY):
        path = folder / candidate
        if path.is_file():
            return cached_policy(path)
    raise PolicyNotFoundError(
        f"no policy for model {model!r} in {folder}: add {folder / (model + '.yaml')} (or "
        f"{DEFAULT_MODEL_POLICY} for every model without its own); nothing is judged by "
        "another model's policy",
        path=folder,
    )


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


def clear_policy_cache() -> None:
    """Forget every parsed policy file (tests, and long-lived processes that want to)."""
    _cache.clear()
