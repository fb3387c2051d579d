"""Each document is parsed in a worker process: a hang, a memory blow-up or a crash fails that document only.

The misbehaving parsers are module-level functions so that the worker process,
which imports this module by name, can run them.
"""

from __future__ import annotations

import os
import signal
import time

from scrapers import SourceResult, collect_file, parse_document, parse_document_isolated
from scrapers.isolate import one_worker
from scrapers.limits import Limits

CASES = "案例1：西安市推行“分阶段施工许可”改革\n西安市按照试点先行的原则推进改革。\n案例2：商洛市全面提升“获得电力”服务水平\n商洛市持续优化电力营商环境。\n"


def parse_forever(data, name, url, source, kind="document", limits=None):
    """A reader stuck in a loop on this document."""
    if b"slow" in data:
        while True:
            time.sleep(0.05)
    return parse_document(data, name, url, source, kind, limits)


def parse_greedily(data, name, url, source, kind="document", limits=None):
    """A reader that tries to hold the whole document expanded a thousandfold."""
    if b"greedy" in data:
        hoard = [bytearray(64 * 1024**2) for _ in range(1000)]
        return len(hoard)
    return parse_document(data, name, url, source, kind, limits)


def parse_and_crash(data, name, url, source, kind="document", limits=None):
    """A reader whose C extension kills the process."""
    os.kill(os.getpid(), signal.SIGSEGV)


def parse_anything_badly(data, name, url, source, kind="document", limits=None):
    """A reader that hangs, hoards memory or crashes as the document says; else reads it and says which process it ran in."""
    if b"slow" in data:
        return parse_forever(data, name, url, source, kind, limits)
    if b"greedy" in data:
        return parse_greedily(data, name, url, source, kind, limits)
    if b"crash" in data:
        return parse_and_crash(data, name, url, source, kind, limits)
    articles, document = parse_document(data, name, url, source, kind, limits)
    document.problems.append(f"pid {os.getpid()}")
    return articles, document


def test_documents_sharing_a_worker_still_fail_alone_and_a_bad_one_takes_only_its_worker():
    # Only the hanging document is given a short time: on a loaded machine filling 1 GiB takes seconds.
    limits, short = Limits(timeout=120, memory=1024**3), Limits(timeout=2, memory=1024**3)
    good = CASES.encode()
    order = [good, good, good, good, b"slow", good, b"greedy", good, b"crash", good, good]
    with one_worker(documents=3):
        read = [parse_document_isolated(data + bytes([n]), f"{n}.txt", f"/inbox/{n}.txt", "inbox",
                                        limits=short if data == b"slow" else limits, parse=parse_anything_badly)
                for n, data in enumerate(order)]  # fmt: skip
    outcomes = [(document.status, document.error_type, len(articles)) for articles, document in read]
    assert outcomes == [
        ("ok", None, 2), ("ok", None, 2), ("ok", None, 2), ("ok", None, 2), ("failed", "TimeoutError", 0), ("ok", None, 2), ("failed", "MemoryError", 0),
        ("ok", None, 2), ("failed", "WorkerDied", 0), ("ok", None, 2), ("ok", None, 2),
    ]
    pids = [document.problems[-1] for _, document in read if document.status == "ok"]
    # One worker for the first three (its limit), a new one for the fourth, after each failure
    # a new one; the last two share one again.
    assert pids[0] == pids[1] == pids[2] != pids[3] and pids[-1] == pids[-2]
    assert len(set(pids)) == 5 and os.getpid() not in {int(p.split()[1]) for p in pids}


def test_a_document_that_hangs_times_out_and_the_next_one_is_read():
    args = ("inbox", "document")
    articles, document = parse_document_isolated(b"slow", "slow.txt", "/inbox/slow.txt", *args, limits=Limits(timeout=1), parse=parse_forever)
    assert articles == []
    assert (document.status, document.error, document.error_type) == ("failed", "timed out after 1 s", "TimeoutError")
    articles, document = parse_document_isolated(CASES.encode(), "ok.txt", "/inbox/ok.txt", *args, limits=Limits(timeout=30), parse=parse_forever)
    assert document.status == "ok" and len(articles) == 2


def test_a_document_that_exhausts_memory_fails_alone():
    limits = Limits(memory=1024**3)
    articles, document = parse_document_isolated(b"greedy", "big.txt", "/inbox/big.txt", "inbox", limits=limits, parse=parse_greedily)
    assert articles == []
    assert (document.status, document.error_type) == ("failed", "MemoryError")
    assert document.error == "ran out of memory (limit 1 GiB)"
    assert document.sha256  # the document is still known by its content


def test_a_worker_that_dies_fails_its_document_with_the_reason():
    articles, document = parse_document_isolated(b"x", "crash.pdf", "/inbox/crash.pdf", "inbox", parse=parse_and_crash)
    assert articles == []
    assert (document.status, document.error_type) == ("failed", "WorkerDied")
    assert document.error == "the reader process died (SIGSEGV)"


def test_collect_file_uses_the_worker_and_its_limits(tmp_path, monkeypatch):
    import scrapers.sources

    monkeypatch.setattr(scrapers.sources, "parse_document", parse_forever)
    (tmp_path / "slow.txt").write_bytes(b"slow")
    (tmp_path / "ok.txt").write_text(CASES, encoding="utf-8")
    result = SourceResult("mail", "inbox")
    for name, timeout in [("slow.txt", 1), ("ok.txt", 60)]:  # generous for ok.txt: CI machines can be slow
        collect_file(result, str(tmp_path / name), seen=set(), limits=Limits(timeout=timeout))
    assert [(d.name, d.status, d.error) for d in result.documents] == [
        ("slow.txt", "failed", "timed out after 1 s"),
        ("ok.txt", "ok", None),
    ]
    assert result.errors == ["slow.txt: timed out after 1 s"]


def test_without_a_worker_the_document_is_read_in_process_and_flagged(monkeypatch):
    import scrapers.isolate

    class NoProcesses:
        def Pipe(self, duplex):
            import multiprocessing

            return multiprocessing.Pipe(duplex)

        def Process(self, **kwargs):
            class Refused:
                def start(self):
                    raise OSError(38, "Function not implemented")

            return Refused()

    monkeypatch.setattr(scrapers.isolate, "worker_context", lambda: NoProcesses())
    articles, document = parse_document_isolated(CASES.encode(), "ok.txt", "/inbox/ok.txt", "inbox")
    assert document.status == "ok" and len(articles) == 2
    assert document.problems[-1].startswith("read without a worker process, so without time and memory limits")


def test_a_program_read_from_stdin_still_reads_its_documents(tmp_path):
    # Workers re-import the parent's main module from its file; "<stdin>" has none.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "a.txt").write_text("案例1：甲市改革\n正文一。\n案例2：乙市改革\n正文二。\n", encoding="utf-8")
    script = (
        "from scrapers import collect_inbox\n"
        f"r = collect_inbox('mail', {str(tmp_path)!r}, set())\n"
        "print(len(r.articles), [d.status for d in r.documents])\n"
    )
    done = subprocess.run([sys.executable, "-"], input=script, text=True, capture_output=True, cwd=root, timeout=120)
    assert done.stdout.strip() == "2 ['ok']", done.stderr[-2000:]
