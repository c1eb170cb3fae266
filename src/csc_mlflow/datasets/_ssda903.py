"""Fully synthetic SSDA903-like data: children (Header) and their care episodes.

Nothing here comes from a real child. Codes come from the DfE code lists for the collection
year; dates are in order (DOB before the first DECOM, DECOM before DEC, each episode starting
the day the previous one ended). Generation is vectorised, so millions of episodes take
seconds. Data-quality defects can be planted in exact numbers, and an outcome disparity
between ethnic groups can be planted in the modelling frame, so the checks built on top have
something true to find.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from csc_mlflow import _codes as codes
from csc_mlflow._groupings import GROUPINGS, CodeGroupingDefinition
from csc_mlflow.datasets._tables import other_tables
from csc_mlflow.exceptions import UsageError

__all__ = ["DEFECT_KINDS", "SyntheticSSDA903", "make_ssda903"]

HEADER_DEFECTS: Final = (
    "invalid_ethnicity",
    "missing_ethnicity",
    "invalid_sex",
    "invalid_upn",
    "duplicate_child",
    "dob_after_collection_end",
)
EPISODE_DEFECTS: Final = (
    "dec_before_decom",
    "invalid_placement",
    "invalid_legal_status",
    "missing_decom",
    "rec_without_dec",
)
TABLE_DEFECTS: Final = (
    "review_code_for_age",
    "in_touch_without_activity",
    "missing_end_before_start",
    "single_adopter_as_couple",
)
"""Defects in the other tables: PN0 for a child of 4 or over at the review (903-440); in
touch (YES) with activity 0 (903-345); a missing episode ending before it starts (903-567);
a single adopter (L0) coded as a couple MM (903-514)."""
DEFECT_KINDS: Final = HEADER_DEFECTS + EPISODE_DEFECTS + TABLE_DEFECTS

_ETHNIC_WEIGHTS: Final = {
    "WBRI": 0.64,
    "WIRI": 0.002,
    "WIRT": 0.004,
    "WOTH": 0.05,
    "WROM": 0.006,
    "MWBC": 0.035,
    "MWBA": 0.012,
    "MWAS": 0.01,
    "MOTH": 0.03,
    "AIND": 0.008,
    "APKN": 0.014,
    "ABAN": 0.007,
    "AOTH": 0.022,
    "BCRB": 0.014,
    "BAFR": 0.04,
    "BOTH": 0.014,
    "CHNE": 0.002,
    "OOTH": 0.035,
    "REFU": 0.005,
    "NOBT": 0.01,
}
_LS_WEIGHTS: Final = {
    "C1": 0.15,
    "C2": 0.44,
    "D1": 0.002,
    "E1": 0.07,
    "V2": 0.2,
    "V3": 0.02,
    "V4": 0.02,
    "L1": 0.02,
    "L2": 0.01,
    "L3": 0.003,
    "J1": 0.01,
    "J2": 0.02,
    "J3": 0.005,
}
_CIN_WEIGHTS: Final = {
    "N1": 0.64,
    "N2": 0.03,
    "N3": 0.03,
    "N4": 0.08,
    "N5": 0.14,
    "N6": 0.02,
    "N7": 0.005,
    "N8": 0.055,
}
_RNE_LATER: Final = {"P": 0.605, "L": 0.27, "T": 0.1, "B": 0.02, "U": 0.005}
_REC_FINAL: Final = {
    "E4A": 0.25,
    "E4B": 0.05,
    "E11": 0.05,
    "E12": 0.02,
    "E13": 0.05,
    "E41": 0.05,
    "E45": 0.05,
    "E46": 0.02,
    "E47": 0.02,
    "E48": 0.02,
    "E5": 0.12,
    "E6": 0.03,
    "E7": 0.01,
    "E9": 0.02,
    "E17": 0.05,
    "E3": 0.03,
    "E8": 0.11,
    "E15": 0.01,
    "E16": 0.01,
    "E14": 0.01,
    "E2": 0.01,
}
_UPN_LETTERS: Final = tuple("ABCDEFGHJKLMNPQRTUVWXYZ")


def _weighted(
    values: Mapping[str, float], allowed: tuple[str, ...] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    keys = [k for k in values if allowed is None or k in allowed]
    weights = np.array([values[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object), weights / weights.sum()


def _placement_weights(year: str) -> tuple[np.ndarray, np.ndarray]:
    valid = codes.placement_codes(year)
    base = {c: 0.005 for c in valid}
    base.update(
        {
            "U1": 0.06,
            "U2": 0.01,
            "U3": 0.08,
            "U4": 0.12,
            "U5": 0.02,
            "U6": 0.36,
            "K2": 0.11,
            "P1": 0.06,
            "R1": 0.01,
            "A5": 0.02,
            "A6": 0.02,
        }
    )
    for code in ("H5", "K3", "Z11"):
        if code in valid:
            base[code] = 0.05
    return _weighted({c: w for c, w in base.items() if c in valid})


@dataclass(frozen=True)
class SyntheticSSDA903:
    """A synthetic SSDA903 return (``.tables``), with a record of the defects planted."""

    header: pd.DataFrame
    episodes: pd.DataFrame
    collection_year: str
    seed: int
    planted: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    disparity: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    others: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    """Reviews, UASC, OC2, OC3, AD1, PlacedAdoption, PrevPerm and Missing, consistent with
    the Header and Episodes (made before any defect was planted)."""

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the return by DfE name, as ``validate_return`` takes them."""
        return {"Header": self.header, "Episodes": self.episodes, **self.others}

    def last_year(self) -> dict[str, pd.DataFrame]:
        """Last year's return, as far as this year's rules read it (``Header`` and
        ``Episodes``): every child whose first episode this year began before the year did has
        that episode open at the end of last year, with the same codes (502, 503A-F), and the
        Header facts that do not change (202-207), sex in last year's codes (1 and 2 until
        2023-24). Pass it to ``validate_return(..., last_year=...)`` or write it with
        ``write_return(folder, last_year=True)``."""
        start = (
            pd.Timestamp(codes.collection_end(self.collection_year))
            - pd.DateOffset(years=1)
            + pd.Timedelta(days=1)
        )
        episodes = self.episodes.sort_values(["CHILD", "DECOM"], kind="stable")
        first = episodes.drop_duplicates("CHILD")
        carried = first.loc[first["DECOM"] < start].copy()
        carried["DEC"] = pd.NaT
        carried[["REC", "REASON_PLACE_CHANGE"]] = None
        header = self.header.loc[self.header["CHILD"].isin(carried["CHILD"])].copy()
        if self.collection_year == "2024-25":  # last year's return coded sex 1 and 2
            header["SEX"] = header["SEX"].map({"M": "1", "F": "2"})
        return {
            "Header": header.reset_index(drop=True),
            "Episodes": carried.reset_index(drop=True),
        }

    def write_return(self, folder: str | Path, *, last_year: bool = False) -> Path:
        """Write every table as the DfE CSV files of an SSDA903 return (``header.csv``,
        ``episodes.csv``, ``oc2.csv``, ...; dates ``dd/mm/YYYY``), as ``csc-mlflow dq validate
        FOLDER`` reads them (``last_year``: last year's return, for ``--last-year``). Returns
        the folder."""
        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        for name, frame in (self.last_year() if last_year else self.tables).items():
            out = frame[list(codes.SSDA903_TABLES[name])].copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = out[column].dt.strftime("%d/%m/%Y")
            out.to_csv(root / f"{name.lower()}.csv", index=False)
        return root

    def modelling_frame(self) -> pd.DataFrame:
        """One row per child: features, sensitive columns and the outcome ``re_referral``.

        The outcome is drawn from a logistic model of the child's care history; a planted
        disparity adds its log-odds shift for children in the named DfE ethnic major group.
        """
        rng = np.random.default_rng(self.seed + 1)
        header = self.header.drop_duplicates("CHILD")
        eps = self.episodes
        grouped = eps.groupby("CHILD", sort=False)
        first = grouped["DECOM"].min()
        last = eps.drop_duplicates("CHILD", keep="last").set_index("CHILD")
        stats = pd.DataFrame(
            {
                "n_episodes": grouped.size(),
                "n_moves": eps["RNE"]
                .isin(("P", "T", "B", "U"))
                .groupby(eps["CHILD"], sort=False)
                .sum()
                .astype(int),
                "first_decom": first,
                "ls_latest": last["LS"],
                "cin": last["CIN"],
                "place_latest": last["PLACE"],
            }
        )
        frame = header.set_index("CHILD").join(stats, how="inner").reset_index()
        age = (frame["first_decom"] - frame["DOB"]).dt.days / 365.25
        frame["age_at_entry"] = age.round(2)
        frame = frame.drop(columns=["first_decom", "UPN", "MC_DOB", "MOTHER"])
        logit = (
            -1.4
            + 0.35 * (frame["n_episodes"].to_numpy() - 1)
            + 0.15 * frame["n_moves"].to_numpy()
            + 0.5 * (frame["cin"] == "N1").to_numpy()
            - 0.03 * frame["age_at_entry"].fillna(0).to_numpy()
            + 0.4 * frame["ls_latest"].isin(("V2", "V3", "V4")).to_numpy()
        )
        if self.disparity:
            grouping = GROUPINGS["dfe_ethnicity_major"]
            assert isinstance(grouping, CodeGroupingDefinition)
            for group, shift in self.disparity.items():
                members = frame["ETHNIC"].isin(grouping.groups[group]).to_numpy()
                logit = logit + shift * members
        probability = 1.0 / (1.0 + np.exp(-logit))
        frame["re_referral"] = (rng.random(len(frame)) < probability).astype(int)
        return frame


