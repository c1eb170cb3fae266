"""SSDA903 and CIN census code lists, by collection year (pure data).

Source: ``shared/reference/domain.md`` §5.1-5.2, which cites the DfE validators
(``data-to-insight/csc-validator-be-903``, ``csc-validator-be-cin``) and the liia-tools schemas.
"""

from __future__ import annotations

from typing import Final

from csc_mlflow._groupings import ETHNIC_CODES
from csc_mlflow.exceptions import UsageError

__all__ = [
    "COLLECTION_YEARS",
    "ETHNIC_CODES",
    "placement_codes",
    "sex_codes",
]

COLLECTION_YEARS: Final = ("2022-23", "2023-24", "2024-25", "2025-26")

RNE_CODES: Final = ("S", "L", "P", "T", "B", "U")
LS_CODES: Final = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3")
CIN_CODES: Final = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
PROVIDER_CODES: Final = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
REC_CODES: Final = (
    "X1",
    "E11",
    "E12",
    "E2",
    "E3",
    "E4A",
    "E4B",
    "E13",
    "E41",
    "E45",
    "E46",
    "E47",
    "E48",
    "E5",
    "E6",
    "E7",
    "E9",
    "E14",
    "E15",
    "E16",
    "E17",
    "E8",
)
REASON_PLACE_CHANGE_CODES: Final = (
    "CARPL",
    "CLOSE",
    "ALLEG",
    "STAND",
    "APPRR",
    "CREQB",
    "CREQO",
    "CHILD",
    "LAREQ",
    "PLACE",
    "CUSTOD",
    "OTHER",
)
UPN_UNKNOWN_CODES: Final = ("UN1", "UN2", "UN3", "UN4", "UN5")

_PLACE_2022: Final = (
    "A3",
    "A4",
    "A5",
    "A6",
    "H5",
    "K1",
    "K2",
    "P1",
    "P2",
    "P3",
    "R1",
    "R2",
    "R3",
    "R5",
    "S1",
    "T0",
    "T1",
    "T2",
    "T3",
    "T4",
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "Z1",
)


def placement_codes(collection_year: str) -> tuple[str, ...]:
    """Valid PLACE codes: K3 added and P2 withdrawn in 2023-24; H5/Z1 replaced by Z11-Z14
    in 2025-26."""
    _check_year(collection_year)
    if collection_year == "2022-23":
        return _PLACE_2022
    codes = tuple(c for c in _PLACE_2022 if c != "P2") + ("K3",)
    if collection_year >= "2025-26":
        codes = tuple(c for c in codes if c not in ("H5", "Z1")) + ("Z11", "Z12", "Z13", "Z14")
    return codes


def sex_codes(collection_year: str) -> tuple[str, ...]:
    """Valid SEX codes: 1/2 until 2023-24; M/F/U from 2024-25."""
    _check_year(collection_year)
    return ("M", "F", "U") if collection_year >= "2024-25" else ("1", "2")


def collection_end(collection_year: str) -> str:
    """31 March at the end of ``collection_year`` (ISO date)."""
    _check_year(collection_year)
    return f"{int(collection_year[:4]) + 1}-03-31"


def _check_year(collection_year: str) -> None:
    if collection_year not in COLLECTION_YEARS:
        raise UsageError(
            f"collection_year must be one of {', '.join(COLLECTION_YEARS)}; "
            f"found {collection_year!r}",
            key="collection_year",
        )


SSDA903_TABLES: Final = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
    ),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "OC2": (
        "CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
        "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": (
        "CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "PlacedAdoption": (
        "CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED",
    ),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
}  # fmt: skip
"""The columns of each table of the DfE SSDA903 CSV specification."""
SSDA903_DATES: Final = frozenset(
    {"DOB", "MC_DOB", "DECOM", "DEC", "REVIEW", "DUC", "DATE_INT", "DATE_MATCH", "DATE_PLACED",
     "DATE_PLACED_CEASED", "MIS_START", "MIS_END"}
)  # fmt: skip

CIN_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "Header": ("Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode"),
    "ChildIdentifiers": (
        "LAchildID",
        "UPN",
        "FormerUPN",
        "UPNunknown",
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "GenderCurrent",
        "Sex",
        "PersonDeathDate",
    ),
    "ChildCharacteristics": ("LAchildID", "Ethnicity"),
    "Disabilities": ("LAchildID", "Disability"),
    "CINdetails": (
        "LAchildID",
        "CINdetailsID",
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "CINclosureDate",
        "ReasonForClosure",
        "DateOfInitialCPC",
        "ReferralNFA",
    ),
    "Assessments": (
        "LAchildID",
        "CINdetailsID",
        "AssessmentID",
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate",
        "AssessmentFactors",
    ),
    "CINplanDates": ("LAchildID", "CINdetailsID", "CINPlanStartDate", "CINPlanEndDate"),
    "Section47": (
        "LAchildID",
        "CINdetailsID",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "DateOfInitialCPC",
        "ICPCnotRequired",
    ),
    "ChildProtectionPlans": (
        "LAchildID",
        "CINdetailsID",
        "CPPID",
        "CPPstartDate",
        "CPPendDate",
        "InitialCategoryOfAbuse",
        "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP",
    ),
    "Reviews": ("LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"),
}
"""Each table of a CIN census and its columns, as the DfE validator names them."""

CIN_DATES: Final = frozenset(
    {
        "ReferenceDate",
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "PersonDeathDate",
        "CINreferralDate",
        "CINclosureDate",
        "DateOfInitialCPC",
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate",
        "CINPlanStartDate",
        "CINPlanEndDate",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "CPPstartDate",
        "CPPendDate",
        "CPPreviewDate",
    }
)

UNREADABLE_DATE_RULES: Final = {
    ("Header", "MC_DOB"): "903-171",
    ("Episodes", "DEC"): "903-147",
    ("UASC", "DUC"): "903-104",
    ("AD1", "DATE_INT"): "903-112",
    ("AD1", "DATE_MATCH"): "903-113",
    ("PlacedAdoption", "DATE_PLACED"): "903-115",
    ("PlacedAdoption", "DATE_PLACED_CEASED"): "903-116",
    ("Missing", "MIS_END"): "903-1005",
}
"""The SSDA903 date columns with a DfE rule for a value that is not a date: reading a return
keeps such a cell (blank, with ``<column>__unreadable`` set) for the rule to count, where any
other unreadable date stops the reading."""
UNREADABLE_SUFFIX: Final = "__unreadable"
