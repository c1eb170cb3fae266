"""Finding, reading and validating ``governance.yaml``, with errors a person can act on.

A policy is found, in order: by the argument given, by the ``CSC_MLFLOW_POLICY``
environment variable, or as ``governance.yaml`` in the working folder. Every problem is
reported with the file, the key path (``fairness.thresholds[0].metric``), what is allowed
and what was found.

Pure: imports nothing from MLflow, Great Expectations or fairlearn.
"""

from __future__ import annotations

import difflib
import os
import reprlib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, ValidationError

from csc_mlflow._policy import Policy
from csc_mlflow.exceptions import PolicyError, PolicyNotFoundError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "POLICY_ENV",
    "POLICY_FILENAME",
    "check_yaml_bounds",
    "find_policy_file",
    "load_policy",
    "parse_policy",
    "yaml_where",
]

POLICY_ENV: Final = "CSC_MLFLOW_POLICY"
POLICY_FILENAME: Final = "governance.yaml"

MAX_YAML_BYTES: Final = 1_000_000
"""The largest policy, suite or answer file read (a real one is a few kilobytes)."""
MAX_YAML_NODES: Final = 100_000
"""The most values a YAML file may expand to, aliases followed (no expansion bombs)."""
MAX_YAML_DEPTH: Final = 64
"""The deepest nesting a YAML file may have."""


def check_yaml_bounds(text: str) -> str | None:
    """None if ``text`` is within the size, expansion and depth bounds; else what is wrong.

    Counts the nodes the document would expand to, following aliases, without building it,
    so a few hundred bytes of nested anchors cannot cost minutes or gigabytes.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        return f"the file is larger than {MAX_YAML_BYTES:,} bytes"
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None  # the loader reports syntax errors with their position
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)] if root is not None else []
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_YAML_DEPTH:
            return f"the file nests deeper than {MAX_YAML_DEPTH} levels"
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done or not children:
            total = 1 + sum(sizes.get(id(c), 1) for c in children)
            if total > MAX_YAML_NODES:
                return (
                    f"the file expands to more than {MAX_YAML_NODES:,} values (YAML anchors and "
                    "aliases nested inside each other)"
                )
            sizes[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)
    return None


def find_policy_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Where the policy is: ``path``, else ``$CSC_MLFLOW_POLICY``, else ``./governance.yaml``.

    Returns None when nothing was given and no ``governance.yaml`` is in the working folder.
    A path that was given (by argument or environment) but does not exist is an error.
    """
    if path is not None:
        given = Path(path).expanduser()
        if given.is_dir():
            raise PolicyNotFoundError(
                f"{given} is a folder of policies, one per registered model (<model>.yaml): "
                "a run names its own policy file; the gate and the server pick each model's",
                path=given,
            )
        if not given.is_file():
            raise PolicyNotFoundError(
                f"{given}: policy file not found. Check the path, or run "
                "'csc-mlflow policy validate' in the folder that holds governance.yaml.",
                path=given,
            )
        return given
    from_env = os.environ.get(POLICY_ENV)
    if from_env:
        env_path = Path(from_env).expanduser()
        if env_path.is_dir():
            raise PolicyNotFoundError(
                f"{env_path} ({POLICY_ENV}) is a folder of policies, one per registered model: "
                "a run names its own policy file (governed_run('model.yaml')); the gate and "
                "the server pick each model's",
                path=env_path,
            )
        if not env_path.is_file():
            raise PolicyNotFoundError(
                f"{env_path}: policy file not found ({POLICY_ENV} points here). "
                f"Fix {POLICY_ENV} or unset it to use ./{POLICY_FILENAME}.",
                path=env_path,
            )
        return env_path
    local = Path.cwd() / POLICY_FILENAME
    return local if local.is_file() else None


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """Find, read and validate the governance policy.

    Parameters
    ----------
    path : str or PathLike, optional
        The policy file. Without it, ``$CSC_MLFLOW_POLICY`` then ``./governance.yaml``.

    Returns
    -------
    Policy
        Frozen and hashed (``policy.sha256``).

    Raises
    ------
    PolicyNotFoundError
        Nothing was found where we looked.
    PolicyError
        The file is not valid YAML or does not follow the schema; the message lists every
        problem with its key path.

    Examples
    --------
    >>> policy = load_policy("examples/governance.yaml")  # doctest: +SKIP
    >>> policy.project.name  # doctest: +SKIP
    're-referral-risk'
    """
    found = find_policy_file(path)
    if found is None:
        raise PolicyNotFoundError(
            f"no governance policy found: pass one explicitly, set {POLICY_ENV}, or create "
            f"{Path.cwd() / POLICY_FILENAME} ('csc-mlflow policy validate' checks it).",
            path=Path.cwd() / POLICY_FILENAME,
        )
    try:
        if found.stat().st_size > MAX_YAML_BYTES:
            raise PolicyError(
                f"{found}: the file is larger than {MAX_YAML_BYTES:,} bytes; a governance "
                "policy is a short file. Check that this is the policy you meant.",
                path=found,
            )
        text = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{found}: cannot read the policy file: {exc}", path=found) from exc
    return parse_policy(text, source=found)


