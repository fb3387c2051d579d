"""Benchmark: a backfill of compilation files (split → classify → store → digest) against jieba on the same text.

Run: python bench/bench_backfill.py [--cases 20000] [--per-file 25] [--weeks 100] [--batch 16]
                                    [--rss 2500,10000] [--plain] [--skip-prefect]

Compilation files are written to a temporary folder: `--per-file` cases each, headed
"案例N：", every body made of sentences put together from clauses of the bundled samples
and corpus drawn at random, to the length of a real case (so that hardly any two are near
duplicates and the store keeps nearly every one), each file dated by its name
("2024年3月4日-3月10日") across `--weeks` past weeks. Measured in the same run, on the same text:

- python `jieba.lcut` of every file on one core, start-up included (a fresh process that
  imports jieba, loads its dictionary and tokenises): the reference;
- `casewatch backfill FILE…` as a user runs it, start-up included (a fresh process: imports,
  Prefect's temporary server, the flow, the digests), from its start to its exit; and the peak
  resident memory of its whole process tree (the command, Prefect's server, the forkserver,
  reader, scoring and digest workers), sampled every 0.2 s from /proc, for the first N cases for
  each N of `--rss` and for all of them. Its Prefect home is a copy of one whose database
  Prefect's server created and migrated once, at the start, timed apart (a user's first command
  does that once: 10 s of a 15 s start here); `--fresh-prefect` gives each backfill a new one;
- with `--plain`: the backfill through the plain pipeline functions on one core (the process
  and its reader workers pinned to one CPU), then on two (the next batch read while the last is
  saved and classified, as the flow does), and through the flow called in-process with the
  embedded server's start-up timed apart (unless `--skip-prefect`).
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
    with pipeline.Run(db_path, week_of()) as run, ThreadPoolExecutor(1) as reader, run.score_ahead(MODEL, int(overlap)) as scoring:
        pending = reader.submit(pipeline.read_documents, groups[0], db_path)
        for number in range(1, len(groups) + 1):
            if overlap:
                result = pending.result()
                if number < len(groups):
                    pending = reader.submit(pipeline.read_documents, groups[number], db_path)
            else:
                result = pending.result() if number == 1 else pipeline.read_documents(groups[number - 1], db_path)
            run.save(result, pipeline.BACKFILL_SOURCE, week=pipeline.publication_weeks(run.week))
            scoring.step()
        scoring.finish()
        weeks = pipeline.stale_weeks(db_path)
        pipeline.write_digests(db_path, weeks, digest_dir, workers=int(overlap))
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


def process_tree_rss(root: int) -> tuple[int, int]:
    """(sum, largest) resident set size in KiB of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    sizes = []
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                sizes += [int(line.split()[1]) for line in f if line.startswith("VmRSS:")]
        except OSError:
            continue
    return sum(sizes), max(sizes, default=0)


