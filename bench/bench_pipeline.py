"""Benchmark: each stage of a weekly run, as a ratio to jieba tokenising the same text.

Run: python bench/bench_pipeline.py [--copies 10]
The bundled compilations are read `--copies` times (each copy made distinct, so the
store really inserts it), and every stage runs on the same text in the same run: the
ratios say which stage sets the pace, whatever the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr

import classify  # noqa: E402
import store  # noqa: E402
from casewatch.pipeline import BATCH  # noqa: E402
from digests import build_digest, render_markdown  # noqa: E402
from scrapers import parse_document  # noqa: E402

SAMPLES = ROOT / "data" / "samples"


def documents(copies: int) -> list[tuple[str, bytes]]:
    """The sample files, `copies` times over."""
    files = sorted(SAMPLES.glob("*.txt"))
    return [(f"{n}-{path.name}", path.read_bytes()) for n in range(copies) for path in files]


def timed(function, *args) -> tuple[object, float]:
    """(result, seconds) of one call."""
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def peak_mib(function, *args) -> float:
    """Peak memory (MiB) that Python allocated during one call; measured apart because tracing is slow."""
    tracemalloc.start()
    function(*args)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    docs = documents(args.copies)
    kchars = sum(len(data.decode("utf-8")) for _, data in docs) / 1000
    jieba.initialize()
    model = classify.load_model(Path(tempfile.gettempdir()) / "casewatch-bench.pkl")

    def split():
        articles = []
        for name, data in docs:
            for article in parse_document(data, name, name, "bench")[0]:
                article.body += f"\n\n（副本 {name}）"  # each copy's cases are new to the store
                articles.append(article)
        return articles

    def tokenise():
        return [jieba.lcut(data.decode("utf-8")) for _, data in docs]

    def classify_all(articles):  # in the weekly run's batches, which bound the memory
        pairs = [(a.title, a.body) for a in articles]
        return [d for i in range(0, len(pairs), BATCH) for d in model.predict_many(pairs[i : i + BATCH])]

    with tempfile.TemporaryDirectory() as folder:
        db = store.open_db(Path(folder) / "bench.db")
        store.save_indicators(db, classify.INDICATORS)
        steps = {
            "jieba tokenise (reference)": (tokenise,),
            "read + split + region (scrapers)": (split,),
            "classify (predict_many)": (classify_all, None),
            "save (store, a transaction per batch)": (store.save_articles, db, None, "2026-W48", store.now()),
            "render digest (Markdown)": (lambda: render_markdown(build_digest(db, "2026-W48")),),
        }
        stages, peaks, articles = {}, {}, []
        for name, (function, *call) in steps.items():
            call = [articles if arg is None else arg for arg in call]
            result, stages[name] = timed(function, *call)
            if name.startswith("read"):
                articles = result
        for name, (function, *call) in steps.items():
            if name.startswith("save"):
                db["articles"].delete_where()
            peaks[name] = peak_mib(function, *[articles if arg is None else arg for arg in call])
    reference = stages["jieba tokenise (reference)"]
    print(f"{len(docs)} documents, {len(articles)} articles, {kchars:.0f} kchar")
    report = {}
    for name, seconds in stages.items():
        peak = peaks[name]
        ratio = reference / seconds
        report[name] = {"seconds": round(seconds, 3), "kchar_per_s": round(kchars / seconds, 1),
                        "ratio_to_jieba": round(ratio, 2), "peak_mib": round(peak, 1)}
        print(f"  {name:36} {kchars / seconds:9.1f} kchar/s  x{ratio:6.2f} of jieba  peak {peak:6.1f} MiB")
    slowest = min(stages, key=lambda name: kchars / stages[name] if not name.startswith("jieba") else float("inf"))
    print(f"slowest stage: {slowest}")
    print(json.dumps({"documents": len(docs), "articles": len(articles), "kchars": round(kchars, 1), "stages": report}))


if __name__ == "__main__":
    main()