def yaml_where(exc: yaml.YAMLError) -> str:
    """``line L, column C: `` for a YAML error that knows its position, else ``''``."""
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def parse_policy(text: str, *, source: Path | None = None) -> Policy:
    """Validate policy YAML ``text``; ``source`` names the file in messages."""
    where = str(source) if source is not None else "<policy>"
    bounds = check_yaml_bounds(text)
    if bounds is not None:
        raise PolicyError(
            f"{where}: {bounds}; a governance policy is a short file. Remove the repetition "
            "and try again.",
            path=source,
        )
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        at = yaml_where(exc)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(
            f"{where}: {at}not valid YAML: {problem}. Fix the syntax and try again.",
            path=source,
        ) from exc
    if data is None:
        raise PolicyError(
            f"{where}: the policy file is empty; expected a mapping with at least "
            "'version: 1' and 'project'.",
            path=source,
        )
    if not isinstance(data, Mapping):
        raise PolicyError(
            f"{where}: expected a mapping of keys (version, project, datasets, ...) at the top "
            f"level; found {_kind(data)}.",
            path=source,
        )
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = tuple(_describe(error) for error in exc.errors())
        first_key = _key_path(exc.errors()[0]["loc"]) if exc.errors() else None
        listing = "\n".join(f"  - {line}" for line in problems)
        plural = "s" if len(problems) > 1 else ""
        raise PolicyError(
            f"{where}: {len(problems)} problem{plural} in the policy:\n{listing}",
            path=source,
            key=first_key,
            problems=problems,
        ) from None
    policy._source = source.resolve() if source is not None else None
    return policy


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys instead of keeping the last one silently."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (it appears more than once in the same mapping)",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    return "".join(parts) or "<top level>"


def _kind(value: object) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }
    return names.get(type(value), type(value).__name__)


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 4
_SHORT.maxlevel = 2


def _found(value: object) -> str:
    """A short description of a value: never the whole of a large one (bounded work)."""
    text = _SHORT.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_TYPE_WORDS: Final = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "tuple_type": "a list",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
}


def _describe(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    key = _key_path(loc)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = ""
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            hint = f" Did you mean {close[0]!r}?"
        return f"{key}: unknown key. Allowed here: {', '.join(allowed)}.{hint}"
    if kind == "missing":
        return f"{key}: required key is missing."
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{key}: expected one of {expected}; found {_found(value)}."
    if kind in _TYPE_WORDS:
        return f"{key}: expected {_TYPE_WORDS[kind]}; found {_found(value)} ({_kind(value)})."
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return f"{key}: {message}."
    if kind == "string_too_short":
        return f"{key}: expected non-empty text; found {_found(value)}."
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        return f"{key}: {error['msg'].lower()}; found {_found(value)}."
    return f"{key}: {error['msg']}; found {_found(value)}."


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at ``loc`` (a path into the policy)."""
    annotation: Any = Policy
    for item in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(item))
            if field is None:
                return []
            annotation = field.annotation
            continue
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is dict and args:
            annotation = args[1]
        elif origin in (tuple, list) and args:
            annotation = args[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional``/``Annotated`` so the model or container type is left."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
