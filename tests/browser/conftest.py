"""One headless Chromium for the whole test run (starting it costs about a second)."""

from __future__ import annotations

from typing import Iterator

import pytest
from selenium import webdriver

from browser_helpers import start_chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()