def make_ssda903(
    n_children: int = 1000,
    *,
    seed: int = 0,
    collection_year: str = "2024-25",
    defects: Mapping[str, int] | None = None,
    disparity: Mapping[str, float] | None = None,
) -> SyntheticSSDA903:
    """Generate a synthetic SSDA903 return: Header and Episodes, and (``.others``) Reviews,
    UASC, OC2, OC3, AD1, PlacedAdoption, PrevPerm and Missing consistent with them.

    Parameters
    ----------
    n_children : int
        Children in the Header table; episodes average about 1.5 a child.
    seed : int
        Same seed, same data.
    collection_year : str
        Decides the code lists (sex codes changed in 2024-25, placement codes in 2023-24 and
        2025-26) and the collection window.
    defects : mapping of str to int, optional
        Exact numbers of rows to spoil, by kind (see ``DEFECT_KINDS``). Rows spoiled for
        different kinds never overlap within a table.
    disparity : mapping of str to float, optional
        Log-odds added to the outcome for children in a DfE ethnic major group, e.g.
        ``{"Black": 0.8}``.

    Examples
    --------
    >>> data = make_ssda903(200, seed=1, defects={"invalid_ethnicity": 3})
    >>> len(data.header), data.planted["invalid_ethnicity"]
    (200, 3)
    """
    if n_children < 1:
        raise UsageError(f"n_children must be at least 1; found {n_children}", key="n_children")
    defects = dict(defects or {})
    unknown = sorted(set(defects) - set(DEFECT_KINDS))
    if unknown:
        raise UsageError(
            f"unknown defect kinds {unknown}; expected some of {', '.join(DEFECT_KINDS)}",
            key="defects",
        )
    disparity = dict(disparity or {})
    major = GROUPINGS["dfe_ethnicity_major"]
    assert isinstance(major, CodeGroupingDefinition)
    unknown = sorted(set(disparity) - set(major.groups))
    if unknown:
        raise UsageError(
            f"unknown ethnic groups {unknown}; expected some of {', '.join(major.groups)}",
            key="disparity",
        )

    rng = np.random.default_rng(seed)
    end = np.datetime64(codes.collection_end(collection_year))
    header = _make_header(rng, n_children, collection_year, end)
    episodes = _make_episodes(rng, header, collection_year, end)
    planted: dict[str, int] = {}
    others = other_tables(np.random.default_rng(seed + 1), header, episodes, collection_year)
    others = _plant_tables(rng, others, defects, planted)
    header = _plant_header(rng, header, defects, end, planted)
    episodes = _plant_episodes(rng, episodes, defects, planted)
    return SyntheticSSDA903(
        header=header,
        episodes=episodes,
        collection_year=collection_year,
        seed=seed,
        planted=MappingProxyType(planted),
        disparity=MappingProxyType(disparity),
        others=MappingProxyType(others),
    )


