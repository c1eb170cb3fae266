"""Synthetic batches of live data for monitoring, with planted shifts (no real child's data).

A batch is a modelling frame (one row per child, as ``SyntheticSSDA903.modelling_frame``,
with the Header's columns, so the Header's DfE rules can check it) for new children from the
same process as the training data, so an unshifted batch is stable; each shift is planted
exactly and reported in ``frame.attrs["planted"]``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from csc_mlflow import _codes as codes
from csc_mlflow._groupings import GROUPINGS, CodeGroupingDefinition
from csc_mlflow.datasets._ssda903 import make_ssda903
from csc_mlflow.exceptions import UsageError

__all__ = ["make_monitoring_batch"]

_FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")


def make_monitoring_batch(
    n_children: int = 2000,
    *,
    seed: int = 100,
    collection_year: str = "2024-25",
    cin_mix: Mapping[str, float] | None = None,
    placement_shift: float = 0.0,
    group_shift: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """A batch of new children for monitoring, optionally with planted shifts.

    Parameters
    ----------
    n_children : int
        Children in the Header table the batch is drawn from (one row per child with an
        episode).
    seed : int
        Same seed, same batch; use seeds other than the training data's.
    cin_mix : mapping of str to float, optional
        A new code mix: each child's category of need (``cin``) redrawn with these shares
        (CIN codes N1 to N8; shares are normalised).
    placement_shift : float
        The share of children in foster placements (U1 to U6) moved to a children's home
        (K2): a changed placement pattern.
    group_shift : mapping of str to int, optional
        For children in a DfE ethnic major group, this many more episodes and moves, so a
        model of care history flags more of that group and few others: a group whose rate
        moves (e.g. ``{"Black": 3}``).

    Examples
    --------
    >>> batch = make_monitoring_batch(500, seed=3, placement_shift=0.5)
    >>> batch.attrs["planted"]["placement_shift"] > 0
    True
    """
    if not 0.0 <= placement_shift <= 1.0:
        raise UsageError(
            f"placement_shift is a share from 0 to 1; found {placement_shift}",
            key="placement_shift",
        )
    data = make_ssda903(n_children, seed=seed, collection_year=collection_year)
    frame = data.modelling_frame()
    # The Header's own columns back beside the features, so its DfE rules check the batch.
    kept = data.header.drop_duplicates("CHILD").set_index("CHILD")[["UPN", "MOTHER", "MC_DOB"]]
    frame = frame.join(kept, on="CHILD")
    rng = np.random.default_rng(seed + 7)
    planted: dict[str, int] = {}
    if cin_mix:
        unknown = sorted(set(cin_mix) - set(codes.CIN_CODES))
        if unknown or any(share < 0 for share in cin_mix.values()) or not sum(cin_mix.values()):
            raise UsageError(
                f"cin_mix: shares (at least one above 0) of CIN codes "
                f"{', '.join(codes.CIN_CODES)}; found {dict(cin_mix)}",
                key="cin_mix",
            )
        labels = list(cin_mix)
        shares = np.array([cin_mix[c] for c in labels], dtype=float)
        frame["cin"] = rng.choice(labels, size=len(frame), p=shares / shares.sum())
        planted["cin_mix"] = len(frame)
    if placement_shift:
        foster = np.flatnonzero(frame["place_latest"].isin(_FOSTER).to_numpy())
        moved = rng.choice(foster, size=round(placement_shift * len(foster)), replace=False)
        frame.loc[frame.index[moved], "place_latest"] = "K2"
        planted["placement_shift"] = len(moved)
    if group_shift:
        major = GROUPINGS["dfe_ethnicity_major"]
        assert isinstance(major, CodeGroupingDefinition)
        unknown = sorted(set(group_shift) - set(major.groups))
        if unknown:
            raise UsageError(
                f"group_shift: unknown ethnic groups {unknown}; expected some of "
                f"{', '.join(major.groups)}",
                key="group_shift",
            )
        for group, extra in group_shift.items():
            members = frame["ETHNIC"].isin(major.groups[group]).to_numpy()
            frame.loc[members, "n_episodes"] += int(extra)
            frame.loc[members, "n_moves"] += int(extra)
            planted[f"group_shift.{group}"] = int(members.sum())
    frame.attrs["planted"] = planted
    return frame
