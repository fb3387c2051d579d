"""Pages that are not articles never become cases (issue 25): a listing page (a column's index, a
portal's home page) is kept out of the indicators with the reason 列表页, whatever reads it; a
breadcrumb is never a title. Real saved pages both ways: listings of a procurement portal and of
other sites, 74 article pages of government sites, and compilations whose many short lines (a table
of contents, bulleted measures) are cases, not lists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

import classify
from casewatch.cli import cli
from classify.corpus import corpus_path
from classify.relevance import LISTING, is_listing, strong_reason
from scrapers.article import parse_article
from scrapers.compilation import split_compilation, unaccounted
from scrapers.documents import parse_document
from scrapers.readers import decode_text, declared_charset, extract_document
from scrapers.text import breadcrumb_tail, is_breadcrumb

FIXTURES = Path(__file__).parent / "fixtures"
LISTINGS = sorted((FIXTURES / "pages" / "listing").glob("*.html")) + [
    FIXTURES / "real" / "columns" / name
    for name in ("cnta-zdgz-sctg.shtml", "hzzy-courtweb-gzxxlist.html", "jxfc-n3-n13.html", "jxjaxzf-category133.html",
                 "jxta-column-p5-28.html", "ordos-egb-xxgknb.html", "wanzai-wanzaiyaowen.html", "zhangshu-zwgk-zhxx.html")
]
GOLD = [json.loads(line) for line in (FIXTURES / "real" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
ARTICLES = [g for g in GOLD if g.get("kind") == "article"]
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def page_text(path: Path) -> str:
    """A saved page's text as an ingested file is read."""
    return extract_document(path.read_bytes(), path.name).text


def article_body(path: Path) -> str:
    """A saved page's body as a site's article is read."""
    data = path.read_bytes()
    return parse_article(decode_text(data, declared_charset(data))[0], "http://www.example.gov.cn/art/1.html").body


