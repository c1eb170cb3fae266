"""The report in the real MLflow UI, in headless Chromium (Debian's chromium, via Playwright)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    with chromium_page(1400, 1000) as page:
        page.goto(url)
        frame_element = page.wait_for_selector("iframe", timeout=60_000)
        frame = frame_element.content_frame()
        assert frame is not None
        verdict = frame.locator("#verdict")
        verdict.wait_for(timeout=30_000)
        assert verdict.is_visible()
        assert "FAILED" in frame.locator(".verdict").inner_text()
        suppressed = frame.locator("td", has_text=re.compile(r"^c$"))
        assert suppressed.count() >= 2  # the small group, and one hidden so it cannot be derived
        rows = [suppressed.nth(i).locator("xpath=..") for i in range(suppressed.count())]
        small = next(r for r in rows if "insufficient evidence" in r.inner_text())
        small.scroll_into_view_if_needed()
        assert small.is_visible()
        assert "withheld" in small.inner_text()
        page.screenshot(path=str(shots / "report-in-mlflow-ui.png"), full_page=False)
    assert (shots / "report-in-mlflow-ui.png").stat().st_size > 10_000


ROW_TEXT = """name => {
  const rows = [...document.querySelectorAll('.ag-row')];
  const hit = rows.find(r => r.innerText.includes(name));
  if (!hit) return '';
  const index = hit.getAttribute('row-index');
  return rows.filter(r => r.getAttribute('row-index') === index).map(r => r.innerText).join(' ');
}"""


@contextlib.contextmanager
def chromium_page(width: int, height: int) -> Iterator[Any]:
    """A page of Debian's headless Chromium at ``width`` x ``height``, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def run_quickstart(folder: Path, tracking_uri: str | None = None) -> str:
    """Run examples/quickstart.py in ``folder`` (its SQLite store, or ``tracking_uri``); what
    it printed."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    if tracking_uri is not None:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    return subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout


def run_row(page: Any, run_name: str, expected: str) -> str:
    """The whole row of a run in MLflow's run list (AG Grid splits a row into a pinned part
    and a scrolling part), once it shows ``expected`` (or after a minute: the caller checks)."""
    with contextlib.suppress(Exception):  # the assertion that follows shows what it held
        page.wait_for_function(
            f"([name, expected]) => ({ROW_TEXT})(name).includes(expected)",
            arg=[run_name, expected],
            timeout=60_000,
        )
    return str(page.evaluate(ROW_TEXT, run_name))


GATED = POLICY + "gate: {staging: {require: [data_quality]}}\n"


def test_run_version_and_governance_pages_show_the_status(tmp_path: Path) -> None:
    from sklearn.dummy import DummyClassifier

    policy = tmp_path / "governance.yaml"
    policy.write_text(GATED)
    server = MlflowServer(
        tmp_path / "server", app_name="csc-governance", env={"CSC_MLFLOW_POLICY": str(policy)}
    )
    try:
        mlflow.set_tracking_uri(server.url)
        experiment = mlflow.set_experiment("pages")
        data = make_ssda903(300, seed=4)
        with csc_mlflow.governed_run(policy, run_name="pages-run") as run:
            mlflow.log_input(mlflow.data.from_pandas(data.header, name="header"), context="source")
            mlflow.log_metric("test_accuracy", 0.75)
            mlflow.sklearn.log_model(
                DummyClassifier().fit([[0], [1]], [0, 1]),
                name="model",
                registered_model_name="pages-model",
                pip_requirements=["scikit-learn"],
            )
        mlflow.MlflowClient().set_registered_model_alias("pages-model", "staging", "1")
        status = mlflow.get_run(run.info.run_id).data.tags["csc.governance.status"].upper()
        shots = REPO / "test-artifacts"
        shots.mkdir(exist_ok=True)
        pages = {
            "run-list": f"{server.url}/{csc_mlflow.runs_view_link(experiment.experiment_id)}",
            "run-page": f"{server.url}/#/experiments/{experiment.experiment_id}/runs/"
            f"{run.info.run_id}",
            "version-page": f"{server.url}/#/models/pages-model/versions/1",
            "governance-page": f"{server.url}/csc/governance",
        }
        with chromium_page(1400, 1000) as page:
            page.goto(pages["run-list"])
            page.get_by_text("pages-run").first.wait_for(timeout=60_000)
            page.get_by_text("csc.governance.status").first.wait_for(timeout=60_000)
            assert status.lower() in run_row(page, "pages-run", status.lower())
            page.screenshot(path=str(shots / "run-list.png"))
            page.goto(pages["run-page"])
            verdict = page.get_by_text(f"Governance status: {status}").first
            verdict.wait_for(timeout=60_000)  # the run's description opens with it
            assert verdict.is_visible()
            page.screenshot(path=str(shots / "run-page.png"))
            page.goto(pages["version-page"])
            summary = page.get_by_text(f"Governance status: {status}").first
            summary.wait_for(timeout=60_000)
            assert summary.is_visible()
            page.get_by_text("csc.governance.status").first.wait_for(timeout=30_000)
            page.screenshot(path=str(shots / "version-page.png"))
            page.goto(pages["governance-page"])
            row = page.locator("tr", has_text="pages-model")
            row.wait_for(timeout=30_000)
            assert status in row.inner_text()
            assert "staging" in row.inner_text()
            assert "MLflow" in page.locator("header").inner_text()
            page.screenshot(path=str(shots / "governance-page.png"))
    finally:
        server.stop()
    for name in pages:
        assert (shots / f"{name}.png").stat().st_size > 10_000


def test_the_quickstart_run_shows_its_status_in_the_mlflow_run_list(
    server: MlflowServer, tmp_path: Path
) -> None:
    """The quickstart, run against a real server, prints a link to the run list; there the
    run's governance status is a column (the experiment's shared view), next to the run."""
    printed = run_quickstart(tmp_path, server.url)
    assert "mlflow ui" not in printed  # against a server: its own address, no advice
    link = re.search(r"see it in the MLflow UI: (\S+)", printed)
    assert link is not None, printed
    url = link.group(1)
    assert url.startswith(server.url + "/#/experiments/")
    status = re.search(r"governance status (\w+)", printed).group(1).lower()  # type: ignore[union-attr]
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    with chromium_page(1400, 1000) as page:
        page.goto(url)
        page.get_by_text("quickstart").first.wait_for(timeout=60_000)
        header = page.get_by_text("csc.governance.status").first
        header.wait_for(timeout=60_000)
        assert status in run_row(page, "quickstart", status)
        page.screenshot(path=str(shots / "quickstart-run-list.png"))
    assert (shots / "quickstart-run-list.png").stat().st_size > 10_000


def test_the_quickstarts_report_opens_with_a_screen_for_the_accountable_officer(
    tmp_path: Path,
) -> None:
    """The quickstart's sealed report opened in Chromium: its first screen (1280x800) holds
    the verdict in words, what the model is for, and what needs to happen; screenshot kept."""
    from mlflow import MlflowClient

    printed = run_quickstart(tmp_path)
    run_id = re.search(r"^run (\w+):", printed, flags=re.M).group(1)  # type: ignore[union-attr]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    local = client.download_artifacts(run_id, "governance/report.html", str(tmp_path / "dl"))
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    with chromium_page(1280, 800) as page:
        page.goto(Path(local).as_uri())
        for words in (
            "The model must not be used yet",
            "Predicts which children who leave care",
            "What needs to happen",
        ):
            found = page.get_by_text(words).first
            assert found.is_visible(), words
            box = found.bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= 800, f"{words!r} is below the first screen"
        page.screenshot(path=str(shots / "report-first-page.png"))
    assert (shots / "report-first-page.png").stat().st_size > 10_000


def test_the_monitoring_history_shows_on_the_version_and_governance_pages(
    tmp_path: Path,
) -> None:
    """The quickstart against a governance server: its two monitored months appear in the
    version's description (one line per batch) and as charts on /csc/governance."""
    policy = REPO / "examples" / "governance.yaml"
    server = MlflowServer(
        tmp_path / "server", app_name="csc-governance", env={"CSC_MLFLOW_POLICY": str(policy)}
    )
    shots = REPO / "test-artifacts"
    shots.mkdir(exist_ok=True)
    try:
        printed = run_quickstart(tmp_path, server.url)
        assert "batch 2026-11: monitoring FAILED" in printed
        with chromium_page(1400, 1000) as page:
            page.goto(f"{server.url}/#/models/re-referral-risk/versions/1")
            page.get_by_text("Monitoring: 2 batches").first.wait_for(timeout=60_000)
            history = page.locator("tr", has_text="2026-11").first
            assert "failed" in history.inner_text()
            page.screenshot(path=str(shots / "version-monitoring.png"), full_page=True)
            page.goto(f"{server.url}/csc/governance")
            chart = page.locator('svg[aria-label="Largest drift (PSI) per batch"]').first
            chart.wait_for(timeout=30_000)
            assert chart.is_visible()
            assert "bound 0.2" in chart.text_content()
            row = page.locator("tr", has_text="re-referral-risk").first
            assert "failed" in row.inner_text()
            chart.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "governance-monitoring.png"))
    finally:
        server.stop()
    for name in ("version-monitoring", "governance-monitoring"):
        assert (shots / f"{name}.png").stat().st_size > 10_000
