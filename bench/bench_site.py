"""Benchmark a `site` source against a local TRS-style site of 2,000 pages (not a test).

    .venv/bin/python bench/bench_site.py [--listings 100] [--per-page 19] [--rate 100] [--wired]

The site has `--listings` listing pages (createPageHTML pagination) of `--per-page`
articles each. The first run collects everything at `--rate` requests per second;
its wall time is compared with the politeness floor (requests / rate): the time a
perfectly efficient polite client would need. The second run, given the first run's
URLs as known, must make no article request.

With --wired the site is collected as `casewatch run` collects it: a `[[sources]]`
entry through `pipeline.Run` (one session per run, with the store's validators),
`pipeline.collect` (the source's view of the session, known URLs from the store)
and `Run.save` (articles, sightings, fetch log, known URLs), into a temporary
store; the second run takes its known URLs from that store.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from casewatch import pipeline  # noqa: E402
from casewatch.config import load_config  # noqa: E402
from scrapers.http import Session  # noqa: E402
from scrapers.site import collect_site  # noqa: E402
from sites import FixtureServer, Reply  # noqa: E402

BODY = "为进一步优化营商环境，{city}推行企业开办“一件事”集成改革，将设立登记、公章刻制、申领发票、社保登记等事项整合办理，企业开办时间压缩至1个工作日以内。"
CITIES = ["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市", "台州市", "丽水市"]


# Characters for the text that makes each case its own: with one template paragraph alone,
# every article would be a near duplicate of the first and be stored once (as it should).
WORDS = "企业开办登记许可审批材料时限压缩办理窗口网上平台数据共享信用监管服务纳税缴费不动产抵押融资贷款电力用水用气工程建设项目验收招标采购合同执行破产重整知识产权保护跨境贸易通关口岸"


def article(n: int) -> bytes:
    import random

    city = CITIES[n % len(CITIES)]
    title = f"{city}优化营商环境第{n}号案例"
    rng = random.Random(n)
    own = ["".join(rng.choice(WORDS) for _ in range(120)) + "。" for _ in range(3)]
    paragraphs = f"<p>{BODY.format(city=city)}（第{n}号）</p>" + "".join(f"<p>{text}</p>" for text in own)
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2021-11-08 10:00">'
        f'<meta name="ContentSource" content="{city}人民政府"><title>{title}</title></head>'
        f'<body><div class="nav"><a href="/">首页</a></div><div class="TRS_Editor">{paragraphs}</div></body></html>'
    ).encode("gb18030")


def site(listings: int, per_page: int) -> dict:
    """Routes of the whole site: listing pages index.shtml, index_1 … and their articles."""
    routes = {"/robots.txt": Reply(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")}
    n = 0
    for page in range(listings):
        items = []
        for _ in range(per_page):
            n += 1
            path = f"/col/202111/t20211108_{n:06d}.shtml"
            routes[path] = Reply(article(n), content_type="text/html")  # charset in <meta> only, as TRS serves
            items.append(f'<li><a href=".{path[4:]}" title="案例{n}">案例{n}</a><span>2021-11-08</span></li>')
        name = "index.shtml" if page == 0 else f"index_{page}.shtml"
        html = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>'
            f'<ul>{"".join(items)}</ul><script>createPageHTML({listings}, {page}, "index", "shtml");</script></body></html>'
        )
        routes[f"/col/{name}"] = Reply(html.encode("gb18030"), content_type="text/html")
    return routes


def run(server: FixtureServer, rate: float, listings: int, known: set[str]) -> tuple[dict, object]:
    start = len(server.requests)
    session = Session(rate=rate)
    began = time.perf_counter()
    result = collect_site({"name": "bench", "url": server.url("/col/index.shtml"), "max_pages": listings}, session, known, until=date(2026, 1, 1))
    wall = time.perf_counter() - began
    paths = [r.path for r in server.requests[start:]]
    figures = {
        "requests": len(paths),
        "article_requests": sum("/t2021" in p for p in paths),
        "listing_requests": sum("/index" in p for p in paths),
        "articles": len(result.articles),
        "errors": len(result.errors),
        "wall_s": round(wall, 2),
        "floor_s": round(len(paths) / rate, 2),
    }
    figures["ratio_to_floor"] = round(wall / figures["floor_s"], 3) if figures["floor_s"] else None
    return figures, result


def run_wired(server: FixtureServer, rate: float, listings: int, db_path: Path) -> dict:
    """One collection as `casewatch run` does it (without Prefect and classification); figures as `run`'s."""
    start = len(server.requests)
    source = {"name": "bench", "kind": "site", "url": server.url("/col/index.shtml"), "max_pages": listings}
    http = load_config(None).http
    http = type(http)(**(vars(http) | {"rate": rate}))
    with pipeline.Run(db_path, "2026-W48") as record:
        session = record.open_session(http)
        began = time.perf_counter()
        result = pipeline.collect(source, db_path, session)
        wall = time.perf_counter() - began
        saved = time.perf_counter()
        new = record.save(result, source)
        save_s = time.perf_counter() - saved
    paths = [r.path for r in server.requests[start:]]
    figures = {
        "requests": len(paths),
        "article_requests": sum("/t2021" in p for p in paths),
        "articles": len(new),
        "errors": len(result.errors),
        "wall_s": round(wall, 2),
        "floor_s": round(len(paths) / rate, 2),
        "save_s": round(save_s, 2),
    }
    figures["ratio_to_floor"] = round(wall / figures["floor_s"], 3) if figures["floor_s"] else None
    return figures


def main_wired(args) -> None:
    import tempfile

    with FixtureServer(site(args.listings, args.per_page)) as server, tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        first = run_wired(server, args.rate, args.listings, db_path)
        second = run_wired(server, args.rate, args.listings, db_path)
    print(f"wired (pipeline.Run + collect + save): {args.listings} listing pages x {args.per_page} articles, rate {args.rate:g} requests/s")
    print("| run | requests | article requests | new articles | collect wall s | floor s | wall / floor | save s |\n|---|---|---|---|---|---|---|---|")
    for name, f in (("first", first), ("second (store's known URLs)", second)):
        print(f"| {name} | {f['requests']} | {f['article_requests']} | {f['articles']} | {f['wall_s']} | {f['floor_s']} | {f['ratio_to_floor']} | {f['save_s']} |")
    print(json.dumps({"first": first, "second": second}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100)
    parser.add_argument("--per-page", type=int, default=19)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second per host")
    parser.add_argument("--wired", action="store_true", help="collect and save as `casewatch run` does")
    args = parser.parse_args()
    if args.wired:
        return main_wired(args)
    with FixtureServer(site(args.listings, args.per_page)) as server:
        first, result = run(server, args.rate, args.listings, set())
        second, _ = run(server, args.rate, args.listings, set(result.fetched_urls))
    print(f"site: {args.listings} listing pages x {args.per_page} articles, rate {args.rate:g} requests/s")
    print("| run | requests | article requests | articles | wall s | floor s | wall / floor |\n|---|---|---|---|---|---|---|")
    for name, f in (("first", first), ("second (URLs known)", second)):
        print(f"| {name} | {f['requests']} | {f['article_requests']} | {f['articles']} | {f['wall_s']} | {f['floor_s']} | {f['ratio_to_floor']} |")
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
