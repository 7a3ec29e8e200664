"""Runs a study's trials on a Dask distributed cluster: an existing one, or a LocalCluster started here.

The client (this process) stays the only writer of the run store; tasks are runs.dask_trial's
`run_attempt`, a pure function of (config, dataset) that streams its events back.

Data: the client loads the dataset once from its own sources, verifies every file's sha256
(data.loader does), and scatters the four uint8 arrays to every worker (`broadcast=True`). So
workers need no data folder, no shared filesystem and no internet; every trial trains on the
bytes the client verified, which are the bytes its provenance (source, checksums) names; and
the cost is one 55 MB copy per worker per dataset, not one per trial. (Letting each worker load
from its own data root would need the files on every machine, or downloads on every worker.)

Live events: workers publish with `Worker.log_event` on a topic this client subscribes to
(`Client.subscribe_topic`): fire-and-forget on the worker's batched stream, ordered per worker,
and a supported API (distributed.Queue is marked experimental; the pub/sub module is gone).

Worker death: the scheduler announces it on the dead worker's own topic (its address), naming
the tasks that were running there; the client subscribes to the topic of every worker it knows
of and of each worker an attempt reports from. (Not to the "all" topic: in distributed 2026.8 a
broadcast scatter logs WorkerState objects there, which cannot be sent to a subscriber.) A
trial whose attempt had already sent events ends `interrupted` (its epochs so far are kept; the
runner reruns it) and its future is cancelled, so Dask's automatic retry never adds a second
copy of those epochs; a trial that had sent nothing is left to Dask's retry. Every event
carries its attempt id, and only the first attempt's events are ever forwarded: should the
death notice be missed, the second attempt's first event (or result) ends the trial instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import pickle
import queue
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from runs.events import BatchProgress, RunFinished
from runs.local_executor import default_workers
from runs.study_executor import ExecutorError, TrialEvent
from runs.study_spec import Trial

INSTALL_HINT = "pip install -e '.[dask]'"
CONNECT_TIMEOUT_S = 5.0
"""How long to try reaching a scheduler before giving up (Dask's own default is 30 s)."""

CLOSE_TIMEOUT_S = 2.0
MAX_RESUBMITS = 3
"""A trial the cluster dropped before it started is sent again at most this often."""
MAX_LOCAL_WORKERS = 256
_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx|inproc)://)?[\w.\-\[\]:]+:\d+$")


class DaskNotInstalledError(ExecutorError):
    """`--dask` was given but dask[distributed] is not installed (a usage problem: exit 2)."""


class DaskSpecError(ValueError):
    """The `--dask` value is neither `local`, `local:N` nor a scheduler address (exit 2)."""


class SchedulerUnreachableError(ExecutorError):
    """No scheduler answered at the address within the connect timeout (exit 1, nothing recorded)."""


