"""A thread that owns the Store, so SQLite work runs beside the reactor instead of on it.

sqlite3 connections belong to the thread that made them, so the Store is created on
this thread and every call to it is queued here, in order: what the reactor hands
over (captures, items, flushes) is written in the order it was handed over.

Errors are never lost: a call that raises is logged with its traceback and counted,
and `raise_errors` re-raises the first one (the pipeline calls it when the crawl
closes). The Store keeps the rows of a failed flush for the next one.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

logger = logging.getLogger(__name__)


class StoreThread:
    def __init__(self, make_store: Callable[[], Any]):
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="store")
        self.errors: list[BaseException] = []
        self.store = self.call(make_store)

    def submit(self, fn: Callable, *args) -> Future:
        """Queue fn(store, *args); its failure is logged and kept, not lost."""
        future = self._executor.submit(fn, self.store, *args)
        future.add_done_callback(self._check)
        return future

    def call(self, fn: Callable, *args) -> Any:
        """Run fn(*args) on the store thread and wait for its result (or exception)."""
        return self._executor.submit(fn, *args).result()

    def _check(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            self.errors.append(error)
            logger.error("store: writing to the database failed; the rows stay buffered for the next flush",
                         exc_info=error)

    def raise_errors(self) -> None:
        if self.errors:
            raise RuntimeError(f"{len(self.errors)} store write(s) failed during the crawl") from self.errors[0]

    def close(self) -> None:
        """Run what is queued, then stop the thread."""
        self._executor.shutdown(wait=True)
