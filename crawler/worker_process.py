"""One worker process, fed by the asyncio event loop itself: no helper threads in the crawl.

concurrent.futures.ProcessPoolExecutor moves each call through two threads of the
calling process (a queue feeder and a result manager) and keeps only one call
queued per worker. In a crawl both threads compete with the reactor for the GIL,
and while they wait for it the worker runs dry with hundreds of pages in line.
Here the loop writes each call to the worker's socket as it is made (non-blocking,
buffered) and reads the answers when the socket is readable, in the order the
calls were sent. Frames are those of multiprocessing.Connection, whose blocking
send/recv the worker uses.

A worker that exits (killed, out of memory) fails every call it still owed with
BrokenProcessPool; the pool decides what to start next.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import traceback
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)

_READ_SIZE = 1 << 20


def serve(conn, initializer, initargs, at_end=None) -> None:
    """The worker's loop: (fn, args) in, (ok, result or exception) out, until the socket closes
    (then `at_end()`, when given)."""
    # Ctrl-C and a service stop reach the whole process group: the crawl shuts down gracefully
    # and still needs its workers; they end when their socket does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        initializer(*initargs)
    except Exception as error:
        return _refuse_first_call(conn, error)
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            if at_end is not None:
                at_end()
            return
        try:
            reply = (True, fn(*args))
        except Exception as error:
            error.add_note("".join(traceback.format_exception(error)))  # the worker's traceback travels along
            reply = (False, error)
        try:
            conn.send(reply)
        except Exception as error:  # pickling failed before a byte was written
            conn.send((False, RuntimeError(f"the worker's answer could not be sent back: {error!r}")))


def _refuse_first_call(conn, error: Exception) -> None:
    """A worker that could not start answers its first call with the reason (and its
    traceback), then exits: the crawl's log says why, not only that the process is gone."""
    error.add_note("".join(traceback.format_exception(error)))
    try:
        conn.recv()
        try:
            conn.send((False, error))
        except (pickle.PicklingError, TypeError, AttributeError):  # an error that cannot travel: its text can
            conn.send((False, RuntimeError(f"the worker could not start: {error!r}")))
    except (EOFError, OSError):
        pass


def _frame(payload: bytes) -> bytes:
    """multiprocessing.Connection's framing: a 4-byte length, or -1 and an 8-byte one."""
    if len(payload) > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, len(payload)) + payload
    return struct.pack("!i", len(payload)) + payload


def _unframe(buffer: bytearray) -> bytes | None:
    """The first whole frame's payload, removed from the buffer; None while it is incomplete."""
    if len(buffer) < 4:
        return None
    (size,), header = struct.unpack_from("!i", buffer), 4
    if size == -1:
        if len(buffer) < 12:
            return None
        (size,), header = struct.unpack_from("!Q", buffer, 4), 12
    if len(buffer) < header + size:
        return None
    payload = bytes(buffer[header:header + size])
    del buffer[:header + size]
    return payload


class WorkerProcess:
    def __init__(self, initializer, initargs, name: str = "dca-worker", at_end=None):
        # spawn, not fork: the crawl runs a reactor and threads that a fork would copy mid-flight.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe(duplex=True)
        self.process = context.Process(target=serve, args=(child, initializer, initargs, at_end),
                                       name=name, daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        self.fd = parent.fileno()
        os.set_blocking(self.fd, False)
        self.owed: collections.deque[asyncio.Future] = collections.deque()  # in the order sent
        self.outgoing = bytearray()
        self.incoming = bytearray()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.writing = False
        self.dead = False

    def call(self, fn, *args) -> asyncio.Future:
        """fn(*args) in the worker; the future is answered on the running loop."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self._attach(loop)
        future = loop.create_future()
        if self.dead:
            future.set_exception(BrokenProcessPool("the worker process has exited"))
            return future
        self._enqueue(fn, args)
        self.owed.append(future)
        self._write()
        return future

    def _enqueue(self, fn, args) -> None:
        self.outgoing += _frame(pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL))

    def _attach(self, loop) -> None:
        # A new loop (asyncio.run again): answers still owed to the old one are read and dropped.
        self.loop, self.writing = loop, False
        loop.add_reader(self.fd, self._read)

    def _write(self) -> None:
        while self.outgoing:
            try:
                sent = os.write(self.fd, self.outgoing)
            except BlockingIOError:
                break
            except OSError:
                return self._exited()
            del self.outgoing[:sent]
        if self.outgoing and not self.writing:
            self.loop.add_writer(self.fd, self._write)
            self.writing = True
        elif not self.outgoing and self.writing:
            self.loop.remove_writer(self.fd)
            self.writing = False

    def _read(self) -> None:
        data = self._received()
        if data is None:
            return
        if not data:
            return self._exited()
        self.incoming += data
        self._answer_owed()

    def _received(self) -> bytes | None:
        """What the socket holds: b"" at its end (or reset by a worker that died), None while empty."""
        try:
            return os.read(self.fd, _READ_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def _answer_owed(self) -> None:
        """Answer the owed calls from the whole answers read so far, in the order sent."""
        while self.owed and (payload := _unframe(self.incoming)) is not None:
            ok, value = _unpickled(payload)
            _answer(self.owed.popleft(), value if ok else None, None if ok else value)

    def _exited(self) -> None:
        self.dead = True
        self._detach()
        self.process.join(1)
        error = BrokenProcessPool(f"the worker process exited (exit code {self.process.exitcode})")
        while self.owed:
            _answer(self.owed.popleft(), None, error)

    def _detach(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.fd)
            self.loop.remove_writer(self.fd)
        self.writing = False

    def finish(self, fn, *args, timeout: float | None = None):
        """fn(*args) as the worker's last call, waited for here (blocking), after every answer
        still owed; then the worker is closed. For a shutdown that must be over before
        whatever runs next (Scrapy's spider_closed handlers run side by side)."""
        if self.dead:
            raise BrokenProcessPool("the worker process has exited")
        self._detach()
        os.set_blocking(self.fd, True)
        try:
            self._enqueue(fn, args)
            try:
                while self.outgoing:
                    del self.outgoing[:os.write(self.fd, self.outgoing)]
            except OSError:
                self._exited()
                raise BrokenProcessPool("the worker process exited before its last call") from None
            while True:
                self._answer_owed()
                if not self.owed and (payload := _unframe(self.incoming)) is not None:
                    ok, value = _unpickled(payload)
                    if ok:
                        return value
                    raise value
                if not self.conn.poll(timeout):
                    raise TimeoutError(f"the worker process did not answer within {timeout} s")
                data = self._received()
                if not data:
                    self._exited()
                    raise BrokenProcessPool("the worker process exited before its last answer")
                self.incoming += data
        finally:
            self.close()

    def close(self, timeout: float = 5.0) -> None:
        """Closing the socket ends the worker's loop; one that does not end in time is terminated."""
        if not self.dead:
            self._detach()
        self.conn.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        self.dead = True
        error = BrokenProcessPool("the worker process was closed")
        while self.owed:
            _answer(self.owed.popleft(), None, error)


def _unpickled(payload: bytes) -> tuple[bool, object]:
    """An answer as (ok, result or exception); one that cannot be unpickled here is an error
    of its own call, not of the reader (which would leave that call unanswered)."""
    try:
        return pickle.loads(payload)
    except Exception as error:
        return False, RuntimeError(f"the worker's answer could not be read: {error!r}")


def _answer(future: asyncio.Future, result, error) -> None:
    if future.done() or future.get_loop().is_closed():
        return  # given up on, or owed to a loop that has ended
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
