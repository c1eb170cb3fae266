"""A whole SSDA903 return: read from the DfE CSV files, every suite run on its table or view."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._read_return import read_return
from csc_mlflow.quality._return import validate_return


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ssda903(600, seed=11).write_return(tmp_path_factory.mktemp("clean"))


def test_a_return_folder_is_read_by_its_columns_with_dates_parsed(clean: Path) -> None:
    (clean / "header.csv").rename(clean / "H.csv")  # names do not matter; columns do
    try:
        tables = read_return(clean)
    finally:
        (clean / "H.csv").rename(clean / "header.csv")
    assert set(tables) == {
        "Header", "Episodes", "Reviews", "UASC", "OC2", "OC3", "AD1", "PlacedAdoption",
        "PrevPerm", "Missing",
    }  # fmt: skip
    assert pd.api.types.is_datetime64_any_dtype(tables["Episodes"]["DECOM"])
    assert pd.api.types.is_datetime64_any_dtype(tables["Header"]["DOB"])


def test_a_clean_return_passes_and_reports_the_tables_it_does_not_have(clean: Path) -> None:
    result = validate_return(read_return(clean), collection="903", year="2024-25")
    assert result.status == "passed"
    assert len(result.results) == 12  # every suite of the year but last year's
    assert result.rules_run >= 150
    assert sorted(n.reason for n in result.not_run) == [
        "last year's return has no Episodes table",
        "last year's return has no Episodes table",
        "last year's return has no Header table",
    ]
    (clean / "oc3.csv").rename(clean / "oc3.bak")
    try:
        partial = validate_return(read_return(clean), collection="903", year="2024-25")
    finally:
        (clean / "oc3.bak").rename(clean / "oc3.csv")
    assert "the return has no OC3 table" in {n.reason for n in partial.not_run}


def test_every_table_of_a_return_is_validated_by_its_suite() -> None:
    data = make_ssda903(100, seed=2)
    oc3 = pd.DataFrame(
        {"CHILD": data.header["CHILD"].head(3).tolist(), "DOB": data.header["DOB"].head(3),
         "IN_TOUCH": ["YES", "DIED", "NO"], "ACTIV": ["F1", "F1", "0"], "ACCOM": ["B1", "0", None]}
    ).reset_index(drop=True)  # fmt: skip
    tables = {"Header": data.header, "Episodes": data.episodes, "OC3": oc3}
    result = validate_return(tables, collection="903", year="2024-25")
    failed = {r.rule for outcome in result.results for r in outcome.failed}
    assert failed == {"903-344", "903-133", "903-153"}
    assert result.status == "failed"


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"Episodes": pd.DataFrame({"CHILD": ["1"]})}, "the return has no Header table"),
        ({"Heder": pd.DataFrame()}, "unknown table 'Heder'.*Did you mean Header"),
        ({"Header": [1, 2]}, "table 'Header': expected a pandas DataFrame; found list"),
    ],
    ids=["no-header", "misspelt", "not-a-frame"],
)
def test_a_return_that_cannot_be_validated_says_why(tables: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        validate_return(tables, collection="903", year="2024-25")


def test_an_unknown_collection_or_year_is_named() -> None:
    with pytest.raises(DataError, match="unknown collection 'xyz'"):
        validate_return({}, collection="xyz", year="2024-25")
    with pytest.raises(DataError, match="no shipped ssda903 suites for collection year '1999-00'"):
        validate_return({}, collection="903", year="1999-00")


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)


def test_a_bad_return_folder_gets_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        read_return(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"no \.csv files"):
        read_return(tmp_path)
    _write(tmp_path / "a", "odd.csv", "CHILD,DOB,IN_TOUCH\n1,01/01/2000,YES\n")
    with pytest.raises(DataError, match=r"odd.csv: not an SSDA903 table.*OC3's.*ACTIV, ACCOM"):
        read_return(tmp_path / "a")
    head = "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n"
    _write(tmp_path / "b", "one.csv", head + "1,01/01/2000,YES,F1,B1\n")
    _write(tmp_path / "b", "two.csv", head)
    with pytest.raises(DataError, match=r"two.csv: a second OC3 table \(the first is one.csv\)"):
        read_return(tmp_path / "b")
    _write(tmp_path / "c", "oc3.csv", head + "1,31/02/2000,YES,F1,B1\n2,2001-01-01,NO,0,0\n")
    with pytest.raises(
        DataError, match=r"oc3.csv: column 'DOB' has a few \(1 to 5\) values that are not"
    ):
        read_return(tmp_path / "c")


def test_cli_validates_a_return_folder_and_prints_counts_only(tmp_path: Path) -> None:
    data = make_ssda903(400, seed=6, defects={"invalid_placement": 3})
    folder = data.write_return(tmp_path / "return")
    (folder / "oc3.csv").unlink()
    runner = CliRunner()
    args = ["dq", "validate", str(folder), "--collection", "903", "--year", "2024-25"]
    result = runner.invoke(main, args)
    assert result.exit_code == 3, result.output
    assert "FAILED" in result.output.splitlines()[0]
    assert re.search(r"903-146\s+error\s+FAIL\s+\d+\s+c\s", result.output)  # 3: withheld
    assert "not run: ssda903/oc3@2024-25 (9 rules): the return has no OC3 table" in result.output
    assert "rules not run, listed at the end)" in result.output.splitlines()[0]
    upns = [u for u in data.header["UPN"] if not str(u).startswith("UN")]
    for value in [*data.episodes["CHILD"], *upns, *data.episodes["PL_POST"].dropna()]:
        assert str(value) not in result.output
    as_json = runner.invoke(main, [*args, "--json"])
    assert as_json.exit_code == 3
    assert '"status": "failed"' in as_json.output
    clean = make_ssda903(300, seed=1).write_return(tmp_path / "clean")
    ok = runner.invoke(
        main, ["dq", "validate", str(clean), "--collection", "903", "--year", "2024-25"]
    )
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(main, ["dq", "validate", str(clean)])
    assert missing.exit_code == 2
    assert "give --collection (903 or cin) and --year" in missing.output


@pytest.mark.parametrize(("seed", "year"), [(21, "2023-24"), (22, "2024-25"), (23, "2025-26")])
def test_clean_synthetic_returns_pass_every_rule(seed: int, year: str) -> None:
    data = make_ssda903(8000, seed=seed, collection_year=year)
    result = validate_return(data.tables, collection="903", year=year)
    assert [r.rule for o in result.results for r in o.failed] == []
    assert {r.suite.table for r in result.results} == set(data.tables)  # every table judged


def test_last_years_return_checks_the_episode_left_open() -> None:
    data = make_ssda903(300, seed=5)
    firsts = data.episodes.drop_duplicates("CHILD").head(3)
    last = firsts.assign(DECOM=firsts["DECOM"], DEC=pd.NaT)  # open at last year's end
    last.loc[last.index[0], "LS"] = "V2" if last["LS"].iloc[0] != "V2" else "C2"
    tables = {"Header": data.header, "Episodes": data.episodes}
    result = validate_return(tables, collection="903", year="2024-25", last_year={"Episodes": last})
    failed = {r.rule: r.unexpected_count for o in result.results for r in o.failed}
    assert failed == {"903-503B": 1}
    without = validate_return(tables, collection="903", year="2024-25")
    assert "last year's return has no Episodes table" in {n.reason for n in without.not_run}


def test_no_count_of_one_to_five_leaves_in_evidence_or_output(tmp_path: Path) -> None:
    from csc_mlflow.quality._log import payload

    data = make_ssda903(2000, seed=9, defects={"invalid_sex": 3, "invalid_placement": 7})
    tables = {"Header": data.header, "Episodes": data.episodes}
    result = validate_return(tables, collection="903", year="2024-25")
    for outcome in result.results:
        body = payload(outcome, name="attack", digest=None)
        for rule in body.rules:
            for key in ("element_count", "unexpected_count", "missing_count"):
                assert getattr(rule, key) not in range(1, 6), (rule.rule, key)
            if rule.unexpected_count is None and rule.element_count:
                assert rule.unexpected_percent is None, rule.rule  # else count = % x rows
        for reason in body.reasons:
            assert not re.search(r"Failed for [1-5] of", reason), reason
    sex = next(r for o in result.results for r in o.failed if r.rule == "903-101")
    assert sex.unexpected_count == 3  # the exact figure stays in the process
    placement = next(
        r
        for o in result.results
        for r in payload(o, name="x", digest=None).rules
        if r.rule == "903-146" and not r.success
    )
    assert placement.unexpected_count == 7  # six or more is shown
    assert placement.suppressed == ()
    folder = data.write_return(tmp_path / "r")
    out = (
        CliRunner()
        .invoke(main, ["dq", "validate", str(folder), "--collection", "903", "--year", "2024-25"])
        .output
    )
    assert re.search(r"903-101\s+error\s+FAIL\s+\d+\s+c\s", out)
    assert "c: a count of 1 to 5, withheld" in out
    for line in out.splitlines():
        assert not re.search(r"\s[1-5]\s+\d+\.\d\d\s", line), line


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("review_code_for_age", "903-440"),
        ("in_touch_without_activity", "903-345"),
        ("missing_end_before_start", "903-567"),
        ("single_adopter_as_couple", "903-514"),
    ],
)
def test_each_planted_table_defect_is_found_exactly_and_nothing_else(kind: str, rule: str) -> None:
    data = make_ssda903(10000, seed=8, defects={kind: 3})
    assert data.planted[kind] == 3
    result = validate_return(data.tables, collection="903", year="2024-25")
    failed = {(r.rule, r.unexpected_count) for o in result.results for r in o.failed}
    assert failed == {(rule, 3)}


def test_a_date_a_rule_judges_is_kept_for_the_rule_and_others_stop_the_reading(
    tmp_path: Path,
) -> None:
    data = make_ssda903(400, seed=12)
    folder = data.write_return(tmp_path / "r")
    episodes = (folder / "episodes.csv").read_text().splitlines()
    closed = [i for i, line in enumerate(episodes) if i and line.split(",")[7]]
    for i in closed[:7]:  # 903-147: seven DECs that are not dates
        cells = episodes[i].split(",")
        cells[7] = "31/02/2024" if i % 2 else "2024-13-01"
        episodes[i] = ",".join(cells)
    (folder / "episodes.csv").write_text("\n".join(episodes) + "\n")
    tables = read_return(folder)
    assert int(tables["Episodes"]["DEC__unreadable"].sum()) == 7
    result = validate_return(tables, collection="903", year="2024-25")
    failed = {r.rule: r.unexpected_count for o in result.results for r in o.failed}
    assert failed["903-147"] == 7
    out = CliRunner().invoke(
        main, ["dq", "validate", str(folder), "--collection", "903", "--year", "2024-25"]
    )
    assert out.exit_code == 3
    assert re.search(r"903-147\s+error\s+FAIL\s+\d+\s+7\s", out.output)
    assert "31/02/2024" not in out.output
    header = (folder / "header.csv").read_text().splitlines()
    cells = header[1].split(",")
    cells[2] = "31/02/2010"  # DOB: no rule judges an unreadable one, so reading stops
    header[1] = ",".join(cells)
    (folder / "header.csv").write_text("\n".join(header) + "\n")
    with pytest.raises(
        DataError, match=r"header.csv: column 'DOB' has a few \(1 to 5\) values that are not"
    ):
        read_return(folder)


def test_last_years_header_checks_what_should_not_change_reading_old_sex_codes() -> None:
    data = make_ssda903(300, seed=13)
    header = data.header.drop_duplicates("CHILD").reset_index(drop=True)
    last = header.head(40).copy()
    last["SEX"] = last["SEX"].map({"M": "1", "F": "2"})  # 2023-24 codes, the same children
    tables = {"Header": header, "Episodes": data.episodes}
    result = validate_return(tables, collection="903", year="2024-25", last_year={"Header": last})
    assert [r.rule for o in result.results for r in o.failed] == []
    coded = last.index[last["SEX"].isin(["1", "2"])][:3]  # three whose sex differs
    last.loc[coded, "SEX"] = last.loc[coded, "SEX"].map({"1": "2", "2": "1"})
    last.loc[last.index[3:10], "ETHNIC"] = "REFU"  # seven whose ethnicity differs
    last.loc[last.index[3:10], "ETHNIC"] = last.loc[last.index[3:10], "ETHNIC"].where(
        header.loc[header.index[3:10], "ETHNIC"].ne("REFU"), "NOBT"
    )
    result = validate_return(tables, collection="903", year="2024-25", last_year={"Header": last})
    failed: dict[str, int] = {}
    for rule in (r for o in result.results for r in o.failed):  # 202 is three expectations
        failed[rule.rule] = failed.get(rule.rule, 0) + int(rule.unexpected_count or 0)
    assert failed == {"903-202": 3, "903-204": 7}


@pytest.mark.parametrize(("seed", "year"), [(41, "2023-24"), (42, "2024-25"), (43, "2025-26")])
def test_a_synthetic_last_year_agrees_with_this_year_and_a_change_is_found_exactly(
    seed: int, year: str
) -> None:
    data = make_ssda903(4000, seed=seed, collection_year=year)
    last = data.last_year()
    result = validate_return(data.tables, collection="903", year=year, last_year=last)
    assert [r.rule for o in result.results for r in o.failed] == []
    (placement,) = result.not_run  # every other suite ran, last year's two included
    assert placement.suite == f"ssda903/episodes_last_year_placement@{year}"
    assert placement.reason.startswith("the Episodes.PL_DISTANCE column is missing: PL_DISTANCE")
    changed = last["Episodes"].copy()
    moved = changed.index[changed["LS"].ne("C2")][:4]
    changed.loc[moved, "LS"] = "C2"  # four children's legal status differs across the years
    spoiled = validate_return(
        data.tables, collection="903", year=year, last_year={**last, "Episodes": changed}
    )
    assert {(r.rule, r.unexpected_count) for o in spoiled.results for r in o.failed} == {
        ("903-503B", 4)
    }


def test_cli_reads_last_years_return_from_its_folder(tmp_path: Path) -> None:
    data = make_ssda903(500, seed=44)
    this = data.write_return(tmp_path / "this")
    last = data.write_return(tmp_path / "last", last_year=True)
    assert sorted(p.name for p in last.iterdir()) == ["episodes.csv", "header.csv"]
    args = ["dq", "validate", str(this), "--collection", "903", "--year", "2024-25"]
    out = CliRunner().invoke(main, [*args, "--last-year", str(last)])
    assert out.exit_code == 0, out.output
    assert "last year's return has no" not in out.output


def test_placement_rules_across_years_run_when_the_derived_placement_columns_are_given() -> None:
    data = make_ssda903(3000, seed=45)
    last = data.last_year()
    this = dict(data.tables)
    places = {"PL_DISTANCE": 3.5, "PL_LA": "E09000027", "PL_LOCATION": "IN"}
    this["Episodes"] = data.episodes.assign(**places)
    before = last["Episodes"].assign(**places)
    changed = before.index[:5]
    before.loc[changed[:2], "PL_LA"] = "E09000001"  # 503H: two
    before.loc[changed[2:], "PL_DISTANCE"] = 3.8  # 503G: three moved 0.3 miles
    result = validate_return(
        this, collection="903", year="2024-25", last_year={**last, "Episodes": before}
    )
    assert result.not_run == ()
    failed = {(r.rule, r.unexpected_count) for o in result.results for r in o.failed}
    assert failed == {("903-503H", 2), ("903-503G", 3)}
