"""The mnist-tui application: the Textual dashboard and the headless command line."""

import os

# Textual draws at most TEXTUAL_FPS frames a second, read once when it is imported. After a frame
# its screen waits one to two frame periods before the next: at 60 that is 17-33 ms, which a key
# pressed just after a progress update waits before it is drawn. 120 halves that wait; frames are
# still drawn only when something changed (bench/bench_dashboard.py). An explicit setting wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
