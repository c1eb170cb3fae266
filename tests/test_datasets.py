"""The synthetic SSDA903 generator: valid codes, ordered dates, exact defects, real disparity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csc_mlflow import _codes as codes
from csc_mlflow._groupings import ETHNIC_CODES, GROUPINGS
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.datasets._ssda903 import EPISODE_DEFECTS, HEADER_DEFECTS


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = make_ssda903(300, seed=3), make_ssda903(300, seed=3), make_ssda903(300, seed=4)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)
    assert not a.header.equals(c.header)


@pytest.mark.parametrize("year", codes.COLLECTION_YEARS)
def test_clean_data_uses_the_years_code_lists_and_orders_dates(year: str) -> None:
    data = make_ssda903(2000, seed=1, collection_year=year)
    header, eps = data.header, data.episodes
    assert header["CHILD"].is_unique
    assert set(header["SEX"]) <= set(codes.sex_codes(year))
    assert set(header["ETHNIC"]) <= set(ETHNIC_CODES)
    assert header["UPN"].str.fullmatch(r"[A-HJ-NP-RT-Z]\d{12}|UN[1-5]").all()
    assert header["DOB"].max() <= pd.Timestamp(codes.collection_end(year))
    assert set(eps["PLACE"]) <= set(codes.placement_codes(year))
    assert set(eps["LS"]) <= set(codes.LS_CODES)
    assert set(eps["CIN"]) <= set(codes.CIN_CODES)
    assert set(eps["RNE"]) <= set(codes.RNE_CODES)
    assert set(eps["REC"].dropna()) <= set(codes.REC_CODES)
    assert set(eps["CHILD"]) <= set(header["CHILD"])
    merged = eps.merge(header[["CHILD", "DOB"]], on="CHILD")
    assert (merged["DECOM"] >= merged["DOB"]).all()
    closed = eps.dropna(subset=["DEC"])
    assert (closed["DEC"] > closed["DECOM"]).all()
    assert (eps["DEC"].isna() == eps["REC"].isna()).all()
    first = eps.groupby("CHILD").head(1)
    assert (first["RNE"] == "S").all()
    nxt = eps.groupby("CHILD")["DECOM"].shift(-1)
    follows = nxt.notna()
    assert (eps.loc[follows, "DEC"] == nxt[follows]).all()
    young = (merged["DECOM"] - merged["DOB"]).dt.days / 365.25 <= 10
    assert not merged.loc[young, "LS"].isin(("J1", "J2", "J3")).any()


def test_planted_defects_are_exact() -> None:
    wanted = {kind: 3 + i for i, kind in enumerate(HEADER_DEFECTS + EPISODE_DEFECTS)}
    data = make_ssda903(3000, seed=5, defects=wanted)
    assert dict(data.planted) == wanted
    h, e = data.header, data.episodes
    assert (h["ETHNIC"] == "XXXX").sum() == wanted["invalid_ethnicity"]
    assert h["ETHNIC"].isna().sum() == wanted["missing_ethnicity"]
    assert (h["SEX"] == "X").sum() == wanted["invalid_sex"]
    assert h["UPN"].str.fullmatch(r"I\d{5}").sum() == wanted["invalid_upn"]
    assert h["CHILD"].duplicated().sum() == wanted["duplicate_child"]
    assert (h["DOB"] > pd.Timestamp("2025-03-31")).sum() == wanted["dob_after_collection_end"]
    closed = e.dropna(subset=["DEC", "DECOM"])
    assert (closed["DEC"] < closed["DECOM"]).sum() == wanted["dec_before_decom"]
    assert (e["PLACE"] == "Q9").sum() == wanted["invalid_placement"]
    assert (e["LS"] == "C9").sum() == wanted["invalid_legal_status"]
    assert e["DECOM"].isna().sum() == wanted["missing_decom"]
    assert (e["REC"].notna() & e["DEC"].isna()).sum() == wanted["rec_without_dec"]


def test_planted_disparity_is_found_in_the_outcome() -> None:
    black = GROUPINGS["dfe_ethnicity_major"].groups["Black"]  # type: ignore[union-attr]

    def gap(disparity: dict[str, float]) -> float:
        frame = make_ssda903(20000, seed=9, disparity=disparity).modelling_frame()
        is_black = frame["ETHNIC"].isin(black)
        return float(
            frame.loc[is_black, "re_referral"].mean() - frame.loc[~is_black, "re_referral"].mean()
        )

    assert gap({"Black": 1.0}) > 0.15
    assert abs(gap({})) < 0.05


def test_scales_to_a_million_episodes_shape() -> None:
    data = make_ssda903(50_000, seed=2)
    per_child = len(data.episodes) / len(data.header)
    assert 1.2 < per_child < 2.5
    assert np.issubdtype(data.episodes["DECOM"].dtype, np.datetime64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_children": 0}, "n_children must be at least 1; found 0"),
        ({"defects": {"bad_kind": 1}}, r"unknown defect kinds \['bad_kind'\]"),
        ({"disparity": {"Purple": 1.0}}, r"unknown ethnic groups \['Purple'\]"),
        ({"collection_year": "2019-20"}, "collection_year must be one of 2022-23"),
        (
            {"n_children": 5, "defects": {"invalid_sex": 9}},
            "cannot plant 9 'invalid_sex' defects: only 5 rows",
        ),
    ],
)
def test_bad_arguments_are_explained(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_ssda903(**kwargs)  # type: ignore[arg-type]
