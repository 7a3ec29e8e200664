"""Run stores whose stored strings attack the terminal: escape sequences and Rich markup, written by
direct SQL the way a hand-edited or foreign store file would hold them (shared by cli and tui tests)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

HOSTILE = "boom\x1b]0;pwned\x07 [link=http://evil.example]click[/link] [red]red[/] [/] \x9b2J \u202eabc\x1b[2J"
"""A window-title OSC ended by BEL, Rich markup with a link and a lone `[/]` (MarkupError when
parsed), a C1 CSI, a bidi override and a clear-screen CSI."""
SHORT = "[link=http://e.x]L[/link][/]\x1b[31m\u202e"
"""The same in few characters, for table cells that truncate."""
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")
"""Characters that must never reach the terminal raw."""
MARKUP_SHOWN = "[link=http://evil.example]click[/link] [red]red[/] [/]"
"""How HOSTILE's markup reads when it is shown literally."""


def poison(database: Path, run_id: int, *, message: str = HOSTILE, data_dir: str | None = HOSTILE,
           source_path: str = HOSTILE, config_strings: str | None = None) -> None:
    """Overwrite run `run_id`'s stored strings in place.

    Message, data folder, data source path and a checksum's file name are free text in a valid
    row; `config_strings` also replaces the optimizer and activation names (a row a newer or
    foreign version might hold).
    """
    with sqlite3.connect(database) as conn:
        config_text, dataset_text = conn.execute("SELECT config, dataset FROM runs WHERE id = ?", (run_id,)).fetchone()
        config, dataset = json.loads(config_text), json.loads(dataset_text)
        config["data"]["data_dir"] = data_dir
        if config_strings is not None:
            config["train"]["optimizer"] = config_strings
            config["model"]["activation"] = config_strings
        dataset.setdefault("source", {})["path"] = source_path
        dataset.setdefault("checksums", {})[HOSTILE] = "0" * 64
        conn.execute("UPDATE runs SET message = ?, config = ?, dataset = ? WHERE id = ?",
                     (message, json.dumps(config), json.dumps(dataset), run_id))
    conn.close()


def assert_no_raw_controls(text: str) -> None:
    found = [repr(c) for c in RAW_CONTROLS if c in text]
    assert not found, f"raw control characters reached the output: {found}"
