"""Studies in the run store: create, find, claim, list and finish them; start a trial's run.

A study row holds its spec (JSON), a fingerprint of it (unique: running the same spec again finds
the same study), how many trials it has, and — while a process runs it — that process as owner.
A study whose owner died reads as `interrupted` (derived when read, so opening the store never
needs to write for it).

Each trial is an ordinary run carrying `study_id` and `trial_key`. A unique index on the pair
(runs.schema v3) means one run per trial, ever: rerunning an interrupted, failed or cancelled trial
(resume) deletes that earlier attempt — its epochs and model file — and records the new one in its
place. Nothing is lost by it: a trial is rerun from its first epoch with the same seed, which
reproduces the same epochs bit for bit, and the old attempt stays in History until the rerun starts.
Completed and diverged trials are final (the same seed would diverge again) and are never rerun.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from runs.config import RunConfig
from runs.owner import Owner, current_owner, is_alive
from runs.store import RunRecord, RunStore, StoreError, _now
from runs.study_spec import StudySpec, Trial

FINAL_STATUSES = ("completed", "diverged")
"""Trial outcomes a resume keeps; every other status (interrupted, failed, cancelled) is rerun."""


class UnknownStudyError(StoreError):
    def __init__(self, study_id: Any) -> None:
        super().__init__(f"no study with id {study_id!r} in the run store")
        self.study_id = study_id


@dataclass(frozen=True)
class StudyRecord:
    """One study as stored. `status`: created (never run yet), running, completed, cancelled, interrupted or failed."""

    id: int
    name: str
    created_at: str
    ended_at: str | None
    status: str
    message: str
    spec: dict[str, Any]
    fingerprint: str
    trials: int
    owner: Owner | None

    @property
    def study_spec(self) -> StudySpec:
        """The stored spec, checked again (stored text is untrusted); StoreError if unusable."""
        try:
            return StudySpec.from_dict(self.spec)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise StoreError(f"study {self.id} has a spec this version cannot use ({error})") from None

    def expand_trials(self) -> list[Trial]:
        """The spec's trials; StoreError if the stored spec cannot be expanded."""
        spec = self.study_spec
        try:
            return spec.trials()
        except (ValueError, KeyError, TypeError) as error:
            raise StoreError(f"study {self.id} has a spec this version cannot use ({error})") from None


def _record(row: Any) -> StudyRecord:
    owner = Owner(row["pid"], row["hostname"], row["owner_started"]) if row["pid"] is not None else None
    status, message = row["status"], row["message"]
    if status == "running" and owner is not None and is_alive(owner) is False:
        status, message = "interrupted", "the process running it ended without finishing (killed or crashed)"
    return StudyRecord(
        id=row["id"], name=row["name"], created_at=row["created_at"], ended_at=row["ended_at"], status=status,
        message=message, spec=json.loads(row["spec"]), fingerprint=row["fingerprint"], trials=row["trials"],
        owner=owner,
    )


def create_study(store: RunStore, spec: StudySpec, trials: int) -> int:
    """Record a new study (status `created`, no owner until a process claims it to run); returns its id.

    Raises StoreError when a study with the same spec exists (use find_study_by_spec first)."""

    def insert() -> int:
        cursor = store._conn.execute(
            """INSERT INTO studies (name, created_at, status, spec, fingerprint, trials)
               VALUES (?, ?, 'created', ?, ?, ?)""",
            (spec.name, _now(), json.dumps(spec.to_dict()), spec.fingerprint(), trials),
        )
        return int(cursor.lastrowid)

    return store._write(insert)


def find_study_by_spec(store: RunStore, spec: StudySpec) -> StudyRecord | None:
    rows = store._read("SELECT * FROM studies WHERE fingerprint = ?", (spec.fingerprint(),))
    return _record(rows[0]) if rows else None


def get_study(store: RunStore, study_id: int) -> StudyRecord:
    rows = store._read("SELECT * FROM studies WHERE id = ?", (study_id,))
    if not rows:
        raise UnknownStudyError(study_id)
    return _record(rows[0])


def list_studies(store: RunStore) -> list[StudyRecord]:
    """Every study, oldest first."""
    return [_record(r) for r in store._read("SELECT * FROM studies ORDER BY id")]


