"""Driving Debian's headless Chromium (through its chromedriver) for the browser tests.

The served dashboard draws into canvases (xterm.js), so its text is read from xterm.js's own
screen buffer: a script run before the page's own catches the terminal object when the page's
code stores its renderer addon (`this.webglAddon = ...`) and keeps it in `window.__mnistTerm`.
"""

from __future__ import annotations

import socket
import time
from typing import Callable, TypeVar

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
T = TypeVar("T")

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'webglAddon', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'webglAddon', {value, writable: true, configurable: true, enumerable: true});
    if (this.terminal) { window.__mnistTerm = this.terminal; }
  },
});
"""
SCREEN_TEXT = """
const term = window.__mnistTerm;
if (!term) { return null; }
const buffer = term.buffer.active, lines = [];
for (let y = 0; y < term.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  lines.push(line ? line.translateToString(true) : '');
}
return lines.join('\\n');
"""


def start_chromium(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    catch_terminal(driver)
    return driver


def catch_terminal(driver: webdriver.Chrome) -> None:
    """Make the current tab keep the page's terminal in `window.__mnistTerm` (each tab needs its own call)."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def screen_text(driver: webdriver.Chrome) -> str:
    return driver.execute_script(SCREEN_TEXT) or ""


def console_errors(driver: webdriver.Chrome) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
