"""Process-wide switches: which policy governs new runs, and whether governance is off.

Tiny and import-free on purpose: the run-context provider reads it while MLflow is still
being imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csc_mlflow._policy import Policy


@dataclass
class GovernanceState:
    """What the user asked for in this process."""

    autolog_policy: Policy | None = None
    """Set by ``csc_mlflow.autolog(policy=...)``; governs every new fluent run."""
    policy_stack: list[Policy] = field(default_factory=list)
    """Policies of the ``governed_run`` blocks that are open, innermost last."""
    disabled: bool = False
    """Set by ``csc_mlflow.autolog(disable=True)``: no tags, no finalisation, no discovery."""

    def explicit_policy(self) -> Policy | None:
        """The policy the user chose in code, if any (innermost ``governed_run`` first)."""
        if self.policy_stack:
            return self.policy_stack[-1]
        return self.autolog_policy


STATE = GovernanceState()
