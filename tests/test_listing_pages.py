"""What reaches the reader (issue 25): a breadcrumb is never a title. Real saved article pages of
government sites, with their gold titles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scrapers.article import parse_article
from scrapers.compilation import split_compilation, unaccounted
from scrapers.documents import parse_document
from scrapers.text import breadcrumb_tail, is_breadcrumb

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = [json.loads(line) for line in (FIXTURES / "real" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
ARTICLES = [g for g in GOLD if g.get("kind") == "article"]


def compact(text: str) -> str:
    return "".join(text.split())


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
    """The title an ingested saved page gets, against the gold of 70 article pages: 45 before issue 25
    (4 of them a breadcrumb), 59 after; no breadcrumb ever."""
    equal = 0
    for gold in ARTICLES:
        path = FIXTURES / "real" / gold["file"]
        articles, _ = parse_document(path.read_bytes(), path.name, f"file:{path.name}", "files")
        if not articles:
            continue
        assert not is_breadcrumb(articles[0].title), gold["file"]
        equal += compact(articles[0].title) == compact(gold["title"])
    assert equal >= 59


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
