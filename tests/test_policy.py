"""Loading, discovering, hashing and rejecting governance policies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csc_mlflow import Policy, find_policy_file, load_policy
from csc_mlflow._policy_io import parse_policy
from csc_mlflow.exceptions import PolicyError, PolicyNotFoundError

from .conftest import MINIMAL_POLICY, REPO

EXAMPLE = REPO / "examples" / "governance.yaml"


def test_example_policy_loads_with_every_section() -> None:
    policy = load_policy(EXAMPLE)
    assert isinstance(policy, Policy)
    assert policy.project.name == "re-referral-risk"
    assert policy.datasets["episodes"].suite == "ssda903/episodes@2024-25"
    assert policy.fairness is not None
    assert policy.fairness.sensitive_features["ethnicity"].grouping == "dfe_ethnicity_major"
    assert policy.fairness.intersections == (("ethnicity", "sex"),)
    assert policy.fairness.thresholds[0].judge == "interval"
    assert policy.ethics is not None
    assert policy.ethics.triage == "ethics/triage.yaml"
    assert policy.gate["champion"].signoff == ("accountable_officer",)
    assert policy.source == EXAMPLE.resolve()
    assert policy.resolve("ethics/triage.yaml") == EXAMPLE.resolve().parent / "ethics/triage.yaml"


def test_policy_is_frozen() -> None:
    policy = load_policy(EXAMPLE)
    with pytest.raises(ValueError, match="frozen"):
        policy.project.name = "other"  # type: ignore[misc]


def test_hash_ignores_layout_comments_and_explicit_defaults() -> None:
    compact = parse_policy("version: 1\nproject: {name: a, owner: b}\n")
    spread = parse_policy(
        "# a comment\nproject:\n  owner: b   # owner first\n  name: a\nversion: 1\ndatasets: {}\n"
    )
    assert compact.sha256 == spread.sha256
    assert re.fullmatch(r"[0-9a-f]{64}", compact.sha256)


def test_hash_changes_with_content() -> None:
    a = parse_policy("version: 1\nproject: {name: a, owner: b}\n")
    b = parse_policy("version: 1\nproject: {name: a, owner: c}\n")
    assert a.sha256 != b.sha256


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    assert find_policy_file() is None
    local = tmp_path / "governance.yaml"
    local.write_text(MINIMAL_POLICY)
    assert find_policy_file() == tmp_path / "governance.yaml"
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_POLICY.replace("test-project", "from-env"))
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(other))
    assert load_policy().project.name == "from-env"
    assert load_policy(local).project.name == "test-project"


def test_missing_policy_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_MLFLOW_POLICY", raising=False)
    with pytest.raises(
        PolicyNotFoundError, match=r"set CSC_MLFLOW_POLICY, or create .*governance\.yaml"
    ):
        load_policy()


def test_env_pointing_nowhere_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSC_MLFLOW_POLICY", str(tmp_path / "nope.yaml"))
    with pytest.raises(
        PolicyNotFoundError,
        match=r"nope.yaml: policy file not found \(CSC_MLFLOW_POLICY points here\)",
    ):
        load_policy()


BASE = "version: 1\nproject: {name: a, owner: b}\n"

MALFORMED = [
    pytest.param("", None, "the policy file is empty; expected a mapping", id="empty"),
    pytest.param(
        "- a\n- b\n", None, "expected a mapping of keys .* found a list", id="top-level-list"
    ),
    pytest.param(
        "version: 1\nproject: {name: a\n",
        None,
        r"line \d+, column \d+: not valid YAML",
        id="bad-yaml",
    ),
    pytest.param(
        "version: 1\nversion: 1\nproject: {name: a, owner: b}\n",
        None,
        "line 2, column 1: not valid YAML: duplicate key 'version'",
        id="duplicate-key",
    ),
    pytest.param(
        "version: 2\nproject: {name: a, owner: b}\n",
        "version",
        "version: expected one of 1; found 2",
        id="wrong-version",
    ),
    pytest.param(
        "version: 1\n", "project", "project: required key is missing", id="missing-project"
    ),
    pytest.param(
        BASE + "colour: blue\n",
        "colour",
        "colour: unknown key. Allowed here: version, project, datasets, fairness, performance, ethics, "
        "gate, signing",
        id="unknown-top-key",
    ),
    pytest.param(
        "version: 1\nproject: {name: a, ownr: b}\n",
        "project.owner",
        r"project.ownr: unknown key\. Allowed here: name, owner.* Did you mean 'owner'\?",
        id="misspelt-nested-key",
    ),
    pytest.param(
        BASE + "fairness:\n  sensitive_features: {eth: {column: ETHNIC}}\n"
        "  thresholds: [{metric: dp_ratio, min: 0.8}]\n",
        "fairness.thresholds[0].metric",
        r"fairness.thresholds\[0\].metric: expected one of demographic_parity_difference, .*; found 'dp_ratio'",
        id="unknown-metric",
    ),
    pytest.param(
        BASE + "fairness:\n  sensitive_features: {eth: {column: ETHNIC}}\n  min_group_size: ten\n",
        "fairness.min_group_size",
        "fairness.min_group_size: expected a whole number; found 'ten' \\(a string\\)",
        id="wrong-type",
    ),
    pytest.param(
        BASE + "datasets: {train: {suite: x, block_on: warn}}\n",
        "datasets.train.block_on",
        "datasets.train.block_on: expected one of 'error' or 'query'; found 'warn'",
        id="bad-literal",
    ),
    pytest.param(
        BASE + "fairness:\n  sensitive_features: {eth: {column: ETHNIC, grouping: dfe_race}}\n",
        "fairness.sensitive_features.eth.grouping",
        "grouping: expected one of dfe_age_band, .*; found 'dfe_race'",
        id="unknown-grouping",
    ),
    pytest.param(
        BASE + "fairness:\n  sensitive_features: {eth: {column: ETHNIC}}\n"
        "  thresholds: [{metric: demographic_parity_ratio}]\n",
        "fairness.thresholds[0]",
        "give 'min', 'max' or both; found neither",
        id="threshold-unbounded",
    ),
    pytest.param(
        BASE
        + "fairness:\n  sensitive_features: {eth: {column: ETHNIC}}\n  intersections: [[eth, sex]]\n",
        "fairness",
        "intersection names unknown feature 'sex'",
        id="intersection-unknown-feature",
    ),
    pytest.param(
        BASE + "gate: {latest: {require: [data_quality]}}\n",
        "gate",
        "MLflow reserves those\\); found 'latest'",
        id="reserved-alias",
    ),
    pytest.param(
        BASE + "gate: {champion: {require: [fairnes]}}\n",
        "gate.champion.require",
        "expected one of data_quality, fairness, .*; found 'fairnes'",
        id="unknown-requirement",
    ),
    pytest.param(
        BASE + "ethics: {signoff: {default: [ceo]}}\n",
        "ethics.signoff.default[0]",
        "expected one of 'developer', 'accountable_officer'",
        id="unknown-role",
    ),
]


@pytest.mark.parametrize(("text", "key", "message"), MALFORMED)
def test_malformed_policy_is_rejected_with_file_key_and_found_value(
    tmp_path: Path, text: str, key: str | None, message: str
) -> None:
    path = tmp_path / "governance.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.path == path
    if key is not None:
        assert caught.value.key is not None
        assert caught.value.key.startswith(key.split(".")[0])


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    path.write_text("version: 3\nproject: {name: '', owner: b, extra: 1}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert "3 problems" in str(caught.value)
    assert len(caught.value.problems) == 3


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(path)


BOMB = "\n".join(
    ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]"
        for i in range(7)
    ]
)


def test_a_yaml_expansion_bomb_is_refused_at_once_without_echoing_it(tmp_path: Path) -> None:
    """Hole 7 of the evidence issue: 330 bytes of nested anchors ran for over a minute."""
    path = tmp_path / "governance.yaml"
    path.write_text("version: 1\nproject: {name: a, owner: b}\n" + BOMB + "\n")
    assert len(path.read_bytes()) < 1000
    with pytest.raises(PolicyError, match="expands to more than 100,000 values") as caught:
        load_policy(path)
    assert len(str(caught.value)) < 500
    assert caught.value.path == path
    # The same bound guards the ethics answer files and suite files.
    from csc_mlflow.ethics._answers import read_answer_file
    from csc_mlflow.exceptions import EthicsError, SuiteError
    from csc_mlflow.quality import load_suite

    answers = tmp_path / "triage.yaml"
    answers.write_text(BOMB + "\n")
    with pytest.raises(EthicsError, match="expands to more than"):
        read_answer_file(answers, "Ethics Triage answers")
    suite = tmp_path / "suite.yaml"
    suite.write_text(BOMB + "\n")
    with pytest.raises(SuiteError, match="expands to more than"):
        load_suite(suite)


def test_a_huge_policy_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    path.write_text("version: 1\nproject: {name: a, owner: b}\n" + "# padding\n" * 200_000)
    with pytest.raises(PolicyError, match="larger than 1,000,000 bytes"):
        load_policy(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    path.write_text("version: 1\nproject: {name: a, owner: b}\nx: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(PolicyError, match="nests deeper than 64 levels"):
        load_policy(path)


def test_a_wrong_value_is_described_briefly_however_large(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    big = "[" + ",".join(str(i) for i in range(50_000)) + "]"
    path.write_text(f"version: 1\nproject: {{name: a, owner: b}}\ndatasets: {big}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert len(str(caught.value)) < 600
