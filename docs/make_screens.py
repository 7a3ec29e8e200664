"""Pictures of each dashboard tab from the real app, for README (and for looking at small terminals).

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python docs/make_screens.py            # docs/screens/*-120x36.svg
    MNIST_TUI_DATA=../shared/datasets .venv/bin/python docs/make_screens.py --size 80x24 --out /tmp/shots --png

Trains a few short runs and a small study in a throw-away run-store home (the user's history is
not touched), then opens the dashboard at the given size, shows Train, Confusion, History and
Studies in turn and saves each with `App.save_screenshot()`; `--png` also converts each SVG
with `rsvg-convert` (Debian's librsvg2-bin), for looking at them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABS = (("train", "f2"), ("confusion", "f3"), ("history", "f4"), ("studies", "f7"), ("inside", "f10"))
RUNS = (  # (flags) of `mnist-tui train`: a small history with something to compare
    ["--hidden-sizes", "128", "--epochs", "6"],
    ["--hidden-sizes", "64,64", "--lr", "0.03", "--epochs", "6"],
    ["--hidden-layers", "0", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "4"],
    ["--dataset", "fashion-mnist", "--epochs", "5"],
)


def fill_store(home: Path) -> None:
    env = {**os.environ, "MNIST_TUI_HOME": str(home)}
    command = [sys.executable, "-m", "tui"]
    for flags in RUNS:
        subprocess.run([*command, "train", "--limit", "6000", *flags], env=env, check=True, capture_output=True)
    subprocess.run([*command, "study", "run", "--name", "optimizers", "--limit", "3000", "--epochs", "3",
                    "--vary", "optimizer=sgd,momentum,adam", "--seeds", "2", "--workers", "2"],
                   env=env, check=True, capture_output=True)


async def shoot(home: Path, size: tuple[int, int], out: Path, png: bool) -> list[Path]:
    os.environ["MNIST_TUI_HOME"] = str(home)
    from runs.config import RunConfig
    from runs.store import RunStore
    from tui.app import MnistTuiApp

    written = []
    with RunStore.open() as store:
        app = MnistTuiApp(store, initial=RunConfig.from_dict({"data": {"limit": 10000}, "train": {"epochs": 6}}))
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.5)
            await pilot.press("f5")  # a real run in the dashboard: its epochs, curves and confusion matrix
            for _ in range(1200):
                await pilot.pause(0.1)
                if app.train_pane.last_finished is not None and not app.train_pane.running:
                    break
            await pilot.pause(1.5)  # the curves are drawn half a second after the last epoch row
            for tab, key in TABS:
                await pilot.press(key)
                if tab == "studies":
                    await pilot.press("enter")
                await pilot.pause(1.0)
                name = f"{tab}-{size[0]}x{size[1]}.svg"
                app.save_screenshot(name, path=str(out))
                written.append(out / name)
    if png:
        for svg in written:
            subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="COLSxROWS, repeatable (default: 120x36, README's pictures)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--png", action="store_true", help="also write PNGs (needs rsvg-convert)")
    args = parser.parse_args()
    sizes = [tuple(int(n) for n in s.lower().split("x")) for s in (args.size or ["120x36"])]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist-tui-screens-") as folder:
        home = Path(folder) / "home"
        fill_store(home)
        for size in sizes:
            for path in asyncio.run(shoot(home, size, args.out, args.png)):
                print(f"wrote {path}")


if __name__ == "__main__":
    main()
