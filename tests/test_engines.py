"""Data where it lives: the same suites and the same fairness counts through Spark (local mode)
and PostgreSQL (a real server from initdb/pg_ctl) as through pandas.

Every shipped rule is run on scrambled returns (values moved between rows, blanks added, every
defect planted) both ways, and each rule's record (counts, verdict, problem) must be identical.
Fairness is counted by one GROUP BY in the engine and must give the pandas record, group by
group. Spark and PostgreSQL are started here, on loopback, and stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from mlflow import MlflowClient

import csc_mlflow
from csc_mlflow import SqlTable
from csc_mlflow.datasets import CIN_DEFECT_KINDS, DEFECT_KINDS, make_cin_census, make_ssda903
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality import load_suite, validate_frame
from csc_mlflow.quality._return import return_suites
from csc_mlflow.quality._sqlplan import POSTGRES, SPARK, condition_sql
from csc_mlflow.quality._views import table_view

from .postgres import Postgres
from .spark import spark_frame, start_spark
from .test_fast_quality import scrambled


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = start_spark()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def engine(postgres: Postgres) -> Iterator[sa.Engine]:
    made = sa.create_engine(postgres.uri)
    yield made
    made.dispose()


def views(collection: str, year: str) -> list[tuple[Any, pd.DataFrame]]:
    """Each suite of the return with the view it validates, from a scrambled return."""
    if collection == "cin":
        census = make_cin_census(300, year=year, seed=5, defects=dict.fromkeys(CIN_DEFECT_KINDS, 3))
        every = dict(scrambled(census.tables, seed=3))
    else:
        data = make_ssda903(
            300,
            seed=4,
            collection_year=year,
            defects=dict.fromkeys(set(DEFECT_KINDS) - {"single_adopter_as_couple"}, 1),
        )
        every = dict(scrambled(data.tables, seed=1))
        every.update({f"{k}_last": v for k, v in scrambled(data.last_year(), seed=2).items()})
    found = []
    for suite in return_suites(collection, year):
        needed = [suite.table, *[s.partition("@")[0] for s in suite.join]]
        if any(t not in every for t in needed):
            continue
        view = table_view(every, suite.table, suite.join, suite.key)
        if not view.empty:
            found.append((suite, view.reset_index(drop=True)))
    return found


def assert_same_counts(pandas_result: Any, other: Any) -> int:
    """Every rule's record identical; how many failed (the data must make rules fail)."""
    assert other.rows == pandas_result.rows
    assert len(other.rules) == len(pandas_result.rules)
    for ours, theirs in zip(pandas_result.rules, other.rules, strict=True):
        assert theirs == ours, (pandas_result.suite.ref, ours.rule)
    return len(pandas_result.failed)


RETURNS = [("903", "2023-24"), ("903", "2024-25"), ("903", "2025-26"), ("cin", "2024-25")]
RETURNS += [("cin", "2025-26")]


@pytest.mark.parametrize(("collection", "year"), RETURNS)
def test_every_rule_counts_the_same_in_postgresql_as_in_pandas(
    engine: sa.Engine, postgres: Postgres, collection: str, year: str
) -> None:
    failed = rules = 0
    for suite, view in views(collection, year):
        table = f"{collection}_{suite.name.split('/')[-1]}_{year.replace('-', '_')}"
        view.to_sql(table, engine, index=False, if_exists="replace")
        failed += assert_same_counts(
            validate_frame(view, suite), validate_frame(SqlTable(postgres.uri, table), suite)
        )
        rules += len(suite.rules)
    assert rules > 90
    assert failed > 10


@pytest.mark.parametrize(("collection", "year"), [("903", "2024-25"), ("cin", "2025-26")])
def test_every_rule_counts_the_same_in_spark_as_in_pandas(
    spark: Any, collection: str, year: str
) -> None:
    failed = rules = 0
    for suite, view in views(collection, year):
        failed += assert_same_counts(
            validate_frame(view, suite), validate_frame(spark_frame(spark, view), suite)
        )
        rules += len(suite.rules)
    assert rules > 90
    assert failed > 10


