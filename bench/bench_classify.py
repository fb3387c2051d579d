"""Benchmark: batch classification rate as a ratio to jieba tokenising the same text.

Run: python bench/bench_classify.py [--articles 2000] [--batch 256] [--model PATH]
All rates are measured in the same run on the same texts, so the ratios hold across
machines even when the absolute numbers do not.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
import rjieba  # noqa: E402

from classify import Classifier, load_model, normalise  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
_HEADING = re.compile(r"(?m)^\s*(?:案例\d+\s*[:：]|[一二三四五六七八九十]+、|\S{2,12}[省市区州]:)")


def sample_articles() -> list[tuple[str | None, str]]:
    """Real case texts from the sample compilations, cut at their case headings."""
    articles = []
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        starts = [m.start() for m in _HEADING.finditer(text)] + [len(text)]
        for a, b in zip(starts, starts[1:]):
            body = text[a:b].strip()
            if len(body) > 150:
                title, _, rest = body.partition("\n")
                articles.append((title.strip(), rest.strip()))
    return articles


def cut_texts(count: int, seed: int = 0) -> list[tuple[str | None, str]]:
    """`count` texts of 500-1,100 characters cut from the sample compilations, whitespace removed
    (the issue's measurement: no titles, no paragraphs)."""
    import random

    rng = random.Random(seed)
    flat = "".join("".join(p.read_text(encoding="utf-8").split()) for p in sorted(SAMPLES.glob("*.txt")))
    out = []
    for _ in range(count):
        size = rng.randint(500, 1100)
        start = rng.randrange(0, len(flat) - size)
        out.append((None, flat[start : start + size]))
    return out


def rate(func, texts, repeat: int = 3) -> float:
    """Best-of-`repeat` seconds for func(texts)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func(texts)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    """Measure and print the benchmark as text and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--model", type=Path, default=Path(tempfile.gettempdir()) / "casewatch-bench.pkl")
    args = parser.parse_args()

    clf = load_model(args.model)  # trains once if needed; not part of the timings
    started = time.perf_counter()
    Classifier.load(args.model)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    load_model(args.model)
    load_checked_s = time.perf_counter() - started

    base = sample_articles()
    sets = {
        "sample cases": [base[i % len(base)] for i in range(args.articles)],
        "cut texts 500-1100 chars, no whitespace": cut_texts(args.articles),
    }
    result = {name: measure(clf, items, args.batch) for name, items in sets.items()}
    result["model_load_s"] = round(load_s, 3)
    result["load_model_with_hash_checks_s"] = round(load_checked_s, 3)
    print(f"model load {load_s:.3f}s (load_model with hash checks {load_checked_s:.3f}s)")
    for name, r in result.items():
        if isinstance(r, dict):
            print(f"{name}: {r['articles']} articles, {r['kchars']:.0f} kchar")
            for step, x in r["rates"].items():
                print(f"  {step:<46} {x['articles_per_s']:>9.1f} art/s {x['kchar_per_s']:>8.1f} kchar/s "
                      f"x{x['ratio_to_jieba']:.2f} of jieba")
    print(json.dumps(result, ensure_ascii=False))


def measure(clf, items, batch: int) -> dict:
    """Rates of tokenising and classifying `items`, each as a ratio to python jieba's."""
    raw = [f"{t}\n{x}" if t else x for t, x in items]
    chars = sum(map(len, raw))
    jieba.lcut("预热词典")  # jieba loads its dictionary lazily; keep that out of the timing
    rjieba.cut("预热")

    def classify_jsonl(batch_items):
        for i in range(0, len(batch_items), batch):
            chunk = batch_items[i : i + batch]
            for n, d in enumerate(clf.predict_many(chunk)):
                json.dumps(d.as_json(id=i + n), ensure_ascii=False)

    timings = {
        "jieba tokenise (python jieba, raw text)": rate(lambda ts: [jieba.lcut(t) for t in ts], raw),
        "jieba tokenise (normalised text)": rate(lambda ts: [jieba.lcut(normalise(t)) for t in ts], raw),
        "rjieba tokenise (normalised text)": rate(lambda ts: [rjieba.cut(normalise(t)) for t in ts], raw),
        "normalise (OpenCC + NFKC)": rate(lambda ts: [normalise(t) for t in ts], raw),
        "classify --jsonl path (predict_many + JSON)": rate(classify_jsonl, items),
    }
    floor = timings["jieba tokenise (python jieba, raw text)"]
    return {
        "articles": len(items),
        "kchars": round(chars / 1000, 1),
        "rates": {
            name: {
                "articles_per_s": round(len(items) / s, 1),
                "kchar_per_s": round(chars / s / 1000, 1),
                "ratio_to_jieba": round(floor / s, 2),
            }
            for name, s in timings.items()
        },
    }

if __name__ == "__main__":
    main()
