"""Datasets logged with ``mlflow.log_input`` validated beside the training, not in its way.

A governed run whose policy names datasets starts one worker process
(:mod:`csc_mlflow.quality._worker`): it imports Great Expectations and compiles the suites
while the script goes on. Each dataset the policy names is handed to it as it is logged
(pickled over a pipe); the training goes on while it is validated. The records are written
by this process, in the order the datasets were logged: before the run is sealed (sealing
waits for them), before a later :func:`validate_data` writes to the same run, and whenever
a later dataset is logged and earlier answers are ready.

Fail closed: a job the worker cannot answer (it stopped, or the frame cannot be sent) is
validated here instead; an error is a ``failed`` record naming it, as when validating
in-process. ``CSC_MLFLOW_BACKGROUND=0`` validates every logged dataset in-process.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import pickle
import queue
import select
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csc_mlflow._spawn import background_enabled, receive, send_bytes, spawn_worker, take_spawned

__all__ = ["cancel", "collect", "prewarm", "stop", "submit"]

_logger = logging.getLogger("csc_mlflow")


@dataclass(frozen=True)
class _Job:
    number: int
    run_id: str
    record: Callable[[str, Any], None]
    """Writes the answer: ``("done", result)`` or ``("error", message)``."""
    here: Callable[[], None]
    """Validates the dataset in this process and writes its record (the worker could not)."""
    cancelled: list[bool]


class _Worker:
    def __init__(self) -> None:
        # The worker started during ``import mlflow`` if there is one, else a new one.
        self.process = take_spawned() or spawn_worker()
        # Sending waits while the worker is busy (a pipe holds 64 KB): a thread sends, so
        # log_input returns at once.
        self.outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.sender = threading.Thread(target=self._send_all, name="csc-mlflow-dq", daemon=True)
        self.sender.start()

    def send(self, message: Any) -> None:
        """Queue ``message`` for the worker (pickled here, so the frame is captured now)."""
        self.outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _send_all(self) -> None:
        assert self.process.stdin is not None
        while (data := self.outbox.get()) is not None:
            try:
                send_bytes(self.process.stdin, data)
            except OSError:  # the worker has gone: its answers never come, collect sees it
                return

    def ready(self) -> bool:
        """Whether an answer is waiting (never on Windows: answers are read when needed)."""
        assert self.process.stdout is not None
        if os.name == "nt":
            return False
        return bool(select.select([self.process.stdout], [], [], 0)[0])

    def receive(self) -> Any:
        assert self.process.stdout is not None
        return receive(self.process.stdout)

    def close(self) -> None:
        self.outbox.put(None)
        self.sender.join(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


_lock = threading.RLock()
_worker: _Worker | None = None
_pending: list[_Job] = []
_numbers = itertools.count(1)
_exit_registered = False


def _started() -> _Worker | None:
    global _worker, _exit_registered
    if _worker is not None and _worker.process.poll() is None:
        return _worker
    if not _exit_registered:
        # Runs before MLflow's own exit handler ends an open run (registered later, runs
        # first): the answers are written, then the run is sealed as it ends.
        atexit.register(stop)
        _exit_registered = True
    try:
        _worker = _Worker()
    except OSError:
        _logger.warning("csc-mlflow: could not start the data-quality worker; validating here")
        _worker = None
    return _worker


def prewarm(suites: list[tuple[str, str | None]]) -> None:
    """Start the worker (once) and have it compile ``suites`` (``(suite, base folder)``)."""
    if not background_enabled() or not suites:
        return
    with _lock:
        worker = _started()
        if worker is None:
            return
        try:
            worker.send(("warm", suites))
        except OSError:
            _logger.warning("csc-mlflow: the data-quality worker stopped; validating here")


def submit(
    *,
    run_id: str,
    frame: Any,
    suite: str,
    base: str | None,
    block_on: str,
    record: Callable[[str, Any], None],
    here: Callable[[], None],
) -> int | None:
    """Hand a logged dataset to the worker: its job number, or None when it must be
    validated here instead. ``record`` writes the answer, ``here`` validates in this process
    should the worker stop first."""
    if not background_enabled():
        return None
    with _lock:
        _write_ready()
        worker = _started()
        if worker is None:
            return None
        job = _Job(next(_numbers), run_id, record, here, [False])
        try:
            worker.send(("validate", job.number, frame, suite, base, block_on))
        except Exception:  # noqa: BLE001 - a frame that cannot be sent is validated here
            _logger.warning("csc-mlflow: a logged dataset is validated in this process instead")
            _stop_worker()
            return None
        _pending.append(job)
        return job.number


def cancel(number: int) -> None:
    """Write nothing for job ``number`` (its dataset was not logged after all)."""
    with _lock:
        for job in _pending:
            if job.number == number:
                job.cancelled[0] = True


def collect(run_id: str | None = None) -> None:
    """Write every answer for ``run_id`` (every run when None), waiting for those not ready."""
    with _lock:
        while any(run_id is None or job.run_id == run_id for job in _pending):
            _answer_next()


def _write_ready() -> None:
    while _pending and _worker is not None and _worker.ready():
        _answer_next()


def _answer_next() -> None:
    """Read the oldest job's answer and write its record (validating here if it has none)."""
    job = _pending[0]
    answer: Any = None
    try:
        if _worker is None:
            raise EOFError("no worker")
        answer = _worker.receive()
    except (EOFError, OSError, ValueError):
        answer = None
    if answer is None or answer[1] != job.number:
        # The worker stopped (or answered out of turn): every job it held is done here.
        held = list(_pending)
        _pending.clear()
        _stop_worker()
        _logger.warning("csc-mlflow: the data-quality worker stopped; validating here")
        for each in held:
            if not each.cancelled[0]:
                _in_process(each)
        return
    _pending.pop(0)
    if not job.cancelled[0]:
        _write(job, answer)


def _write(job: _Job, answer: tuple[Any, ...]) -> None:
    job.record(str(answer[0]), answer[2])


def _in_process(job: _Job) -> None:
    job.here()


def _stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
    _worker = None


def stop() -> None:
    """Write every pending answer, then stop the worker."""
    with _lock:
        collect()
        _stop_worker()
