"""Measure the near-duplicate threshold on the bundled samples (not a test).

Every case of the bundled compilations is compared with every other (different
cases) and with copies of itself as they reach us from elsewhere (same case):
Traditional script, PDF line wrapping with running headers, a title and site
footer added, a sentence dropped, 1% of characters changed, the last 10% cut,
an introduction added. Prints both distributions and the margin around THRESHOLD.

    .venv/bin/python bench/measure_fingerprint.py
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
from pathlib import Path

import opencc

from scrapers.documents import parse_document
from scrapers.fingerprint import THRESHOLD, minhash, normalise, similarity

ROOT = Path(__file__).resolve().parent.parent


def cases() -> list[tuple[str, str]]:
    """(title, body) of every case of at least 100 characters in the samples and the corpus."""
    found = []
    for path in sorted((ROOT / "data" / "samples").glob("*.txt")) + sorted((ROOT / "data" / "corpus").glob("*.txt")):
        articles, _ = parse_document(path.read_bytes(), path.name, str(path), "bench")
        found += [(a.title, a.body) for a in articles if len(normalise(a.body)) >= 100]
    return found


def copies(title: str, body: str, rng: random.Random, to_traditional) -> dict[str, str]:
    """The same case as another source or compilation would carry it."""
    flat = body.replace("\n\n", "\n")
    lines, wrapped = [flat[i : i + 38] for i in range(0, len(flat), 38)], []
    for k, line in enumerate(lines):
        wrapped.append(line)
        if k % 40 == 39:
            wrapped += ["营商环境工作简报 第12期", "- 3 -"]
    sentences = body.split("。")
    chars = list(body)
    for _ in range(max(1, len(chars) // 100)):
        chars[rng.randrange(len(chars))] = "的"
    return {
        "traditional script": to_traditional(body),
        "title and site footer added": f"{title}\n\n{body}\n\n分享到：\n打印本页\n责任编辑：张三\n版权所有：某某市人民政府办公室",
        "PDF wrapping, running headers": "\n".join(wrapped),
        "one sentence dropped": "。".join(sentences[:-2] + sentences[-1:]) if len(sentences) > 3 else body[: int(len(body) * 0.9)],
        "1% of characters changed": "".join(chars),
        "last 10% cut": body[: int(len(body) * 0.9)],
        "introduction added": "近日，记者从有关部门获悉，" + body,
    }


def main() -> None:
    rng, to_traditional = random.Random(1), opencc.OpenCC("s2t").convert
    found = cases()
    signatures = [minhash(body) for _, body in found]
    different = sorted(similarity(a, b) for a, b in itertools.combinations(signatures, 2))
    same: dict[str, list[float]] = {}
    for (title, body), sig in zip(found, signatures):
        for kind, text in copies(title, body, rng, to_traditional).items():
            same.setdefault(kind, []).append(similarity(sig, minhash(text)))
    print(f"{len(found)} cases, {len(different)} pairs of different cases")
    print(f"different cases: max {different[-1]:.3f}, 99th percentile {different[int(len(different) * 0.99)]:.3f}")
    print("| copy of the same case | min | median |\n|---|---|---|")
    for kind, values in same.items():
        print(f"| {kind} | {min(values):.3f} | {statistics.median(values):.3f} |")
    lowest = min(min(v) for v in same.values())
    print(f"threshold {THRESHOLD}: margin {THRESHOLD - different[-1]:.3f} above different cases, {lowest - THRESHOLD:.3f} below copies")
    print(json.dumps({"cases": len(found), "different_max": different[-1], "same_min": lowest, "threshold": THRESHOLD}))


if __name__ == "__main__":
    main()
