"""The ``mlflow.run_context_provider`` plugin: cheap start-of-run tags on every new run.

MLflow imports this module during ``import mlflow`` in every environment where csc-mlflow
is installed, so it must stay tiny and must never raise: a plugin that raises here breaks
``import mlflow`` for everyone (``shared/reference/mlflow-notes.md`` §1.2). It imports only a
leaf MLflow module, and nothing heavy; the work happens in ``tags()``, lazily.

It also turns MLflow's and Great Expectations' usage telemetry off (unless the user set the
variables themselves): CSC teams must not send anything off the machine; and, where this
folder's policy names datasets, starts the data-quality worker (``csc_mlflow._spawn``).
"""

from __future__ import annotations

import logging
import os

from mlflow.tracking.context.abstract_context import RunContextProvider

from csc_mlflow._spawn import prewarm_at_import

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

prewarm_at_import()  # the data-quality worker, if this folder's policy names datasets

__all__ = ["CscRunContextProvider"]

_logger = logging.getLogger("csc_mlflow")


class CscRunContextProvider(RunContextProvider):
    """Tags each new run with the policy hash, package version and ``pending`` status."""

    def in_context(self) -> bool:
        try:
            from csc_mlflow._resolve import governing

            return governing()
        except Exception:
            _logger.warning("csc-mlflow: could not tell whether to govern this run", exc_info=True)
            return False

    def tags(self) -> dict[str, str]:
        try:
            from csc_mlflow._hooks._run_end import start_tags

            return start_tags()
        except Exception:
            _logger.warning("csc-mlflow: could not tag the new run", exc_info=True)
            return {}
