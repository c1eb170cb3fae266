"""Challenger against champion: at promotion the candidate is compared with the version that
holds the alias; a regression beyond the policy's tolerance blocks, an improvement passes."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

import csc_mlflow
from csc_mlflow._policy_io import parse_policy
from csc_mlflow.exceptions import PolicyError
from csc_mlflow.gate import check, promote

POLICY = """version: 1
project: {name: challenger, owner: team}
performance: {required: true}
gate:
  champion: {require: [performance], regression: {recall: 0.02}}
"""


def _cells(tp: int, fp: int, tn: int, fn: int) -> tuple[np.ndarray, np.ndarray]:
    truth = np.array([1] * tp + [0] * fp + [0] * tn + [1] * fn)
    flagged = np.array([1] * tp + [1] * fp + [0] * tn + [0] * fn)
    return truth, flagged


def _version(policy: Path, recall_hits: int) -> None:
    """A registered version whose held-out recall is ``recall_hits`` in 100."""
    with csc_mlflow.governed_run(policy):
        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            registered_model_name="challenged",
            pip_requirements=["scikit-learn"],
        )
        csc_mlflow.evaluate_performance(
            *_cells(recall_hits, 40, 300, 100 - recall_hits), model_id=info.model_id
        )


def test_a_challenger_that_loses_recall_is_blocked_and_one_that_gains_passes(
    tracking: str, tmp_path: Path
) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    _version(policy, 70)  # version 1: recall 0.70
    first = promote("challenged", 1, "champion", policy=policy)
    assert first.passed, first.reasons
    assert first.compared == ("no other version holds champion: nothing to compare with",)

    _version(policy, 66)  # version 2: recall 0.66, 0.04 behind
    worse = check("challenged", 2, "champion", policy=policy)
    assert worse.decision == "blocked"
    assert [r.code for r in worse.reasons] == ["gate.regression"]
    assert "recall is 0.660 against 0.700 for version 1, which holds champion" in str(
        worse.reasons[0]
    )
    assert "lower by 0.040, more than the 0.02 the policy allows" in str(worse.reasons[0])
    assert worse.compared == (
        "recall: candidate 0.660, version 1 (champion) 0.700; allowed to fall behind by 0.02: "
        "worse beyond what the policy allows",
    )

    _version(policy, 69)  # version 3: 0.01 behind, within the tolerance
    within = check("challenged", 3, "champion", policy=policy)
    assert within.passed, within.reasons

    _version(policy, 80)  # version 4: better
    better = promote("challenged", 4, "champion", policy=policy)
    assert better.passed, better.reasons
    assert better.compared[0].endswith(": ok")
    # Version 4 now holds champion: version 1 is judged against it.
    assert check("challenged", 1, "champion", policy=policy).decision == "blocked"
    # Side by side on the version's page (its description), as the last check saw them.
    from csc_mlflow.report._summary import describe_version

    text = describe_version("challenged", "4")
    assert "Against the version holding champion, at the last check:" in text
    assert "- recall: candidate 0.800, version 1 (champion) 0.700" in text


def test_a_measure_the_champion_lacks_cannot_pass(tracking: str, tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY.replace("regression: {recall: 0.02}", "regression: {accuracy: 0}"))
    with csc_mlflow.governed_run(policy):  # version 1: no performance record at all
        mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            registered_model_name="challenged",
            pip_requirements=["scikit-learn"],
        )
    mlflow.MlflowClient().set_registered_model_alias("challenged", "champion", "1")
    _version(policy, 70)
    decision = check("challenged", 2, "champion", policy=policy)
    assert decision.decision == "blocked"
    assert any("has no sealed accuracy to compare with" in str(r) for r in decision.reasons)


@pytest.mark.parametrize("section", ["{auc: 0.1}", "{recall: 2}", "{recall: -0.1}"])
def test_a_regression_the_policy_cannot_mean_is_refused(section: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(
            "version: 1\nproject: {name: a, owner: b}\n"
            f"gate: {{champion: {{require: [performance], regression: {section}}}}}\n"
        )