def _make_header(rng: np.random.Generator, n: int, year: str, end: np.datetime64) -> pd.DataFrame:
    ids = rng.permutation(n) + 10_000_000
    child = np.char.add("C", ids.astype(str)).astype(object)
    age_days = rng.integers(0, 18 * 365, size=n)
    dob = end - age_days.astype("timedelta64[D]")
    sex_codes = codes.sex_codes(year)
    if len(sex_codes) == 3:
        # U (unknown) is valid but draws the DfE query 903-232: clean data has none.
        sex = rng.choice(np.array(sex_codes, dtype=object), size=n, p=[0.54, 0.46, 0.0])
    else:
        sex = rng.choice(np.array(sex_codes, dtype=object), size=n, p=[0.54, 0.46])
    ethnic_keys, ethnic_p = _weighted(_ETHNIC_WEIGHTS)
    ethnic = rng.choice(ethnic_keys, size=n, p=ethnic_p)
    letters = rng.choice(np.array(_UPN_LETTERS, dtype=object), size=n)
    digits = rng.integers(0, 10**12, size=n, dtype=np.int64)
    upn = np.char.add(letters.astype(str), np.char.zfill(digits.astype(str), 12)).astype(object)
    unknown = rng.random(n) < 0.03
    upn[unknown] = rng.choice(
        np.array(codes.UPN_UNKNOWN_CODES, dtype=object), size=int(unknown.sum())
    )
    female = np.isin(sex, ("F", "2"))
    mother = np.where(female & (age_days > 14 * 365) & (rng.random(n) < 0.03), 1, 0)
    mc_dob = np.where(
        mother == 1,
        end - rng.integers(30, 700, size=n).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )
    uasc = ((age_days > 13 * 365) & (rng.random(n) < 0.12)).astype(int)
    return pd.DataFrame(
        {
            "CHILD": child,
            "SEX": sex,
            "DOB": pd.to_datetime(dob),
            "ETHNIC": ethnic,
            "UPN": upn,
            "MOTHER": mother,
            "MC_DOB": pd.to_datetime(mc_dob),
            "UASC": uasc,
        }
    )


