"""Compare body extractors on the real government pages of tests/fixtures/real.

Usage: python bench/compare_real_extractors.py
Each extractor reads every article page of the corpus; a body counts when it begins and
ends where the article does (first and last 30 characters of the gold), is within ±20% of
its length, and holds none of the page's furniture strings; a page without text counts
when the extractor gives nothing. trafilatura and readability-lxml are optional (not
casewatch dependencies): `pip install trafilatura readability-lxml` to include them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import lxml.html  # noqa: E402
from real_corpus import check_article, load_gold, page_html  # noqa: E402

from scrapers.article import block_text, extract_body, parse_article  # noqa: E402

BODY_FIELDS = ("body_start", "body_end", "body_len", "furniture_free", "no_text")


def extractors() -> dict:
    found = {
        "casewatch (container or main block, minus furniture)": lambda html, url: parse_article(html, url).body,
        "casewatch container only (before furniture removal)": lambda html, url: extract_body(lxml.html.fromstring(html), html)[0],
    }
    import density

    found["density (GNE-style, bench/density.py)"] = lambda html, url: density.extract(html)
    try:
        import trafilatura

        found[f"trafilatura {trafilatura.__version__} (default)"] = lambda html, url: trafilatura.extract(html, url=url) or ""
        found[f"trafilatura {trafilatura.__version__} (favor_precision)"] = (
            lambda html, url: trafilatura.extract(html, url=url, favor_precision=True) or ""
        )
    except ImportError:
        print("trafilatura not installed: skipped", file=sys.stderr)
    try:
        from readability import Document

        def readability(html, url):
            summary = Document(html).summary(html_partial=True)
            return block_text(lxml.html.fromstring(summary)) if summary.strip() else ""

        found["readability-lxml"] = readability
    except ImportError:
        print("readability-lxml not installed: skipped", file=sys.stderr)
    # Each candidate's block, then casewatch's furniture removal (trim_body): does another block choice do better?
    from scrapers.article import trim_body

    def trimmed(read):
        return lambda html, url: trim_body(read(html, url), _title(html))

    for name in [n for n in found if not n.startswith("casewatch")]:
        found[f"{name} + casewatch furniture removal"] = trimmed(found[name])
    return found


def _title(html: str) -> str:
    root = lxml.html.fromstring(html)
    meta = root.xpath('//meta[@name="ArticleTitle"]/@content')
    return meta[0] if meta else (root.findtext(".//title") or "")


def main() -> None:
    pages = [(r, page_html(r)) for r in load_gold() if r["kind"] == "article"]
    print(f"{len(pages)} article pages\n")
    print("| extractor | " + " | ".join(BODY_FIELDS) + " | all body fields | ms/page |")
    print("|---|" + "---|" * (len(BODY_FIELDS) + 2))
    for name, read in extractors().items():
        hits = dict.fromkeys(BODY_FIELDS, 0)
        whole = 0
        start = time.perf_counter()
        for record, html in pages:
            try:
                body = read(html, record["url"]).strip()
            except Exception as exc:  # an extractor that fails on a page scores nothing there
                print(f"{name}: {record['site']}: {exc}", file=sys.stderr)
                body = ""
            got = check_article(record, record["title"], record["date"], None, body, not body)
            for field in BODY_FIELDS:
                hits[field] += bool(got[field])
            whole += all(got[f] for f in BODY_FIELDS)
        ms = 1000 * (time.perf_counter() - start) / len(pages)
        print(f"| {name} | " + " | ".join(str(hits[f]) for f in BODY_FIELDS) + f" | {whole} | {ms:.1f} |")


if __name__ == "__main__":
    main()
