"""Make README's pictures from the real program: the dashboard served to Chromium, and a report.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python docs/make_pictures.py

Needs the test extra (selenium) and Debian's chromium + chromium-driver. Works in a throw-away
run-store home, so the user's history is not touched; writes docs/serve.png and docs/report.png.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_helpers import free_port, screen_text, start_chromium, wait_for  # noqa: E402

DOCS = ROOT / "docs"


def save(png: bytes, name: str, crop_height: int | None = None, width: int = 960) -> None:
    """Crop, scale to `width` and store as an optimised palette PNG (small enough for the repository)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if crop_height:
        image = image.crop((0, 0, image.width, min(crop_height, image.height)))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(DOCS / name, optimize=True)
    print(f"wrote {DOCS / name} ({(DOCS / name).stat().st_size // 1024} KiB)")


def serve_picture(home: Path) -> None:
    from runs.config import RunConfig
    from tui.settings import save_options

    save_options(RunConfig.from_dict({"data": {"limit": 10000}, "train": {"epochs": 6}}), home / "dashboard.json")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tui", "serve", "--port", str(port)],
                              env={**os.environ, "MNIST_TUI_HOME": str(home)}, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    browser = start_chromium(1280, 800)
    try:
        while "Serving" not in (line := server.stdout.readline()):
            if not line:
                raise SystemExit("mnist-tui serve did not start")
        browser.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: "Learning rate" in screen_text(browser), 60, "the dashboard")
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        browser.execute_script("arguments[0].focus()", browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea"))
        ActionChains(browser).send_keys(Keys.F5).perform()
        wait_for(lambda: "Completed run" in screen_text(browser), 300, "the run to finish")
        time.sleep(1.5)  # the curves are drawn half a second after the last epoch row
        save(browser.get_screenshot_as_png(), "serve.png")
    finally:
        browser.quit()
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)


def report_picture(home: Path) -> None:
    run = [sys.executable, "-m", "tui"]
    env = {**os.environ, "MNIST_TUI_HOME": str(home)}
    for flags in (["--hidden-sizes", "128", "--epochs", "8"], ["--hidden-sizes", "64,64", "--lr", "0.03", "--epochs", "8"]):
        subprocess.run([*run, "train", "--limit", "10000", *flags], env=env, check=True, capture_output=True)
    target = home / "report.html"
    subprocess.run([*run, "runs", "report", "2", "3", "-o", str(target)], env=env, check=True)
    browser = start_chromium(1100, 1500)
    try:
        browser.get(target.as_uri())
        save(browser.get_screenshot_as_png(), "report.png", crop_height=1500, width=880)
    finally:
        browser.quit()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mnist-tui-pictures-") as folder:
        home = Path(folder)
        serve_picture(home)  # trains run 1
        report_picture(home)  # runs 2 and 3


if __name__ == "__main__":
    main()
