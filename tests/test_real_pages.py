"""The readers on real saved pages of government sites (tests/fixtures/real), scored against hand-checked gold."""

import json

from real_corpus import FIELDS, REAL, load_gold, score_columns, score_pages


def test_corpus_is_real_and_traced():
    records = load_gold()
    assert len(records) >= 50
    assert len({r["site"] for r in records}) >= 25
    for record in records:
        assert (REAL / record["file"]).exists(), record["file"]
        assert {"repo", "path", "commit"} <= set(record["origin"]) and len(record["origin"]["commit"]) == 40


def test_article_fields_hold_their_floor():
    score = score_pages()
    print("\nall pages\n" + score.table() + "\n\nheld out (gold written after the reader was frozen)\n" + score_pages(held_out=True).table())
    floor = json.loads((REAL / "floor.json").read_text())
    low = {k: (round(score.rate(k), 3), floor[k], score.misses[k]) for k in FIELDS if score.rate(k) < floor[k]}
    assert not low, f"under the floor (rate, floor, pages missed): {low}"


def test_column_pages_give_their_articles_and_pages_and_no_furniture():
    rows = score_columns()
    print("\n| column | links found | of | next pages | furniture links |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['site']} | {row['links']} | {row['of']} | {row['next_pages']} | {row['furniture_requested']} |")
    assert rows
    for row in rows:
        assert (row["links"], row["next_pages"], row["furniture_requested"]) == (row["of"], True, 0), row
