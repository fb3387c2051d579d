"""Benchmark: a backfill of compilation files (split → classify → store → digest) against jieba on the same text.

Run: python bench/bench_backfill.py [--cases 10000] [--per-file 25] [--weeks 100] [--batch 8]
                                    [--rss 2500,5000,10000] [--skip-prefect]

Compilation files are written to a temporary folder: `--per-file` cases each, headed
"案例N：", every body made of sentences put together from clauses of the bundled samples
and corpus drawn at random, to the length of a real case (so that hardly any two are near
duplicates and the store keeps nearly every one), each file dated by its name
("2024年3月4日-3月10日") across `--weeks` past weeks. Measured in the same run, on the same text:

- python `jieba.lcut` of every file on one core: the reference;
- the backfill through the plain pipeline functions on one core (the process and its
  reader workers pinned to one CPU), then on two (the next batch read while the last
  is saved and classified, as the flow does);
- the same backfill through the Prefect flow `backfill`, with the embedded server's
  start-up timed apart (a first flow run of one file starts it);
- peak RSS of a child process backfilling the first N cases, for each N of `--rss`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

MODEL = Path(tempfile.gettempdir()) / "casewatch-bench.pkl"  # shared with bench_pipeline.py
TEXTS = sorted((ROOT / "data" / "samples").glob("*.txt")) + sorted((ROOT / "data" / "corpus").glob("*.txt"))
# Lines that would read as a heading inside a body: numbered items and case headings.
HEADING_RE = re.compile(r"^\s*(?:案例|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]|第[一二三四五六七八九十]+)")
LAST_WEEK_END = date(2024, 12, 29)  # a Sunday: the files cover the weeks before it


def material() -> tuple[list[str], list[str], list[int]]:
    """Clauses, case titles and case body lengths of the bundled samples and corpus."""
    from scrapers import parse_document

    clauses: list[str] = []
    for path in TEXTS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if HEADING_RE.match(line):
                continue
            clauses += [c.strip() for c in re.split(r"[，,；;。！？]", line) if 6 <= len(c.strip()) <= 80]
    titles, lengths = [], []
    for path in sorted((ROOT / "data" / "samples").glob("*.txt")):
        for article in parse_document(path.read_bytes(), path.name, str(path), "bench")[0]:
            titles.append(article.title)
            lengths.append(len(article.body))
    return clauses, titles, lengths


def write_files(folder: Path, cases: int, per_file: int, weeks: int, seed: int = 48) -> list[Path]:
    """Compilation files of `cases` cases in all, `per_file` each, spread over the `weeks` weeks before LAST_WEEK_END."""
    rng = random.Random(seed)
    clauses, titles, lengths = material()
    files = []
    count = -(-cases // per_file)
    for number in range(count):
        end = LAST_WEEK_END - timedelta(weeks=number % weeks)
        start = end - timedelta(days=6)
        parts = ["每周营商环境优秀案例", ""]
        for case in range(1, min(per_file, cases - number * per_file) + 1):
            parts += [f"案例{case}：{rng.choice(titles)}", ""]
            # Sentences of two to four clauses drawn at random: the samples hold about 1,000
            # sentences, too few for 10,000 cases that are not near duplicates of one another.
            target, body = rng.choice(lengths), []
            while sum(map(len, body)) < target:
                body.append("，".join(rng.sample(clauses, rng.randint(2, 4))) + "。")
            parts += ["".join(body[i : i + 4]) + "\n" for i in range(0, len(body), 4)]
        path = folder / f"{start.year}年{start.month}月{start.day}日-{end.month}月{end.day}日_{number:04d}.txt"
        path.write_text("\n".join(parts), encoding="utf-8")
        files.append(path)
    return files


def jieba_seconds(files: list[Path]) -> float:
    """Python jieba tokenising every file, on this process's CPU(s)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
    jieba.initialize()
    texts = [path.read_text(encoding="utf-8") for path in files]
    started = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return time.perf_counter() - started


def backfill_plain(files: list[Path], folder: Path, batch: int, overlap: bool) -> dict:
    """The backfill through the pipeline functions, as the flow calls them; return its figures."""
    from casewatch import pipeline
    from digests import week_of

    db_path, digest_dir = folder / "cw.db", folder / "out"
    started = time.perf_counter()
    groups = list(pipeline.batches([str(p) for p in files], batch))
    with pipeline.Run(db_path, week_of()) as run, ThreadPoolExecutor(1) as reader:
        pending = reader.submit(pipeline.read_documents, groups[0], db_path)
        for number in range(1, len(groups) + 1):
            if overlap:
                result = pending.result()
                if number < len(groups):
                    pending = reader.submit(pipeline.read_documents, groups[number], db_path)
            else:
                result = pending.result() if number == 1 else pipeline.read_documents(groups[number - 1], db_path)
            run.save(result, pipeline.BACKFILL_SOURCE, week=pipeline.publication_weeks(run.week))
            run.classify(MODEL)
        weeks = pipeline.stale_weeks(db_path)
        for week in weeks:
            pipeline.write_digest(db_path, week, digest_dir)
    return {"seconds": time.perf_counter() - started, "articles": run.new_articles, "digests": len(weeks)}


