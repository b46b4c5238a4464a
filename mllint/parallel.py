"""Lint many files on several processes, reporting in input order.

Why: a whole monorepo is CPU-bound parsing. A pool costs ~50 ms to start and
memory per worker, so by default it starts only once ``AUTO_AFTER`` files
have been linted and more keep coming; a pre-commit run on a few files never
pays for it. Workers are forked (they inherit the configured linter, nothing
is pickled but the sources and reports); without ``fork`` linting stays serial.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

S = TypeVar("S")
R = TypeVar("R")

AUTO_AFTER = 100  # files linted serially before ``--jobs auto`` starts workers
CHUNK = 16  # files per task: amortises the pickling round trip
_work: Callable | None = None  # the lint function, inherited by forked workers


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _run_chunk(chunk: list) -> list:
    assert _work is not None
    return [_work(item) for item in chunk]


def lint_in_order(items: Iterable[S], work: Callable[[S], R], jobs: int | None) -> Iterator[tuple[S, R]]:
    """``(item, work(item))`` in input order; ``jobs``: 1 serial, N workers, None automatic."""
    it = iter(items)
    wanted = default_jobs() if jobs is None else jobs
    if wanted > 1 and jobs is None:  # automatic: few files are linted faster than a pool starts
        for _ in range(AUTO_AFTER):
            item = next(it, _END)
            if item is _END:
                return
            yield item, work(item)
    if wanted > 1:
        import multiprocessing  # only now: ~5 ms of start-up a short run does not pay

        if "fork" in multiprocessing.get_all_start_methods():
            first = next(it, _END)
            if first is not _END:
                yield from _pooled(_chain(first, it), work, wanted, multiprocessing.get_context("fork"))
            return
    for item in it:
        yield item, work(item)


_END = object()


def _chain(first, rest):
    yield first
    yield from rest


def _pooled(items: Iterator, work: Callable, jobs: int, context) -> Iterator[tuple]:
    """At most ``2 * jobs`` chunks in flight, so memory stays flat however many files there are."""
    from concurrent.futures import ProcessPoolExecutor

    global _work
    _work = work
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending: deque = deque()
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < 2 * jobs:
                    chunk = [item for _, item in zip(range(CHUNK), items)]
                    if not chunk:
                        exhausted = True
                        break
                    pending.append((chunk, pool.submit(_run_chunk, chunk)))
                if pending:
                    chunk, future = pending.popleft()
                    try:
                        results = future.result()
                    except KeyboardInterrupt:  # Ctrl-C: drop the queued chunks, let running ones end
                        pool.shutdown(wait=True, cancel_futures=True)
                        raise
                    yield from zip(chunk, results)
    finally:
        _work = None
