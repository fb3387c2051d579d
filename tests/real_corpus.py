"""The corpus of real government pages in tests/fixtures/real: loading, reading and scoring against the gold."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from scrapers.article import parse_article
from scrapers.http import decode_body

REAL = Path(__file__).parent / "fixtures" / "real"
FIELDS = ("title", "date", "issuer", "body_start", "body_end", "body_len", "furniture_free", "no_text")


def load_gold() -> list[dict]:
    """The gold records, one a page."""
    with open(REAL / "gold.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def page_html(record: dict) -> str:
    """A saved page decoded as the session decodes a fetched one (BOM, declared charset, detection)."""
    return decode_body((REAL / record["file"]).read_bytes(), "text/html")


def _norm(text: str | None) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", "", text or "")


@dataclass
class Score:
    """Per-field hits over the article pages, and what missed."""

    pages: int = 0
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in FIELDS})

    def rate(self, name: str) -> float:
        """The share of pages whose `name` is right."""
        return self.hits[name] / self.pages if self.pages else 0.0

    def table(self) -> str:
        """The figures as a Markdown table."""
        rows = ["| field | right | of | % |", "|---|---|---|---|"]
        rows += [f"| {k} | {self.hits[k]} | {self.pages} | {100 * self.rate(k):.1f} |" for k in FIELDS]
        return "\n".join(rows)


def check_article(record: dict, title: str, published: str | None, issuer: str | None, body: str, no_text: bool) -> dict[str, bool]:
    """Which fields of one read page agree with its gold."""
    if record.get("no_text"):
        return {k: (no_text if k in ("no_text", "body_start", "body_end", "body_len", "furniture_free") else None) for k in FIELDS} | {
            "title": True, "date": True, "issuer": True,
        }  # fmt: skip
    issuers = record["issuer"] if isinstance(record["issuer"], list) else [record["issuer"]]
    flat = _norm(body)
    return {
        "title": _norm(title) == _norm(record["title"]),
        "date": published == record["date"],
        "issuer": (issuer or None) in issuers,
        "body_start": flat.startswith(_norm(record["body_start"])),
        "body_end": flat.endswith(_norm(record["body_end"])),
        "body_len": 0.8 * record["body_len"] <= len(body) <= 1.25 * record["body_len"],
        "furniture_free": not any(f in body for f in record["furniture"]),
        "no_text": not no_text,
    }


def score_pages(read=None, held_out: bool | None = None, round_: str | None = None) -> Score:
    """Read the article pages of the corpus (with `read(html, url) -> (title, date, issuer, body, no_text)`) and score them.

    `held_out` True scores only the pages whose gold was written after the reader was
    frozen (not tuned on), False only the others, None all; `round_` only the pages added
    in that round ("2026-12-07").
    """
    read = read or read_with_casewatch
    score = Score()
    for record in load_gold():
        if record["kind"] != "article" or (held_out is not None and bool(record.get("held_out")) != held_out):
            continue
        if round_ is not None and record.get("round") != round_:
            continue
        score.pages += 1
        result = check_article(record, *read(page_html(record), record["url"]))
        for name, ok in result.items():
            if ok:
                score.hits[name] += 1
            else:
                score.misses[name].append(record["site"])
    return score


def read_with_casewatch(html: str, url: str):
    """casewatch's article reader on one page."""
    page = parse_article(html, url)
    return page.title, page.published, page.issuer, page.body, getattr(page, "no_text", False)


def ingested_pages() -> list[tuple[dict, list]]:
    """Each article page of the corpus ingested as a saved file (`parse_document`, the inbox's and
    `casewatch ingest`'s path), with the articles that came out of it."""
    from scrapers.documents import parse_document

    found = []
    for record in load_gold():
        if record["kind"] != "article":
            continue
        path = REAL / record["file"]
        articles, _ = parse_document(path.read_bytes(), path.name, f"file:{path.name}", "files")
        found.append((record, articles))
    return found


def ingested_titles() -> list[tuple[dict, str | None]]:
    """Each article page of the corpus ingested as a saved file, with the title of its first article
    (None when no article came out)."""
    return [(record, articles[0].title if articles else None) for record, articles in ingested_pages()]


def title_is_gold(record: dict, title: str | None) -> bool:
    """Whether an ingested title is the page's gold title (spaces aside)."""
    return title is not None and _norm(title) == _norm(record["title"])


def score_columns(parse=None) -> list[dict]:
    """Each column page of the corpus read by `parse(html, url) -> Listing`: its links, pages and script notice against the gold.

    `links` and `precision` score the article links found; `furniture_requested` counts the
    links a run would fetch (as articles or as listing pages) that are neither the column's
    articles nor its pages; `next_pages` holds when every gold next page is requested and no
    page of `not_pages` (this page, earlier ones, pages past the end) is.
    """
    from scrapers.listing import parse_listing
    from scrapers.urls import canonical_url

    parse = parse or parse_listing
    rows = []
    for record in load_gold():
        if record["kind"] != "column":
            continue
        listing = parse(page_html(record), record["url"])
        gold = {canonical_url(u) for u in record["links"]}
        found = {canonical_url(link.url) for link in listing.links}
        pages = {canonical_url(p.url) for p in listing.pages}
        wanted = {canonical_url(u) for u in record["next_pages"]}
        unwanted = {canonical_url(u) for u in record.get("not_pages", [])}
        script = record.get("script", False)
        endpoint = record.get("script_endpoint")
        rows.append({
            "site": record["site"],
            "links": len(found & gold),
            "of": len(gold),
            "precision": len(found & gold) / len(found) if found else float(not gold),
            "next_pages": wanted <= pages and not (unwanted & pages),
            "furniture_requested": len(found - gold) + len({p for p in pages if ARTICLE_PAGE(p) or p in _furniture(record)}),
            "script": bool(listing.script) == script,
            "endpoint": (endpoint in (listing.script or "")) if endpoint else None,
        })
    return rows


def ARTICLE_PAGE(url: str) -> bool:
    """A listing 'page' that is in fact an article (a run must not page through articles)."""
    from scrapers.listing import ARTICLE_URL_RE, INDEX_URL_RE

    return bool(ARTICLE_URL_RE.search(url)) and not INDEX_URL_RE.search(url)


def _furniture(record: dict) -> set[str]:
    from scrapers.urls import canonical_url

    return {canonical_url(u) for u in record.get("furniture_links", [])}


def columns_table(rows: list[dict]) -> str:
    """The column scores as a Markdown table."""
    lines = ["| column | links found | of | precision | next pages | furniture requested | script notice |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['site']} | {row['links']} | {row['of']} | {row['precision']:.2f} | {row['next_pages']} | "
            f"{row['furniture_requested']} | {row['script']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    # python tests/real_corpus.py [ROUND]: the figures on every article page, or on one round's
    import sys

    print(score_pages(round_=sys.argv[1] if len(sys.argv) > 1 else None).table())
