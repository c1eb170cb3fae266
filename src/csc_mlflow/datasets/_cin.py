"""A synthetic CIN census: children with their CIN episodes and modules (assessments, CIN
plans, section 47 enquiries, child protection plans and their reviews), consistent across
tables as a real census is, written as the DfE XML.

Clean data passes every shipped CIN rule; ``defects`` plants exact numbers of rows that break
one rule each (``CIN_DEFECT_KINDS``). Everything is random: no real child's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from csc_mlflow._codes import CIN_COLUMNS, CIN_DATES
from csc_mlflow.exceptions import DataError

__all__ = ["CIN_DEFECT_KINDS", "SyntheticCIN", "make_cin_census"]

CIN_DEFECT_KINDS: Final = {
    "invalid_sex": "CIN-4180",
    "closure_before_referral": "CIN-8630",
    "assessment_before_referral": "CIN-1103",
    "plan_ends_before_start": "CIN-8925",
    "review_without_date": "CIN-8842Q",
}
"""Planted defect -> the one rule it breaks."""

ETHNICITIES: Final = (
    "WBRI", "WBRI", "WBRI", "WOTH", "WIRI", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip
DISABILITIES: Final = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT")
SOURCES: Final = ("1A", "1B", "2A", "3A", "3B", "3E", "4", "5A", "5B", "5D", "6", "7", "8", "9")
FACTORS: Final = ("1B", "2B", "3B", "4B", "5B", "6B", "7B", "8B", "10A", "11A", "14A", "16A")
CATEGORIES: Final = ("NEG", "PHY", "SAB", "EMO", "MUL")
_CHECK: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True)
class SyntheticCIN:
    """A synthetic CIN census for one census year, as tables and as the DfE XML."""

    year: str
    tables: dict[str, pd.DataFrame]
    planted: dict[str, int]

    def write_xml(self, path: str | Path) -> Path:
        """Write the census as the DfE CIN XML (dates ``YYYY-MM-DD``); returns the path."""
        from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

        out = Path(path)
        t = self.tables
        root = Element("Message")
        header = SubElement(root, "Header")
        details = SubElement(header, "CollectionDetails")
        head = t["Header"].iloc[0]
        for name in ("Collection", "Year", "ReferenceDate"):
            SubElement(details, name).text = _text(head[name])
        source = SubElement(header, "Source")
        for name in ("SourceLevel", "LEA", "SoftwareCode"):
            SubElement(source, name).text = _text(head[name])
        children = SubElement(root, "Children")
        by_child = {
            name: dict(tuple(frame.groupby("LAchildID", sort=False)))
            for name, frame in t.items()
            if name not in ("Header", "ChildIdentifiers")
        }
        for _, ident in t["ChildIdentifiers"].iterrows():
            child_id = ident["LAchildID"]
            child = SubElement(children, "Child")
            _fill(SubElement(child, "ChildIdentifiers"), ident, ident.index)
            chars = SubElement(child, "ChildCharacteristics")
            for _, row in _rows(by_child["ChildCharacteristics"], child_id):
                SubElement(chars, "Ethnicity").text = _text(row["Ethnicity"])
            codes = _rows(by_child["Disabilities"], child_id)
            if codes:
                block = SubElement(chars, "Disabilities")
                for _, row in codes:
                    SubElement(block, "Disability").text = _text(row["Disability"])
            for _, episode in _rows(by_child["CINdetails"], child_id):
                _episode(SubElement(child, "CINdetails"), episode, by_child)
        indent(root)
        ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
        return out


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _rows(groups: dict[Any, pd.DataFrame], key: Any) -> list[tuple[Any, pd.Series]]:
    frame = groups.get(key)
    return [] if frame is None else list(frame.iterrows())


_IDS: Final = ("LAchildID", "CINdetailsID", "CPPID", "AssessmentID", "AssessmentFactors")


def _fill(block: Any, row: pd.Series, columns: Any) -> None:
    from xml.etree.ElementTree import SubElement

    for column in columns:
        if column not in _IDS or (column == "LAchildID" and block.tag == "ChildIdentifiers"):
            text = _text(row[column])
            if text is not None:
                SubElement(block, column).text = text


def _episode(block: Any, episode: pd.Series, by_child: dict[str, dict[Any, pd.DataFrame]]) -> None:
    from xml.etree.ElementTree import SubElement

    child_id, number = episode["LAchildID"], episode["CINdetailsID"]
    _fill(block, episode, episode.index)

    def mine(table: str) -> list[pd.Series]:
        return [r for _, r in _rows(by_child[table], child_id) if r["CINdetailsID"] == number]

    for row in mine("Assessments"):
        item = SubElement(block, "Assessments")
        _fill(item, row, row.index)
        factors = SubElement(item, "FactorsIdentifiedAtAssessment")
        for code in (row["AssessmentFactors"] or "").split(","):
            if code:
                SubElement(factors, "AssessmentFactors").text = code
    for row in mine("CINplanDates"):
        _fill(SubElement(block, "CINPlanDates"), row, row.index)
    for row in mine("Section47"):
        _fill(SubElement(block, "Section47"), row, row.index)
    reviews = mine("Reviews")
    for row in mine("ChildProtectionPlans"):
        plan = SubElement(block, "ChildProtectionPlans")
        _fill(plan, row, row.index)
        dates = [r for r in reviews if r["CPPID"] == row["CPPID"]]
        if dates:
            holder = SubElement(plan, "Reviews")
            for review in dates:
                date = SubElement(holder, "CPPreviewDate")
                date.text = _text(review["CPPreviewDate"])


def _upn(number: int) -> str:
    digits = f"{number:012d}"
    total = sum(int(d) * w for d, w in zip(digits, range(2, 14), strict=True))
    return _CHECK[total % 23] + digits


def _weekday(day: pd.Timestamp) -> pd.Timestamp:
    """The day itself, or the Monday after a weekend."""
    return day + pd.Timedelta(days=(7 - day.day_of_week) % 7 if day.day_of_week >= 5 else 0)


def make_cin_census(
    children: int = 500,
    *,
    year: str = "2025-26",
    seed: int = 0,
    defects: dict[str, int] | None = None,
) -> SyntheticCIN:
    """A synthetic CIN census of ``children`` children for census ``year`` (``2025-26``).

    ``defects`` plants an exact number of rows for each kind of ``CIN_DEFECT_KINDS``, each
    breaking one rule. Raises :class:`DataError` for an unknown kind or too few children.
    """
    defects = dict(defects or {})
    for kind, count in defects.items():
        if kind not in CIN_DEFECT_KINDS:
            raise DataError(
                f"unknown CIN defect {kind!r}; expected one of {', '.join(CIN_DEFECT_KINDS)}",
                key=kind,
            )
        if not isinstance(count, int) or count < 0 or count > children // 10:
            raise DataError(
                f"defect {kind!r}: expected a whole number from 0 to {children // 10} "
                f"(a tenth of {children} children); found {count!r}",
                key=kind,
            )
    if children < 1:
        raise DataError(f"children: expected at least 1; found {children}", key="children")
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(int(year[:4]) + 1, 3, 31)
    start = pd.Timestamp(int(year[:4]), 4, 1)
    rows: dict[str, list[dict[str, Any]]] = {
        t: []
        for t in (
            "ChildIdentifiers", "ChildCharacteristics", "Disabilities", "CINdetails",
            "Assessments", "CINplanDates", "Section47", "ChildProtectionPlans", "Reviews",
        )
    }  # fmt: skip

    def day(low: pd.Timestamp, high: pd.Timestamp) -> pd.Timestamp:
        span = max((high - low).days, 0)
        return low + pd.Timedelta(days=int(rng.integers(0, span + 1)))

    for i in range(children):
        child_id = f"C{seed % 1000:03d}{i:07d}"
        unborn = rng.random() < 0.02
        born = None if unborn else day(end - pd.DateOffset(years=17), start - pd.Timedelta(days=30))
        expected = (
            day(end + pd.Timedelta(days=30), end + pd.Timedelta(days=200)) if unborn else None
        )
        rows["ChildIdentifiers"].append(
            {
                "LAchildID": child_id, "UPN": _upn(800_000_000_000 + seed * 100_000 + i),
                "FormerUPN": None, "UPNunknown": None, "PersonBirthDate": born,
                "ExpectedPersonBirthDate": expected, "GenderCurrent": None,
                "Sex": "U" if unborn else str(rng.choice(["M", "F"])), "PersonDeathDate": None,
            }
        )  # fmt: skip
        rows["ChildCharacteristics"].append(
            {"LAchildID": child_id, "Ethnicity": str(rng.choice(ETHNICITIES))}
        )
        if rng.random() < 0.8:
            rows["Disabilities"].append({"LAchildID": child_id, "Disability": "NONE"})
        else:
            for code in rng.choice(DISABILITIES, size=int(rng.integers(1, 3)), replace=False):
                rows["Disabilities"].append({"LAchildID": child_id, "Disability": str(code)})
        earliest = end - pd.Timedelta(days=80) if unborn else start
        episodes = 2 if (not unborn and rng.random() < 0.15) else 1
        first = day(earliest, start + pd.Timedelta(days=120)) if episodes == 2 else None
        referral = first if first is not None else day(earliest, end - pd.Timedelta(days=60))
        for number in range(1, episodes + 1):
            if referral > end - pd.Timedelta(days=10):  # the first episode ran to the end
                break
            last = number == episodes
            ends = end if last else referral + pd.Timedelta(days=int(rng.integers(40, 90)))
            referral = _episode_rows(
                rows, rng, child_id, str(number), referral, ends, end, last, day
            )
    tables = {
        name: pd.DataFrame(found, columns=list(CIN_COLUMNS[name]), dtype=object)
        for name, found in rows.items()
    }
    for frame in tables.values():
        for column in frame.columns:
            if column in CIN_DATES:
                frame[column] = pd.to_datetime(frame[column])
    tables["Header"] = pd.DataFrame(
        [{"Collection": "CIN", "Year": str(end.year), "ReferenceDate": end,
          "SourceLevel": "L", "LEA": "999", "SoftwareCode": "csc-mlflow synthetic"}]
    )  # fmt: skip
    planted = _plant(tables, rng, defects)
    return SyntheticCIN(year=year, tables=tables, planted=planted)


def _episode_rows(
    rows: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    child_id: str,
    number: str,
    referral: pd.Timestamp,
    last_day: pd.Timestamp,
    end: pd.Timestamp,
    last: bool,
    day: Any,
) -> pd.Timestamp:
    """One CIN episode and its modules, all between ``referral`` and ``last_day``; returns a
    referral date for the child's next episode (after this one closed)."""
    ids = {"LAchildID": child_id, "CINdetailsID": number}
    nfa = rng.random() < 0.1
    closes = not last or nfa or rng.random() < 0.4
    episode: dict[str, Any] = {
        **ids, "CINreferralDate": referral, "ReferralSource": str(rng.choice(SOURCES)),
        "PrimaryNeedCode": None if nfa else f"N{int(rng.integers(1, 10))}",
        "CINclosureDate": None, "ReasonForClosure": None, "DateOfInitialCPC": None,
        "ReferralNFA": "true" if nfa else "false",
    }  # fmt: skip
    rows["CINdetails"].append(episode)
    if nfa:
        episode.update(CINclosureDate=referral, ReasonForClosure="RC8")
        return referral + pd.Timedelta(days=int(rng.integers(5, 30)))
    latest = referral  # the last date any module of the episode holds
    began = day(referral, min(referral + pd.Timedelta(days=5), last_day))
    done = began + pd.Timedelta(days=int(rng.integers(10, 40)))
    assessment: dict[str, Any] = {
        **ids, "AssessmentID": "1", "AssessmentActualStartDate": began,
        "AssessmentInternalReviewDate": None, "AssessmentAuthorisationDate": None,
        "AssessmentFactors": None,
    }  # fmt: skip
    if done <= last_day:
        codes = rng.choice(FACTORS, size=int(rng.integers(1, 4)), replace=False)
        assessment.update(AssessmentAuthorisationDate=done, AssessmentFactors=",".join(codes))
        latest = done
    else:
        closes = False  # an assessment still going keeps the episode open
    rows["Assessments"].append(assessment)
    path = rng.random()
    if latest == done and path < 0.5:  # a CIN plan after the assessment
        plan_start = done + pd.Timedelta(days=int(rng.integers(1, 6)))
        plan_end = plan_start + pd.Timedelta(days=int(rng.integers(30, 120)))
        if plan_start <= last_day:
            ended = plan_end <= last_day and (closes or rng.random() < 0.5)
            rows["CINplanDates"].append(
                {
                    **ids,
                    "CINPlanStartDate": plan_start,
                    "CINPlanEndDate": plan_end if ended else None,
                }
            )
            latest = plan_end if ended else last_day
            closes = closes and ended
    elif path < 0.8:  # a section 47 enquiry, a conference and a child protection plan
        s47 = began + pd.Timedelta(days=int(rng.integers(0, 3)))
        target = _weekday(s47 + pd.Timedelta(days=15))
        icpc = _weekday(s47 + pd.Timedelta(days=int(rng.integers(8, 14))))
        if icpc <= last_day:
            rows["Section47"].append(
                {**ids, "S47ActualStartDate": s47, "InitialCPCtarget": target,
                 "DateOfInitialCPC": icpc, "ICPCnotRequired": "false"}
            )  # fmt: skip
            plan_end = icpc + pd.Timedelta(days=int(rng.integers(60, 200)))
            ended = plan_end <= last_day and (closes or rng.random() < 0.5)
            category = str(rng.choice(CATEGORIES))
            rows["ChildProtectionPlans"].append(
                {**ids, "CPPID": "1", "CPPstartDate": icpc,
                 "CPPendDate": plan_end if ended else None,
                 "InitialCategoryOfAbuse": category, "LatestCategoryOfAbuse": category,
                 "NumberOfPreviousCPP": str(int(rng.integers(0, 3)))}
            )  # fmt: skip
            review = icpc + pd.Timedelta(days=int(rng.integers(20, 60)))
            if review <= (plan_end if ended else last_day):
                rows["Reviews"].append({**ids, "CPPID": "1", "CPPreviewDate": review})
            latest = plan_end if ended else last_day
            closes = closes and ended
        else:
            latest = max(latest, began)
    if closes and latest <= last_day:
        closure: pd.Timestamp = day(max(latest, referral), last_day)
        episode.update(CINclosureDate=closure, ReasonForClosure=f"RC{int(rng.integers(1, 8))}")
        return closure + pd.Timedelta(days=int(rng.integers(1, 20)))
    if not last:  # an episode that cannot close yet: the child has no second one
        return end + pd.Timedelta(days=1)
    return end


