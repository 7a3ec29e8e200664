"""A pane that shows the run store polls it: while shown, once a second, and reads it again only
when some process has committed to it since its last read (SQLite's data_version, cheap).

Shared by the History and Studies panes. While hidden a pane does not poll: redrawing a hidden
table after every epoch of a run laid the whole screen out each second, and keys typed in the
Train tab waited for it; `on_show` catches up.
"""

from __future__ import annotations

from runs.store import StoreError

POLL_SECONDS = 1.0


class StorePoll:
    """Mixin for a widget with `store`, `_version` (the data_version its last read saw, or None),
    `_set_status(text)`, and `_read_store()` starting a worker of group `LOAD_GROUP`."""

    LOAD_GROUP: str

    def start_polling(self) -> None:
        self.set_interval(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        if self.is_on_screen:
            self._check_store()

    def _check_store(self) -> None:
        if any(w.node is self and w.group == self.LOAD_GROUP and not w.is_finished for w in self.workers):
            self._read_under_way()  # it holds the store's lock, so do not wait for it here
            return
        try:
            version = self.store.data_version()
        except StoreError as error:
            self._set_status(str(error))
            return
        if version != self._version:
            self._read_store()

    def _read_under_way(self) -> None:
        """A check found a read still running (a pane that must read again after it says so here)."""
