"""The ``mlflow.request_header_provider`` entry point: a waiver travels with an alias request.

``gate promote --waiver`` against a ``csc-governance`` server sets the alias through MLflow's
own client; the waiver goes with that one request in the ``X-CSC-Waiver`` header, so the
server judges it under its own policy and records it in the ledger it keeps. A promotion the
client's own check blocked is sent too, marked ``X-CSC-Client-Blocked``, so the server
records it and refuses whatever its own check says. Outside such a call the provider adds
nothing. It imports nothing but MLflow's small base class.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from mlflow.tracking.request_header.abstract_request_header_provider import (
    RequestHeaderProvider,
)

WAIVER_HEADER = "X-CSC-Waiver"
CLIENT_BLOCKED_HEADER = "X-CSC-Client-Blocked"
_headers: ContextVar[dict[str, str] | None] = ContextVar("csc_mlflow_headers", default=None)


@contextlib.contextmanager
def sending_headers(headers: dict[str, str]) -> Iterator[None]:
    """Send ``headers`` with every MLflow request made inside the block."""
    token = _headers.set(dict(headers) or None)
    try:
        yield
    finally:
        _headers.reset(token)


class CscRequestHeaderProvider(RequestHeaderProvider):
    """Adds csc-mlflow's headers to requests made inside :func:`sending_headers`."""

    def in_context(self) -> bool:
        return _headers.get() is not None

    def request_headers(self) -> dict[str, str]:
        return dict(_headers.get() or {})
