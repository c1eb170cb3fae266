"""Do csc-mlflow's DfE rules flag the same rows as the DfE community validators? (dev only)

Installs the reference (`csc-validator-be-903` on PyPI, module `lac_validator`; it needs
pandas < 2) into its own virtual environment, generates synthetic SSDA903 returns with planted
defects and edge cases each rule's text turns on (blank codes, withdrawn codes, temporary and
malformed UPNs, UN1-UN5, ...), runs every rule both sides share on the same rows and prints,
per rule, the rows each side flags, then ``shared, agree, disagree``. Row positions stay on
the developer's machine; nothing is logged anywhere.

Run: python benchmarks/dfe_agreement.py [--year 2024-25] [--children 3000] [--venv .refvenv]
Not part of CI: it installs packages from PyPI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from _agreement_tally import tally

from csc_mlflow._codes import SSDA903_TABLES
from csc_mlflow.datasets import make_ssda903
from csc_mlflow.quality._return import _lacking, return_suites
from csc_mlflow.quality._suite import load_suite
from csc_mlflow.quality._validate import gx_context, gx_suite, prepare
from csc_mlflow.quality._views import join_source, table_view

REFERENCE = ("csc-validator-be-903==0.1.17", "csc-validator-be-cin==0.1.13")


def reference_python(venv: Path) -> Path:
    """The reference's interpreter, installing it into ``venv`` the first time."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REFERENCE], check=True)
    return python


def edge_cases(header: pd.DataFrame, episodes: pd.DataFrame, seed: int) -> None:
    """Spoil a few rows in the ways the rules' texts turn on (in place)."""
    rng = np.random.default_rng(seed)

    def rows(frame: pd.DataFrame, n: int) -> np.ndarray:
        return rng.choice(frame.index.to_numpy(), size=n, replace=False)

    header.loc[rows(header, 3), "SEX"] = None
    header["MOTHER"] = header["MOTHER"].astype(object)  # stays 0/1 in the CSV, not 0.0/1.0
    header.loc[rows(header, 6), "MOTHER"] = None  # 393: a girl looked after, mother not given
    header.loc[rows(header, 3), "ETHNIC"] = None
    for value in ("A12345678901B", "A1234567890123", "UN6", "UN1", "UN1", "I12345678901", "12"):
        header.loc[rows(header, 1), "UPN"] = value
    header.loc[rows(header, 2), "UPN"] = None
    twin = rows(header, 2)
    header.loc[twin, "UPN"] = "A123456789012"
    # Periods: back-to-back episodes of one child with the same short legal status, and open
    # short breaks (both run together / to the collection end under 903-361 to 903-365).
    chained = episodes.index[
        episodes["CHILD"].eq(episodes["CHILD"].shift(-1))
        & episodes["DEC"].eq(episodes["DECOM"].shift(-1))
    ].to_numpy()
    for status, n in (("L1", 3), ("L2", 3), ("L3", 2)):
        for first in rng.choice(chained, size=n, replace=False):
            episodes.loc[[first, first + 1], "LS"] = status
    for second in rng.choice(chained, size=3, replace=False) + 1:  # 501: overlapping episodes
        episodes.loc[second, "DECOM"] = episodes.loc[second, "DECOM"] - pd.Timedelta(days=2)
    for code, place in (("PR2", "R2"), ("PR3", "U3"), ("PR4", "P1"), ("PR5", "P1")):  # 528-531
        episodes.loc[rows(episodes, 1), ["PLACE", "PLACE_PROVIDER"]] = [place, code]
    episodes.loc[rows(episodes, 2), ["PLACE", "RNE", "PLACE_PROVIDER"]] = ["T1", "L", None]  # 380
    closed = episodes.index[episodes["DEC"].notna()].to_numpy()
    picked = rng.choice(closed, size=2, replace=False)  # 381: a period ending in a T placement
    episodes.loc[picked, ["PLACE", "REC", "PLACE_PROVIDER"]] = ["T0", "E11", None]
    open_rows = episodes.index[episodes["DEC"].isna() & episodes["DECOM"].notna()].to_numpy()
    episodes.loc[rng.choice(open_rows, size=3, replace=False), "LS"] = "V3"
    episodes.loc[rows(episodes, 3), "PLACE"] = "P2"
    episodes.loc[rows(episodes, 2), "PLACE"] = None
    episodes.loc[rows(episodes, 2), "LS"] = None
    episodes.loc[rows(episodes, 2), "RNE"] = None