def _make_episodes(
    rng: np.random.Generator, header: pd.DataFrame, year: str, end: np.datetime64
) -> pd.DataFrame:
    n = len(header)
    dob = header["DOB"].to_numpy().astype("datetime64[D]")
    counts = np.minimum(1 + rng.geometric(0.55, size=n) - 1, 8)
    total = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(total) - np.repeat(starts, counts)
    # First entry: some time after birth, at most five years before the collection ends.
    age_days = (end - dob).astype(int)
    window = np.minimum(age_days, 5 * 365)
    first_offset = (rng.random(n) * np.maximum(window - 30, 1)).astype(int)
    first_start = end - window.astype("timedelta64[D]") + first_offset.astype("timedelta64[D]")
    first_start = np.maximum(first_start, dob)
    ls_keys, ls_p = _weighted(_LS_WEIGHTS)
    ls = rng.choice(ls_keys, size=total, p=ls_p)
    place_keys, place_p = _placement_weights(year)
    place = rng.choice(place_keys, size=total, p=place_p)
    duration = np.maximum(rng.lognormal(mean=5.2, sigma=1.0, size=total).astype(int), 1)
    # Short legal statuses and temporary placements have statutory maximum lengths
    # (DfE rules 903-361/362/363/365 and 903-375/376/379).
    for column, code, days in (
        (ls, "L1", 3),
        (ls, "L2", 21),
        (ls, "L3", 7),
        (ls, "V3", 17),
        (place, "T1", 42),
        (place, "T3", 21),
        (place, "T4", 7),
    ):
        capped = column == code
        duration[capped] = np.minimum(
            duration[capped], rng.integers(1, days + 1, size=int(capped.sum()))
        )
    # Start of each episode = first start + durations of the child's earlier episodes.
    cum = np.cumsum(duration) - duration
    offset_in_child = cum - np.repeat(cum[starts], counts)
    decom = first_start[owner] + offset_in_child.astype("timedelta64[D]")
    dec = decom + duration.astype("timedelta64[D]")
    keep = decom < end
    is_last_kept = np.zeros(total, dtype=bool)
    kept_idx = np.flatnonzero(keep)
    last_of_child = np.r_[owner[kept_idx][1:] != owner[kept_idx][:-1], True]
    is_last_kept[kept_idx[last_of_child]] = True
    open_episode = is_last_kept & ((dec > end) | (rng.random(total) < 0.45))
    dec_out = np.where(open_episode, np.datetime64("NaT"), dec)

    rne_keys, rne_p = _weighted(_RNE_LATER)
    rne = np.where(position == 0, "S", rng.choice(rne_keys, size=total, p=rne_p)).astype(object)
    # A period of care neither starts nor ends with a temporary placement (903-380/381): a
    # temporary placement is a placement change (RNE P or B) and ends in a return (REC X1).
    temporary = np.isin(place, ("T0", "T1", "T2", "T3", "T4"))
    place[temporary & ((position == 0) | is_last_kept)] = "U6"
    temporary = np.isin(place, ("T0", "T1", "T2", "T3", "T4"))
    rne[temporary & ~np.isin(rne, ("P", "B"))] = "P"
    # Youth-justice legal statuses only for children over ten at the start (DfE rule 903-358).
    age_at_start = (decom - dob[owner]).astype(int) / 365.25
    too_young = np.isin(ls, ("J1", "J2", "J3")) & (age_at_start <= 10)
    ls[too_young] = "C2"
    # A short status is one period: consecutive episodes with the same short status run
    # together, and an open one runs to the collection end (903-361/362/363/365), so a short
    # status is never left open nor repeated back to back.
    short = np.isin(ls, ("L1", "L2", "L3", "V3"))
    repeated = np.r_[False, (owner[1:] == owner[:-1]) & (ls[1:] == ls[:-1])]
    ls[short & (open_episode | repeated)] = "C2"
    cin_keys, cin_p = _weighted(_CIN_WEIGHTS)
    cin = rng.choice(cin_keys, size=total, p=cin_p)
    # Age limits on placements (903-370 P2 16+, 903-372 R5 10+, 903-373 S1 4+).
    # and supported accommodation 16+ (903-371), residential employment 14+ (903-374).
    for code, years in (("P2", 16), ("R5", 10), ("S1", 4), ("K3", 16), ("H5", 16), ("P3", 14)):
        place[(place == code) & (age_at_start < years)] = "U6"
    provider = rng.choice(
        np.array(("PR1", "PR2", "PR4", "PR5"), dtype=object), size=total, p=[0.45, 0.1, 0.35, 0.1]
    )
    provider[place == "P1"] = "PR0"
    # 903-527/528: own or other-LA provision (PR1, PR2) is never used with R2 or R5;
    # 903-178: placements that have no provider (T0-T4, Z1 and its sub-codes) carry none.
    provider[np.isin(place, ("R2", "R5")) & np.isin(provider, ("PR1", "PR2"))] = "PR4"
    no_provider = ("T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14")
    provider[np.isin(place, no_provider)] = None
    rec_keys, rec_p = _weighted(_REC_FINAL)
    rec = np.where(is_last_kept, rng.choice(rec_keys, size=total, p=rec_p), "X1").astype(object)
    rec[open_episode] = None
    # Reasons with an age (903-386, 387, 389, 407, 460): E5/E6 at 14+, E7 at 16+, E17 at 18+,
    # adoption (E11, E12) before 18, an order (E45-E48) by 18.
    born, ended = pd.Series(pd.to_datetime(dob[owner])), pd.Series(pd.to_datetime(dec))
    aged = {n: (ended >= born + pd.DateOffset(years=n)).to_numpy() for n in (14, 16, 18)}
    after_18 = (ended > born + pd.DateOffset(years=18)).to_numpy()
    rec[np.isin(rec, ("E5", "E6")) & ~aged[14]] = "E4A"
    rec[(rec == "E7") & ~aged[16]] = "E4A"
    rec[(rec == "E17") & ~aged[18]] = "E4A"
    rec[np.isin(rec, ("E11", "E12")) & aged[18]] = "E4A"
    rec[np.isin(rec, ("E45", "E46", "E47", "E48")) & after_18] = "E4A"
    moves = np.isin(rne, ("P", "T", "B", "U"))
    reason = np.full(total, None, dtype=object)
    reason[moves] = rng.choice(
        np.array(codes.REASON_PLACE_CHANGE_CODES, dtype=object), size=int(moves.sum())
    )
    frame = pd.DataFrame(
        {
            "CHILD": header["CHILD"].to_numpy()[owner],
            "DECOM": pd.to_datetime(decom),
            "RNE": rne,
            "LS": ls,
            "CIN": cin,
            "PLACE": place,
            "PLACE_PROVIDER": provider,
            "DEC": pd.to_datetime(dec_out),
            "REC": rec,
            "REASON_PLACE_CHANGE": reason,
            "HOME_POST": None,
            "PL_POST": None,
            "URN": None,
        }
    )
    kept: pd.DataFrame = frame.loc[keep].reset_index(drop=True)
    return _conform(rng, kept, year)