def _plant(
    tables: dict[str, pd.DataFrame], rng: np.random.Generator, defects: dict[str, int]
) -> dict[str, int]:
    """Spoil exact numbers of rows, each breaking one rule (in place)."""
    planted: dict[str, int] = {}

    def pick(frame: pd.DataFrame, mask: pd.Series, n: int, kind: str) -> np.ndarray:
        pool = frame.index[mask].to_numpy()
        if len(pool) < n:
            raise DataError(
                f"defect {kind!r}: only {len(pool)} rows can carry it; ask for fewer or more "
                "children",
                key=kind,
            )
        return rng.choice(pool, size=n, replace=False)

    for kind, n in defects.items():
        if not n:
            continue
        if kind == "invalid_sex":
            ids = tables["ChildIdentifiers"]
            ids.loc[pick(ids, ids["Sex"].isin(["M", "F"]), n, kind), "Sex"] = "X"
        elif kind == "closure_before_referral":
            cin = tables["CINdetails"]
            start = tables["Header"]["ReferenceDate"].iloc[0] - pd.DateOffset(years=1)
            later = cin["CINreferralDate"] > start + pd.Timedelta(days=2)
            spoil = pick(cin, later & cin["ReferralNFA"].eq("true"), n, kind)
            moved = cin.loc[spoil, "CINreferralDate"] - pd.Timedelta(days=1)
            cin.loc[spoil, "CINclosureDate"] = moved
        elif kind == "assessment_before_referral":
            a = tables["Assessments"]
            spoil = pick(a, a["AssessmentAuthorisationDate"].notna(), n, kind)
            moved = a.loc[spoil, "AssessmentActualStartDate"] - pd.Timedelta(days=400)
            a.loc[spoil, "AssessmentActualStartDate"] = moved
        elif kind == "plan_ends_before_start":
            cpp = tables["ChildProtectionPlans"]
            spoil = pick(cpp, cpp["CPPendDate"].notna(), n, kind)
            cpp.loc[spoil, "CPPendDate"] = cpp.loc[spoil, "CPPstartDate"] - pd.Timedelta(days=1)
        elif kind == "review_without_date":
            r = tables["Reviews"]
            r.loc[pick(r, r["CPPreviewDate"].notna(), n, kind), "CPPreviewDate"] = pd.NaT
        planted[kind] = n
    return planted
