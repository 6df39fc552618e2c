"""A worker process fed by the event loop: answers in order, big payloads both ways, errors with
the worker's traceback, and a worker that dies fails what it owed, not what comes after."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from crawler.worker_process import WorkerProcess

MB = 1 << 20


def ready():
    pass


def echo(value):
    return value


def grown(data: bytes, times: int) -> bytes:
    return data * times


def fails(message):
    raise ValueError(message)


def dies():
    os._exit(3)


def cannot_start(reason):
    raise PermissionError(reason)


class Unsendable(Exception):
    """An error that cannot be pickled (it holds a lock)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.lock = threading.Lock()


def cannot_start_unsendably(reason):
    raise Unsendable(reason)


def _refuse(message):
    raise ValueError(message)


class Unreadable:
    """Pickles in the worker; unpickling it in the crawl's process raises."""

    def __reduce__(self):
        return _refuse, ("made to fail when read back",)


def unreadable():
    return Unreadable()


async def answer(worker, fn, *args):
    return await worker.call(fn, *args)


@pytest.fixture
def worker():
    process = WorkerProcess(ready, ())
    yield process
    process.close()


def test_answers_come_back_in_order_with_big_payloads_both_ways(worker):
    big = os.urandom(3 * MB)  # far beyond a socket buffer: written and read in many pieces

    async def run():
        calls = [worker.call(echo, n) for n in range(200)]
        calls.append(worker.call(grown, big, 2))
        calls.append(worker.call(echo, big))
        return await asyncio.gather(*calls)

    answers = asyncio.run(run())
    assert answers[:200] == list(range(200))
    assert answers[200] == big + big
    assert answers[201] == big
    assert not worker.outgoing and not worker.incoming and not worker.owed


def test_an_error_in_the_worker_is_raised_with_its_traceback(worker):
    async def run():
        with pytest.raises(ValueError, match="no such page") as raised:
            await worker.call(fails, "no such page")
        return raised.value, await worker.call(echo, "still serving")

    error, after = asyncio.run(run())
    assert "Traceback" in "".join(getattr(error, "__notes__", []))
    assert after == "still serving"


def test_a_dead_worker_fails_every_call_it_owed(worker):
    async def run():
        before = worker.call(echo, "before")
        death = worker.call(dies)
        owed = [worker.call(echo, n) for n in range(5)]
        results = await asyncio.gather(before, death, *owed, return_exceptions=True)
        return results, worker.call(echo, "after")

    results, after = asyncio.run(run())
    assert results[0] == "before"
    assert all(isinstance(r, BrokenProcessPool) for r in results[1:])
    assert worker.dead and worker.process.exitcode == 3
    assert after.done() and isinstance(after.exception(), BrokenProcessPool)


def test_a_second_event_loop_gets_its_own_answers(worker):
    assert asyncio.run(answer(worker, echo, "first loop")) == "first loop"
    assert asyncio.run(answer(worker, echo, "second loop")) == "second loop"


def test_close_ends_the_worker(worker):
    assert asyncio.run(answer(worker, echo, 1)) == 1
    worker.close()
    assert not worker.process.is_alive() and worker.process.exitcode == 0


def test_finish_answers_every_owed_call_then_waits_for_its_own_and_closes(worker):
    big = os.urandom(3 * MB)

    async def run():
        owed = [worker.call(echo, n) for n in range(50)] + [worker.call(echo, big)]
        last = worker.finish(grown, b"end", 2)  # blocking: the loop does not run meanwhile
        return owed, last

    owed, last = asyncio.run(run())
    assert last == b"endend"
    assert [call.result() for call in owed[:50]] == list(range(50)) and owed[50].result() == big
    assert worker.dead and not worker.process.is_alive() and worker.process.exitcode == 0


def test_finish_raises_when_the_worker_dies_first(worker):
    async def run():
        death = worker.call(dies)
        with pytest.raises(BrokenProcessPool):
            worker.finish(echo, "never")
        return death

    death = asyncio.run(run())
    assert isinstance(death.exception(), BrokenProcessPool)
    assert worker.dead


def test_an_answer_that_cannot_be_read_fails_its_own_call_only(worker):
    async def run():
        calls = [worker.call(echo, 1), worker.call(unreadable), worker.call(echo, 2)]
        return await asyncio.gather(*calls, return_exceptions=True)

    first, bad, after = asyncio.run(run())
    assert (first, after) == (1, 2)
    assert isinstance(bad, RuntimeError) and "made to fail when read back" in str(bad)
    assert not worker.dead and not worker.owed


def test_a_worker_that_cannot_start_says_why_then_is_gone():
    worker = WorkerProcess(cannot_start, ("warc/ is not writable",))

    async def run():
        first = await asyncio.gather(worker.call(echo, 1), return_exceptions=True)
        second = await asyncio.gather(worker.call(echo, 2), return_exceptions=True)
        return first[0], second[0]

    try:
        first, second = asyncio.run(run())
    finally:
        worker.close()
    assert isinstance(first, PermissionError) and str(first) == "warc/ is not writable"
    assert "cannot_start" in "".join(getattr(first, "__notes__", []))
    assert isinstance(second, BrokenProcessPool)


def test_a_start_error_that_cannot_be_pickled_still_says_why():
    worker = WorkerProcess(cannot_start_unsendably, ("no archive here",))
    try:
        with pytest.raises(RuntimeError, match="could not start: Unsendable\\('no archive here'\\)"):
            asyncio.run(answer(worker, echo, 1))
    finally:
        worker.close()