_TEMPORARY: Final = ("T0", "T1", "T2", "T3", "T4")
_FOSTER: Final = ("U1", "U2", "U3", "U4", "U5", "U6")
_NO_URN: Final = ("P1", "P2", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z1", "Z11", "Z12", "Z13", "Z14")


def _postcodes(rng: np.random.Generator, n: int, digits_from: int = 0) -> np.ndarray:
    """Postcode-shaped synthetic codes (ZZ99: the ONS pseudo-postcode area, never a home);
    homes take sectors 0-4 and placements 5-9, so the two never meet by chance."""
    digits = rng.integers(digits_from, digits_from + 5, size=n)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)
    return np.array(
        [
            f"ZZ99 {d}{a}{b}"
            for d, a, b in zip(digits, rng.choice(letters, n), rng.choice(letters, n), strict=True)
        ],
        dtype=object,
    )


def _conform(rng: np.random.Generator, frame: pd.DataFrame, year: str) -> pd.DataFrame:
    """Make a child's episodes tell one consistent story, as the DfE rules on consecutive
    episodes read it: the reason for each new episode (RNE) matches what changed (legal status
    L, placement P, both B), a return follows a temporary placement, the category of need holds
    within the period of care, and postcodes, URNs and reasons for a placement change are
    recorded where the rules expect them. Vectorised over children; one pass per position."""
    n = len(frame)
    child = frame["CHILD"].to_numpy()
    has_prev = np.r_[False, child[1:] == child[:-1]]
    has_next = np.r_[has_prev[1:], False]
    position = frame.groupby("CHILD").cumcount().to_numpy()
    ls = frame["LS"].to_numpy(dtype=object).copy()
    place = frame["PLACE"].to_numpy(dtype=object).copy()
    rne = frame["RNE"].to_numpy(dtype=object).copy()
    rec = frame["REC"].to_numpy(dtype=object).copy()
    provider = frame["PLACE_PROVIDER"].to_numpy(dtype=object).copy()
    temporary = np.isin(place, _TEMPORARY)
    # Respite (V3, V4): a short break is a child's first episode (RNE S, 903-366, 431); never
    # both V3 and V4 (426); never temporary or long-term foster care (382, 384).
    ls[(ls == "V3") & has_prev] = "C2"
    has_v3 = pd.Series(ls == "V3").groupby(child).transform("any").to_numpy()
    ls[(ls == "V4") & has_v3] = "C2"
    respite = np.isin(ls, ("V3", "V4"))
    ls[respite & (temporary | np.isin(place, ("U1", "U4")))] = "C2"
    # Adoption placements: later ones with a placement order (A6, E1); A3/A5 only first (217, 336).
    adoption = np.isin(place, ("A3", "A4", "A5"))
    place[adoption & has_prev] = "A6"
    ls[np.isin(place, ("A5", "A6"))] = "E1"  # 408
    ls[(place == "P1") & (ls == "V2")] = "C2"  # 378
    # At most two T3 placements a child (377).
    t3 = pd.Series(place == "T3").groupby(child).cumsum().to_numpy()
    place[(place == "T3") & (t3 > 2)] = "T0"
    # A temporary placement follows an ordinary one (not another, nor one for adoption) and
    # carries an ordinary legal status, so the return after it can resume what came before.
    temporary = np.isin(place, _TEMPORARY)
    prev_place = np.r_[None, place[:-1]]
    odd = (
        temporary
        & has_prev
        & (
            np.isin(prev_place, _TEMPORARY)
            | np.isin(prev_place, ("A3", "A4", "A5"))
            | np.isin(np.r_[None, ls[:-1]], ("V3", "V4"))
        )
    )
    place[odd] = "U6"
    provider[odd] = "PR1"
    temporary = np.isin(place, _TEMPORARY)
    ls[temporary & np.isin(ls, ("L1", "L2", "L3", "V3", "V4"))] = "C2"
    home = pd.Series(_postcodes(rng, n)).groupby(child).transform("first").to_numpy()
    pl_post = _postcodes(rng, n, 5)
    pl_post[place == "P1"] = home[place == "P1"]
    urn = np.array([f"SC{v:06d}" for v in rng.integers(0, 10**6, size=n)], dtype=object)
    urn[np.isin(place, _NO_URN)] = None
    # Legal status only (L): the placement carries over, the legal status changes.
    wants_l = (rne == "L") & has_prev
    for k in range(1, int(position.max(initial=0)) + 1):
        rows = np.flatnonzero((position == k) & has_prev)
        prev = rows - 1
        after_t = temporary[prev] & (position[rows] >= 2)
        # After a temporary placement: back to the placement before it (383).
        back = rows[after_t]
        src = back - 2
        for column in (place, pl_post, urn, provider, ls):
            column[back] = column[src]
        rne[back] = "P"
        ls[back] = ls[back - 1]
        copy = rows[wants_l[rows] & ~after_t & ~temporary[prev] & ~temporary[rows]]
        copy = copy[
            ~np.isin(place[copy - 1], ("A3", "A4", "A5", "A6"))
            & ~np.isin(ls[copy - 1], ("V3", "V4"))
            & ~np.isin(ls[copy], ("V3", "V4"))
        ]
        for column in (place, pl_post, urn, provider):
            column[copy] = column[copy - 1]
        same = ls[copy] == ls[copy - 1]
        ls[copy[same]] = np.where(ls[copy[same] - 1] == "C1", "C2", "C1")
    # Legal status follows placement (408, 378); a return keeps the temporary placement's.
    ls[np.isin(place, ("A5", "A6"))] = "E1"
    ls[(place == "P1") & (ls == "V2")] = "C2"
    returns = np.flatnonzero(has_prev & np.r_[False, temporary[:-1]] & (position >= 2))
    ls[returns - 1] = ls[returns]
    # An adoption (E11, E12) ends a placement for adoption (390); E45/E46 end foster care (516).
    rec[np.isin(rec, ("E11", "E12")) & ~np.isin(place, ("A3", "A4", "A5", "A6"))] = "E4A"
    rec[np.isin(rec, ("E45", "E46")) & ~np.isin(place, _FOSTER)] = "E4A"
    temporary = np.isin(place, _TEMPORARY)
    respite = np.isin(ls, ("V3", "V4"))
    home[respite] = None
    pl_post[respite] = None
    urn[respite] = None
    # The reason for each new episode says what changed (434, 435, 436).
    prev_idx = np.maximum(np.arange(n) - 1, 0)
    ls_changed = ls != ls[prev_idx]
    moved = (
        (place != place[prev_idx])
        | (pl_post != pl_post[prev_idx])
        | (urn != urn[prev_idx])
        | (provider != provider[prev_idx])
    )
    later = has_prev & (rne != "S")
    rne[later & ls_changed & ~moved] = "L"
    rne[later & ~ls_changed & moved] = "P"
    rne[later & ls_changed & moved] = "B"
    stuck = later & ~ls_changed & ~moved
    pl_post[stuck & ~respite] = _postcodes(rng, int((stuck & ~respite).sum()), 5)
    rne[stuck] = "P"
    # Returns and legal-status-only changes keep the postcodes just renewed, in order.
    carried = np.flatnonzero((rne == "L") & has_prev)
    for k in range(1, int(position.max(initial=0)) + 1):
        back = returns[position[returns] == k]
        pl_post[back] = pl_post[back - 2]
        same = carried[position[carried] == k]
        pl_post[same] = pl_post[same - 1]
    # Category of need holds within the period of care (504).
    cin = frame["CIN"].groupby(child).transform("first").to_numpy()
    # A reason for a placement change on the episode that ends with one (225, 226).
    next_idx = np.minimum(np.arange(n) + 1, n - 1)
    changes = (
        (rec == "X1")
        & has_next
        & np.isin(rne[next_idx], ("P", "B", "T", "U"))
        & ~temporary
        & ~temporary[next_idx]
    )
    reason = np.full(n, None, dtype=object)
    reason[changes] = rng.choice(
        np.array(codes.REASON_PLACE_CHANGE_CODES, dtype=object), size=int(changes.sum())
    )
    return frame.assign(
        LS=ls,
        PLACE=place,
        RNE=rne,
        REC=rec,
        PLACE_PROVIDER=provider,
        CIN=cin,
        REASON_PLACE_CHANGE=reason,
        HOME_POST=home,
        PL_POST=pl_post,
        URN=urn,
    )


