"""Parse a document in a worker process, so that a hang, a memory blow-up or a crash fails that document only.

Workers come from a forkserver that has already imported the readers and parsed a
tiny document (`worker_warmup`), so a worker costs a fork, not an interpreter start,
the imports and the first load of the region table. `bench/bench_worker.py` on 2
shared cores: 12–19 ms more per document than in-process (0.55 s once, for the
forkserver); without the warm-up it was about 110 ms, re-importing the parent's main
script in every worker about 240 ms. Inside the worker, RLIMIT_AS caps the address
space: an allocation beyond it raises MemoryError there instead of swapping the machine.

Reading many documents (a backfill, an inbox), `one_worker()` lets them share a worker: each
document is still sent, timed and answered on its own, so a hang, a crash or a MemoryError
still fails that document only; the worker it happened in is replaced for the next one. A
worker also retires after `DOCUMENTS_PER_WORKER` documents, so what one leaves in memory
does not count against the limit of the documents after it. `bench/bench_worker.py` on 2 cores
shared with other jobs (load average 9): 60-80 ms a document with a worker each, none measurable
sharing one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import signal
import threading
from collections.abc import Iterator
from typing import Callable

from .documents import describe_failure, parse_document, sha256
from .readers import Extracted, extract_document, one_line
from .limits import DEFAULT_LIMITS, Limits, describe_bytes
from .records import Article, Document, ScrapeError, WorkerDied

__all__ = ["extract_document_isolated", "one_worker", "parse_document_isolated"]

# Imported once by the forkserver, inherited by every worker. "__main__" too: otherwise every
# worker re-imports the parent's main script (pytest's, the casewatch CLI's) before it starts.
PRELOAD = ["__main__", "scrapers.readers", "pypdf", "docx", "lxml.html", "charset_normalizer", "scrapers.worker_warmup"]
Parser = Callable[..., "tuple[list[Article], Document]"]
_context = None
# Documents a shared worker reads before it is replaced (bench/README.md, `bench_backfill.py`).
DOCUMENTS_PER_WORKER = 64
_local = threading.local()  # the shared worker of this thread, inside `one_worker()`


def worker_context():
    """The multiprocessing context for workers: a forkserver with the readers preloaded (spawn where there is none)."""
    global _context
    if _context is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(PRELOAD)
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def parse_document_isolated(
    data: bytes,
    name: str,
    url: str,
    source: str,
    kind: str = "document",
    limits: Limits | None = None,
    parse: Parser = parse_document,
) -> tuple[list[Article], Document]:
    """`parse_document` in a worker process under the time and memory limits; a worker's death fails the document."""
    limits = limits or DEFAULT_LIMITS
    if not _main_is_a_file():
        articles, document = parse(data, name, url, source, kind, limits)
        document.problems.append("read without a worker process, so without time and memory limits: "
                                 "the calling program is not a file (stdin or an interactive session)")
        return articles, document
    shared = getattr(_local, "worker", None)
    if shared is not None:
        return shared.parse(parse, (data, name, url, source, kind, limits))
    context = worker_context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_work, args=(sender, parse, (data, name, url, source, kind, limits), limits.memory), daemon=True
    )
    try:
        worker.start()
    except Exception as exc:  # no forkserver (its start failed, a sandbox forbids it): read without isolation
        sender.close()
        receiver.close()
        articles, document = parse(data, name, url, source, kind, limits)
        document.problems.append(f"read without a worker process, so without time and memory limits: {one_line(exc)}")
        return articles, document
    sender.close()  # so that the worker's death reads as end of file here
    try:
        if not receiver.poll(limits.timeout):
            worker.kill()
            return [], _failed(data, name, url, source, kind, f"timed out after {limits.timeout:g} s", "TimeoutError")
        try:
            return receiver.recv()
        except (EOFError, OSError):
            worker.join(5)
            return [], _failed(data, name, url, source, kind, _death(worker.exitcode), WorkerDied.__name__)
    finally:
        receiver.close()
        worker.join(5)
        if worker.is_alive():
            worker.kill()
            worker.join()


@contextlib.contextmanager
def one_worker(documents: int = DOCUMENTS_PER_WORKER) -> Iterator[None]:
    """Within the block, the documents this thread reads with `parse_document_isolated` share a worker
    process (started at the first, replaced after a failure and after `documents` documents)."""
    previous = getattr(_local, "worker", None)
    _local.worker = SharedWorker(documents)
    try:
        yield
    finally:
        _local.worker.close()
        _local.worker = previous