def run_watched(command: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run a command from its start to its exit; its wall time and its process tree's peak RSS (sampled)."""
    import threading

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"tree": 0, "largest": 0}

    def sample() -> None:
        while process.poll() is None:
            tree, largest = process_tree_rss(process.pid)
            peak["tree"], peak["largest"] = max(peak["tree"], tree), max(peak["largest"], largest)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command[:3]} failed ({process.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "tree_rss_mib": round(peak["tree"] / 1024, 1), "largest_rss_mib": round(peak["largest"] / 1024, 1),
            "stdout": out}  # fmt: skip


JIEBA_SCRIPT = """
import json, logging, sys, time
import jieba
jieba.setLogLevel(logging.WARNING)
jieba.initialize()
for path in json.load(open(sys.argv[1], encoding="utf-8")):
    jieba.lcut(open(path, encoding="utf-8").read())
"""


def jieba_process(files: list[Path], folder: Path) -> float:
    """Python jieba tokenising every file in a fresh process pinned to one CPU, start-up included."""
    listing = folder / "jieba-files.json"
    listing.write_text(json.dumps([str(p) for p in files]), encoding="utf-8")
    cpu = str(min(os.sched_getaffinity(0)))
    return run_watched(["taskset", "-c", cpu, sys.executable, "-c", JIEBA_SCRIPT, str(listing)], folder)["seconds"]


PREFECT_START = """
import sys, time
from flows.serve import TemporaryServer
started = time.perf_counter()
server = TemporaryServer().start()
server.wait(300)
print(time.perf_counter() - started)
server.stop()
"""


def prefect_home(folder: Path) -> tuple[Path, float]:
    """A Prefect home whose database Prefect's temporary server has created and migrated; the seconds that took."""
    home = folder / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")} | {"PREFECT_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", PREFECT_START], env=env, capture_output=True, text=True, check=True)
    return home, float(done.stdout.split()[-1])


def backfill_command(files: list[Path], folder: Path, batch: int, home: Path | None = None) -> dict:
    """`casewatch backfill FILE…` in a fresh process with its own store and digests, start-up included.

    `home`: a Prefect home to start from (copied: its database migrated, as on any run after a user's
    first); without it a fresh one, so Prefect's server creates and migrates its database first."""
    import shutil

    project = Path(tempfile.mkdtemp(dir=folder))
    (project / "casewatch.toml").write_text(
        f'[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "{MODEL}"\n', encoding="utf-8"
    )
    if home is not None:
        shutil.copytree(home, project / ".prefect")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")} | {"PREFECT_HOME": str(project / ".prefect")}
    command = [str(Path(sys.executable).with_name("casewatch")), "backfill", "--config", str(project / "casewatch.toml"),
               "--batch", str(batch), *map(str, files)]  # fmt: skip
    figures = run_watched(command, project, env)
    line = next((l for l in figures.pop("stdout").splitlines() if l.startswith("backfill:")), "")
    figures["articles"] = int(line.split()[1]) if line else None
    return figures


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
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--per-file", type=int, default=25)
    parser.add_argument("--weeks", type=int, default=100)
    parser.add_argument("--batch", type=int, default=16, help="documents per batch (the command's default)")
    parser.add_argument("--rss", default="2500,10000", help="smaller case counts measured too ('' for none)")
    parser.add_argument("--fresh-prefect", action="store_true",
                        help="each backfill with a fresh Prefect home (its server migrates a new database first, as on a first run)")
    parser.add_argument("--plain", action="store_true", help="also the plain pipeline functions and the flow in-process")
    parser.add_argument("--skip-prefect", action="store_true", help="with --plain: not the flow in-process")
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
        load = os.getloadavg()[0]
        print(f"{len(files)} files, {args.cases} cases, {kchars:.0f} kchar, {args.weeks} weeks, {cpus} CPUs, load average {load:.1f}")
        report = {"files": len(files), "cases": args.cases, "kchars": round(kchars), "weeks": args.weeks, "cpus": cpus, "load_start": load}
        sizes = sorted({int(n) for n in args.rss.split(",") if n and int(n) < args.cases}) + [args.cases]
        report["sizes"] = {}
        home = None
        if not args.fresh_prefect:
            home, seconds = prefect_home(folder)
            report["prefect_first_start_s"] = round(seconds, 2)
            print(f"  Prefect's temporary server, first start in a fresh home (creates and migrates its database): {seconds:.1f} s, "
                  "apart; each backfill below starts from a copy of that home")
        for size in sizes:
            chosen = files[: -(-size // args.per_file)]
            reference = jieba_process(chosen, folder)
            command = backfill_command(chosen, folder, args.batch, home)
            ratio = command["seconds"] / reference
            report["sizes"][size] = {"jieba_s": round(reference, 2), "backfill_s": round(command["seconds"], 2), "ratio": round(ratio, 3),
                                     "tree_rss_mib": command["tree_rss_mib"], "largest_rss_mib": command["largest_rss_mib"],
                                     "articles": command["articles"], "load": os.getloadavg()[0]}  # fmt: skip
            print(f"  {size:6d} cases: jieba (one core, start-up included) {reference:7.1f} s; casewatch backfill {command['seconds']:7.1f} s "
                  f"= {ratio:4.2f}x jieba; peak RSS of its process tree {command['tree_rss_mib']:6.1f} MiB "
                  f"(largest process {command['largest_rss_mib']:.1f}); {command['articles']} articles; load {os.getloadavg()[0]:.1f}")
        if args.plain:
            reference = measure("jieba", files, args.batch)["seconds"]
            report["jieba_one_core_s"] = round(reference, 2)
            print(f"  jieba tokenise, one core (in-process)    {reference:8.1f} s")
            runs = {"one": "plain functions, one core", "two": f"plain functions, {cpus} cores"}
            if not args.skip_prefect:
                runs["flow"] = f"Prefect flow, {cpus} cores"
            for mode, label in runs.items():
                figures = report[mode] = measure(mode, files, args.batch)
                print(f"  backfill, {label:30} {figures['seconds']:8.1f} s  {figures['seconds'] / reference:5.2f}x jieba  "
                      f"peak RSS {figures['maxrss_mib']:.0f} MiB  ({figures['articles']} articles, {figures['digests']} digests)")
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
