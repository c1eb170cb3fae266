"""The data-quality worker: a second Python process that validates logged datasets.

Started by :mod:`csc_mlflow.quality._background` as ``python -m csc_mlflow.quality._worker``
(a plain child process: the user's script is never re-run in it). It imports Great
Expectations and compiles the policy's suites while the training script goes on, then takes
one job at a time from its standard input and answers on its standard output, in order.
Messages are length-prefixed pickles over the two pipes its parent holds; nothing is printed.
It ends, at once, when its parent closes its input.

Jobs: ``("warm", [(suite, base), ...])`` loads and compiles suites, answering nothing
(``("warm-policy", path)``: the suites a policy names);
``("validate", job, frame, suite, base, block_on)`` answers ``("done", job, result)`` or
``("error", job, message)`` where ``message`` is csc-mlflow's own error text (it names the
column or key, never a value) or, for anything else, only the exception's type.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from csc_mlflow._spawn import receive, send


def _suite(ref: str, base: str | None) -> Any:
    from csc_mlflow.quality._suite import load_suite

    return load_suite(ref, base=Path(base) if base else None)


def _work(message: tuple[Any, ...]) -> tuple[Any, ...] | None:
    from csc_mlflow.exceptions import CscMlflowError
    from csc_mlflow.quality._validate import gx_suite, validate_frame

    kind = message[0]
    if kind == "warm-policy":  # started at import: the policy names the suites
        from csc_mlflow._policy_io import load_policy

        try:
            policy = load_policy(message[1])
        except Exception:  # noqa: BLE001 - an invalid policy is reported by the run
            return None
        base = str(policy.source.parent) if policy.source is not None else None
        message = ("warm", [(spec.suite, base) for spec in policy.datasets.values()])
    if message[0] == "warm":
        for ref, base in message[1]:
            try:
                gx_suite(_suite(ref, base))
            except Exception:  # noqa: BLE001 - a suite that fails is reported when used
                continue
        return None
    _, job, frame, ref, base, block_on = message
    try:
        result = validate_frame(frame, _suite(ref, base), block_on=block_on)
    except CscMlflowError as exc:
        return ("error", job, str(exc))
    except Exception as exc:  # noqa: BLE001 - its message could quote the data: type only
        return ("error", job, f"validation raised {type(exc).__name__}")
    return ("done", job, result)


def main() -> None:
    """Answer jobs until the parent closes the input."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the answer pipe
    while True:
        try:
            message = receive(source)
        except EOFError:
            # Every answer is flushed as it is sent; nothing is left to write. Ending at once
            # skips unloading Great Expectations and pandas (about half a second), which the
            # parent would otherwise wait for as it exits.
            os._exit(0)
        answer = _work(message)
        if answer is not None:
            send(sink, answer)


if __name__ == "__main__":
    main()