def parse_dask_spec(text: str) -> tuple[str, Any]:
    """('local', N or None) for `local:N` / `local`, ('address', address) for a scheduler address.

    Raises:
        DaskSpecError: naming the value and what is expected.
    """
    value = text.strip()
    if value == "local":
        return "local", None
    if value.startswith("local:"):
        count = value.removeprefix("local:")
        if not count.isdigit() or not 1 <= int(count) <= MAX_LOCAL_WORKERS:
            raise DaskSpecError(
                f"--dask {text!r}: the worker count must be a whole number from 1 to {MAX_LOCAL_WORKERS} (local:N)"
            )
        return "local", int(count)
    if not _ADDRESS.match(value):
        raise DaskSpecError(
            f"--dask {text!r}: expected a scheduler address such as tcp://host:8786, or local, or local:N"
        )
    return "address", value if "://" in value else f"tcp://{value}"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskNotInstalledError(
            f"--dask needs Dask distributed, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    return distributed


def make_executor(spec: str, *, workers: int | None = None, worker_env: dict[str, str] | None = None) -> "DaskExecutor":
    """The executor for a `--dask` value: connect to the scheduler, or start a LocalCluster.

    Call it before recording anything: it fails fast when the cluster cannot be used.

    Args:
        workers: `--workers`, the size of `--dask local` (it must agree with `local:N`; a cluster
            reached by address has its own workers, so it is refused there).

    Raises:
        DaskSpecError, DaskNotInstalledError: bad usage (exit 2).
        ExecutorError: the address did not answer, or a LocalCluster could not start (exit 1).
    """
    kind, value = parse_dask_spec(spec)
    if workers is not None and kind == "address":
        raise DaskSpecError(f"--workers {workers}: the Dask cluster at {value} has its own workers; "
                            "--workers sizes the local pool or --dask local")
    if workers is not None and value is not None and workers != value:
        raise DaskSpecError(f"--workers {workers} and --dask {spec!r} disagree; give the worker count once")
    distributed = _distributed()
    # Dask logs every lost connection with a traceback on stderr, which would garble the dashboard
    # and break the command line's "a clear message, never a traceback"; the executor reports each
    # such event itself (the trial's message, or an error raised here).
    for name in ["distributed", *logging.root.manager.loggerDict]:  # Dask's config sets some children's levels
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    if kind == "local":
        count = value or workers or default_workers()
        return DaskExecutor.start_local(count, worker_env=worker_env, distributed=distributed)
    return DaskExecutor.connect(value, distributed=distributed)


def _workers_without_mnist_tui(client: Any) -> list[str]:
    """Addresses of the workers where runs.dask_trial cannot be imported (the tasks would all fail there)."""

    def importable() -> bool:  # a nested function travels by value: it runs even where mnist-tui is missing
        import importlib.util

        try:
            return importlib.util.find_spec("runs.dask_trial") is not None
        except ImportError:
            return False

    return sorted(address for address, ok in client.run(importable).items() if not ok)


@dataclass
class _Submission:
    """One submitted trial: which attempt is forwarded and how many of its events already were."""

    trial: Trial
    future: Any
    resubmits: int = 0
    attempt: str | None = None
    worker: str | None = None
    forwarded: int = 0
    done: bool = False

    @property
    def trial_key(self) -> str:
        return self.trial.key


@dataclass
class EventCost:
    """Client CPU time spent on streamed trial events, in the Dask client's event-loop thread.

    `time.thread_time` of the handler that receives each message (the forwarding, in the caller's
    thread, is measured by whoever calls `events()`: bench/bench_study.py), so waiting for the
    GIL is not counted; Dask's own decoding before the handler is not in it either.
    """

    events: int = 0
    seconds: float = 0.0

    @property
    def per_event_ms(self) -> float:
        return 1000 * self.seconds / self.events if self.events else 0.0


class DaskExecutor:
    """TrialExecutor over a Dask client; see the module docstring for data, events and worker death."""

    def __init__(self, client: Any, *, cluster: Any = None) -> None:
        from runs.dask_trial import run_attempt

        self._run_attempt = run_attempt
        self._distributed = _distributed()
        self.client = client
        self.address = client.scheduler.address
        self._cluster = cluster
        self._closed = False
        self.workers = max(1, sum(client.nthreads().values()))
        token = uuid.uuid4().hex[:12]
        self._topic = f"mnist-tui-trials-{token}"
        self._cancel_name = f"mnist-tui-cancel-{token}"
        self._cancel_event = self._distributed.Event(self._cancel_name, client=client)
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._subs: dict[str, _Submission] = {}
        self._datasets: dict[tuple[str, str | None], Any] = {}
        self.cost = EventCost()
        self._worker_topics: set[str] = set()
        client.subscribe_topic(self._topic, self._on_trial_message)
        for address in client.nthreads():
            self._watch_worker(address)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def connect(cls, address: str, *, timeout: float = CONNECT_TIMEOUT_S, distributed: Any = None) -> "DaskExecutor":
        """Connect to the scheduler at `address` (tcp://host:8786)."""
        distributed = distributed or _distributed()
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachableError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {error}"
            ) from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            client.close()
            raise SchedulerUnreachableError(
                f"the Dask scheduler at {address} has no workers (none joined within {timeout:g} s)"
            ) from None
        missing = _workers_without_mnist_tui(client)
        if missing:
            client.close()
            raise ExecutorError(
                f"Dask worker(s) {', '.join(missing)} of the scheduler at {address} cannot import mnist-tui; "
                "install it on every worker machine (the same version as here)"
            )
        return cls(client)

    @classmethod
    def start_local(
        cls, workers: int, *, worker_env: dict[str, str] | None = None, distributed: Any = None
    ) -> "DaskExecutor":
        """Start a LocalCluster of `workers` processes, one thread and one BLAS thread each.

        The nanny already sets OMP/MKL/OPENBLAS_NUM_THREADS=1 in every worker (Dask's
        `distributed.nanny.pre-spawn-environ`); `worker_env` adds variables (tests use it to
        give workers no data folder).
        """
        import dask

        distributed = distributed or _distributed()
        env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **(worker_env or {})}
        try:
            # Worker saturation 1.0: a worker is sent its next trial when it is free, as the local
            # pool does. Dask's default (1.1) gives each one-thread worker a second trial to hold in
            # its queue, so near the end a long trial could wait there while the other worker idled.
            # No statistical profiler in the workers: by default it samples the training thread's
            # stack every 10 ms, taking the interpreter lock from it (epochs took ~7% longer than in
            # the pool's workers); it feeds only Dask's web dashboard, which nobody looks at here.
            quiet = {"distributed.scheduler.worker-saturation": 1.0, "distributed.worker.profile.enabled": False,
                     "distributed.admin.tick.interval": "1000ms"}
            with dask.config.set(quiet):
                cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",  # a free port: never clashes with a dashboard already on 8787
                    silence_logs=logging.CRITICAL,
                    env=env,
                )
        except Exception as error:  # noqa: BLE001 - e.g. no free port, or workers that fail to start
            raise ExecutorError(f"cannot start a Dask LocalCluster of {workers} workers: {error}") from None
        try:
            return cls(distributed.Client(cluster, set_as_default=False), cluster=cluster)
        except BaseException:
            cluster.close()
            raise

    # -- TrialExecutor --------------------------------------------------------------------------

    def submit(self, trial: Trial) -> None:
        """Queue `trial` on the cluster (its data is scattered on first use of that dataset)."""
        self._submit(trial, resubmits=0)

    def _submit(self, trial: Trial, resubmits: int) -> None:
        config = trial.config.to_dict()
        key = f"mnist-tui-trial-{uuid.uuid4().hex}"
        try:
            dataset = self._dataset(config["data"]["dataset"], config["data"].get("data_dir"))
        except Exception as error:  # noqa: BLE001 - DataError: reported like a worker's data failure
            self._subs[key] = _Submission(trial, None, resubmits, done=True)
            self._inbox.put(("failed", key, str(error)))
            return
        future = self.client.submit(
            self._run_attempt, config, dataset, self._topic, self._cancel_name, key, key=key, pure=False
        )
        self._subs[key] = _Submission(trial, future, resubmits)
        future.add_done_callback(lambda _f, key=key: self._inbox.put(("done", key)))

    def events(self, timeout: float) -> list[TrialEvent]:
        """Every trial event that arrived, waiting up to `timeout` seconds for the first one."""
        try:
            items = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        out: list[TrialEvent] = []
        for item in items:
            kind = item[0]
            if kind == "log":
                self._on_event(item[1], out)
            elif kind == "removed":
                self._on_worker_removed(item[1], item[2], out)
            elif kind == "done":
                self._on_done(self._subs[item[1]], out)
            elif kind == "failed":
                out.append(TrialEvent(self._subs[item[1]].trial_key, RunFinished(None, "failed", item[2])))
        return out

    def cancel(self) -> None:
        """Running trials stop after their batch (each ends `cancelled`); queued ones are dropped silently.

        "Queued" means no event of it has arrived: should it have just started on a worker, the
        cluster-wide Event stops it after one batch and its events are dropped, so the runner,
        which saw no RunStarted, rightly knows it as never started.
        """
        if self.client.status == "running":  # else nothing runs any more (their trials end interrupted)
            try:
                self._cancel_event.set()
            except Exception:  # noqa: BLE001 - the scheduler went away meanwhile
                pass
        for sub in self._subs.values():
            if not sub.done and sub.attempt is None:
                sub.done = True
                if sub.future is not None:
                    with contextlib.suppress(Exception):  # a lost connection: the future is gone anyway
                        sub.future.cancel()
                    sub.future = None

    def running(self) -> dict[str, str]:
        """trial key -> address of the worker its forwarded attempt runs on (trials that have started)."""
        return {s.trial_key: s.worker for s in self._subs.values() if not s.done and s.worker is not None}

    def close(self) -> None:
        """Stop everything still queued or running and disconnect (and stop the LocalCluster if ours); idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.client.status == "running":  # else every call below would wait out the reconnect timeout
            pending = [s.future for s in self._subs.values() if s.future is not None and not s.future.done()]
            try:
                for topic in [self._topic, *self._worker_topics]:
                    self.client.unsubscribe_topic(topic)
                self._cancel_event.set()  # also answers the cancel watchers' pending waits before shutdown
                if pending:
                    self.client.cancel(pending)
                self._cancel_event.clear()
            except Exception:  # noqa: BLE001 - the scheduler went away meanwhile
                pass
        try:
            self.client.close(timeout=CLOSE_TIMEOUT_S)  # not the reconnect timeout when the scheduler is gone
        except Exception:  # noqa: BLE001 - TimeoutError, or the connection already broke
            pass
        finally:
            if self._cluster is not None:
                self._cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- handlers (the client's event-loop thread: only queue the message) ---------------------

    def _on_trial_message(self, event: tuple[float, dict[str, Any]]) -> None:
        started = time.thread_time()
        self._inbox.put(("log", event[1]))
        self.cost.seconds += time.thread_time() - started  # only this thread writes it
        self.cost.events += 1

    def _watch_worker(self, address: str) -> None:
        """Subscribe to `address`'s topic, where the scheduler says when that worker is removed."""
        if address in self._worker_topics:
            return
        self._worker_topics.add(address)

        def on_message(event: tuple[float, dict[str, Any]]) -> None:
            message = event[1]
            if isinstance(message, dict) and message.get("action") == "remove-worker":
                self._inbox.put(("removed", address, set(message.get("processing-tasks") or ())))

        self.client.subscribe_topic(address, on_message)

    # -- forwarding (the caller's thread) -------------------------------------------------------

    def _on_event(self, message: dict[str, Any], out: list[TrialEvent]) -> None:
        sub = self._subs.get(message["s"])
        if sub is None or sub.done:
            return
        if sub.attempt is None:
            sub.attempt, sub.worker = message["a"], message["w"]
            self._watch_worker(sub.worker)
        elif message["a"] != sub.attempt:  # a second attempt: the first one's worker is gone
            self._interrupt(sub, f"its Dask worker {sub.worker} stopped answering; Dask started it again", out)
            return
        event = pickle.loads(message["e"])
        if not isinstance(event, BatchProgress):
            sub.forwarded += 1
        out.append(TrialEvent(sub.trial_key, event))

    def _on_worker_removed(self, worker: str | None, keys: set[str], out: list[TrialEvent]) -> None:
        for key in keys:
            sub = self._subs.get(key)
            if sub is not None and not sub.done and sub.attempt is not None and sub.worker == worker:
                self._interrupt(sub, f"its Dask worker {worker} died during the trial", out)

    def _interrupt(self, sub: _Submission, reason: str, out: list[TrialEvent]) -> None:
        """End `sub` as interrupted and stop Dask from running it again (its epochs so far stay)."""
        sub.future.cancel()
        self._end(sub, RunFinished(None, "interrupted", reason), out)

    def _end(self, sub: _Submission, finished: RunFinished, out: list[TrialEvent]) -> None:
        """The trial's one RunFinished; its future is dropped, so the cluster frees the result."""
        sub.done = True
        sub.future = None
        out.append(TrialEvent(sub.trial_key, finished))

    def _on_done(self, sub: _Submission, out: list[TrialEvent]) -> None:
        if sub.done:
            return
        future = sub.future
        if future.status == "finished":
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. the connection broke while fetching it
                self._end(sub, RunFinished(None, "interrupted", f"its result could not be fetched from the "
                                           f"Dask cluster: {type(error).__name__}: {error}"), out)
                return
            if sub.attempt is not None and result.attempt != sub.attempt:
                self._interrupt(sub, f"its Dask worker {sub.worker} was lost; another worker finished it", out)
                return
            for event in result.events[sub.forwarded:]:  # live events still in flight: not lost
                out.append(TrialEvent(sub.trial_key, event))
            self._end(sub, result.finished, out)
        elif future.status == "error":
            error = future.exception()
            if isinstance(error, self._distributed.KilledWorker):
                finished = RunFinished(None, "interrupted", f"Dask workers kept dying while running it ({error})")
            else:
                finished = RunFinished(None, "failed", f"on the Dask cluster: {type(error).__name__}: {error}")
            self._end(sub, finished, out)
        elif self.client.status == "running" and sub.attempt is None and sub.resubmits < MAX_RESUBMITS:
            # It never started (e.g. the worker holding the only copy of its data died): send it again.
            sub.done, sub.future = True, None
            self._submit(sub.trial, sub.resubmits + 1)
        elif self.client.status != "running":  # cancelled or lost, not by us (we end those first)
            self._end(sub, RunFinished(None, "interrupted",
                                       f"the connection to the Dask scheduler at {self.address} was lost"), out)
        else:
            self._end(sub, RunFinished(None, "interrupted", f"the Dask scheduler at {self.address} dropped the trial "
                                       f"(its task is {future.status})"), out)

    def _dataset(self, name: str, data_dir: str | None) -> Any:
        """The scattered dataset (future) for (name, data_dir): loaded and verified here once."""
        key = (name, data_dir)
        if key not in self._datasets or self._datasets[key].status != "finished":  # none yet, or every copy lost
            from data.loader import load_dataset
            import numpy as np

            dataset = load_dataset(name, data_dir)
            plain = dataclasses.replace(  # plain ndarray views of the verified memory maps
                dataset,
                **{role: np.asarray(getattr(dataset, role)) for role in
                   ("train_images", "train_labels", "test_images", "test_labels")},
            )
            self._datasets[key] = self.client.scatter(plain, broadcast=True, hash=False)
        return self._datasets[key]
