"""Articles that answer 404/410 are asked again on later runs with backoff, then reported once as gone."""

from scrapers import SourceResult
from store.db import GONE_AFTER, known_urls, save_retries, waiting_urls

URL = "http://www.example.gov.cn/art/2024/6/1/art_1_9.html"
MISS = f"article {URL}: not_found (HTTP 404)"


def miss(db, day: int) -> list[str]:
    result = SourceResult("fgw", "site", errors=[MISS, "listing http://www.example.gov.cn/x: timeout"], retry_urls=[URL])
    save_retries(db, result, f"2026-11-{day:02d}T00:00:00+00:00")
    return result.errors


def test_a_404_is_asked_again_after_1_2_4_days_then_reported_once_as_gone(db):
    assert miss(db, 1) == [MISS, "listing http://www.example.gov.cn/x: timeout"]  # the first miss is said
    assert URL in waiting_urls(db, "2026-11-01T12:00:00+00:00") and URL not in waiting_urls(db, "2026-11-02T00:00:01+00:00")
    assert miss(db, 2) == ["listing http://www.example.gov.cn/x: timeout"]  # the misses between are not
    assert URL in waiting_urls(db, "2026-11-03T12:00:00+00:00") and URL not in waiting_urls(db, "2026-11-04T00:00:01+00:00")
    assert miss(db, 4) == ["listing http://www.example.gov.cn/x: timeout"]
    assert URL not in known_urls(db)
    errors = miss(db, 8)
    assert GONE_AFTER == 4 and errors == ["listing http://www.example.gov.cn/x: timeout", f"article {URL}: gone (not found on 4 runs since 2026-11-01)"]
    assert URL in known_urls(db) and URL not in waiting_urls(db, "2027-01-01T00:00:00+00:00")


def test_a_url_read_at_last_leaves_the_retry_table(db):
    miss(db, 1)
    save_retries(db, SourceResult("fgw", "site", known_urls=[URL]), "2026-11-02T00:00:00+00:00")
    assert list(db["retry_urls"].rows) == [] and waiting_urls(db) == set()


def test_lines_a_site_repeats_on_its_pages_are_learned_removed_and_kept(db):
    from scrapers import Article
    from scrapers.site import strip_repeated_lines
    from store.db import save_source_result, site_furniture

    # Three real bodies of the corpus, each ending with the banner line a template might add
    # under every article (a line the tail rules do not know).
    from real_corpus import load_gold, page_html
    from scrapers.article import parse_article

    gold = {r["site"]: r for r in load_gold()}
    banner = "本网所载文章仅供参考"
    pages = [parse_article(page_html(gold[site]), gold[site]["url"]) for site in ("zysc.gov.cn", "lysc.gov.cn", "djsc.gov.cn")]
    articles = [Article(page.title, page.body + "\n" + banner, "http://www.sc.gov.cn/", "sc") for page in pages]
    learned = strip_repeated_lines(articles)
    assert learned == [banner]
    assert [a.body for a in articles] == [page.body for page in pages]
    save_source_result(db, SourceResult("sc", "site", furniture_lines=learned), "http://www.sc.gov.cn/", "run1", "2026-W45")
    assert site_furniture(db, "sc") == [banner]
    # a later run with one new article removes the learned line though it is seen once only
    later = [Article("t", "正文第一段。\n" + banner, "http://www.sc.gov.cn/x.html", "sc")]
    assert strip_repeated_lines(later, site_furniture(db, "sc")) == [] and later[0].body == "正文第一段。"
