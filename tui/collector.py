"""Python's cyclic garbage collector held off while the History builds objects by the hundred thousand.

The collector runs when enough new objects have piled up, on whichever thread allocates next, and
holds the interpreter lock while it walks them: reading a store of 100,000 runs, or ordering them
again, set off full collections of 30-100 ms, on the screen's thread or in a worker, and a key
pressed then waited for them. What these builds make lives as long as the History shows it (the
run summaries, an order), so instead of being walked again and again it is left out of the
collector for good once built (`gc.freeze`), and the collector resumes as before. (Frozen objects
are still freed when nothing refers to them; only a reference cycle among them would stay.)

Plain Python, no Textual.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
"""How many builds are under way (a read and a new order may overlap)."""
_was_enabled = True


@contextmanager
def collector_held() -> Iterator[None]:
    """No automatic collection inside; on leaving the last one, what exists is frozen and the
    collector put back as it was."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.freeze()
                if _was_enabled:
                    gc.enable()
