"""The report of two runs opened from disk in headless Chromium: complete, quiet, and not blank."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from browser_helpers import console_errors
from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.report.runs_report import runs_report
from runs.service import execute_run
from runs.store import RunStore


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-report")
    configs = [RunConfig(data=DataConfig(limit=1500, val_size=500), train=TrainConfig(epochs=2)),
               RunConfig(data=DataConfig(limit=1500, val_size=500), model=ModelConfig(hidden_sizes=(32, 32)),
                         train=TrainConfig(epochs=3))]
    with RunStore.open(home) as store:
        runs = [store.get_run(execute_run(c, store=store).run_id) for c in configs]
        page = runs_report(runs, store.models_dir)
    path = home / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_report_opens_complete_without_console_errors(browser, report_file):
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(report_file.as_uri())
    assert browser.title == "mnist-tui report: runs 1, 2"
    svgs = browser.find_elements(By.CSS_SELECTOR, "figure.plot svg")
    assert len(svgs) == 7  # overlaid curves; per run curves, confusion matrix, mistakes
    for svg in svgs:  # each plot is laid out at a real size and holds drawn paths
        assert svg.size["width"] > 200 and svg.size["height"] > 80
        assert svg.find_elements(By.CSS_SELECTOR, "path, image")
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.run")) == 2
    assert console_errors(browser) == []


def test_report_screenshot_has_content(browser, report_file):
    browser.get(report_file.as_uri())
    browser.set_window_size(1100, 1400)
    shot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L"), dtype=np.float64)
    assert shot.std() > 20  # a blank or single-colour page is ~0
    browser.execute_script("document.querySelector('#run-1 figure.plot').scrollIntoView()")
    plot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L"), dtype=np.float64)
    assert plot.std() > 20 and (plot < 128).mean() > 0.01  # lines and text, not just the page's background