def our_flags(frame: pd.DataFrame, ref: Any) -> dict[str, set[int]]:
    """Rule id -> the row positions our suite (a reference or a loaded suite) flags (dev
    only: COMPLETE result format)."""
    suite = load_suite(ref) if isinstance(ref, str) else ref
    prepared = prepare(frame.reset_index(drop=True), suite)
    context = gx_context()
    batch = (
        context.data_sources.get("csc_mlflow")
        .get_asset("frame")
        .get_batch_definition("whole")
        .get_batch(batch_parameters={"dataframe": prepared})
    )
    outcome = batch.validate(gx_suite(suite), result_format={"result_format": "COMPLETE"})
    flags: dict[str, set[int]] = {}
    for result in outcome.results:
        rule = str((result.expectation_config.meta or {}).get("rule"))
        found = flags.setdefault(rule, set())
        details = result.result or {}
        found.update(int(i) for i in details.get("unexpected_index_list") or [])
        if not result.success and not details.get("unexpected_index_list"):
            found.add(-1)  # a table-level failure (no rows named)
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2024-25")
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=Path(".refvenv"))
    parser.add_argument("--collection", choices=["903", "cin"], default="903")
    args = parser.parse_args()
    python = reference_python(args.venv)
    if args.collection == "cin":
        from _dfe_agreement_cin import run

        if args.year == "2024-25" and "--year" not in sys.argv:
            args.year = "2025-26"
        shared, agree, disagreements, documented = run(args, python, our_flags)
        report(shared, agree, disagreements, documented)
        return
    year_end = "20" + args.year[-2:]
    shared = agree = 0
    disagreements: dict[str, list[str]] = {}
    documented: set[str] = set()
    for seed in range(args.seeds):
        data = make_ssda903(
            args.children,
            seed=seed,
            collection_year=args.year,
            defects={
                "invalid_ethnicity": 4,
                "missing_ethnicity": 3,
                "invalid_sex": 3,
                "invalid_upn": 3,
                "dob_after_collection_end": 2,
                "dec_before_decom": 4,
                "invalid_placement": 4,
                "invalid_legal_status": 3,
                "missing_decom": 2,
                "rec_without_dec": 3,
            },
        )
        header, episodes = data.header.copy(), data.episodes.copy()
        edge_cases(header, episodes, seed)
        this = {**data.tables, "Header": header, "Episodes": episodes}
        last = data.last_year()  # before the edge cases: 501's moved starts meet 502 too
        every = {**this, **{f"{name}_last": frame for name, frame in last.items()}}
        ours_by_table: dict[str, dict[str, set[int]]] = {}
        for suite in return_suites("903", args.year):
            needed = [str(suite.table), *(join_source(s)[0] for s in suite.join)]
            if not all(t in every for t in needed) or every[needed[0]].empty:
                continue
            if suite.needs and _lacking(suite, every):  # 503G/H/J: no postcode-derived columns
                continue
            view = table_view(every, str(suite.table), suite.join, suite.key)
            found = ours_by_table.setdefault(str(suite.table), {})
            for rule, rows in our_flags(view, suite).items():
                found.setdefault(rule, set()).update(rows)
            documented.update(r.rule for r in suite.rules if r.reference_note)
        with tempfile.TemporaryDirectory() as tmp:
            folders = {"this": (Path(tmp) / "this", this), "last": (Path(tmp) / "last", last)}
            for folder, tables in folders.values():
                folder.mkdir()
                for name, frame in tables.items():
                    out = frame.reindex(columns=list(SSDA903_TABLES[name])).copy()
                    for column in out.columns:
                        if pd.api.types.is_datetime64_any_dtype(out[column]):
                            out[column] = out[column].dt.strftime("%d/%m/%Y")
                    out.to_csv(folder / f"{name.lower()}.csv", index=False)
            codes = sorted(
                {r.removeprefix("903-") for t in ours_by_table.values() for r in t}
                - {"903-INT32", "INT32"}
            )
            done = subprocess.run(
                [str(python), str(Path(__file__).with_name("_dfe_reference.py")),
                 str(folders["this"][0]), year_end, ",".join(codes), str(folders["last"][0])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        reference = json.loads(done.stdout.strip().splitlines()[-1])
        counted = tally(
            ours_by_table, reference, prefix="903-", seed=seed, disagreements=disagreements
        )
        shared, agree = shared + counted[0], agree + counted[1]
    report(shared, agree, disagreements, documented)


def report(
    shared: int, agree: int, disagreements: dict[str, list[str]], documented: set[str]
) -> None:
    """Print each disagreeing rule, then ``shared, agree, disagree``."""
    for rule, lines in sorted(disagreements.items()):
        label = (
            " (documented reference difference, see docs/rules.md)" if rule in documented else ""
        )
        print(f"{rule}{label}: " + "; ".join(lines))
    unexplained = sorted(set(disagreements) - documented)
    print(
        f"shared {shared}, agree {agree}, disagree {shared - agree} (rule x table x seed checks); "
        f"{len(disagreements)} rules disagree at least once, {len(unexplained)} of them "
        f"undocumented{': ' + ', '.join(unexplained) if unexplained else ''}"
    )


if __name__ == "__main__":
    main()
