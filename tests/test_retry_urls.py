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
