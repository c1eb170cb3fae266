"""A whole CIN census: the DfE XML read into the module tables, every CIN suite run on its
table joined on the child and the CIN episode, synthetic censuses with planted defects."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from csc_mlflow._cli import main
from csc_mlflow.datasets import CIN_DEFECT_KINDS, make_cin_census
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._read_cin import read_cin_census
from csc_mlflow.quality._return import return_suites, validate_return
from csc_mlflow.quality._views import table_view

TABLES = {
    "Header", "ChildIdentifiers", "ChildCharacteristics", "Disabilities", "CINdetails",
    "Assessments", "CINplanDates", "Section47", "ChildProtectionPlans", "Reviews",
}  # fmt: skip


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


@pytest.mark.parametrize(("seed", "year"), [(31, "2024-25"), (32, "2025-26")])
def test_a_clean_census_survives_the_xml_and_passes_every_rule(
    seed: int, year: str, tmp_path: Path
) -> None:
    data = make_cin_census(3000, year=year, seed=seed)
    back = read_cin_census(data.write_xml(tmp_path / "census.xml"))
    assert set(back) == TABLES
    for table, frame in data.tables.items():  # every table, row for row, through the XML
        pd.testing.assert_frame_equal(_plain(back[table]), _plain(frame), check_dtype=False)
    assert pd.api.types.is_datetime64_any_dtype(back["CINdetails"]["CINreferralDate"])
    result = validate_return(back, collection="cin", year=year)
    assert [r.rule for o in result.results for r in o.failed] == []
    assert result.not_run == ()
    assert result.rules_run >= 60
    judged = {r.suite.table for r in result.results}
    assert judged == TABLES - {"Header"}  # every module table has rules


@pytest.mark.parametrize(("kind", "rule"), sorted(CIN_DEFECT_KINDS.items()))
def test_each_planted_cin_defect_is_found_exactly_and_nothing_else(kind: str, rule: str) -> None:
    data = make_cin_census(3000, seed=7, defects={kind: 4})
    assert data.planted == {kind: 4}
    result = validate_return(data.tables, collection="cin", year="2025-26")
    failed = {(r.rule, r.unexpected_count) for o in result.results for r in o.failed}
    assert failed == {(rule, 4)}


def test_modules_join_their_own_episode_and_the_header_reaches_every_row() -> None:
    cin = pd.DataFrame(
        {"LAchildID": ["A", "A", "B"], "CINdetailsID": ["1", "2", "1"],
         "CINreferralDate": pd.to_datetime(["2024-05-01", "2024-09-01", "2024-06-01"])}
    )  # fmt: skip
    assessments = pd.DataFrame(
        {"LAchildID": ["A", "A", "B", "C"], "CINdetailsID": ["2", "1", "1", "1"]}
    )
    header = pd.DataFrame({"ReferenceDate": pd.to_datetime(["2025-03-31"])})
    tables = {"CINdetails": cin, "Assessments": assessments, "Header": header}
    view = table_view(
        tables,
        "Assessments",
        {"CINdetails": {"CINreferralDate": "REFERRAL"}, "Header": {"ReferenceDate": "REF"}},
        ("LAchildID", "CINdetailsID"),
    )
    assert list(view.index) == list(assessments.index)  # one view row per table row
    assert view["REFERRAL"].dt.strftime("%m-%d").fillna("none").tolist() == [
        "09-01", "05-01", "06-01", "none",
    ]  # fmt: skip
    assert view["REF"].notna().all()
    with pytest.raises(DataError, match="has none of the key columns LAchildID"):
        table_view(
            {"Assessments": assessments, "Other": pd.DataFrame({"x": [1]})},
            "Assessments",
            {"Other": ["x"]},
            ("LAchildID", "CINdetailsID"),
        )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_census_file_gets_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope.xml: no such file"):
        read_cin_census(tmp_path / "nope.xml")
    with pytest.raises(DataError, match=r"broken.xml: not well-formed XML"):
        read_cin_census(_write(tmp_path / "broken.xml", "<Message><Children>"))
    with pytest.raises(DataError, match=r"other.xml: not a CIN census: no <Children>"):
        read_cin_census(_write(tmp_path / "other.xml", "<Message><Header/></Message>"))
    secret = "ZQXSECRET"
    body = (
        "<Message><Children><Child><ChildIdentifiers><LAchildID>A1</LAchildID>"
        f"<PersonBirthDate>{secret}</PersonBirthDate></ChildIdentifiers></Child></Children>"
        "</Message>"
    )
    with pytest.raises(DataError) as raised:
        read_cin_census(_write(tmp_path / "dates.xml", body))
    assert "dates.xml: <PersonBirthDate> (ChildIdentifiers) has some values that are not" in str(
        raised.value
    )
    assert secret not in str(raised.value)  # the element is named, never its value
    entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = f"<?xml version='1.0'?><!DOCTYPE m [{entities}]><Message><Children>&a9;</Children></Message>"
    with pytest.raises(
        DataError, match=r"bomb.xml: not well-formed XML \(limit on input amplification"
    ):
        read_cin_census(_write(tmp_path / "bomb.xml", bomb))  # 10 GB of entities refused


def test_cli_validates_a_census_and_prints_counts_only(tmp_path: Path) -> None:
    data = make_cin_census(600, seed=5, defects={"invalid_sex": 3, "plan_ends_before_start": 6})
    path = data.write_xml(tmp_path / "census.xml")
    runner = CliRunner()
    args = ["dq", "validate", str(path), "--collection", "cin", "--year", "2025-26"]
    result = runner.invoke(main, args)
    assert result.exit_code == 3, result.output
    first = result.output.splitlines()[0]
    assert "cin return 2025-26, 10 tables" in first
    assert "FAILED" in first
    assert re.search(r"CIN-4180\s+error\s+FAIL\s+\d+\s+c\s", result.output)  # 3: withheld
    assert re.search(r"CIN-8925\s+error\s+FAIL\s+\d+\s+6\s", result.output)
    identifiers = data.tables["ChildIdentifiers"]
    for value in [*identifiers["LAchildID"], *identifiers["UPN"]]:
        assert str(value) not in result.output
    folder = runner.invoke(
        main, ["dq", "validate", str(tmp_path), "--collection", "cin", "--year", "2025-26"]
    )
    assert folder.exit_code == 3  # the folder's one census
    (tmp_path / "second.xml").write_text("<Message/>")
    two = runner.invoke(
        main, ["dq", "validate", str(tmp_path), "--collection", "cin", "--year", "2025-26"]
    )
    assert two.exit_code == 2
    assert "expected one CIN census .xml file in the folder; found 2" in two.output
    bare = runner.invoke(main, ["dq", "validate", str(path)])
    assert bare.exit_code == 2
    assert "is a CIN census: give --collection (903 or cin) and --year" in bare.output
    last = runner.invoke(main, [*args, "--last-year", str(tmp_path)])
    assert last.exit_code == 2
    assert "no shipped CIN census rule compares years" in last.output
    clean = make_cin_census(300, seed=2).write_xml(tmp_path / "clean.xml")
    ok = runner.invoke(
        main, ["dq", "validate", str(clean), "--collection", "cin", "--year", "2025-26"]
    )
    assert ok.exit_code == 0, ok.output


def test_cin_suites_exist_for_both_years_and_bad_generator_input_is_named() -> None:
    for year in ("2024-25", "2025-26"):
        assert {s.table for s in return_suites("cin", year)} == TABLES - {"Header"}
    with pytest.raises(DataError, match="unknown CIN defect 'nope'"):
        make_cin_census(100, defects={"nope": 1})
    with pytest.raises(DataError, match="expected a whole number from 0 to 10"):
        make_cin_census(100, defects={"invalid_sex": 11})
