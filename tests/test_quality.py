"""Data quality: shipped DfE suites, PII-safe results, evidence on runs, clear errors."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow._cli import main
from csc_mlflow._evidence import DataQualityPayload
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.datasets._ssda903 import EPISODE_DEFECTS, HEADER_DEFECTS
from csc_mlflow.exceptions import DataError, SuiteError
from csc_mlflow.quality import load_suite, shipped_suites, validate_data, validate_frame

from .conftest import REPO

SUITES = shipped_suites()


def _frame(suite: Any, *rows: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([dict(suite.example_row) | row for row in rows])
    for column, kind in suite.columns.items():
        if kind == "date":
            frame[column] = pd.to_datetime(frame[column])
        else:
            frame[column] = frame[column].astype(object)
    return frame


RULE_CASES = [
    pytest.param(ref, index, id=f"{ref}-{load_suite(ref).rules[index].rule}-{index}")
    for ref in SUITES
    for index in range(len(load_suite(ref).rules))
    if load_suite(ref).rules[index].examples
]
"""Rules with their own pass and fail rows; every rule also replays the DfE validator's own
cases (``test_dfe_reference.py``)."""


@pytest.mark.parametrize(("ref", "index"), RULE_CASES)
def test_each_shipped_rule_passes_and_fails_on_its_examples(ref: str, index: int) -> None:
    suite = load_suite(ref)
    rule = suite.rules[index]
    only = dataclasses.replace(suite, rules=(rule,))
    base = dict(suite.example_row)
    passing = validate_frame(
        _frame(suite, base, rule.examples["pass"] | _fresh_ids(rule.examples["pass"])), only
    )
    failing = validate_frame(_frame(suite, base, rule.examples["fail"]), only)
    assert passing.rules[0].success, (rule.rule, passing.rules[0])
    assert not failing.rules[0].success, (rule.rule, failing.rules[0])
    assert failing.rules[0].problem is None


def _fresh_ids(example: dict[str, Any]) -> dict[str, Any]:
    """The passing row is a second record: give it its own identifiers unless it sets them."""
    out = {}
    for key, value in (("CHILD", "C9"), ("LAchildID", "A9"), ("UPN", "Z123456789019")):
        if key not in example:
            out[key] = value
    return out


def test_at_least_forty_distinct_dfe_rules_are_shipped_for_2024_25() -> None:
    rules = {r.rule for ref in SUITES if ref.endswith("2024-25") for r in load_suite(ref).rules}
    assert len(rules) >= 40
    kinds = {r.type for ref in SUITES for r in load_suite(ref).rules}
    assert {
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_values_to_be_null",
        "expect_column_value_lengths_to_be_between",
    } <= kinds
    assert any("row_condition" in r.kwargs for ref in SUITES for r in load_suite(ref).rules)


def test_rules_doc_lists_every_encoded_rule() -> None:
    from csc_mlflow.quality._rules_doc import render

    doc = (REPO / "docs" / "rules.md").read_text()
    for ref in SUITES:
        for rule in load_suite(ref).rules:
            assert f"| {rule.rule} |" in doc, rule.rule
    remaining = (REPO / "docs" / "rules-remaining.md").read_text()
    assert doc == render(remaining), (
        "docs/rules.md is out of date: python -m csc_mlflow.quality._rules_doc > docs/rules.md"
    )


@pytest.mark.parametrize("year", ["2023-24", "2024-25", "2025-26"])
def test_clean_synthetic_data_passes(year: str) -> None:
    data = make_ssda903(5000, seed=4, collection_year=year)
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD", how="left")
    assert validate_frame(episodes, load_suite(f"ssda903/episodes@{year}")).status == "passed"
    if year != "2025-26":
        assert validate_frame(data.header, load_suite(f"ssda903/header@{year}")).status == "passed"


EXPECTED = {
    "invalid_ethnicity": {"903-103"},
    "missing_ethnicity": {"903-103"},
    "invalid_sex": {"903-101"},
    "invalid_upn": {"903-168"},
    "duplicate_child": {"903-INT32"},
    "dob_after_collection_end": {"903-301", "903-302", "903-352"},
    # An episode ending before it starts no longer meets the next one (388, 433).
    "dec_before_decom": {"903-356", "903-388", "903-433"},
    # A spoiled code on an episode that only changed legal status changes its placement (434);
    # an unknown placement is not one that may lack a provider (526).
    "invalid_placement": {"903-146", "903-434", "903-526"},
    "invalid_legal_status": {"903-144"},
    # Without a start, an episode cannot be ordered among the child's others (142, 388, 433, 434).
    "missing_decom": {"903-141", "903-142", "903-388", "903-433", "903-434"},
    "rec_without_dec": {"903-148"},
}


@pytest.mark.parametrize("kind", HEADER_DEFECTS + EPISODE_DEFECTS)
def test_each_planted_defect_is_found_and_nothing_else(kind: str) -> None:
    data = make_ssda903(3000, seed=8, defects={kind: 4})
    episodes = data.episodes.merge(
        data.header.drop_duplicates("CHILD")[["CHILD", "DOB"]], on="CHILD", how="left"
    )
    header = validate_frame(data.header, load_suite("ssda903/header@2024-25"))
    eps = validate_frame(episodes, load_suite("ssda903/episodes@2024-25"))
    found = {r.rule for r in header.failed + eps.failed}
    if (
        kind == "dob_after_collection_end"
    ):  # the age rules fire only for affected children's episodes
        assert {"903-301", "903-302"} <= found <= EXPECTED[kind]
    else:
        assert found == EXPECTED[kind]
    direct = {
        "invalid_ethnicity",
        "invalid_sex",
        "invalid_upn",
        "invalid_placement",
        "invalid_legal_status",
        "missing_decom",
    }
    if kind in direct:  # the rule the defect breaks flags exactly the planted rows
        (rule,) = [r for r in header.failed + eps.failed if r.rule == min(EXPECTED[kind])]
        assert rule.unexpected_count == 4


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda f: f.drop(columns=["DECOM"]),
            "column 'DECOM' is missing: suite ssda903/episodes@2024-25 needs it. Close matches: DEC",
        ),
        (lambda f: f.iloc[0:0], r"the dataset is empty \(0 rows\)"),
        (
            lambda f: f.assign(DECOM=f["DECOM"].dt.strftime("%d/%m/%Y")),
            "column 'DECOM' holds text or numbers, not dates .*pd.to_datetime",
        ),
    ],
    ids=["missing-column", "empty", "dates-as-strings"],
)
def test_bad_data_gets_a_clear_answer(mutate: Any, message: str) -> None:
    data = make_ssda903(50, seed=1)
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD")
    with pytest.raises(DataError, match=message):
        validate_frame(mutate(episodes), load_suite("ssda903/episodes@2024-25"))


def test_suite_for_another_collection_year() -> None:
    data = make_ssda903(50, seed=1, collection_year="2023-24")
    with pytest.raises(
        DataError,
        match=r"suite ssda903/header@2024-25 is written for collection year 2024-25 but the data is for 2023-24; use ssda903/header@2023-24",
    ):
        validate_frame(data.header, load_suite("ssda903/header@2024-25"), collection_year="2023-24")


SUITE = """
name: my/suite
columns: {A: text}
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs: {column: A, value_set: [x]}
    meta: {rule: X-1, description: A is x., severity: error}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SUITE.replace(
                "expect_column_values_to_be_in_set", "expect_column_values_to_be_in_sets"
            ),
            r"expectations\[0\].type: unknown expectation type 'expect_column_values_to_be_in_sets'; closest: expect_column_values_to_be_in_set",
        ),
        (
            SUITE.replace("value_set: [x]", "value_sett: [x]"),
            r"expectations\[0\].kwargs\.(value_sett|value_set)",
        ),
        (
            SUITE.replace("severity: error", "severity: fatal"),
            r"expectations\[0\].meta.severity: expected error or query; found 'fatal'",
        ),
        (SUITE.replace("rule: X-1, ", ""), r"expectations\[0\].meta: missing rule"),
        (SUITE.replace("name: my/suite", "name: my/suite\ncolour: red"), "unknown key 'colour'"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
    ids=[
        "unknown-type",
        "bad-argument",
        "bad-severity",
        "missing-rule-id",
        "unknown-key",
        "bad-yaml",
    ],
)
def test_bad_suites_are_reported_by_file_entry_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(SuiteError, match=message) as caught:
        load_suite(path)
    assert str(path) in str(caught.value)


