"""Regressions of issue 22, each pinned on a real saved page of tests/fixtures/real."""

from real_corpus import load_gold, page_html

from scrapers.article import parse_article
from scrapers.listing import trs_pages

GOLD = {r["site"]: r for r in load_gold()}


def read(site: str):
    record = GOLD[site]
    return parse_article(page_html(record), record["url"])


def test_the_date_shown_under_the_title_wins_over_the_meta_tag_and_the_disagreement_is_kept():
    # miit.gov.cn: 发布时间：2009-09-30 on the page, <meta name="PubDate" content="2023-05-12 23:20">
    page = read("mhmiit.gov.cn")
    assert (page.published, page.date_from) == ("2009-09-30", "page")
    assert page.problems == ["date: the page shows 2009-09-30, its meta tag says 2023-05-12"]


def test_an_empty_source_label_is_no_issuer_and_does_not_run_on_to_the_next_field():
    # nc.gov.cn: "来源： 发布日期:\n2024-01-29 访问量："; suibin: "信息来源:\n发布日期：2024-07-05 13:57"
    assert read("yjywgxj.nc.gov.cn").issuer is None
    assert read("ldqsuibin.gov.cn").issuer is None


def test_a_source_label_with_its_value_on_the_next_line_is_read_without_the_label():
    # sc.gov.cn templates: "来源:\n四川日报" (the meta tag says the same)
    assert read("lysc.gov.cn").issuer == "四川日报"


def test_a_page_whose_article_text_is_missing_is_no_text_not_its_menu_or_footer():
    # hongshan.gov.cn: the saved template kept title, date and source, but the text is gone;
    # the main-content block is then the footer (版权所有 …, 主办单位 …)
    page = read("zxwhongshan.gov.cn")
    assert page.no_text and page.body == ""
    assert page.title == "武钢云谷·606开园，首批企业签约入驻，洪山区打造产城融合新高地"


def test_container_head_lines_and_tails_are_not_body():
    # sc.gov.cn: #content holds title, date, 来源, 【字体】, 分享 … then 责任编辑, 扫一扫, 相关链接,
    # 打印本页, 关闭窗口 and a share summary repeating the text
    body = read("zysc.gov.cn").body
    assert body.startswith("9月14日，从绵阳“服务企业活动月”")
    assert body.endswith("让各类市场主体活力竞相迸发。")
    assert not any(f in body for f in ("来源", "字体", "责任编辑", "扫一扫", "打印本页", "关闭窗口"))


def test_trs_paging_is_read_from_the_call_not_the_inline_definition():
    # The shape of a TRS column that defines the pager inline before calling it (issue 22);
    # no saved page of that column is in the corpus yet, so this is the two script lines only.
    html = (
        "<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}</script>"
        '<script>createPageHTML(21, 0, "index", "html");</script>'
    )
    pages = trs_pages(html, "http://www.example.gov.cn/col/index.html")
    assert len(pages) == 20 and pages[-1].url == "http://www.example.gov.cn/col/index_20.html"


def test_a_file_in_a_related_files_block_outside_the_body_is_recorded():
    # No saved page of that TRS template is in the corpus yet. The real Sichuan page (zysc) keeps
    # its 相关附件 block beside #content (that case was already read); here a block of the kind
    # the TRS templates put at the foot of the page, far from the body, is added to it.
    block = '<div class="xgfj"><b>相关附件</b><ul><li><a href="/zysc/W020200915.doc">服务企业活动月安排表</a></li></ul></div>'
    html = page_html(GOLD["zysc.gov.cn"]).replace("</body>", block + "</body>", 1)
    page = parse_article(html, "http://www.sc.gov.cn/10462/c105962/2020/9/15/x.shtml")
    files = [(a.url, a.type, a.parsed) for a in page.attachments]
    assert ("http://www.sc.gov.cn/zysc/W020200915.doc", "doc", False) in files


def test_the_date_disagreement_is_stored_with_the_article(tmp_path):
    import store
    from scrapers.site import SiteResult, page_articles

    record = GOLD["mhmiit.gov.cn"]
    page = read("mhmiit.gov.cn")
    result = SiteResult("miit")
    articles = page_articles(page, record["url"], b"", {"name": "miit"}, None, None, result)
    db = store.open_db(tmp_path / "casewatch.db")
    store.save_articles(db, articles, "2026-W45", store.now())
    assert [row["problems"] for row in db["articles"].rows] == ["date: the page shows 2009-09-30, its meta tag says 2023-05-12"]
