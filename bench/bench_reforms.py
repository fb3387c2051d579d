"""Benchmark: how the store's reform grouping (`store.reforms.save_reforms`) scales with the store.

Run: python bench/bench_reforms.py [--cases 2000,5000,20000] [--batch 200] [--weeks 100] [--dump PATH]

For each size, a fresh store in a temporary folder gets that many generated cases the way a
backfill stores them: their articles first, then their decisions in batches of `--batch` cases
(a backfill batch of 8 files of 25 cases), oldest week first, each batch in one transaction
(`store.save_decisions`, which groups the batch's cases into reforms). Times are CPU seconds of
the process (the step runs on one core, SQLite in process), so that other work on the machine
does not blur them. Cases are generated as
bench_backfill.py generates them: a title of the bundled samples drawn at random (so named reforms
recur, as in real compilations) and a body of random clauses of the samples and corpus, to a real
case's length; each gets one of the 18 indicators and a region at random, and a date in one of
`--weeks` weeks. Printed: the seconds of the whole save_decisions calls and of the reform step
inside them (and of its tokenising, `classify.reforms.signals`, a fixed cost a case), in all and
for the last tenth of the batches (what a weekly run pays on a grown store), and the reforms found.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REGIONS = [
    ("浙江省杭州市", "浙江省"), ("浙江省宁波市", "浙江省"), ("江苏省南京市", "江苏省"), ("江苏省苏州市", "江苏省"),
    ("广东省深圳市", "广东省"), ("广东省广州市", "广东省"), ("上海市", "上海市"), ("北京市", "北京市"),
    ("安徽省合肥市", "安徽省"), ("山东省青岛市", "山东省"), ("四川省成都市", "四川省"), ("湖北省武汉市", "湖北省"),
    ("福建省厦门市", "福建省"), ("河南省郑州市", "河南省"), ("陕西省西安市", "陕西省"), ("重庆市", "重庆市"),
]  # fmt: skip


def generate(cases: int, weeks: int, seed: int = 48) -> list[tuple[object, str, str]]:
    """(article, week, indicator) of `cases` generated cases, oldest week first."""
    from bench_backfill import LAST_WEEK_END, material

    from classify.taxonomy import SLUGS
    from digests import week_of
    from scrapers.records import Article

    rng = random.Random(seed)
    clauses, titles, lengths = material()
    made = []
    for number in range(cases):
        day = LAST_WEEK_END - timedelta(days=rng.randrange(weeks * 7))
        target, body = rng.choice(lengths), []
        while sum(map(len, body)) < target:
            body.append("，".join(rng.sample(clauses, rng.randint(2, 4))) + "。")
        region, province = rng.choice(REGIONS)
        article = Article(
            title=rng.choice(titles), body="".join(body), url=f"https://example.gov.cn/case/{number}", source="bench",
            published=day.isoformat(), region=region, province=province,
        )  # fmt: skip
        from datetime import datetime

        made.append((article, week_of(datetime(day.year, day.month, day.day, 12)), rng.choice(SLUGS)))
    made.sort(key=lambda m: (m[0].published, m[0].url))
    return made


def measure(cases: int, batch: int, weeks: int, dump: Path | None = None) -> dict:
    """Store `cases` generated cases and decide them a batch at a time; the seconds of the reform step."""
    import classify.reforms
    import store
    import store.reforms

    made = generate(cases, weeks)
    reform_seconds: list[float] = []
    signal_seconds: list[float] = []
    saved, signals = store.reforms.save_reforms, classify.reforms.signals

    def timed_signals(title, body):
        started = time.process_time()
        try:
            return signals(title, body)
        finally:
            signal_seconds.append(time.process_time() - started)

    def timed(db, ids):
        started = time.process_time()
        try:
            return saved(db, ids)
        finally:
            reform_seconds.append(time.process_time() - started)

    store.reforms.save_reforms, classify.reforms.signals = timed, timed_signals
    try:
        with tempfile.TemporaryDirectory() as folder:
            db = store.open_db(Path(folder) / "cw.db")
            weeks_of = {id(a): w for a, w, _ in made}
            ids = store.save_articles(db, [a for a, _, _ in made], lambda a: weeks_of[id(a)], store.now())
            indicator = {store.article_id(a.title, a.body): s for a, _, s in made}
            store_seconds = []
            for start in range(0, len(ids), batch):
                part = ids[start : start + batch]
                decisions = {k: {"primary": indicator[k], "confidence": 0.9, "scores": None} for k in part}
                started = time.process_time()
                store.save_decisions(db, decisions, run="bench")
                store_seconds.append(time.process_time() - started)
            if dump:  # the grouping itself, to compare two versions of the code
                groups: dict[str, list[str]] = {}
                for key, reform in db.execute("select article_id, reform from reform_cases order by article_id"):
                    groups.setdefault(reform, []).append(key)
                dump.write_text(json.dumps(sorted(groups.values())), encoding="utf-8")
            tail = max(1, len(reform_seconds) // 10)
            found = db.execute("select count(*), sum(cases >= 2), max(cases) from reforms").fetchone()
            return {
                "cases": len(ids),
                "batches": len(store_seconds),
                "save_decisions_s": round(sum(store_seconds), 1),
                "reform_step_s": round(sum(reform_seconds), 1),
                "of_which_signals_s": round(sum(signal_seconds), 1),
                "reform_step_last_tenth_ms_per_batch": round(1000 * sum(reform_seconds[-tail:]) / tail),
                "reforms": found[0],
                "reforms_2_plus": found[1],
                "largest_reform": found[2],
                "assigned": db["reform_cases"].count,
            }
    finally:
        store.reforms.save_reforms, classify.reforms.signals = saved, signals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="2000,5000,20000")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=100)
    parser.add_argument("--dump", type=Path, help="write each size's groups (article ids) to DUMP-<size>.json")
    args = parser.parse_args()
    for size in [int(n) for n in args.cases.split(",")]:
        dump = args.dump.with_name(f"{args.dump.name}-{size}.json") if args.dump else None
        print(json.dumps(measure(size, args.batch, args.weeks, dump), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