def test_a_suite_file_is_checked_again_when_it_changes(tmp_path: Path) -> None:
    # Loaded suites are kept by file and content: the same file again is the same suite, an
    # edited file is read afresh (an edit that breaks it is reported, not hidden by the cache).
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    first = load_suite(path)
    assert load_suite(path) is first
    path.write_text(SUITE.replace("value_set: [x]", "value_set: [x, y]"))
    assert load_suite(path).rules[0].kwargs["value_set"] == ["x", "y"]
    path.write_text(SUITE.replace("severity: error", "severity: fatal"))
    with pytest.raises(SuiteError, match="severity"):
        load_suite(path)


def test_unknown_shipped_suite_lists_close_ones() -> None:
    with pytest.raises(
        SuiteError,
        match=r"no shipped suite 'ssda903/episode@2024-25'.*Did you mean ssda903/episodes@2024-25",
    ):
        load_suite("ssda903/episode@2024-25")


def test_gx_json_suites_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(
        json.dumps(
            {
                "name": "gx",
                "expectations": [
                    {
                        "type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "A"},
                        "meta": {"rule": "X-2", "description": "A present.", "severity": "query"},
                    }
                ],
            }
        )
    )
    suite = load_suite(path)
    result = validate_frame(pd.DataFrame({"A": ["a", None]}), suite)
    assert result.status == "warnings"
    assert result.rules[0].unexpected_count == 1


