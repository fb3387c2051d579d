"""Cost of parsing each document in a worker process (parse_document_isolated) over parsing in-process.

Usage: .venv/bin/python bench/bench_worker.py; the figures are quoted in scrapers/isolate.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapers import parse_document, parse_document_isolated  # noqa: E402
from scrapers.isolate import one_worker  # noqa: E402

TINY = "案例1：甲市推行改革\n甲市推进改革。\n案例2：乙市提升服务\n乙市优化服务。\n".encode()


def per_document(parse, args: tuple, repeat: int = 40) -> float:
    """Mean milliseconds per call."""
    start = time.perf_counter()
    for _ in range(repeat):
        parse(*args)
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    sample = next((ROOT / "data" / "samples").glob("004_*.txt"))
    documents = {
        "tiny TXT (2 cases)": (TINY, "t.txt", "/t.txt", "inbox"),
        f"sample {sample.name[:3]} ({sample.stat().st_size // 1000} KB TXT)": (sample.read_bytes(), sample.name, str(sample), "inbox"),
    }
    start = time.perf_counter()
    parse_document_isolated(*documents["tiny TXT (2 cases)"])
    print(f"first isolated call (starts the forkserver, preloads and warms up): {(time.perf_counter() - start) * 1000:.0f} ms")
    for name, args in documents.items():
        inside, isolated = per_document(parse_document, args), per_document(parse_document_isolated, args)
        with one_worker():  # the documents of a batch share a worker (its start counted once in the mean)
            shared = per_document(parse_document_isolated, args)
        print(f"{name:28} in-process {inside:6.1f} ms   isolated {isolated:6.1f} ms   overhead {isolated - inside:5.1f} ms   "
              f"sharing a worker {shared:6.1f} ms   overhead {shared - inside:5.1f} ms")


if __name__ == "__main__":
    main()
