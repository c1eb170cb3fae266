"""Reading a CIN census the way local authorities send it: the DfE XML, one ``<Child>`` per
child with its CIN episodes (``<CINdetails>``) and their modules, into the tables the DfE
validator's rules read (``ChildIdentifiers``, ``CINdetails``, ``Assessments`` ...).

Rows are tied together as the DfE validator ties them: ``LAchildID``, then ``CINdetailsID``
(the child's episodes numbered from 1 in file order), ``CPPID`` (an episode's plans numbered
from 1) and ``AssessmentID``. An assessment's factors are one cell, comma-separated. Dates are
ISO (``YYYY-MM-DD``), as the census schema says.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from csc_mlflow._codes import CIN_COLUMNS, CIN_DATES
from csc_mlflow.exceptions import DataError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import pandas as pd

__all__ = ["read_cin_census"]

_IDS: Final = ("LAchildID", "CINdetailsID", "CPPID", "AssessmentID")


def _text(block: Element | None, name: str) -> str | None:
    if block is None:
        return None
    found = block.find(name)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _row(block: Element | None, table: str, ids: dict[str, Any]) -> dict[str, Any]:
    row = {c: ids[c] for c in CIN_COLUMNS[table] if c in ids}
    for column in CIN_COLUMNS[table]:
        if column not in _IDS:
            row[column] = _text(block, column)
    return row


def _child_rows(child: Element) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every table row of one ``<Child>``, tied by the DfE validator's IDs."""
    identifiers = child.find("ChildIdentifiers")
    child_id = _text(identifiers, "LAchildID")
    yield "ChildIdentifiers", _row(identifiers, "ChildIdentifiers", {"LAchildID": child_id})
    characteristics = child.find("ChildCharacteristics")
    ids: dict[str, Any] = {"LAchildID": child_id}
    yield "ChildCharacteristics", _row(characteristics, "ChildCharacteristics", ids)
    disabilities = characteristics.find("Disabilities") if characteristics is not None else None
    for disability in disabilities if disabilities is not None else ():
        text = (disability.text or "").strip() or None
        yield "Disabilities", {"LAchildID": child_id, "Disability": text}
    for number, episode in enumerate(child.findall("CINdetails"), start=1):
        ids = {"LAchildID": child_id, "CINdetailsID": str(number)}
        yield "CINdetails", _row(episode, "CINdetails", ids)
        for index, assessment in enumerate(episode.findall("Assessments"), start=1):
            row = _row(assessment, "Assessments", {**ids, "AssessmentID": str(index)})
            factors = assessment.find("FactorsIdentifiedAtAssessment")
            codes = [
                (f.text or "").strip()
                for f in (factors if factors is not None else ())
                if (f.text or "").strip()
            ]
            row["AssessmentFactors"] = ",".join(codes) if codes else None
            yield "Assessments", row
        for plan in episode.findall("CINPlanDates"):
            yield "CINplanDates", _row(plan, "CINplanDates", ids)
        for enquiry in episode.findall("Section47"):
            yield "Section47", _row(enquiry, "Section47", ids)
        for index, plan in enumerate(episode.findall("ChildProtectionPlans"), start=1):
            plan_ids = {**ids, "CPPID": str(index)}
            yield "ChildProtectionPlans", _row(plan, "ChildProtectionPlans", plan_ids)
            for review in plan.findall("Reviews"):  # a review without its date is a row too
                dates = [(d.text or "").strip() or None for d in review.findall("CPPreviewDate")]
                for date in dates or [None]:
                    yield "Reviews", {**plan_ids, "CPPreviewDate": date}


def read_cin_census(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of the CIN census XML at ``path``, keyed by table name (dates parsed).

    Raises :class:`DataError` naming the file: not found, not XML, not a CIN census (no
    ``<Children>``), or a date that is not ``YYYY-MM-DD`` (the element named, never its value).
    """
    from xml.etree.ElementTree import ParseError, parse

    import pandas as pd

    source = Path(path)
    if not source.is_file():
        raise DataError(f"{source}: no such file; give the CIN census XML file", path=source)
    try:
        root = parse(source).getroot()  # expat in Python >= 3.11 refuses entity expansion bombs
    except ParseError as exc:
        raise DataError(
            f"{source}: not well-formed XML ({exc}); export the census again", path=source
        ) from exc
    except OSError as exc:
        raise DataError(f"{source}: cannot read the file ({exc})", path=source) from exc
    children = root.find("Children")
    if children is None:
        raise DataError(
            f"{source}: not a CIN census: no <Children> element under <{root.tag}>; "
            "give the census XML as sent to the DfE",
            path=source,
        )
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in CIN_COLUMNS}
    header = root.find("Header")
    details = header.find("CollectionDetails") if header is not None else None
    origin = header.find("Source") if header is not None else None
    head = {c: _text(details, c) for c in ("Collection", "Year", "ReferenceDate")}
    head.update({c: _text(origin, c) for c in ("SourceLevel", "LEA", "SoftwareCode")})
    rows["Header"].append(head)
    for child in children.findall("Child"):
        for table, row in _child_rows(child):
            rows[table].append(row)
    tables = {}
    for table, found in rows.items():
        frame = pd.DataFrame(found, columns=list(CIN_COLUMNS[table]), dtype=object)
        for column in frame.columns:
            if column in CIN_DATES:
                frame[column] = _dates(source, table, str(column), frame[column])
        tables[table] = frame
    return tables


def _dates(path: Path, table: str, column: str, values: pd.Series) -> pd.Series:
    import pandas as pd

    parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    bad = int((parsed.isna() & values.notna()).sum())
    if bad:
        raise DataError(
            f"{path}: <{column}> ({table}) has {'some' if bad <= 5 else bad} values that are "
            "not dates (expected YYYY-MM-DD); correct them and validate again",
            path=path,
            column=column,
        )
    return parsed