# The conditions of the shipped suites, and the ways pandas reads blanks that SQL does not.
CONDITIONS = [
    'A != "x"',
    'A == "x" | B > 2',
    'A.isin(["x", "y"]) & B.notna()',
    'A in ["x"]',
    'A not in ["x"]',
    '~(A == "x")',
    'A.str.upper() == "X"',
    'A.str.upper().isin(["X", "Y"]) & B.isna()',
    "B >= C",
    "B != C",
    'D >= "2024-04-01"',
    'A == "x" & B > 1 | C < 2',
]


def test_each_row_condition_holds_on_the_same_rows_in_postgresql_as_in_pandas(
    engine: sa.Engine,
) -> None:
    frame = pd.DataFrame(
        {
            "A": ["x", "X", "y", None, "z", "x", None, "y"],
            "B": [1.0, 3.0, None, 2.0, 5.0, None, 4.0, 0.0],
            "C": [1.0, 2.0, 3.0, None, 5.0, 1.0, None, 0.0],
            "D": pd.to_datetime(
                ["2024-03-31", "2024-04-01", None, "2025-01-01", "2023-01-01", None, "2024-05-05"]
                + ["2024-04-02"]
            ),
        }
    )
    frame["n"] = range(len(frame))
    frame.to_sql("conditions", engine, index=False, if_exists="replace")
    for text in CONDITIONS:
        expected = sorted(frame.query(text)["n"])
        with engine.connect() as connection:
            found = connection.execute(
                sa.text(
                    f'SELECT "n" FROM conditions WHERE {condition_sql(text, POSTGRES)} ORDER BY 1'
                )
            )
            assert [row[0] for row in found] == expected, text


def test_every_shipped_row_condition_has_a_spark_and_a_sql_form() -> None:
    from csc_mlflow.quality import shipped_suites

    seen = set()
    for ref in shipped_suites():
        for rule in load_suite(ref).rules:
            text = rule.kwargs.get("row_condition")
            if isinstance(text, str) and text not in seen:
                seen.add(text)
                assert condition_sql(text, SPARK)
                assert condition_sql(text, POSTGRES)
    assert len(seen) > 100


def test_a_condition_without_a_sql_form_is_refused_by_name() -> None:
    with pytest.raises(DataError, match=r"row condition 'A.str.len\(\) > 2' has no SQL form"):
        condition_sql("A.str.len() > 2", POSTGRES)


# -- fairness --------------------------------------------------------------------------------

FAIRNESS_POLICY = """
version: 1
project: {name: engines, owner: Test}
fairness:
  sensitive_features:
    ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}
    sex: {column: SEX, grouping: dfe_sex}
    age: {column: DOB, age_bands: [0, 5, 10, 16]}
    uasc: {column: UASC}
  intersections: [[ethnicity, sex]]
  insufficient_evidence: warn
  thresholds:
    - {metric: selection_rate_ratio, min: 0.8}
  required: false
"""


def fairness_frame(rows: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ethnic = rng.choice(["WBRI", "WIRI", "BAFR", "BCRB", "ASCO", "MWBC", "OOTH", "REFU"], rows)
    ethnic = ethnic.astype(object)
    ethnic[rng.random(rows) < 0.03] = None
    label = (rng.random(rows) < 0.3).astype(int)
    pred = np.where(rng.random(rows) < 0.8, label, 1 - label)
    pred[(ethnic == "BAFR") & (rng.random(rows) < 0.2)] = 1
    frame = pd.DataFrame(
        {
            "ETHNIC": ethnic,
            "SEX": rng.choice(["1", "2"], rows),
            "DOB": pd.to_datetime("2008-01-01")
            + pd.to_timedelta(rng.integers(0, 6000, rows), unit="D"),
            "UASC": rng.choice(["0", "0", "0", "1"], rows),
            "label": label,
            "pred": pred,
            "weight": rng.choice([0.5, 1.0, 2.0], rows),
        }
    )
    # A group of three children: published nowhere, withheld everywhere, in every engine.
    frame.loc[:2, "UASC"] = "9"
    return frame


def _record(run_id: str) -> dict[str, Any]:
    path = MlflowClient().download_artifacts(run_id, "governance/fairness/model.json")
    payload: dict[str, Any] = json.loads(Path(path).read_text())["payload"]
    return payload


def _fairness_runs(
    tmp_path: Path, frames: dict[str, Any], weighted: bool
) -> dict[str, dict[str, Any]]:
    policy = tmp_path / "fairness.yaml"
    policy.write_text(FAIRNESS_POLICY)
    records = {}
    for engine_name, data in frames.items():
        pandas = engine_name == "pandas"
        with csc_mlflow.governed_run(policy) as run:
            csc_mlflow.evaluate_fairness(
                data["label"] if pandas else "label",
                data["pred"] if pandas else "pred",
                sensitive_features=data,
                sample_weight=(data["weight"] if pandas else "weight") if weighted else None,
                age_at=date(2026, 3, 31),
            )
        records[engine_name] = _record(run.info.run_id)
    return records


@pytest.mark.parametrize("weighted", [False, True])
def test_fairness_counted_in_spark_and_in_postgresql_equals_pandas_group_by_group(
    tracking: str,
    tmp_path: Path,
    spark: Any,
    engine: sa.Engine,
    postgres: Postgres,
    weighted: bool,
) -> None:
    frame = fairness_frame()
    frame.to_sql("fairness", engine, index=False, if_exists="replace")
    records = _fairness_runs(
        tmp_path,
        {
            "pandas": frame,
            "spark": spark_frame(spark, frame),
            "postgresql": SqlTable(postgres.uri, "fairness"),
        },
        weighted,
    )
    reference = records["pandas"]
    assert reference["overall"]["count"] == len(frame)
    assert any(g["verdict"] != "ok" for f in reference["features"] for g in f["groups"])
    assert any(g["count"] == "c" for f in reference["features"] for g in f["groups"])
    for engine_name in ("spark", "postgresql"):
        ours = records[engine_name]
        for mine, theirs in zip(ours["features"], reference["features"], strict=True):
            assert mine == theirs, (engine_name, theirs["feature"])
        assert ours == reference, engine_name


def test_fairness_in_spark_or_sql_refuses_what_it_cannot_do(
    tracking: str, tmp_path: Path, spark: Any, postgres: Postgres
) -> None:
    policy = tmp_path / "fairness.yaml"
    policy.write_text(FAIRNESS_POLICY)
    frame = spark_frame(spark, fairness_frame(200))
    with csc_mlflow.governed_run(policy):
        with pytest.raises(DataError, match="y_true is the name of its column"):
            csc_mlflow.evaluate_fairness([0, 1], "pred", sensitive_features=frame)
        with pytest.raises(DataError, match=r"ROC AUC needs each row's score"):
            csc_mlflow.evaluate_fairness("label", "pred", sensitive_features=frame, y_score="p")
        with pytest.raises(DataError, match=r"column 'lable' is missing.*Close matches: label"):
            csc_mlflow.evaluate_fairness("lable", "pred", sensitive_features=frame)
        with pytest.raises(DataError, match="table 'nowhere' does not exist"):
            csc_mlflow.evaluate_fairness(
                "label", "pred", sensitive_features=SqlTable(postgres.uri, "nowhere")
            )
        with pytest.raises(DataError, match="'mysql' databases are not supported yet"):
            csc_mlflow.evaluate_fairness(
                "label", "pred", sensitive_features=SqlTable("mysql://h/db", "t")
            )
    with mlflow.start_run(), pytest.raises(DataError, match=r"the policy's fairness\.sensitive"):
        csc_mlflow.evaluate_fairness("label", "pred", sensitive_features=frame, policy=None)


# -- logging and digests ---------------------------------------------------------------------

DQ_POLICY = """
version: 1
project: {name: engines, owner: Test}
datasets:
  header: {suite: ssda903/header@2024-25, block_on: error}
"""


def _header() -> pd.DataFrame:
    data = make_ssda903(400, seed=11, collection_year="2024-25", defects={"invalid_upn": 7})
    return data.tables["Header"].reset_index(drop=True)


def _dq_record(run_id: str) -> dict[str, Any]:
    path = MlflowClient().download_artifacts(run_id, "governance/data_quality/header.json")
    payload: dict[str, Any] = json.loads(Path(path).read_text())["payload"]
    return payload


def test_a_spark_dataset_logged_with_log_input_is_validated_like_a_pandas_one(
    tracking: str, tmp_path: Path, spark: Any
) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(DQ_POLICY)
    header = _header()
    records = {}
    for engine_name, dataset in (
        ("pandas", mlflow.data.from_pandas(header, name="header")),
        ("spark", mlflow.data.from_spark(spark_frame(spark, header), name="header")),
    ):
        with csc_mlflow.governed_run(policy) as run:
            mlflow.log_input(dataset, context="training")
        assert csc_mlflow.get_status(run.info.run_id).status == "failed"  # the planted UPNs
        records[engine_name] = _dq_record(run.info.run_id)
        assert records[engine_name]["dataset"]["digest"] == dataset.digest
    assert records["spark"]["rules"] == records["pandas"]["rules"]
    assert records["spark"]["status"] == records["pandas"]["status"] == "failed"
    assert records["spark"]["dataset"]["rows"] == len(header)


def test_the_same_data_has_the_same_digest_in_pandas_spark_and_postgresql(
    tracking: str, spark: Any, engine: sa.Engine, postgres: Postgres
) -> None:
    header = _header()
    header["n"] = range(len(header))  # a column with no blanks, kept by the digest
    header.to_sql("header_digest", engine, index=False, if_exists="replace")
    digests = {}
    for engine_name, data in (
        ("pandas", header),
        ("spark", spark_frame(spark, header)),
        ("postgresql", SqlTable(postgres.uri, "header_digest", order_by="n")),
    ):
        with mlflow.start_run() as run:
            result = csc_mlflow.validate_data(data, name="header", suite="ssda903/header@2024-25")
        digests[engine_name] = _dq_record(run.info.run_id)["dataset"]["digest"]
        assert result.rows == len(header)
    assert digests["spark"] == digests["pandas"] == digests["postgresql"]
    assert digests["pandas"] == mlflow.data.from_pandas(header).digest


def test_bad_data_in_spark_or_postgresql_gets_a_clear_error(
    spark: Any, engine: sa.Engine, postgres: Postgres
) -> None:
    suite = load_suite("ssda903/header@2024-25")
    header = _header()
    frame = spark_frame(spark, header)
    with pytest.raises(DataError, match="column 'ETHNIC' is missing from the Spark DataFrame"):
        validate_frame(frame.drop("ETHNIC"), suite)
    with pytest.raises(DataError, match="column 'DOB' holds string, not dates"):
        validate_frame(frame.withColumn("DOB", frame["DOB"].cast("string")), suite)
    with pytest.raises(DataError, match="the dataset is empty"):
        validate_frame(frame.limit(0), suite)
    with pytest.raises(DataError, match="written for collection year 2024-25"):
        validate_frame(frame, suite, collection_year="2025-26")
    text_dates = header.assign(DOB=header["DOB"].dt.strftime("%d/%m/%Y"))
    text_dates.to_sql("text_dates", engine, index=False, if_exists="replace")
    with pytest.raises(DataError, match="column 'DOB' of table 'text_dates' holds TEXT, not dates"):
        validate_frame(SqlTable(postgres.uri, "text_dates"), suite)
    header.head(0).to_sql("no_rows", engine, index=False, if_exists="replace")
    with pytest.raises(DataError, match="table 'no_rows' is empty"):
        validate_frame(SqlTable(postgres.uri, "no_rows"), suite)
    with pytest.raises(DataError, match="table 'absent' does not exist"):
        validate_frame(SqlTable(postgres.uri, "absent"), suite)
    header.drop(columns="SEX").to_sql("no_sex", engine, index=False, if_exists="replace")
    with pytest.raises(DataError, match="column 'SEX' is missing from table 'no_sex'"):
        validate_frame(SqlTable(postgres.uri, "no_sex"), suite)
    closed = SqlTable(postgres.uri.replace(str(postgres.port), "1"), "header")
    with pytest.raises(DataError, match=r"could not read table 'header'.*database is running"):
        validate_frame(closed, suite)
    assert "postgres@" not in repr(SqlTable(postgres.uri, "t"))  # no URL, no password
