"""What ``policy validate`` checks beyond the schema: everything the policy refers to.

The schema (``load_policy``) says the policy is well formed; these say it can be used: each
dataset's suite exists for its collection year and loads, each ethics answers file exists and
parses, the signing key named exists. Each problem names the key and the file.
"""

from __future__ import annotations

from pathlib import Path

from csc_mlflow._policy import Policy
from csc_mlflow.exceptions import CscMlflowError

__all__ = ["reference_problems"]


def reference_problems(policy: Policy) -> list[str]:
    """Every problem with what ``policy`` refers to (empty when all is there and readable)."""
    from csc_mlflow.ethics._answers import read_answer_file
    from csc_mlflow.quality._suite import load_suite

    base = policy.source.parent if policy.source is not None else None
    problems: list[str] = []
    for name, dataset in policy.datasets.items():
        try:
            load_suite(dataset.suite, base=base)
        except CscMlflowError as exc:
            problems.append(f"datasets.{name}.suite: {exc}")
    if policy.ethics is not None:
        for key, what in (("triage", "Ethics Triage answers"), ("workbook", "Ethics Workbook")):
            configured = getattr(policy.ethics, key)
            if not configured:
                continue
            path = policy.resolve(configured)
            if not path.is_file():
                problems.append(
                    f"ethics.{key}: {path} does not exist; 'csc-mlflow ethics init' writes a "
                    "template to fill in"
                )
                continue
            try:
                read_answer_file(path, what)
            except CscMlflowError as exc:
                problems.append(f"ethics.{key}: {exc}")
    if policy.signing is not None and policy.signing.public_key:
        key_path = policy.resolve(policy.signing.public_key)
        if not Path(key_path).is_file():
            problems.append(
                f"signing.public_key: {key_path} does not exist; 'csc-mlflow gate keygen' "
                "writes a key pair"
            )
    return problems