def _plant_tables(
    rng: np.random.Generator,
    tables: dict[str, pd.DataFrame],
    defects: Mapping[str, int],
    planted: dict[str, int],
) -> dict[str, pd.DataFrame]:
    out = {name: frame.copy() for name, frame in tables.items()}
    spoils: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray], dict[str, str] | None]]
    spoils = {
        "review_code_for_age": (
            "Reviews",
            lambda f: (f["REVIEW"] >= f["DOB"] + pd.DateOffset(years=5)).to_numpy(),
            {"REVIEW_CODE": "PN0"},
        ),
        "in_touch_without_activity": ("OC3", lambda f: (f["IN_TOUCH"] == "YES").to_numpy(),
                                      {"ACTIV": "0"}),
        "missing_end_before_start": ("Missing", lambda f: f["MIS_START"].notna().to_numpy(), None),
        "single_adopter_as_couple": ("AD1", lambda f: f["CHILD"].notna().to_numpy(),
                                     {"NB_ADOPTR": "1", "LS_ADOPTR": "L0", "SEX_ADOPTR": "MM"}),
    }  # fmt: skip
    for kind in TABLE_DEFECTS:
        n = int(defects.get(kind, 0))
        if n <= 0:
            continue
        table, eligible, values = spoils[kind]
        frame = out[table]
        rows, _ = _take(rng, rng.permutation(np.flatnonzero(eligible(frame))), n, kind)
        if values is None:
            frame.loc[rows, "MIS_END"] = frame.loc[rows, "MIS_START"] - pd.Timedelta(days=2)
        else:
            for column, value in values.items():
                frame.loc[rows, column] = value
        planted[kind] = n
    return out


