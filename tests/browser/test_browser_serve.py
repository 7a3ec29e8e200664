"""`mnist-tui serve` in headless Chromium: the dashboard loads, shows its options, and F5 trains.

The text is read from xterm.js's screen buffer (see browser_helpers), i.e. what the page's
terminal holds, not what the server sent.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_helpers import catch_terminal, console_errors, free_port, screen_text, wait_for
from runs.config import RunConfig
from runs.store import RunStore
from tui.settings import save_options

EPOCH_ROW = re.compile(r"│\s+(\d+)\s+\d\.\d{4}\s+\d{1,3}\.\d{2}%")
"""A row of the epochs table: epoch number, training loss, training accuracy."""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server on a free loopback port whose dashboards remember a short run: 2,000 images, 2 epochs."""
    home = tmp_path_factory.mktemp("serve-home")
    save_options(RunConfig.from_dict({"data": {"limit": 2000, "val_size": 500}, "train": {"epochs": 2}}),
                 home / "dashboard.json")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tui", "serve", "--port", str(port)], env={**os.environ, "MNIST_TUI_HOME": str(home)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=home)
    line = process.stdout.readline()
    while line and "Serving" not in line:
        line = process.stdout.readline()
    assert "Serving" in line, process.stderr.read()
    yield f"http://127.0.0.1:{port}/", home
    # The server and its dashboards at once: alone, the server waits for each tab's websocket
    # heartbeat (15 s) before it exits.
    os.killpg(process.pid, signal.SIGTERM)
    process.communicate(timeout=30)


def test_served_dashboard_shows_options_and_trains_on_a_key(browser, served):
    url, home = served
    browser.get(url)
    text = wait_for(lambda: (t := screen_text(browser)) and "Learning rate" in t and t, 60,
                    "the dashboard's options in the browser")
    for label in ("Dataset", "Train subset", "Hidden layers", "Optimizer", "Epochs", "Start"):
        assert label in text, label
    assert re.search(r"Train subset\s+2000", text), text  # the remembered options, not the defaults
    # Nothing fetched from elsewhere (textual-serve's page asks for a web font; serve drops that link).
    # The server has no favicon: the browser's own request for one is the only failure allowed.
    assert [e["message"] for e in console_errors(browser) if "/favicon.ico" not in e["message"]] == []
    assert not EPOCH_ROW.search(text)

    terminal = browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
    # Focus without a click: a click lands on the terminal's top-left cell, the header's palette icon.
    browser.execute_script("arguments[0].focus()", terminal)
    ActionChains(browser).send_keys(Keys.F5).perform()
    text = wait_for(lambda: (t := screen_text(browser)) and "Completed run" in t and t, 120,
                    "the run started with F5 to complete")
    assert [int(n) for n in EPOCH_ROW.findall(text)] == [1, 2], text
    with RunStore.open(home) as store:
        runs = store.list_runs()
    assert [(r.status, len(r.epochs), r.config["data"]["limit"]) for r in runs] == [("completed", 2, 2000)]


def test_a_second_tab_gets_its_own_dashboard_on_the_same_store(browser, served):
    url, home = served
    with RunStore.open(home) as store:
        finished = [r.id for r in store.list_runs()]
    assert finished  # the run of the test above
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    catch_terminal(browser)
    try:
        browser.get(url)
        wait_for(lambda: "Learning rate" in screen_text(browser), 60, "the second tab's dashboard")
        assert "Completed run" not in screen_text(browser)  # a fresh app, not the first tab's screen
        browser.execute_script("arguments[0].focus()", browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea"))
        ActionChains(browser).send_keys(Keys.F4).perform()
        text = wait_for(lambda: (t := screen_text(browser)) and "completed" in t and t, 30, "the History tab")
        assert re.search(rf"^\W*{finished[0]}\s+\d{{4}}-\d\d-\d\d .*completed", text, re.MULTILINE), text

        # p: the report is written beside the server and opened in a new browser tab
        tabs = set(browser.window_handles)
        ActionChains(browser).send_keys("p").perform()
        report_tab = wait_for(lambda: set(browser.window_handles) - tabs, 30, "the report's tab").pop()
        browser.switch_to.window(report_tab)
        wait_for(lambda: browser.title == f"mnist-tui report: run {finished[0]}", 30, "the report to load")
        assert len(browser.find_elements(By.CSS_SELECTOR, "figure.plot svg")) == 3
        assert (home / f"mnist-tui-report-{finished[0]}.html").is_file()
        browser.close()
    finally:
        for handle in browser.window_handles:
            if handle != first:
                browser.switch_to.window(handle)
                browser.close()
        browser.switch_to.window(first)