def study_runs(store: RunStore, study_id: int) -> list[RunRecord]:
    """The runs of a study's trials (one per trial that ever started), with their epochs, oldest first."""
    return store._records(store._read("SELECT * FROM runs WHERE study_id = ? ORDER BY id", (study_id,)))


class StudyRuns:
    """A study's runs, read again only where they changed since the last read (schema v4's
    change counter): a view polling a running study reads the trial that committed an epoch,
    not every trial. Not thread-safe: one reader (the Studies pane's worker) owns it."""

    def __init__(self) -> None:
        self._runs: dict[int, dict[int, RunRecord]] = {}
        self._seq: dict[int, int] = {}

    def read(self, store: RunStore, study_id: int) -> list[RunRecord]:
        """Like `study_runs`: oldest first."""
        state = store._read("SELECT max(change_seq), count(*) FROM runs WHERE study_id = ?", (study_id,))[0]
        newest, count = state[0], state[1]
        runs = self._runs.get(study_id)
        seq = self._seq.get(study_id, 0)
        if runs is None or not isinstance(newest, int):
            runs, seq = {}, -1  # first read (or stamps that are not numbers): read them all
        if seq < 0:
            runs = {r.id: r for r in study_runs(store, study_id)}
        elif newest != seq or len(runs) != count:
            rows = store._read("SELECT * FROM runs WHERE study_id = ? AND change_seq > ? ORDER BY id", (study_id, seq))
            runs.update((r.id, r) for r in store._records(rows))
            for (gone,) in store._read("SELECT id FROM deleted_runs WHERE change_seq > ?", (seq,)):
                runs.pop(gone, None)
            if len(runs) != count:  # what changes cannot explain (a hand-edited store): read them all
                runs = {r.id: r for r in study_runs(store, study_id)}
        self._runs[study_id] = runs
        self._seq[study_id] = newest if isinstance(newest, int) else -1
        return [runs[i] for i in sorted(runs)]


def claim_study(store: RunStore, study_id: int) -> StudyRecord:
    """Make this process the study's owner (status running) so it may run its trials.

    Raises StoreError when another living process runs it, UnknownStudyError for an unknown id."""
    owner = current_owner()

    def claim() -> None:
        row = store._conn.execute("SELECT * FROM studies WHERE id = ?", (study_id,)).fetchone()
        if row is None:
            raise UnknownStudyError(study_id)
        current = _record(row)
        if current.status == "running" and current.owner is not None and current.owner.pid != owner.pid:
            raise StoreError(f"study {study_id} is being run by another process (pid {current.owner.pid} "
                             f"on {current.owner.hostname}); wait for it or cancel it there")
        store._conn.execute(
            """UPDATE studies SET status = 'running', message = '', ended_at = NULL,
                                  pid = ?, hostname = ?, owner_started = ? WHERE id = ?""",
            (owner.pid, owner.hostname, owner.started, study_id),
        )

    store._write(claim)
    return get_study(store, study_id)


def finish_study(store: RunStore, study_id: int, status: str, message: str = "") -> None:
    """Record how this run of the study ended: completed, cancelled, interrupted or failed."""
    if status not in ("completed", "cancelled", "interrupted", "failed"):
        raise StoreError(f"study status: got {status!r}, expected completed, cancelled, interrupted or failed")
    store._write(lambda: store._conn.execute(
        "UPDATE studies SET status = ?, message = ?, ended_at = ? WHERE id = ?", (status, message, _now(), study_id)
    ))


def start_trial_run(store: RunStore, study_id: int, trial_key: str, config: RunConfig,
                    dataset_info: dict[str, Any]) -> int:
    """Record the run of a trial that starts now (owned by this process); returns its id.

    An earlier attempt of the same trial that is not final is deleted first (see module doc);
    a final one (completed, diverged) or one still running in a living process is refused."""
    rows = store._read("SELECT id, status FROM runs WHERE study_id = ? AND trial_key = ?", (study_id, trial_key))
    for row in rows:
        if row["status"] in FINAL_STATUSES:
            raise StoreError(f"trial {trial_key!r} of study {study_id} is already {row['status']} (run {row['id']})")
        store.delete_run(row["id"])  # refuses a run whose owner still lives
    return store.create_run(config, dataset_info, study_id=study_id, trial_key=trial_key)
