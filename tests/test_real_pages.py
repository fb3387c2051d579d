"""The readers on real saved pages of government sites (tests/fixtures/real), scored against hand-checked gold."""

import json

from real_corpus import FIELDS, REAL, load_gold, score_pages


def test_corpus_is_real_and_traced():
    records = load_gold()
    assert len(records) >= 50
    assert len({r["site"] for r in records}) >= 25
    for record in records:
        assert (REAL / record["file"]).exists(), record["file"]
        assert set(record["origin"]) == {"repo", "path", "commit"} and len(record["origin"]["commit"]) == 40


def test_article_fields_hold_their_floor():
    score = score_pages()
    print("\nall pages\n" + score.table() + "\n\nheld out (gold written after the reader was frozen)\n" + score_pages(held_out=True).table())
    floor = json.loads((REAL / "floor.json").read_text())
    low = {k: (round(score.rate(k), 3), floor[k], score.misses[k]) for k in FIELDS if score.rate(k) < floor[k]}
    assert not low, f"under the floor (rate, floor, pages missed): {low}"
