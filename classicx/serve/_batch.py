"""Text queries answered in batches: one projection and one gallery search for all waiting queries."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["TextBatcher"]


def _settle(outcomes: list) -> None:
    """Set the futures of one batch (asyncio ones on their event loop's thread)."""
    for future, result, exc in outcomes:
        if future.done():  # an asyncio future cancelled: the client went away
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)


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
        """A future of the best ``k`` results for ``text``, to wait for from any thread."""
        future: Future = Future()
        self._put(text, k, future)
        return future

    def submit_async(self, text: str, k: int) -> asyncio.Future:
        """The same as an asyncio future of the running event loop (call from its thread).

        The answers of one batch reach their loop in one wake-up
        (``call_soon_threadsafe``) rather than one per query: with
        concurrent.futures wrapped by ``asyncio.wrap_future``, every answer
        was a write to the loop's self-pipe, a system call per request.
        """
        future = asyncio.get_running_loop().create_future()
        self._put(text, k, future)
        return future

    def _put(self, text: str, k: int, future: Any) -> None:
        self._queue.put((text, k, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="classicx-text-batcher", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            jobs = [job for job in jobs if self._wanted(job[2])]
            if not jobs:
                continue
            self.batches += 1
            self._deliver(self._answer(jobs))

    @staticmethod
    def _wanted(future: Any) -> bool:
        if isinstance(future, Future):
            return future.set_running_or_notify_cancel()
        return not future.cancelled()

    def _answer(self, jobs: list) -> list:
        """``(future, result, exception)`` for each job."""
        try:
            # Exact search ranks with ties broken by the smaller index, so the best
            # k of a query are the first k of its best max(k).
            results = self._run([text for text, _, _ in jobs], max(k for _, k, _ in jobs))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request, which answers with it
            if len(jobs) > 1:
                # One refused query (for example one without a known word) must not fail the
                # others of its batch: answer each alone, so only that one gets the error.
                return [outcome for job in jobs for outcome in self._answer([job])]
            return [(jobs[0][2], None, exc)]
        return [(future, result[:k], None) for (_, k, future), result in zip(jobs, results)]

    @staticmethod
    def _deliver(outcomes: list) -> None:
        # concurrent.futures ones here (running since _wanted, so never done yet); asyncio ones
        # grouped by loop, each group settled in one wake-up of its loop.
        _settle([outcome for outcome in outcomes if isinstance(outcome[0], Future)])
        by_loop: dict = {}
        for outcome in outcomes:
            if not isinstance(outcome[0], Future):
                by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass
