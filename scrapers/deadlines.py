"""Deadlines that a slow server cannot stretch, and a stop that reaches requests in flight.

requests' timeouts bound each socket operation: a server that sends one byte every few
seconds never trips them, and an answer can take forever. Here every request runs under a
`guard` with a wall-clock deadline; a watchdog thread shuts the request's socket down when
the deadline passes (the blocked read then returns at once), and `request_stop` does the
same to every request in flight, so that SIGTERM ends a run's collection promptly.

The socket is found through the connection classes of `WatchedAdapter`, which hand it to
the current thread's guard when they start reading an answer.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Guard", "WatchedAdapter", "guard", "request_stop", "reset_stop", "stop_reason", "wait"]

_stop = threading.Event()
_stop_reason: list[str] = []
_current = threading.local()


class Guard:
    """One request's deadline; `expired` says whether the watchdog cut it (and why)."""

    def __init__(self, deadline: float, reason: str) -> None:
        self.deadline = deadline
        self.reason = reason
        self.expired: str | None = None
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        """The socket the request reads from; cut at once if the guard has already expired."""
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def cut(self, why: str) -> None:
        """Stop the request: shut its sockets down so that a blocked read returns."""
        with self._lock:
            if self.expired:
                return
            self.expired = why
            socks = list(self._socks)
        for sock in socks:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """A daemon thread that cuts guards past their deadline, earliest first."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Guard]] = []
        self._active: set[Guard] = set()
        self._count = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, guard: Guard) -> None:
        with self._wake:
            self._active.add(guard)
            heapq.heappush(self._heap, (guard.deadline, next(self._count), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="casewatch-http-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()

    def remove(self, guard: Guard) -> None:
        with self._wake:
            self._active.discard(guard)

    def cut_all(self, why: str) -> None:
        with self._wake:
            guards = list(self._active)
        for guard in guards:
            guard.cut(why)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2] not in self._active:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, _, guard = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                heapq.heappop(self._heap)
            guard.cut(guard.reason)


_watchdog = _Watchdog()


@contextlib.contextmanager
def guard(seconds: float, reason: str) -> Iterator[Guard]:
    """Run a request of this thread under a deadline of `seconds` from now; cut at once when stopping."""
    current = Guard(time.monotonic() + seconds, reason)
    _current.guard = current
    _watchdog.add(current)
    if _stop.is_set():
        current.cut(stop_reason() or "stopped")
    try:
        yield current
    finally:
        _current.guard = None
        _watchdog.remove(current)


def request_stop(reason: str) -> None:
    """Stop every request in flight and refuse new ones (a run was asked to stop: SIGTERM, Ctrl-C)."""
    if not _stop_reason:
        _stop_reason.append(reason)
    _stop.set()
    _watchdog.cut_all(reason)


def reset_stop() -> None:
    """Allow requests again (a new run in the same process)."""
    _stop.clear()
    _stop_reason.clear()


def stop_reason() -> str | None:
    """Why requests were stopped, or None while they are not."""
    return _stop_reason[0] if _stop.is_set() and _stop_reason else None


def wait(seconds: float) -> None:
    """Sleep that ends early when a stop is requested (the pacing between requests)."""
    _stop.wait(max(0.0, seconds))


class _Watched:
    """Hands the socket of a connection to the thread's guard when the answer is read."""

    def getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        current = getattr(_current, "guard", None)
        if current is not None:
            current.attach(getattr(self, "sock", None))
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections whose sockets the current guard can cut."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
