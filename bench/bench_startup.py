"""Benchmark: how long each command takes to start and finish a small job, and whether it imports Prefect.

Run: python bench/bench_startup.py [--repeat 5] [--runs 2]

In a temporary project holding a store of the bundled samples (79 cases) and a trained model,
each command runs `--repeat` times in a fresh process (`python -X importtime -m casewatch.cli …`,
so every import is paid each time, as a user pays it); the median and best wall time are
reported, with whether Prefect was imported. `browse` is timed from start to its first answered
request, then stopped with SIGTERM. `run --no-send` (a flow: Prefect's temporary server starts)
is timed `--runs` times on a configuration without sources, so the figure is start-up alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import classify  # noqa: E402
import store  # noqa: E402
from scrapers import collect_inbox  # noqa: E402

WEEK = "2026-W48"


def project(folder: Path) -> str:
    """A project with the samples' store, a model and a small labelled file; returns a case id."""
    (folder / "casewatch.toml").write_text(
        '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n', encoding="utf-8"
    )
    classify.load_model(folder / "models" / "indicators.pkl")
    db = store.open_db(folder / "cw.db")
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", WEEK)
    store.save_source_result(db, collect_inbox("samples", ROOT / "data" / "samples", set()), "data/samples", "r1", WEEK)
    store.finish_run(db, "r1", status="ok")
    key = db.execute("select id from articles limit 1").fetchone()[0]
    db.close()
    cases = [("推行电子税务局，出口退税全程网上办理，纳税人办税时间压缩一半。", "taxes"),
             ("不动产登记与水电气过户联动办理，一般登记压缩至1个工作日。", "property_registration")]
    (folder / "cases.jsonl").write_text(
        "".join(json.dumps({"id": f"b{n}", "text": t, "primary": s}, ensure_ascii=False) + "\n" for n, (t, s) in enumerate(cases)),
        encoding="utf-8",
    )
    return key


def environment(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {"PREFECT_HOME": str(folder / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def timed(folder: Path, args: list[str], stdin: str = "") -> tuple[float, bool]:
    """Seconds to run `casewatch ARGS` to the end, and whether it imported Prefect."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "casewatch.cli", *args], cwd=folder, env=environment(folder),
        input=stdin, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"casewatch {' '.join(args)}: {done.stderr[-2000:]}")
    return seconds, "| prefect\n" in done.stderr or "| prefect.\n" in done.stderr or any(
        line.rsplit("|", 1)[-1].strip().split(".")[0] == "prefect" for line in done.stderr.splitlines() if line.startswith("import time:")
    )


def browse_seconds(folder: Path) -> float:
    """Seconds from starting `casewatch browse` to its first answered request (then SIGTERM)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "casewatch.cli", "browse", "--port", str(port)], cwd=folder,
                               env=environment(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/casewatch", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        key = project(folder)
        commands = {
            "casewatch --help": (["--help"], ""),
            "classify (one text)": (["classify"], "推行电子税务局，出口退税全程网上办理。"),
            "evaluate --data (2 cases)": (["evaluate", "--data", "cases.jsonl"], ""),
            "digest (79 cases)": (["digest", "--week", WEEK], ""),
            "weeks": (["weeks"], ""),
            # Last: a human label makes the next command that loads the model retrain it.
            "label (one case)": (["label", key[:8], "taxes"], ""),
        }
        report = {}
        for label, (argv, stdin) in commands.items():
            runs = [timed(folder, argv, stdin) for _ in range(args.repeat)]
            times = [t for t, _ in runs]
            report[label] = {"median_s": round(statistics.median(times), 2), "best_s": round(min(times), 2),
                             "imports_prefect": any(p for _, p in runs)}
            print(label, report[label], flush=True)
        times = [browse_seconds(folder) for _ in range(args.repeat)]
        report["browse (to the first answered request)"] = {"median_s": round(statistics.median(times), 2), "best_s": round(min(times), 2)}
        print("browse", report["browse (to the first answered request)"], flush=True)
        empty = folder / "empty"
        empty.mkdir()
        (empty / "casewatch.toml").write_text('[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "../models/indicators.pkl"\n', encoding="utf-8")
        runs = [timed(empty, ["run", "--no-send", "--week", WEEK]) for _ in range(args.runs)]
        report["run --no-send, no sources (Prefect's temporary server)"] = {
            "median_s": round(statistics.median([t for t, _ in runs]), 2), "best_s": round(min(t for t, _ in runs), 2),
            "imports_prefect": any(p for _, p in runs),
        }
        print("run", report["run --no-send, no sources (Prefect's temporary server)"], flush=True)
        shutil.rmtree(folder / ".prefect", ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
