"""Notebooks: compact, self-contained HTML for each result; fairlearn's by_group; the example
notebook executed end to end."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from csc_mlflow.fairness import compute_fairness
from csc_mlflow.quality import load_suite
from csc_mlflow.quality._validate import validate_frame

from .conftest import REPO


def _frame(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["a", "b"], n),
            "eth": rng.choice(["x", "y", "z", "tiny"], n, p=[0.5, 0.3, 0.199, 0.001]),
        }
    )
    y_true = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < 0.3 + 0.4 * y_true).astype(int)
    return frame, y_true, y_pred


def test_by_group_matches_fairlearn_metricframe() -> None:
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

    frame, y_true, y_pred = _frame()
    result = compute_fairness(y_true, y_pred, frame[["sex"]])
    ours = result.by_group
    assert list(ours.index.names) == ["feature", "group"]
    assert "selection_rate" in ours.columns
    assert "true_positive_rate" in ours.columns
    theirs = MetricFrame(
        metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=frame["sex"],
    ).by_group
    for group in ("a", "b"):
        for metric in ("selection_rate", "true_positive_rate"):
            assert abs(ours.loc[("sex", group), metric] - theirs.loc[group, metric]) < 1e-12
        assert ours.loc[("sex", group), "count"] == int((frame["sex"] == group).sum())


def test_by_group_and_reprs_publish_no_small_count() -> None:
    frame, y_true, y_pred = _frame()
    tiny = int((frame["eth"] == "tiny").sum())
    assert 1 <= tiny <= 5
    result = compute_fairness(y_true, y_pred, frame[["eth"]])
    table = result.by_group
    pooled = [g for g in table.index.get_level_values("group") if g != "x" and g != "y"]
    assert pooled  # 'tiny' is pooled (raw values held by few children are never named)
    assert "tiny" not in table.index.get_level_values("group")
    shown = table["count"].dropna().astype(int)
    assert not ((shown >= 1) & (shown <= 5)).any()
    html = result._repr_html_()
    assert "tiny" not in html
    assert "<script" not in html
    assert len(repr(result)) < 300


def test_data_quality_repr_is_compact_and_withholds_small_counts() -> None:
    suite = load_suite("ssda903/header@2024-25")
    from csc_mlflow.datasets import make_ssda903

    data = make_ssda903(400, seed=3, defects={"invalid_sex": 3}, collection_year="2024-25")
    result = validate_frame(data.header, suite)
    assert len(repr(result)) < 300
    assert "Suite(" not in repr(result)
    html = result._repr_html_()
    assert "Data quality: ssda903/header@2024-25" in html
    assert "FAILED" in html
    row = next(r for r in html.split("<tr>") if "903-103" in r or ">c<" in r)
    assert ">c<" in row  # 3 failing rows: withheld
    assert not re.search(r">\s*3\s*<", html)


def test_the_example_notebook_runs_and_shows_each_result(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(REPO / "examples" / "notebook.ipynb", as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "examples")}},
    ).execute()
    html = [
        output["data"]["text/html"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]
    joined = "\n".join(html)
    assert "Data quality: ssda903/header@2024-25" in joined
    assert "Fairness:" in joined
    assert "Governance of run" in joined
    assert "selection_rate" in joined  # the by_group DataFrame
    assert len(joined) < 200_000
    assert not (REPO / "examples" / "mlruns").exists()  # nothing left beside the notebook