class SharedWorker:
    """A worker process that parses documents one after another, each under the time and memory limits."""

    def __init__(self, documents: int = DOCUMENTS_PER_WORKER) -> None:
        self.documents = documents
        self.process = None
        self.connection = None
        self.memory: int | None = None
        self.used = 0

    def parse(self, parse: Parser, args: tuple) -> tuple[list[Article], Document]:
        """Parse one document in the worker; a timeout, a death or a failure ends this worker, not the next document."""
        data, name, url, source, kind, limits = args
        if self.process is not None and (self.used >= self.documents or self.memory != limits.memory):
            self.close()
        if self.process is None:
            try:
                self._start(limits.memory)
            except Exception as exc:  # no forkserver here: read in this process, as parse_document_isolated does
                articles, document = parse(*args)
                document.problems.append(f"read without a worker process, so without time and memory limits: {one_line(exc)}")
                return articles, document
        self.used += 1
        try:
            self.connection.send((parse, args))
        except OSError:  # the worker died between two documents: give this one a fresh worker
            self.close()
            return self.parse(parse, args)
        if not self.connection.poll(limits.timeout):
            self.process.kill()
            self.close()
            return [], _failed(data, name, url, source, kind, f"timed out after {limits.timeout:g} s", "TimeoutError")
        try:
            articles, document = self.connection.recv()
        except (EOFError, OSError):
            self.process.join(5)
            reason = _death(self.process.exitcode)
            self.close()
            return [], _failed(data, name, url, source, kind, reason, WorkerDied.__name__)
        if document.error_type:  # whatever failed may have left the worker in a bad state
            self.close()
        return articles, document

    def _start(self, memory: int | None) -> None:
        context = worker_context()
        mine, theirs = context.Pipe(duplex=True)
        process = context.Process(target=_serve, args=(theirs, memory), daemon=True)
        try:
            process.start()
        finally:
            theirs.close()  # so that the worker's death reads as end of file here
        self.process, self.connection, self.memory, self.used = process, mine, memory, 0

    def close(self) -> None:
        """Stop the worker (it ends when its pipe closes; killed if it does not)."""
        if self.process is None:
            return
        self.connection.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process = self.connection = None


def _serve(connection, memory: int | None) -> None:
    """A shared worker: cap the address space, then parse each document sent until the pipe closes."""
    import resource

    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    while True:
        try:
            parse, args = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # closed, or a Ctrl-C to the process group: the parent stops the run
            return
        connection.send(_parse_here(parse, args, memory))


def extract_document_isolated(data: bytes, name: str, limits: Limits | None = None) -> Extracted:
    """`extract_document` (a web page's attachment) in a worker under the same limits as a compilation
    file; ScrapeError with the reason when it fails, runs out of time or memory, or the worker dies."""
    limits = limits or DEFAULT_LIMITS
    if not _main_is_a_file():
        return extract_document(data, name, limits)
    context = worker_context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_extract, args=(sender, data, name, limits), daemon=True)
    try:
        worker.start()
    except Exception:  # no forkserver here: read in this process, as parse_document_isolated does
        sender.close()
        receiver.close()
        return extract_document(data, name, limits)
    sender.close()
    try:
        if not receiver.poll(limits.timeout):
            worker.kill()
            raise ScrapeError(f"timed out after {limits.timeout:g} s")
        try:
            outcome, value = receiver.recv()
        except (EOFError, OSError):
            worker.join(5)
            raise ScrapeError(_death(worker.exitcode)) from None
    finally:
        receiver.close()
        worker.join(5)
        if worker.is_alive():
            worker.kill()
            worker.join()
    if outcome != "ok":
        raise ScrapeError(value)
    return value


def _extract(sender, data: bytes, name: str, limits: Limits) -> None:
    """The worker of `extract_document_isolated`: the text, or the failure in one line."""
    import resource

    try:
        if limits.memory:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        answer = ("ok", extract_document(data, name, limits))
    except BaseException as exc:
        error, error_type = describe_failure(exc)
        if ran_out_of_memory(limits.memory, error_type):
            error = f"ran out of memory (limit {describe_bytes(limits.memory)})"
        answer = ("failed", error)
    sender.send(answer)
    sender.close()


def ran_out_of_memory(memory: int | None, error_type: str) -> bool:
    """Whether a failure in a worker capped at `memory` came from the cap: a MemoryError, or any error once the
    address space came within 64 MiB of it (libxml2 may report a failed allocation as "unknown error")."""
    return bool(memory) and (error_type == "MemoryError" or hit_the_limit(memory))


def hit_the_limit(memory: int, margin: int = 64 * 1024**2) -> bool:
    """Whether this worker's address space came within `margin` of its limit."""
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    return peak >= memory - margin


def _main_is_a_file() -> bool:
    """Whether a worker can start: workers re-import the parent's main module from its file,
    which a script read from stdin ("<stdin>") or an interactive session does not have."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return path is None or os.path.isfile(path)


def _work(sender, parse: Parser, args: tuple, memory: int | None) -> None:
    """The worker: cap the address space, parse, send back the result or the failure."""
    import resource

    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    sender.send(_parse_here(parse, args, memory))
    sender.close()


def _parse_here(parse: Parser, args: tuple, memory: int | None) -> tuple[list[Article], Document]:
    """Parse one document in this worker; any failure, even SystemExit from a library, is the document's."""
    data, name, url, source, kind, _ = args
    try:
        articles, document = parse(*args)
    except BaseException as exc:
        error, error_type = describe_failure(exc)
        articles, document = [], _failed(data, name, url, source, kind, error, error_type)
    if document.error_type and ran_out_of_memory(memory, document.error_type):
        document.error, document.error_type = f"ran out of memory (limit {describe_bytes(memory)})", "MemoryError"
    return articles, document


def _failed(data: bytes, name: str, url: str, source: str, kind: str, error: str, error_type: str) -> Document:
    return Document(sha256(data), name, url, source, kind, status="failed", error=error, error_type=error_type)


def _death(exitcode: int | None) -> str:
    """Why a worker ended without an answer, from its exit code."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = ", perhaps killed for lack of memory" if -exitcode == signal.SIGKILL else ""
        return f"the reader process died ({name}{hint})"
    return f"the reader process died (exit status {exitcode})"
