"""Text queries answered in batches: one projection and one gallery search for all waiting queries."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

__all__ = ["TextBatcher"]


class TextBatcher:
    """Collects concurrent text queries and answers them together on one thread.

    Fifty clients asking at once would otherwise run fifty projections and
    fifty searches in fifty threads, contending for the GIL and for memory;
    one ``transform_texts`` of 50 texts and one search of a (50, d) query
    matrix cost little more than one of each. The first query of a batch
    does not wait for others: a batch is whatever is queued when the thread
    is free, at most ``max_batch`` queries.

    Parameters
    ----------
    run : callable
        ``run(texts, k) -> list`` of per-text results (best ``k`` first);
        called on the batcher's thread only.
    max_batch : int, default=64
    """

    def __init__(self, run: Callable[[list[str], int], list], max_batch: int = 64) -> None:
        self._run = run
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0  # how many batches were run, for tests and monitoring

    def submit(self, text: str, k: int) -> Future:
        """A future of the best ``k`` results for ``text``."""
        future: Future = Future()
        self._queue.put((text, k, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="classicx-text-batcher", daemon=True)
                self._thread.start()
        return future

    def _loop(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            jobs = [job for job in jobs if job[2].set_running_or_notify_cancel()]
            if not jobs:
                continue
            self.batches += 1
            self._answer(jobs)

    def _answer(self, jobs: list) -> None:
        try:
            # Exact search ranks with ties broken by the smaller index, so the best
            # k of a query are the first k of its best max(k).
            results = self._run([text for text, _, _ in jobs], max(k for _, k, _ in jobs))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request, which answers with it
            if len(jobs) > 1:
                # One refused query (for example one without a known word) must not fail the
                # others of its batch: answer each alone, so only that one gets the error.
                for job in jobs:
                    self._answer([job])
                return
            jobs[0][2].set_exception(exc)
            return
        for (_, k, future), result in zip(jobs, results):
            future.set_result(result[:k])
