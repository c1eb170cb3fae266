"""The other tables of a synthetic SSDA903 return, consistent with Header and Episodes.

Each table takes its children from the Header (same CHILD, DOB, SEX) and follows the DfE rules
on it: reviews inside the year with the participation code the child's age allows, UASC status
ending by 18, OC2 health items coded together, OC3 care leavers in touch or not, AD1 for
children adopted this year, decisions to place for adoption for children placed for adoption,
previous permanence and missing episodes after birth. Vectorised; nothing from a real child.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from csc_mlflow import _codes as codes

__all__ = ["other_tables"]

_LA: Final = ("800", "889", "822", "301", "304", "303", "330", "825", "837", "302", "WAL", "SCO")
_ACTIV: Final = ("F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6")
_ACCOM: Final = ("B1", "B2", "C1", "C2", "D1", "D2", "E1", "E2", "G1", "G2", "H1", "H2", "K1",
                 "K2", "R1", "R2", "S2", "T1", "T2", "U1", "U2", "V1", "V2", "W1", "W2", "X2",
                 "Y1", "Y2", "Z1", "Z2")  # fmt: skip


def _pick(rng: np.random.Generator, frame: pd.DataFrame, share: float) -> pd.DataFrame:
    return frame.loc[rng.random(len(frame)) < share].reset_index(drop=True)


def _only(where: np.ndarray, values: np.ndarray | str) -> np.ndarray:
    """``values`` where ``where`` holds, blank elsewhere (an object array)."""
    out = np.full(len(where), None, dtype=object)
    out[where] = values[where] if isinstance(values, np.ndarray) else values
    return out


def _days(rng: np.random.Generator, n: int, high: int) -> pd.TimedeltaIndex:
    return pd.to_timedelta(rng.integers(0, max(high, 1), size=n), unit="D")


def other_tables(
    rng: np.random.Generator, header: pd.DataFrame, episodes: pd.DataFrame, year: str
) -> dict[str, pd.DataFrame]:
    """Reviews, UASC, OC2, OC3, AD1, PlacedAdoption, PrevPerm and Missing for ``header``'s
    children (the Header's own defects, if planted, are not carried over)."""
    start = pd.Timestamp(codes.collection_end(year)) - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    end = pd.Timestamp(codes.collection_end(year))
    children = header.drop_duplicates("CHILD")[["CHILD", "DOB", "SEX"]].dropna(subset=["DOB"])
    children = children.loc[children["DOB"] <= end - pd.Timedelta(days=400)]
    tables: dict[str, pd.DataFrame] = {}

    # Reviews: one to three this year; PN0 before the 4th birthday, PN1-PN7 from it (440, 441).
    looked_after = episodes.groupby("CHILD")["DECOM"].min().rename("FIRST")
    who = _pick(rng, children.join(looked_after, on="CHILD").dropna(subset=["FIRST"]), 0.6)
    who = who.loc[who.index.repeat(rng.integers(1, 4, size=len(who)))].reset_index(drop=True)
    first = who["FIRST"].where(who["FIRST"] > start, start)
    review = first + _days(rng, len(who), 300)
    review = review.where(review <= end, end)
    under_4 = review < who["DOB"] + pd.DateOffset(years=4)
    code = rng.choice(np.array(["PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"]), len(who))
    tables["Reviews"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "REVIEW": review,
         "REVIEW_CODE": np.where(under_4, "PN0", code)}
    )  # fmt: skip

    # UASC: a few children, status ceasing (if it has) by the 18th birthday (304) and within
    # the collection year (104).
    who = _pick(rng, children, 0.05)
    ceased = who["DOB"] + pd.DateOffset(years=16) + _days(rng, len(who), 700)
    this_year = (ceased >= start) & (rng.random(len(who)) < 0.4)
    tables["UASC"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "SEX": who["SEX"], "DOB": who["DOB"],
         "DUC": ceased.where(this_year)}
    )  # fmt: skip

    # OC2: looked after for 12 months; health items together, interventions as the rules say.
    who = _pick(rng, children, 0.3)
    n = len(who)

    def flag(p: float) -> np.ndarray:
        return np.where(rng.random(n) < p, "1", "0").astype(object)

    misuse = flag(0.1)
    received = _only(misuse == "1", flag(0.6))
    offered = _only(received == "0", flag(0.5))
    score = rng.integers(0, 41, size=n).astype(str).astype(object)
    no_score = rng.random(n) < 0.2
    score[no_score] = None
    reason = _only(no_score, rng.choice(np.array(["SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"]), n))
    tables["OC2"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "SDQ_SCORE": score, "SDQ_REASON": reason,
         "CONVICTED": flag(0.03), "HEALTH_CHECK": flag(0.9), "IMMUNISATIONS": flag(0.85),
         "TEETH_CHECK": flag(0.85), "HEALTH_ASSESSMENT": flag(0.9), "SUBSTANCE_MISUSE": misuse,
         "INTERVENTION_RECEIVED": received, "INTERVENTION_OFFERED": offered}
    )  # fmt: skip

    # OC3: care leavers; 0 activity and accommodation only for those who died or went home.
    who = _pick(rng, children, 0.05)
    n = len(who)
    touch = rng.choice(np.array(["YES", "NO", "DIED", "REFU", "NREQ", "RHOM"]), n,
                       p=[0.8, 0.05, 0.01, 0.06, 0.04, 0.04])  # fmt: skip
    gone = np.isin(touch, ("DIED", "RHOM"))
    tables["OC3"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "IN_TOUCH": touch,
         "ACTIV": np.where(gone, "0", rng.choice(np.array(_ACTIV), n)),
         "ACCOM": np.where(gone, "0", rng.choice(np.array(_ACCOM), n))}
    )  # fmt: skip

    # AD1: children whose episode ended in adoption; adopters coded consistently.
    adopted = episodes.loc[episodes["REC"].isin(["E11", "E12"]), "CHILD"].drop_duplicates()
    who = children.loc[children["CHILD"].isin(adopted)].reset_index(drop=True)
    n = len(who)
    status = rng.choice(np.array(["L0", "L11", "L12", "L2", "L3", "L4"]), n)
    sex = np.select(
        [status == "L0", np.isin(status, ("L11", "L3")), np.isin(status, ("L12", "L4"))],
        [rng.choice(np.array(["M1", "F1"]), n), "MF", rng.choice(np.array(["MM", "FF"]), n)],
        rng.choice(np.array(["MM", "FF", "MF"]), n),
    )
    decided = who["DOB"] + _days(rng, n, 365)
    tables["AD1"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "DATE_INT": decided,
         "DATE_MATCH": decided + _days(rng, n, 200),
         "FOSTER_CARE": rng.choice(np.array(["0", "1"]), n),
         "NB_ADOPTR": np.where(status == "L0", "1", "2"), "SEX_ADOPTR": sex, "LS_ADOPTR": status}
    )  # fmt: skip

    # PlacedAdoption: one decision per child placed for adoption; some reversed, with a reason.
    placed = episodes.loc[
        episodes["PLACE"].isin(["A3", "A4", "A5", "A6"]), "CHILD"
    ].drop_duplicates()
    who = children.loc[children["CHILD"].isin(placed)].reset_index(drop=True)
    n = len(who)
    decided = who["DOB"] + _days(rng, n, 365)
    reversed_ = rng.random(n) < 0.1
    tables["PlacedAdoption"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "DATE_PLACED": decided,
         "DATE_PLACED_CEASED": (decided + _days(rng, n, 300)).where(reversed_),
         "REASON_PLACED_CEASED": _only(
             reversed_, rng.choice(np.array(["RD1", "RD2", "RD3", "RD4"]), n)
         )}
    )  # fmt: skip

    # PrevPerm: the option (or Z1, none), with the LA and date when there was one.
    who = _pick(rng, children, 0.1)
    n = len(who)
    option = rng.choice(np.array(["P1", "P2", "P3", "P4", "Z1"]), n)
    some = option != "Z1"
    tables["PrevPerm"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "PREV_PERM": option,
         "LA_PERM": _only(some, rng.choice(np.array(_LA), n)),
         "DATE_PERM": _only(some, "01/01/2020")}
    )  # fmt: skip

    # Missing: episodes after birth, ending (if they have) after they start.
    who = _pick(rng, children, 0.1)
    n = len(who)
    began = start + _days(rng, n, 300)
    began = began.where(began > who["DOB"], who["DOB"] + pd.Timedelta(days=1))
    tables["Missing"] = pd.DataFrame(
        {"CHILD": who["CHILD"], "DOB": who["DOB"], "MISSING": rng.choice(np.array(["M", "A"]), n),
         "MIS_START": began, "MIS_END": (began + _days(rng, n, 10)).where(rng.random(n) < 0.9)}
    )  # fmt: skip
    return {name: frame.reset_index(drop=True) for name, frame in tables.items()}
