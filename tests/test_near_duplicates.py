"""Near-duplicate folding never merges distinct cases, and never loses the text of a case it folds.

The failing cases (issue 21): two pages sharing one 100-character paragraph were merged (2 of
17 distinct pages lost at Jaccard 0.25), and two penalty decisions of one regulator, from one
template with different 文号, parties and amounts, became one case and a sighting without text.
bench/measure_near_duplicates.py measures the rule on these pairs and on copies of real cases.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import opencc

import store
from scrapers import Article
from scrapers.fingerprint import conflicting_identifiers, same_case

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from measure_near_duplicates import cases, decisions, shared_paragraph_pages  # noqa: E402

WEEK = "2026-W48"


def articles_of(pairs: list[tuple[str, str]], source: str = "site") -> list[Article]:
    return [Article(title=t, body=b, url=f"http://127.0.0.1/{source}/{n}.html", source=source) for n, (t, b) in enumerate(pairs)]


def stored(db) -> list[tuple[str, str]]:
    return [(r["title"], r["body"]) for r in db.query("select title, body from articles order by rowid")]


def test_penalty_decisions_from_one_template_are_different_cases(db):
    jiangsu = decisions(random.Random(1))["template (江苏银保监局)"]
    first, second = jiangsu[4], jiangsu[7]
    assert conflicting_identifiers(first[1], second[1]) == ["number", "party", "amount"]
    store.save_articles(db, articles_of([first, second]), WEEK, "2026-11-23T00:00:00+00:00")
    assert stored(db) == [first, second]  # both texts stored, neither a sighting of the other


def test_market_regulation_decisions_differing_only_in_number_party_and_fine_stay_apart(db):
    market = decisions(random.Random(1))["template (市场监管局)"]
    store.save_articles(db, articles_of(market), WEEK, "2026-11-23T00:00:00+00:00")
    assert stored(db) == market


def test_seventeen_pages_sharing_a_paragraph_are_seventeen_cases(db):
    pages = shared_paragraph_pages(cases(), random.Random(1))
    store.save_articles(db, articles_of(pages), WEEK, "2026-11-23T00:00:00+00:00")
    assert len(stored(db)) == 17 and stored(db) == pages


def test_a_republished_copy_is_folded_and_keeps_its_own_text(db):
    title, body = cases()[3]
    to_traditional = opencc.OpenCC("s2t").convert
    copy = (to_traditional(title), f"{to_traditional(body)}\n\n分享到：\n打印本页\n责任编辑：张三")
    assert same_case(title, body, *copy)
    store.save_articles(db, articles_of([(title, body)], "compilation"), WEEK, "2026-11-23T00:00:00+00:00")
    store.save_articles(db, articles_of([copy], "mirror"), WEEK, "2026-11-24T00:00:00+00:00")
    assert stored(db) == [(title, body)]
    rows = list(db.query("select source, title, body from sightings order by id"))
    assert rows == [
        {"source": "compilation", "title": None, "body": None},  # the article's own text
        {"source": "mirror", "title": copy[0], "body": copy[1]},  # folded, its text kept
    ]


def test_a_copy_naming_another_amount_is_not_folded(db):
    title, body = "某区推行企业开办“一日办结”", "某区推行企业开办一日办结改革，" + "为企业节省开办费用共计120万元。" + "全区新设企业同比增长三成，" * 12
    other = body.replace("120万元", "95万元")
    assert not same_case(title, body, title, other)
    store.save_articles(db, articles_of([(title, body), (title, other)]), WEEK, "2026-11-23T00:00:00+00:00")
    assert len(stored(db)) == 2


def test_the_low_byte_prefilter_finds_the_same_rows_in_the_same_order_as_comparing_every_row_in_full():
    """Signatures.candidates reads each row's low bytes first; its answer must be the full comparison's."""
    import numpy as np

    from scrapers.fingerprint import PERMUTATIONS, THRESHOLD
    from store.dedup import Signatures

    rng = np.random.default_rng(11)
    stored = rng.integers(0, 1 << 32, (3000, PERMUTATIONS), dtype=np.uint32)
    # Near duplicates of a few rows at agreements around the threshold, and rows whose values differ from
    # a query's only above their low byte (their low bytes all agree: only the full comparison tells).
    for row, agree in zip(range(0, 300, 10), range(20, 50)):
        stored[row + 1] = np.where(np.arange(PERMUTATIONS) < agree, stored[row], stored[row + 1])
    stored[2000:2010] = stored[5] ^ np.uint32(1 << 8)
    signatures = Signatures([f"a{n}" for n in range(len(stored))], [r.astype("<u4").tobytes() for r in stored[:1500]])
    for n in range(1500, len(stored)):
        signatures.add(f"a{n}", stored[n].astype("<u4").tobytes())
    need = int(np.ceil(THRESHOLD * PERMUTATIONS))
    found = 0
    for query in [*range(0, 300, 5), 5, 2000, 2999]:
        counts = (stored == stored[query]).sum(axis=1)
        expected = [f"a{i}" for i in sorted(np.flatnonzero(counts >= need), key=lambda i: (-counts[i], i))]
        assert signatures.candidates(stored[query].astype("<u4").tobytes(), limit=10_000) == expected
        assert signatures.candidates(stored[query].astype("<u4").tobytes(), limit=2) == expected[:2]
        found += len(expected) > 1
    assert found > 10  # the queries did find near duplicates besides themselves
