"""The CIN census half of ``benchmarks/dfe_agreement.py`` (dev only, not in CI).

Generates synthetic censuses with planted defects and the edge cases rule texts turn on,
writes each as the DfE XML, reads it with csc-mlflow's reader and, in the reference's own
virtual environment, with the reference's ingress; runs every rule both sides have and
compares the rows each flags, table by table.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _agreement_tally import tally

from csc_mlflow.datasets import make_cin_census
from csc_mlflow.quality._read_cin import read_cin_census
from csc_mlflow.quality._return import return_suites
from csc_mlflow.quality._views import table_view


def edge_cases(tables: dict[str, pd.DataFrame], seed: int) -> None:
    """Spoil a few rows in the ways the CIN rules' texts turn on (in place)."""
    rng = np.random.default_rng(seed)

    def rows(frame: pd.DataFrame, n: int, mask: Any = None) -> np.ndarray:
        pool = frame.index[mask].to_numpy() if mask is not None else frame.index.to_numpy()
        return rng.choice(pool, size=min(n, len(pool)), replace=False)

    ids, cin = tables["ChildIdentifiers"], tables["CINdetails"]
    ids.loc[rows(ids, 2), "Sex"] = None
    for value in ("A1234567890123", "A12345678901I", "A1234X6789012", "A12"):
        ids.loc[rows(ids, 1), "UPN"] = value
    ids.loc[rows(ids, 2), "UPN"] = "A123456789012"  # two children, one UPN
    ids.loc[rows(ids, 2), "FormerUPN"] = "1234567890123"
    ids.loc[rows(ids, 1), "LAchildID"] = "A-1"  # not letters and digits
    born = ids["PersonBirthDate"].notna()
    dead = rows(ids, 3, born)
    ids.loc[dead, "PersonDeathDate"] = ids.loc[dead, "PersonBirthDate"] + pd.Timedelta(days=30)
    tables["ChildCharacteristics"].loc[rows(tables["ChildCharacteristics"], 2), "Ethnicity"] = None
    dis = tables["Disabilities"]
    extra = dis.loc[rows(dis, 2, dis["Disability"].eq("NONE"))].assign(Disability="MOB")
    twice = dis.loc[rows(dis, 2, dis["Disability"].ne("NONE"))]
    tables["Disabilities"] = pd.concat([dis, extra, twice], ignore_index=True)
    cin.loc[rows(cin, 2, cin["ReferralNFA"].eq("false")), "ReferralNFA"] = "False"
    cin.loc[rows(cin, 2, cin["ReferralNFA"].eq("false")), "PrimaryNeedCode"] = None
    cin.loc[rows(cin, 2), "ReferralSource"] = "11"
    closed = cin["CINclosureDate"].notna()
    cin.loc[rows(cin, 2, closed), "ReasonForClosure"] = None
    s47 = tables["Section47"]
    weekend = rows(s47, 2)
    s47.loc[weekend, "DateOfInitialCPC"] = s47.loc[weekend, "DateOfInitialCPC"].map(
        lambda d: d + pd.Timedelta(days=5 - d.day_of_week)
    )  # the Saturday after
    cpp = tables["ChildProtectionPlans"]
    cpp.loc[rows(cpp, 2), "LatestCategoryOfAbuse"] = "ABC"
    plans = tables["CINplanDates"]
    same = rows(plans, 2, plans["CINPlanEndDate"].notna())
    plans.loc[same, "CINPlanEndDate"] = plans.loc[same, "CINPlanStartDate"]
    assessments = tables["Assessments"]
    done = assessments["AssessmentFactors"].notna()
    assessments.loc[rows(assessments, 2, done), "AssessmentFactors"] = "18A,2B"


def run(
    args: Any,
    python: Path,
    our_flags: Callable[[pd.DataFrame, Any], dict[str, set[int]]],
) -> tuple[int, int, dict[str, list[str]], set[str]]:
    """Compare both sides on ``args.seeds`` censuses; returns shared, agree, the disagreements
    and the rules with a documented reference difference."""
    ruleset = "cin20" + args.year[2:4] + "_" + args.year[-2:]
    shared = agree = 0
    disagreements: dict[str, list[str]] = {}
    documented: set[str] = set()
    suites = return_suites("cin", args.year)
    for seed in range(args.seeds):
        data = make_cin_census(
            args.children,
            year=args.year,
            seed=seed,
            defects={"invalid_sex": 3, "closure_before_referral": 4,
                     "assessment_before_referral": 3, "plan_ends_before_start": 4},
        )  # fmt: skip
        tables = {k: v.copy() for k, v in data.tables.items()}
        edge_cases(tables, seed)
        with tempfile.TemporaryDirectory() as tmp:
            path = type(data)(year=data.year, tables=tables, planted={}).write_xml(
                Path(tmp) / "census.xml"
            )
            read = read_cin_census(path)
            ours: dict[str, dict[str, set[int]]] = {}
            for suite in suites:
                view = table_view(read, str(suite.table), suite.join, suite.key)
                ours[str(suite.table)] = our_flags(view, suite)
                documented |= {r.rule for r in suite.rules if r.reference_note}
            codes = sorted({r.removeprefix("CIN-") for t in ours.values() for r in t})
            done = subprocess.run(
                [str(python), str(Path(__file__).with_name("_dfe_reference_cin.py")), str(path),
                 ruleset, ",".join(codes)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        reference = json.loads(done.stdout.strip().splitlines()[-1])
        counted = tally(ours, reference, prefix="CIN-", seed=seed, disagreements=disagreements)
        shared, agree = shared + counted[0], agree + counted[1]
    return shared, agree, disagreements, documented