def backfill_flow(files: list[Path], folder: Path, batch: int) -> dict:
    """The same backfill through the Prefect flow; the embedded server's start-up timed apart."""
    from flows.backfill import backfill

    config = folder / "casewatch.toml"
    config.write_text(f'[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "{MODEL}"\n', encoding="utf-8")
    started = time.perf_counter()
    backfill(config_path=str(config), db=str(folder / "warmup.db"), digest_dir=str(folder / "warmup"), locations=[str(files[0])])
    startup = time.perf_counter() - started
    started = time.perf_counter()
    summary = backfill(config_path=str(config), locations=[str(p) for p in files], batch=batch)
    return {"seconds": time.perf_counter() - started, "first_run_seconds": startup, "articles": summary["new_articles"],
            "digests": len(summary["digests"])}  # fmt: skip


def measure(mode: str, files: list[Path], batch: int) -> dict:
    """Run one measurement in a child process of its own (own reader workers, own peak RSS); return its figures."""
    listing = Path(tempfile.mkstemp(suffix=".json")[1])
    listing.write_text(json.dumps([str(p) for p in files]), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--files", str(listing), "--batch", str(batch)],
            capture_output=True, text=True,
        )
    finally:
        listing.unlink()
    if done.returncode:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def child(mode: str, listing: Path, batch: int) -> None:
    """One measurement: `jieba` or `one` (pinned to one CPU, with its reader workers), `two`, `flow`; prints JSON."""
    files = [Path(p) for p in json.loads(listing.read_text(encoding="utf-8"))]
    if mode in ("jieba", "one"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before any worker starts: they inherit it
    with tempfile.TemporaryDirectory() as folder:
        if mode == "jieba":
            figures = {"seconds": jieba_seconds(files)}
        elif mode == "flow":
            figures = backfill_flow(files, Path(folder), batch)
        else:
            figures = backfill_plain(files, Path(folder), batch, overlap=mode == "two")
    figures["maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--per-file", type=int, default=25)
    parser.add_argument("--weeks", type=int, default=100)
    parser.add_argument("--batch", type=int, default=8, help="documents per batch")
    parser.add_argument("--rss", default="2500,5000", help="smaller case counts whose peak RSS is measured too ('' for none)")
    parser.add_argument("--skip-prefect", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.files, args.batch)

    import classify

    classify.load_model(MODEL)  # trained once, outside every measurement
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_files(folder, args.cases, args.per_file, args.weeks)
        kchars = sum(len(p.read_text(encoding="utf-8")) for p in files) / 1000
        cpus = len(os.sched_getaffinity(0))
        print(f"{len(files)} files, {args.cases} cases, {kchars:.0f} kchar, {args.weeks} weeks, {cpus} CPUs")
        report = {"files": len(files), "cases": args.cases, "kchars": round(kchars), "weeks": args.weeks, "cpus": cpus}
        reference = measure("jieba", files, args.batch)["seconds"]
        report["jieba_one_core_s"] = round(reference, 2)
        print(f"  jieba tokenise, one core                 {reference:8.1f} s")
        runs = {"one": "plain functions, one core", "two": f"plain functions, {cpus} cores"}
        if not args.skip_prefect:
            runs["flow"] = f"Prefect flow, {cpus} cores"
        for mode, label in runs.items():
            figures = report[mode] = measure(mode, files, args.batch)
            print(f"  backfill, {label:30} {figures['seconds']:8.1f} s  {figures['seconds'] / reference:5.2f}x jieba  "
                  f"peak RSS {figures['maxrss_mib']:.0f} MiB  ({figures['articles']} articles, {figures['digests']} digests)")
        if "flow" in report:
            report["prefect_overhead"] = round(report["flow"]["seconds"] / report["two"]["seconds"] - 1, 4)
            print(f"  Prefect overhead against the plain functions: {report['prefect_overhead']:+.1%}; "
                  f"its first flow run (embedded server start-up) {report['flow']['first_run_seconds']:.1f} s, apart")
        rss = {}
        for size in [int(n) for n in args.rss.split(",") if n]:
            rss[size] = measure("two", files[: -(-size // args.per_file)], args.batch)["maxrss_mib"]
            print(f"  peak RSS backfilling {size:6d} cases       {rss[size]:8.1f} MiB")
        rss[args.cases] = report["two"]["maxrss_mib"]
        report["peak_rss_mib"] = rss
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