def compact(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("path", LISTINGS, ids=lambda p: p.name)
def test_a_listing_page_reads_as_a_listing_and_is_kept_out_for_it(path):
    text = page_text(path)
    assert is_listing(text)
    assert strong_reason(None, text) == LISTING


def test_the_portals_listings_read_through_a_site_are_listings_too():
    for path in sorted((FIXTURES / "pages" / "listing").glob("*.html")):
        assert is_listing(article_body(path)), path.name


def test_no_article_page_of_74_sites_reads_as_a_listing():
    assert len(ARTICLES) >= 70
    for gold in ARTICLES:
        path = FIXTURES / "real" / gold["file"]
        try:
            text = page_text(path)
        except Exception:  # a page the file reader refuses (its parser lost text) is read as a site's
            text = ""
        assert not is_listing(text), gold["file"]
        assert not is_listing(article_body(path)), gold["file"]


def test_a_compilation_with_a_table_of_contents_is_no_listing():
    """Sample 002 opens with 目录: 23 short lines of "省份：标题<tab>page", and its cases are bulleted."""
    path = next(SAMPLES.glob("002_*.txt"))
    text = path.read_text(encoding="utf-8")
    assert "目录" in text[:200]
    lines = [line for line in text[:3000].split("\n") if line.strip()]
    assert sum(1 for line in lines if len(line) <= 60 and "。" not in line) >= 40  # short lines, most of them
    assert not is_listing(text)
    articles, _ = parse_document(path.read_bytes(), path.name, "file:002", "samples")
    assert len(articles) == 38 and not any(is_listing(a.body) for a in articles)
    # the case with the most short lines (44 of its 159) is a case still
    most = max(articles, key=lambda a: sum(1 for line in a.body.split("\n") if 0 < len(line.strip()) <= 60))
    assert sum(1 for line in most.body.split("\n") if 0 < len(line.strip()) <= 60) >= 40
    assert strong_reason(most.title, most.body) is None


def test_bulleted_measures_of_the_corpus_are_no_listing():
    """The corpus lists its practices as "●…" lines, dozens in a row: a list of measures, not of links.
    No window of it, or of the samples, reads as a listing."""
    texts = [corpus_path().read_text(encoding="utf-8")] + [p.read_text(encoding="utf-8") for p in SAMPLES.glob("*.txt")]
    assert sum(line.startswith("●") for line in texts[0].split("\n")) >= 100
    windows = [text[start:] for text in texts for start in range(0, max(1, len(text) - 500), 250)]
    assert len(windows) >= 450
    assert not [w[:40] for w in windows if is_listing(w)]


def test_the_gate_keeps_listings_out_and_lets_the_sample_cases_through(model_path):
    gate = classify.load_model(model_path).gate
    listings = [(None, page_text(path)) for path in LISTINGS]
    assert all(not case and reason == LISTING for case, _, reason in gate.judge(listings))
    cases = []
    for path in sorted(SAMPLES.glob("*.txt")):
        articles, _ = parse_document(path.read_bytes(), path.name, f"file:{path.name}", "samples")
        cases += [(a.title, a.body) for a in articles]
    assert len(cases) == 79
    assert all(case for case, _, _ in gate.judge(cases))


def test_a_breadcrumb_is_recognised_and_its_last_segment_is_the_column():
    assert is_breadcrumb("首页 > 新闻动态 > 工信动态 > 地方工作")
    assert is_breadcrumb("您现在的位置：首页>今日廊坊>本市动态")
    assert is_breadcrumb("首页 >信息发布 >文旅快讯")
    assert breadcrumb_tail("您现在的位置：首页>今日廊坊>本市动态") == "本市动态"
    assert not is_breadcrumb("北京通管局组织“三电”专项斗争大检查 确保国庆60周年电信设施安全运行")
    assert not is_breadcrumb("浙江省：“浙里办”106个事项“智能秒办”")


@pytest.mark.parametrize("name", ["mhmiit.gov.cn.html", "myzgd.gov.cn.html", "ypljnwl.jinan.gov.cn.html", "zlzlf.gov.cn.html"])
def test_an_ingested_page_under_a_breadcrumb_is_titled_by_its_own_title(name):
    """These four came out titled by their breadcrumb ("首页 > 新闻动态 > 工信动态 > 地方工作")."""
    gold = next(g for g in ARTICLES if g["file"] == f"pages/{name}")
    path = FIXTURES / "real" / gold["file"]
    articles, _ = parse_document(path.read_bytes(), name, f"file:{name}", "files")
    assert compact(articles[0].title) == compact(gold["title"])


def test_ingested_article_pages_keep_their_titles():
    """The title an ingested saved page gets, against the gold of the article pages: 45 before issue 25
    (4 of them a breadcrumb), 60 of 71 read after; 73 of 73 since a title wrapped over two lines is
    joined, a menu's <h1> loses to the one the <title> repeats, a site's name leaves the <title> and
    no page is refused for a ">" in an attribute (tests/test_ingested_titles.py); no breadcrumb ever."""
    equal = 0
    for gold in ARTICLES:
        path = FIXTURES / "real" / gold["file"]
        articles, _ = parse_document(path.read_bytes(), path.name, f"file:{path.name}", "files")
        if not articles:
            continue
        assert not is_breadcrumb(articles[0].title), gold["file"]
        equal += compact(articles[0].title) == compact(gold["title"])
    assert equal >= 73


def test_a_page_titled_only_by_its_breadcrumb_takes_its_last_segment():
    html = ("<html><body><div class='w980 mnav'><a href='/'>首页</a> &gt; <a href='/xwdt/'>新闻动态</a> &gt; "
            "<a href='/xwdt/dfgz/'>地方工作</a></div><div><p>北京市通信管理局组织检查小组，深入各公司进行大检查。</p>"
            "<p>检查小组听取了各公司的汇报，对机房、基站等进行了严格的现场检查。</p></div></body></html>")
    articles, document = parse_document(html.encode(), "page.html", "file:page.html", "files")
    assert [a.title for a in articles] == ["地方工作"]
    assert articles[0].body.startswith("北京市通信管理局组织检查小组")
    assert any(f.text.startswith("首页 > 新闻动态") for f in document.furniture)


def test_a_text_file_opening_with_a_breadcrumb_is_titled_by_the_next_line():
    text = ("当前位置：首页 > 新闻动态 > 地方工作\n北京通管局组织“三电”专项斗争大检查\n"
            "为确保国庆60周年网络与信息安全，近日，北京市通信管理局组织检查小组进行大检查。")
    split = split_compilation(text, "blocks")
    assert [c.title for c in split.cases] == ["北京通管局组织“三电”专项斗争大检查"]
    assert any(f.text.startswith("当前位置") for f in split.furniture)
    assert not unaccounted(text, split)


def test_a_breadcrumb_under_the_title_is_furniture_and_the_byline_is_read():
    """The reader puts a page's own title first; the breadcrumb it stood under follows, then the byline."""
    text = ("北京通管局组织“三电”专项斗争大检查\n首页 > 新闻动态 > 工信动态 > 地方工作\n"
            "发布时间：2009-09-30 10:53 来源：北京通信管理局\n"
            "为确保国庆60周年网络与信息安全，近日，北京市通信管理局组织检查小组进行大检查。")
    split = split_compilation(text, "blocks")
    assert [(c.title, c.header, c.published) for c in split.cases] == [
        ("北京通管局组织“三电”专项斗争大检查", ["发布时间：2009-09-30 10:53 来源：北京通信管理局"], "2009-09-30")]
    assert split.cases[0].body.startswith("为确保国庆60周年")
    assert not unaccounted(text, split)


def test_a_site_article_whose_heading_is_a_breadcrumb_takes_the_title_instead():
    """The MIIT page with its ArticleTitle meta gone and its h1 holding the breadcrumb."""
    html = (FIXTURES / "real" / "pages" / "mhmiit.gov.cn.html").read_text(encoding="utf-8")
    title = "北京通管局组织“三电”专项斗争大检查 确保国庆60周年电信设施安全运行"
    changed = html.replace('name="ArticleTitle"', 'name="Other"').replace(
        f'<h1 id="con_title">{title}</h1>', "<h1>首页 &gt; 新闻动态 &gt; 工信动态 &gt; 地方工作</h1>")
    assert changed.count("首页 &gt; 新闻动态 &gt; 工信动态") == 1
    assert parse_article(changed, "https://www.miit.gov.cn/xwdt/art.html").title == title


def test_ingest_stores_listing_pages_as_non_cases_and_the_article_under_its_title(project, monkeypatch):
    monkeypatch.chdir(project)
    files = [FIXTURES / "pages" / "listing" / "eb-portal-index.html", FIXTURES / "pages" / "listing" / "eb-zhaotoubiaozt.html",
             FIXTURES / "real" / "columns" / "wanzai-wanzaiyaowen.html", FIXTURES / "real" / "pages" / "mhmiit.gov.cn.html"]
    for path in files:
        shutil.copy(path, project / path.name)
    result = CliRunner().invoke(cli, ["ingest", *[p.name for p in files], "--db", "hand.db", "--week", "2026-W48"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(project / "hand.db")
    rows = {r["url"].rsplit("/", 1)[-1]: r for r in db.query("select url, title, is_case, relevance, indicator from articles")}
    assert len(rows) == 4
    for name in ("eb-portal-index.html", "eb-zhaotoubiaozt.html", "wanzai-wanzaiyaowen.html"):
        assert (rows[name]["is_case"], rows[name]["relevance"], rows[name]["indicator"]) == (0, LISTING, None), name
    miit = rows["mhmiit.gov.cn.html"]
    assert miit["title"] == "北京通管局组织“三电”专项斗争大检查 确保国庆60周年电信设施安全运行"
    digest = (project / "out" / "2026-W48.md").read_text(encoding="utf-8")
    for name in ("eb-portal-index.html", "eb-zhaotoubiaozt.html", "wanzai-wanzaiyaowen.html"):
        assert rows[name]["title"] not in digest
