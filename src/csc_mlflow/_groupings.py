"""Ready-made groupings of CSC codes into the groups DfE publishes (pure data).

A sensitive feature in the policy may name one of these (``grouping: dfe_ethnicity_major``)
instead of spelling its groups out. Sources: ``shared/reference/domain.md`` §5.1-5.2 (code
lists) and §6.1 (DfE major ethnic groups, age bands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

NOT_RECORDED: Final = "Not recorded"
"""Label of the group that collects missing values: groups are never dropped."""


@dataclass(frozen=True)
class CodeGroupingDefinition:
    """Raw codes mapped to group labels; codes not listed go to ``other`` (or are an error)."""

    name: str
    description: str
    groups: MappingProxyType[str, tuple[str, ...]]
    other: str | None = None
    kind: Literal["codes"] = field(default="codes")


@dataclass(frozen=True)
class AgeBandDefinition:
    """Ages (whole years at a reference date) cut into bands at ``edges``."""

    name: str
    description: str
    edges: tuple[int, ...]
    labels: tuple[str, ...]
    kind: Literal["age_bands"] = field(default="age_bands")


GroupingDefinition = CodeGroupingDefinition | AgeBandDefinition

_ETHNIC_MAJOR = {
    "White": ("WBRI", "WIRI", "WIRT", "WOTH", "WROM"),
    "Mixed": ("MWBC", "MWBA", "MWAS", "MOTH"),
    "Asian": ("AIND", "APKN", "ABAN", "AOTH"),
    "Black": ("BCRB", "BAFR", "BOTH"),
    "Other": ("CHNE", "OOTH"),
    "Refused or not obtained": ("REFU", "NOBT"),
}

ETHNIC_CODES: Final = tuple(code for codes in _ETHNIC_MAJOR.values() for code in codes)

GROUPINGS: Final[MappingProxyType[str, GroupingDefinition]] = MappingProxyType(
    {
        "dfe_ethnicity_major": CodeGroupingDefinition(
            name="dfe_ethnicity_major",
            description="The 20 DfE ethnicity codes in their major groups (DfE CLA/CIN tables).",
            groups=MappingProxyType(_ETHNIC_MAJOR),
        ),
        "dfe_ethnicity_minor": CodeGroupingDefinition(
            name="dfe_ethnicity_minor",
            description="The 20 DfE ethnicity codes, each its own group.",
            groups=MappingProxyType({code: (code,) for code in ETHNIC_CODES}),
        ),
        "dfe_sex": CodeGroupingDefinition(
            name="dfe_sex",
            description="SSDA903/CIN sex: 1/M male, 2/F female, 0/9/U unknown or indeterminate.",
            groups=MappingProxyType(
                {"Male": ("1", "M"), "Female": ("2", "F"), "Unknown": ("0", "9", "U")}
            ),
        ),
        "disability_yes_no": CodeGroupingDefinition(
            name="disability_yes_no",
            description="CIN disability codes: NONE is 'No'; any other code is 'Yes'.",
            groups=MappingProxyType({"No": ("NONE",)}),
            other="Yes",
        ),
        "uasc_yes_no": CodeGroupingDefinition(
            name="uasc_yes_no",
            description="Unaccompanied asylum-seeking child flag: 1 is 'Yes', 0 is 'No'.",
            groups=MappingProxyType({"Yes": ("1", "true", "True"), "No": ("0", "false", "False")}),
        ),
        "dfe_age_band": AgeBandDefinition(
            name="dfe_age_band",
            description="Age in whole years: Under 1, 1-4, 5-9, 10-15, 16 and over (DfE CLA).",
            edges=(1, 5, 10, 16),
            labels=("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"),
        ),
    }
)
