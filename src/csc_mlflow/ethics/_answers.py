"""Reading a team's answer files (``ethics/triage.yaml``, ``ethics/workbook.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from csc_mlflow._policy_io import check_yaml_bounds, yaml_where
from csc_mlflow.exceptions import EthicsError


def read_answer_file(path: Path, what: str) -> dict[str, Any]:
    """The mapping in ``path``; :class:`EthicsError` naming the file and what to do otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise EthicsError(
            f"{path}: the {what} file does not exist; create it with 'csc-mlflow ethics init'",
            path=path,
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EthicsError(f"{path}: cannot read the {what} file ({exc})", path=path) from exc
    bounds = check_yaml_bounds(text)
    if bounds is not None:
        raise EthicsError(f"{path}: {bounds}; an answers file is short. Fix it.", path=path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        at = yaml_where(exc)
        raise EthicsError(
            f"{path}: {at}not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax",
            path=path,
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EthicsError(
            f"{path}: expected a mapping of question ids to answers; found {type(data).__name__}",
            path=path,
        )
    return {str(k): v for k, v in data.items()}
