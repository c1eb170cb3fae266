"""Dates read from CSV by one rule per column: ISO or dd/mm/YYYY, detected and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.exceptions import DataError
from csc_mlflow.quality._dates import DFE, ISO, read_dates
from csc_mlflow.quality._read_return import read_return

SUITE = "ssda903/episodes@2024-25"


def _write(data: object, folder: Path, form: str) -> tuple[Path, Path]:
    """The generator's Episodes and Header as CSV, every date written in ``form``."""
    folder.mkdir()
    paths = []
    for name in ("episodes", "header"):
        table = getattr(data, name).copy()
        for column in table.columns:
            if pd.api.types.is_datetime64_any_dtype(table[column]):
                fmt = "%Y-%m-%d" if form == ISO else "%d/%m/%Y"
                table[column] = table[column].dt.strftime(fmt)
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def _validate(episodes: Path, header: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(
        main,
        ["dq", "validate", str(episodes), "--suite", SUITE, "--header", str(header), "--json"],
    )
    return result.exit_code, json.loads(result.output) if result.exit_code in (0, 3) else {}


def test_iso_and_dfe_files_of_the_same_data_give_the_same_result(tmp_path: Path) -> None:
    # The defect: ISO dates were read day first, so 2024-03-05 became 3 May and a clean file
    # failed 903-356 and 903-385.
    data = make_ssda903(2_000, seed=3, collection_year="2024-25")
    iso = _write(data, tmp_path / "iso", ISO)
    dfe = _write(data, tmp_path / "dfe", DFE)
    iso_code, iso_out = _validate(*iso)
    dfe_code, dfe_out = _validate(*dfe)
    assert iso_code == dfe_code
    assert iso_out["rules"] == dfe_out["rules"]
    failing = {r["rule"] for r in iso_out["rules"] if not r["success"]}
    assert not failing & {"903-356", "903-385"}
    assert iso_out["date_forms"]["DECOM"] == ISO
    assert iso_out["date_forms"]["Header DOB"] == ISO
    assert dfe_out["date_forms"]["DECOM"] == DFE


def test_the_forms_read_are_reported(tmp_path: Path) -> None:
    data = make_ssda903(300, seed=4, collection_year="2024-25")
    episodes, header = _write(data, tmp_path / "iso", ISO)
    result = CliRunner().invoke(
        main, ["dq", "validate", str(episodes), "--suite", SUITE, "--header", str(header)]
    )
    assert "dates read as: DEC YYYY-MM-DD, DECOM YYYY-MM-DD, Header DOB YYYY-MM-DD" in result.output


def test_a_column_mixing_both_forms_is_an_error_naming_it(tmp_path: Path) -> None:
    data = make_ssda903(300, seed=5, collection_year="2024-25")
    episodes, header = _write(data, tmp_path / "mixed", DFE)
    table = pd.read_csv(episodes, dtype=str)
    first = pd.to_datetime(table.loc[0, "DECOM"], format="%d/%m/%Y")
    table.loc[0, "DECOM"] = first.strftime("%Y-%m-%d")
    table.to_csv(episodes, index=False)
    result = CliRunner().invoke(
        main, ["dq", "validate", str(episodes), "--suite", SUITE, "--header", str(header)]
    )
    assert result.exit_code == 1
    assert f"{episodes}: column 'DECOM' holds dates written both as YYYY-MM-DD and" in result.output
    assert first.strftime("%Y-%m-%d") not in result.output  # no cell is quoted


def test_a_return_folder_reads_either_form_and_refuses_a_mix(tmp_path: Path) -> None:
    data = make_ssda903(300, seed=6, collection_year="2024-25")
    for form in (ISO, DFE):
        folder = tmp_path / form.replace("/", "")
        _write(data, folder, form)
        tables = read_return(folder)
        assert tables["Header"]["DOB"].notna().all()
    iso_tables = read_return(tmp_path / ISO.replace("/", ""))
    dfe_tables = read_return(tmp_path / DFE.replace("/", ""))
    assert (iso_tables["Episodes"]["DECOM"] == dfe_tables["Episodes"]["DECOM"]).all()
    path = tmp_path / ISO.replace("/", "") / "header.csv"
    table = pd.read_csv(path, dtype=str)
    table.loc[0, "DOB"] = pd.to_datetime(table.loc[0, "DOB"]).strftime("%d/%m/%Y")
    table.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'DOB' holds dates written both"):
        read_return(tmp_path / ISO.replace("/", ""))


@pytest.mark.parametrize(
    ("cells", "form", "unreadable"),
    [
        (["2024-03-05", "2023-12-31", None, ""], ISO, [0, 0, 0, 0]),
        (["05/03/2024", "5/3/2024", None], DFE, [0, 0, 0]),
        (["31/02/2024", "01/03/2024"], DFE, [1, 0]),
        (["2024-13-01", "01/03/2024"], DFE, [1, 0]),  # shaped like ISO, but no date
        (["2024-13-01", "2024-01-01"], ISO, [1, 0]),
        (["unknown", "2024-01-01"], ISO, [1, 0]),
        ([None, ""], None, [0, 0]),
    ],
)
def test_read_dates_cell_by_cell(cells: list, form: str | None, unreadable: list[int]) -> None:
    read = read_dates(
        pd.Series(cells, dtype=object), path="f.csv", column="D", keep_unreadable=True
    )
    assert read.form == form
    assert read.unreadable.tolist() == unreadable
    if form == DFE:
        assert read.dates.iloc[1] == pd.Timestamp("2024-03-01" if unreadable[0] else "2024-03-05")


def test_a_few_unreadable_dates_are_not_counted_exactly(tmp_path: Path) -> None:
    # 1 to 5 rows is a small count: the error says "a few", never the number.
    cells = pd.Series(["2024-01-01"] * 20 + ["2024-02-30"] * 3)
    with pytest.raises(DataError) as caught:
        read_dates(cells, path="f.csv", column="DOB")
    assert "a few (1 to 5) values that are not dates (expected YYYY-MM-DD" in str(caught.value)
    assert " 3 " not in str(caught.value)
    with pytest.raises(DataError, match="has 8 values"):
        read_dates(pd.Series(["2024-01-01"] * 20 + ["2024-02-30"] * 8), path="f.csv", column="D")
