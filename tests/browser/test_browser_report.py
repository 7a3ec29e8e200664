"""The reports of two runs and of a study, opened from disk in headless Chromium: complete, quiet, not blank."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from browser_helpers import console_errors


def _mnist_tui(home, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "tui", *args], env={**os.environ, "MNIST_TUI_HOME": str(home)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The reports of two runs and of a 2 x 2 study (2 seeds), written by the commands themselves."""
    home = tmp_path_factory.mktemp("browser-report")
    _mnist_tui(home, "train", "--limit", "1500", "--val-size", "500", "--epochs", "2")
    _mnist_tui(home, "train", "--limit", "1500", "--val-size", "500", "--epochs", "3", "--hidden-sizes", "32,32")
    _mnist_tui(home, "runs", "report", "1", "2", "-o", str(home / "runs.html"))
    _mnist_tui(home, "study", "run", "--limit", "500", "--val-size", "500", "--epochs", "1", "--vary", "lr=0.03,0.1",
               "--vary", "optimizer=sgd,momentum", "--seeds", "2", "--workers", "1")
    _mnist_tui(home, "study", "report", "1", "-o", str(home / "study.html"))
    return {"runs": home / "runs.html", "study": home / "study.html"}


KINDS = {
    # overlaid curves, then per run its curves, confusion matrix and mistakes
    "runs": ("mnist-tui report: runs 1, 2", 1 + 2 * 3, 2),
    # marginal effects, parallel coordinates, then the winner's run
    "study": ("mnist-tui report: study 1", 2 + 3, 1),
}


@pytest.mark.parametrize("kind", KINDS)
def test_report_opens_complete_without_console_errors(browser, reports, kind):
    title, plots, sections = KINDS[kind]
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(reports[kind].as_uri())
    assert browser.title == title
    svgs = browser.find_elements(By.CSS_SELECTOR, "figure.plot svg")
    assert len(svgs) == plots
    for svg in svgs:  # each plot is laid out at a real size and holds drawn paths
        assert svg.size["width"] > 200 and svg.size["height"] > 80
        assert svg.find_elements(By.CSS_SELECTOR, "path, image")
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.run")) == sections
    assert console_errors(browser) == []


def test_report_screenshot_has_content(browser, reports):
    browser.get(reports["runs"].as_uri())
    browser.set_window_size(1100, 1400)
    shot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L"), dtype=np.float64)
    assert shot.std() > 20  # a blank or single-colour page is ~0
    browser.execute_script("document.querySelector('#run-1 figure.plot').scrollIntoView()")
    plot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L"), dtype=np.float64)
    assert plot.std() > 20 and (plot < 128).mean() > 0.01  # lines and text, not just the page's background
