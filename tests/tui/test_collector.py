"""The History's hold on the garbage collector: off while building, frozen and back on after."""

from __future__ import annotations

import gc
import threading

from tui.collector import collector_held


def test_nested_and_concurrent_holds_put_the_collector_back_once_the_last_ends():
    assert gc.isenabled()
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def other() -> None:
        first_in.wait()
        with collector_held():
            seen.append(gc.isenabled())
        second_done.set()

    worker = threading.Thread(target=other)
    worker.start()
    try:
        with collector_held():
            built = [[i] for i in range(1000)]  # objects the collector would walk
            first_in.set()
            second_done.wait(10)
            seen.append(gc.isenabled())  # the other hold ended first: still off
        frozen = gc.get_freeze_count()
        assert gc.isenabled() and seen == [False, False]
        assert frozen >= len(built)  # what was built is left out of later collections
    finally:
        worker.join()
        gc.unfreeze()
        gc.enable()


def test_a_collector_switched_off_before_stays_off_and_an_error_inside_still_ends_the_hold():
    gc.disable()
    try:
        try:
            with collector_held():
                raise ValueError("a read failed")
        except ValueError:
            pass
        assert not gc.isenabled()
        with collector_held():
            pass
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
    try:
        with collector_held():
            raise ValueError("a read failed")
    except ValueError:
        pass
    assert gc.isenabled()
    gc.unfreeze()
