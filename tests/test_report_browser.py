"""The report in the real MLflow UI, in headless Chromium (Debian's chromium, via Playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

import csc_mlflow
from csc_mlflow.datasets import make_ssda903

from .conftest import REPO
from .server import MlflowServer

pytestmark = pytest.mark.server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POLICY = """version: 1
project: {name: browser-check, owner: Test Data Team}
datasets: {header: {suite: ssda903/header@2024-25}}
fairness:
  sensitive_features: {ethnicity: {column: ETHNIC, grouping: dfe_ethnicity_major}}
  min_group_size: 10
"""


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowServer]:
    instance = MlflowServer(tmp_path / "server")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", instance.url)
    mlflow.set_tracking_uri(instance.url)
    yield instance
    instance.stop()


def test_report_verdict_and_suppressed_cell_visible_in_the_mlflow_ui(
    server: MlflowServer, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    policy = tmp_path / "governance.yaml"
    policy.write_text(POLICY)
    experiment = mlflow.set_experiment("browser")
    data = make_ssda903(200, seed=2, defects={"invalid_sex": 3})  # failing data quality
    header = data.header.copy()
    header.loc[:2, "ETHNIC"] = "CHNE"  # a group of 3: suppressed
    y = np.random.default_rng(1).integers(0, 2, len(header))
    with csc_mlflow.governed_run(policy) as run:
        mlflow.log_input(mlflow.data.from_pandas(header, name="header"), context="source")
        csc_mlflow.evaluate_fairness(
            y, y, sensitive_features=pd.DataFrame({"ETHNIC": header["ETHNIC"]})
        )
    url = (
        f"{server.url}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}"
        "/artifacts/governance/report.html"
    )
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            frame_element = page.wait_for_selector("iframe", timeout=60_000)
            frame = frame_element.content_frame()
            assert frame is not None
            verdict = frame.locator("#verdict")
            verdict.wait_for(timeout=30_000)
            assert verdict.is_visible()
            assert "FAILED" in frame.locator(".verdict").inner_text()
            suppressed = frame.locator("td", has_text=re.compile(r"^c$"))
            assert (
                suppressed.count() >= 2
            )  # the small group, and one hidden so it cannot be derived
            rows = [suppressed.nth(i).locator("xpath=..") for i in range(suppressed.count())]
            small = next(r for r in rows if "insufficient evidence" in r.inner_text())
            small.scroll_into_view_if_needed()
            assert small.is_visible()
            assert "withheld" in small.inner_text()
            page.screenshot(path=str(shots / "report-in-mlflow-ui.png"), full_page=False)
        finally:
            browser.close()
    assert (shots / "report-in-mlflow-ui.png").stat().st_size > 10_000