def _take(
    rng: np.random.Generator, pool: np.ndarray, n: int, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    if n > len(pool):
        raise UsageError(
            f"cannot plant {n} {kind!r} defects: only {len(pool)} rows are left to spoil; "
            "ask for fewer defects or more children",
            key="defects",
        )
    return pool[:n], pool[n:]


def _plant_header(
    rng: np.random.Generator,
    header: pd.DataFrame,
    defects: Mapping[str, int],
    end: np.datetime64,
    planted: dict[str, int],
) -> pd.DataFrame:
    header = header.copy()
    pool = rng.permutation(len(header))
    for kind in HEADER_DEFECTS:
        n = int(defects.get(kind, 0))
        if n <= 0:
            continue
        rows, pool = _take(rng, pool, n, kind)
        if kind == "invalid_ethnicity":
            header.loc[rows, "ETHNIC"] = "XXXX"
        elif kind == "missing_ethnicity":
            header.loc[rows, "ETHNIC"] = None
        elif kind == "invalid_sex":
            header.loc[rows, "SEX"] = "X"
        elif kind == "invalid_upn":
            header.loc[rows, "UPN"] = [f"I{12345 + i}" for i in range(len(rows))]
        elif kind == "dob_after_collection_end":
            header.loc[rows, "DOB"] = pd.Timestamp(end) + pd.Timedelta(days=30)
        elif kind == "duplicate_child":
            header = pd.concat([header, header.loc[rows]], ignore_index=True)
        planted[kind] = n
    return header


def _plant_episodes(
    rng: np.random.Generator,
    episodes: pd.DataFrame,
    defects: Mapping[str, int],
    planted: dict[str, int],
) -> pd.DataFrame:
    episodes = episodes.copy()
    closed = episodes["DEC"].notna().to_numpy()
    pool_closed = rng.permutation(np.flatnonzero(closed))
    pool_open = rng.permutation(np.flatnonzero(~closed))
    pool_any = rng.permutation(len(episodes))
    used: set[int] = set()

    def fresh(pool: np.ndarray, n: int, kind: str) -> np.ndarray:
        candidates = np.array([i for i in pool if i not in used], dtype=int)
        rows, _ = _take(rng, candidates, n, kind)
        used.update(int(i) for i in rows)
        return rows

    for kind in EPISODE_DEFECTS:
        n = int(defects.get(kind, 0))
        if n <= 0:
            continue
        if kind == "dec_before_decom":
            rows = fresh(pool_closed, n, kind)
            episodes.loc[rows, "DEC"] = episodes.loc[rows, "DECOM"] - pd.Timedelta(days=3)
        elif kind == "rec_without_dec":
            rows = fresh(pool_open, n, kind)
            episodes.loc[rows, "REC"] = "E8"
        elif kind == "invalid_placement":
            episodes.loc[fresh(pool_any, n, kind), "PLACE"] = "Q9"
        elif kind == "invalid_legal_status":
            episodes.loc[fresh(pool_any, n, kind), "LS"] = "C9"
        elif kind == "missing_decom":
            episodes.loc[fresh(pool_any, n, kind), "DECOM"] = pd.NaT
        planted[kind] = n
    return episodes