def test_shipped_suites_live_in_the_package() -> None:
    import csc_mlflow.expectations

    root = Path(csc_mlflow.expectations.__file__).parent
    assert (root / "ssda903" / "episodes@2024-25.yaml").is_file()
    assert (REPO / "expectations").resolve() == (
        REPO / "src" / "csc_mlflow" / "expectations"
    ).resolve()


POLICY = """
version: 1
project: {name: a, owner: b}
datasets:
  header: {suite: ssda903/header@2024-25}
  episodes: {suite: ssda903/episodes@2024-25, block_on: query}
"""


def test_logged_datasets_are_validated_with_evidence(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    data = make_ssda903(400, seed=3, defects={"invalid_sex": 2})
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD")
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
        mlflow.log_input(mlflow.data.from_pandas(episodes, name="episodes"), context="source")
    client = MlflowClient()
    found = client.get_run(run.info.run_id).data
    assert found.tags["csc.dq.header.status"] == "failed"
    assert found.tags["csc.dq.episodes.status"] == "passed"
    assert found.metrics["csc.dq.header.rules_failed"] == 1
    assert found.metrics["csc.dq.header.rules_evaluated"] == 12
    status = csc_mlflow.get_status(run.info.run_id)
    assert status.verified
    assert status.status == "failed"
    header = next(p for p in status.evidence.payloads(DataQualityPayload) if p.name == "header")
    assert header.suite is not None
    assert header.suite.ref == "ssda903/header@2024-25"
    assert header.dataset.digest == next(
        d.dataset.digest
        for d in client.get_run(run.info.run_id).inputs.dataset_inputs
        if d.dataset.name == "header"
    )
    assert header.rules[0].rule == "903-101"  # failures first
    assert [r.subject for r in status.decision.reasons] == ["data_quality.header"]


def test_query_failures_warn_unless_the_policy_blocks_on_them() -> None:
    from csc_mlflow.datasets import make_cin_census
    from csc_mlflow.quality._return import validate_return

    tables = make_cin_census(200, seed=3).tables
    tables["ChildIdentifiers"].loc[0, "FormerUPN"] = "1234"  # CIN-1560Q: a query
    result = validate_return(tables, collection="cin", year="2025-26")
    assert result.status == "warnings"
    assert {r.rule for o in result.results for r in o.failed} == {"CIN-1560Q"}
    strict = validate_return(tables, collection="cin", year="2025-26", block_on="query")
    assert strict.status == "failed"


MARKERS = ("ZQXMARKER1", "ZQXMARKER2", "ZQXMARKER3", "ZQXMARKER4")


def test_canary_no_child_value_reaches_any_artefact_tag_metric_or_log(
    tracking: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    (tmp_path / "p.yaml").write_text(POLICY)
    data = make_ssda903(200, seed=5)
    header = data.header.copy()
    header.loc[0, "CHILD"] = MARKERS[0]  # identifier, made a duplicate below
    header.loc[1, "CHILD"] = MARKERS[0]
    header.loc[2, "UPN"] = MARKERS[1]  # identifier failing its format rule
    header.loc[3, "ETHNIC"] = MARKERS[2]  # a value failing set membership
    header["NOTES"] = "no notes"
    header.loc[4, "NOTES"] = MARKERS[3]  # free text
    episodes = data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD")
    episodes.loc[0, "LS"] = MARKERS[2]
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
        mlflow.log_input(mlflow.data.from_pandas(episodes, name="episodes"), context="source")
        validate_data(header, name="header")
    run_data = MlflowClient().get_run(run.info.run_id).data
    assert run_data.tags["csc.dq.header.status"] == "failed"
    local = Path(MlflowClient().download_artifacts(run.info.run_id, "", str(tmp_path / "dl")))
    texts = [p.read_text(errors="replace") for p in local.rglob("*") if p.is_file()]
    texts += [json.dumps(run_data.tags), json.dumps(run_data.params), json.dumps(run_data.metrics)]
    texts += [r.getMessage() for r in caplog.records]
    out = capsys.readouterr()
    texts += [out.out, out.err]
    for marker in MARKERS:
        assert not any(marker in text for text in texts), marker
    failed = {
        r["rule"]
        for r in json.loads((local / "governance" / "data_quality" / "header.json").read_text())[
            "payload"
        ]["rules"]
        if not r["success"]
    }
    assert {"903-INT32", "903-168", "903-103"} <= failed


def test_scrub_keeps_only_counts() -> None:
    from csc_mlflow.quality._validate import scrub

    raw = {
        "element_count": 10,
        "unexpected_count": 2,
        "unexpected_percent": 20.0,
        "missing_count": 0,
        "partial_unexpected_list": ["SECRET"],
        "unexpected_index_list": [3, 7],
        "unexpected_rows": "SECRET",
        "observed_value": "SECRET",
        "details": {"value_counts": [{"value": "SECRET", "count": 2}]},
    }
    assert scrub(raw) == {
        "element_count": 10.0,
        "unexpected_count": 2.0,
        "unexpected_percent": 20.0,
        "missing_count": 0.0,
    }
    assert scrub({"unexpected_count": "SECRET"})["unexpected_count"] is None


def test_cli_dq_validate(tmp_path: Path) -> None:
    data = make_ssda903(200, seed=6, defects={"invalid_placement": 3})
    episodes, header = data.episodes.copy(), data.header.copy()
    for frame, columns in ((episodes, ("DECOM", "DEC")), (header, ("DOB", "MC_DOB"))):
        for column in columns:
            frame[column] = frame[column].dt.strftime("%d/%m/%Y")
    episodes.to_csv(tmp_path / "episodes.csv", index=False)
    header.to_csv(tmp_path / "header.csv", index=False)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "dq",
            "validate",
            str(tmp_path / "episodes.csv"),
            "--suite",
            "ssda903/episodes@2024-25",
            "--header",
            str(tmp_path / "header.csv"),
        ],
    )
    assert result.exit_code == 3, result.output
    assert re.search(r"903-146\s+error\s+FAIL\s+\d+\s+c\s", result.output)  # 3: withheld
    assert "FAILED" in result.output.splitlines()[0]
    ok = runner.invoke(
        main, ["dq", "validate", str(tmp_path / "header.csv"), "--suite", "ssda903/header@2024-25"]
    )
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(
        main,
        ["dq", "validate", str(tmp_path / "episodes.csv"), "--suite", "ssda903/episodes@2024-25"],
    )
    assert missing.exit_code == 1
    assert "column 'DOB' is missing" in missing.output


def test_a_missing_column_names_what_is_needed_never_the_columns_present(
    tracking: str, tmp_path: Path
) -> None:
    """Hole 3 of the evidence issue: a missing-column error wrote every column name present."""
    (tmp_path / "p.yaml").write_text(POLICY)
    header = make_ssda903(50, seed=4).header.drop(columns=["SEX"])
    header["ZQXPRIVATECOLUMN"] = "x"
    with csc_mlflow.governed_run(tmp_path / "p.yaml") as run:
        mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
    status = csc_mlflow.get_status(run.info.run_id)
    (record,) = [p for p in status.evidence.payloads(DataQualityPayload) if p.name == "header"]
    assert record.status == "failed"
    text = " ".join(record.reasons)
    assert "column 'SEX' is missing" in text
    assert "ZQXPRIVATECOLUMN" not in text
    assert "ZQXPRIVATECOLUMN" not in json.dumps(MlflowClient().get_run(run.info.run_id).data.tags)
