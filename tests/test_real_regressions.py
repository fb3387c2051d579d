"""Regressions of issue 22, each pinned on a real saved page of tests/fixtures/real."""

import re

from real_corpus import load_gold, page_html

from scrapers.article import parse_article, trim_body
from scrapers.listing import parse_listing, trs_pages

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


def listing(site: str):
    record = GOLD[site]
    return parse_listing(page_html(record), record["url"])


def test_trs_paging_is_read_from_the_call_not_the_inline_definition():
    # gdzbtb.gov.cn: `function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){ … } //WCM置标`
    # in the head, `<script>createPageHTML(500, 117, "index", "htm");</script>` at the foot of page 118
    record = GOLD["gdzbtb.gov.cn/zhaobiao12"]
    html = page_html(record)
    assert html.index("function createPageHTML(") < html.index('createPageHTML(500, 117, "index", "htm")')
    pages = [p.url for p in trs_pages(html, record["url"])]
    # the pages after this one, not the 117 before it nor this one again
    assert pages[0] == "http://www.gdzbtb.gov.cn/zhaobiao12/index_118.htm"
    assert pages[-1] == "http://www.gdzbtb.gov.cn/zhaobiao12/index_499.htm" and len(pages) == 382


def test_a_dated_list_wins_over_a_furniture_like_class_and_its_days_take_the_urls_year():
    # gdzbtb.gov.cn: the 20 rows sit in <ul class="position2"> ("position" is a breadcrumb's name
    # elsewhere) and print "[11-07]" without a year; the <option> links of the 友情链接 box are not articles
    found = listing("gdzbtb.gov.cn/zhaobiao12")
    assert len(found.links) == 20
    assert {link.date for link in found.links} == {"2016-11-07"}
    assert "http://www.gdzbtb.gov.cn/zhaobiao12/www.sgjsj.gov.cn" not in {link.url for link in found.links}


def test_a_longer_box_of_another_columns_dated_notices_does_not_take_the_columns_place():
    # The real gdzbtb page with, before its list, a box of 25 dated notices of another column
    # (the shape of the 停水停电 boxes the issue met: <li>title<span>05-17</span></li> into ../wsfw/…)
    record = GOLD["gdzbtb.gov.cn/zhaobiao12"]
    rows = "".join(f'<li><a href="../wsfw/tdgg/201705/t201705{n:02d}_3765{n:02d}.htm">停电通知{n}号 这些地方要停电</a><span>05-{n:02d}</span></li>' for n in range(1, 26))
    html = page_html(record).replace("<!--栏目结构开始 -->", f'<div class="box"><ul class="tz">{rows}</ul></div><!--栏目结构开始 -->', 1)
    assert html.count("停电通知") == 25
    found = parse_listing(html, record["url"])
    assert {link.url for link in found.links} == set(record["links"])
    assert sum("/wsfw/tdgg/" in link.url for link in found.skipped) == 25


def test_an_undated_list_of_the_columns_own_articles_is_kept_beside_a_dated_sidebar():
    # The real ordos column without its date cells, and a dated 热点 box of another column
    # added after its list: the column's rows (./202009/t…) stay the column's
    record = GOLD["ordos.gov.cn/egbsfq"]
    html = re.sub(r"<td>\s*\d{4}-\d{2}-\d{2}\s*</td>", "<td></td>", page_html(record))
    rows = "".join(f'<li><a href="../../zjegb/202006/t2020060{n}_26{n}0000.html">恩格贝热点新闻第{n}条</a><span>2020-06-0{n}</span></li>' for n in range(1, 5))
    html = html.replace('<td height="572" class="page">', f'<td><ul class="rd">{rows}</ul></td><td height="572" class="page">', 1)
    found = parse_listing(html, record["url"])
    assert [link.url for link in found.links] == record["links"]
    assert sum("/zjegb/" in link.url for link in found.skipped) == 4


def test_a_next_page_link_is_followed_whatever_its_number_and_a_date_inside_the_link_is_read():
    # hzzy.gov.cn (court): on page 2, 下一页 goes to "…-down-2-" and 上一页 to "…-up-2-";
    # each row is <a>（2016）粤13民终2456号<span class="date">2016-07-28</span></a>
    found = listing("hzzy.gov.cn/courtweb")
    assert [p.url for p in found.pages] == ["http://www.hzzy.gov.cn/courtweb/front/gzxxList/JD0-qbcx-down-2-"]
    first = found.links[0]
    assert (first.title, first.date) == ("（2016）粤13民终2456号", "2016-07-28")


def test_a_list_a_script_fills_is_reported_with_the_endpoint_that_searches_not_the_weather_widget():
    # ggzyzx.jl.gov.cn: a $.ajax GET to devapi.heweather.net comes before the POST to haiyun.jl.gov.cn/irs/front/search
    found = listing("ggzyzx.jl.gov.cn/zbgg")
    assert not found.links and "https://haiyun.jl.gov.cn/irs/front/search" in found.script
    # sthjt.jiangxi.gov.cn (Hanweb jpaas): a handlebars template filled by loadPageData(), no endpoint on the page
    assert listing("sthjt.jiangxi.gov.cn/col42150").script == "listing loaded by script; set `api_url`"


def test_the_issues_own_column_pages_through_21_and_requests_none_of_its_14_furniture_links():
    # zhangshu.gov.cn 综合信息, the page issue 22 describes: function createPageHTML(_nPageCount, …) inline,
    # then createPageHTML(21, 0, "index", "html"); a 停水停电 marquee of 12 dated notices, 在线举报平台, 联系我们
    found = listing("zhangshu.gov.cn/zwgk/zhxx")
    assert [p.url.rsplit("/", 1)[1] for p in found.pages] == [f"index_{n}.html" for n in range(1, 21)]
    assert len(found.links) == 24 and all("/zwgk/zhxx/2017" in link.url for link in found.links)
    assert len(found.skipped) == 14 and sum("/wsfw/fwsm/smgg/" in link.url for link in found.skipped) == 12


def test_a_pager_that_counts_down_goes_on_at_the_highest_number_and_never_back_to_page_one():
    # jxfc.gov.cn (丰城新闻): var purl="../../n3/n13/index_958"; maxPageNum = 199; writePaging() makes
    # 下页 of page 1 index_958_198 and 尾页 index_958_1; a hidden div links index_958_1 … index_958_199,
    # and index_958_199 is page 1 again
    record = GOLD["jxfc.gov.cn/n3/n13"]
    found = listing("jxfc.gov.cn/n3/n13")
    urls = [p.url for p in found.pages]
    assert found.paging == ["maxPageNum"] and urls[0] == "http://www.jxfc.gov.cn/n3/n13/index_958_198.html"
    assert urls[-1] == "http://www.jxfc.gov.cn/n3/n13/index_958_1.html" and len(urls) == 198
    # read as page 198 (the same template), it goes on at 197 and not up to 199 (page 1) through the hidden links
    later = parse_listing(page_html(record), "http://www.jxfc.gov.cn/n3/n13/index_958_198.html")
    assert [p.url for p in later.pages][:1] == ["http://www.jxfc.gov.cn/n3/n13/index_958_197.html"]
    assert not any(p.url.endswith(("_198.html", "_199.html")) for p in later.pages)


def test_a_next_page_link_that_calls_a_script_goes_where_the_script_sends_the_browser():
    # jxta.gov.cn: <A href="javascript:gotoCurrentPage('2')">下一页</A>, and the page defines
    # function gotoCurrentPage(pageNo) { if(pageNo=='1') window.location="Column.shtml?p5=28";
    #                                    else window.location="Column.shtml?p5=28&p7="+pageNo; }
    found = listing("jxta.gov.cn/Column.shtml?p5=28")
    assert [p.url for p in found.pages] == ["http://www.jxta.gov.cn/Column.shtml?p5=28&p7=2"]
    # its articles are News.shtml?p5=N: no id-like name, no date in the URL; the dated rows make them the list
    assert len(found.links) == 15 and all(link.date for link in found.links)


def test_same_shaped_links_of_other_columns_boxes_are_not_the_columns_articles():
    # jxjaxzf.gov.cn (PowerEasy): /Item/NNNNN.aspx rows of 政务要闻 beside boxes of 乡镇动态, 部门动态 and 招标
    # with links of the same shape, and a sidebar repeating the column's first eight
    found = listing("jxjaxzf.gov.cn/Category_133")
    assert [link.url for link in found.links] == GOLD["jxjaxzf.gov.cn/Category_133"]["links"]
    assert {"http://www.jxjaxzf.gov.cn/Item/24069.aspx", "http://www.jxjaxzf.gov.cn/Item/24070.aspx"} <= {link.url for link in found.skipped}


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


def test_a_page_without_meta_tags_takes_the_title_its_metadata_table_labels():
    # gov.cn policy library (a crawler's dump of the page's div.wrap, no <head>): 标　　题： in one cell,
    # the title in the next; 成文日期 1996-11-05 beside 发布日期 2018-12-03; 发文机关 国务院、中央军委
    page = read("www.gov.cn/zhengce/5345407")
    assert page.title == "国务院、中央军委关于同意武警总部后勤部机关等迁址新建的批复"
    assert (page.published, page.issuer) == ("2018-12-03", "国务院、中央军委")
    # the title, broken over two lines, and the document number head the body; the signature ends it
    assert page.body.startswith("武警总部：") and page.body.endswith("一九九六年十一月五日")


def _ucap_text(site: str) -> str:
    from scrapers.article import block_text
    from scrapers.html import tree

    return block_text(tree(page_html(GOLD[site])).get_element_by_id("UCAP-CONTENT"))


def test_without_a_title_no_short_line_is_taken_for_it():
    # Read with no title, every short line "contained" the empty title: the signature, the date and
    # （此件公开发布） were cut from the end of the gov.cn 双随机 opinion, the addressees from its head.
    body = trim_body(_ucap_text("www.gov.cn/zhengce/5365945"), None)
    assert body.endswith("国务院\n2019年1月27日\n（此件公开发布）")
    assert "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：" in body


def test_the_addressees_under_a_title_are_not_a_subtitle():
    # The same opinion as a template without the document number line prints it: the addressee line
    # follows the title straight away (short, no full stop, like a subtitle) and is the first line of the text.
    text = _ucap_text("www.gov.cn/zhengce/5365945").replace("国发〔2019〕5号\n", "", 1)
    body = trim_body(text, "国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见")
    assert body.startswith("各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n在市场监管领域")


def read_without_metas(site: str):
    """A real page read as if its site wrote no <meta name=…> tags (ArticleTitle, PubDate, ContentSource …)."""
    record = GOLD[site]
    html = re.sub(r"<meta\b[^>]*\bname\s*=\s*[\"']?(?!viewport)[^>]*>", "", page_html(record), flags=re.I)
    return parse_article(html, record["url"])


def test_without_meta_tags_the_title_is_the_line_above_the_byline_not_the_site_or_column_name():
    # gxzf.gov.cn: <title> 广西壮族自治区人民政府门户网站 - www.gxzf.gov.cn, also the page's first heading;
    # cq.gov.cn: <title> 工作动态_重庆市文化和旅游发展委员会, 工作动态 shown two lines above the title;
    # bjxch.gov.cn: <title> 北京市西城区人民政府. Each shows the title right above 来源：/日期：/发布时间：
    assert read_without_metas("lfygxzf.gov.cn").title == "下六甲灌区工程重要节点全面开工"
    assert read_without_metas("ljywhlyw.cq.gov.cn").title == "重庆文旅之窗成功首秀举办第五届意大利全球设计日"
    assert read_without_metas("jrbjxch.gov.cn").title == "“学书法晒快乐”书法培训"
    # a source line or a subtitle between the title and the byline does not displace a <title> that names it
    assert read_without_metas("tgnews.hubeidaily.net").title == "这场音乐节，出圈的“地气”和“底气”!"
    assert read_without_metas("wyxby.gov.cn").title == "潘志军主持召开互联网医疗座谈会"


def test_without_meta_tags_the_date_in_the_byline_under_the_title_is_read():
    # "来源：宣教中心 2022-11-14 14:59:48", "来源：光明网-《光明日报》2024-01-29 04:35", 新华网 "2024 07/22 14:52:26"
    assert read_without_metas("lxhkjt.yn.gov.cn").published == "2022-11-14"
    assert read_without_metas("ljynews.gmw.cn").published == "2024-01-29"
    assert read_without_metas("djxinhuanet.com").published == "2024-07-22"


def test_without_meta_tags_the_shown_source_is_read_whole_and_alone():
    # zj.gov.cn: an empty "来源：" then "来源：省文化和旅游厅" on the next line;
    # gzns.gov.cn: "来源：广州市南沙区统计局发布日期：2024-06-05"; moe.gov.cn: "发文机构：教育部 下载 收藏"
    assert read_without_metas("wmlct.zj.gov.cn").issuer == "省文化和旅游厅"
    assert read_without_metas("wyxgzns.gov.cn").issuer == "广州市南沙区统计局"
    assert read_without_metas("wjmoe.gov.cn").issuer == "教育部"


def read_with_unknown_containers(site: str):
    """A real page read as if its CMS named the article's container in a way no rule knows."""
    from scrapers.article import CONTAINERS

    record = GOLD[site]
    html = page_html(record)
    for name in (c[1:] for c in CONTAINERS if c[0] in ".#"):
        html = re.sub(r'((?:class|id)\s*=\s*["\'][^"\']*?)\b' + re.escape(name) + r"\b", r"\1unknown-box", html)
    return parse_article(html.replace("ZJEG_RSS", "UNKNOWN"), record["url"])


def test_an_unknown_template_s_running_text_is_found_under_a_menu_left_loose_in_the_body():
    # gz.gov.cn: the article sits in div.content_article; with that name unknown, <body> collected the
    # credit of the header's loose spans (用户登录 市民网页 …) and the menu was taken as the text
    body = read_with_unknown_containers("jchgz.gov.cn").body
    assert body.startswith("“制造美丽”推动“美丽制造”转型升级") and "用户登录" not in body


def test_the_tools_above_the_text_are_head_lines_not_the_tail_that_ends_it():
    # wuhan.gov.cn: 来源：长江日报 / 发布日期：… / 【 打印 】 / 【 扫一扫 】 / 【 字体：大中小 】 then the text;
    # 【 打印 】 read as the article's tail left nothing before it
    page = read_with_unknown_containers("zxw1wuhan.gov.cn")
    assert page.body.startswith("11月5日，第七届武汉设计双年展在洪山区武钢云谷·606产业园举行闭幕式。")


def test_an_editor_s_nested_sections_are_one_text_not_one_group_of_paragraphs():
    # beijing.gov.cn (教委): the text in div.xl_content, laid out by an editor as groups of paragraphs,
    # each in unnamed <section>s nested three or four deep; read as an unknown template, the largest
    # group alone was taken and the first paragraph lost
    body = read_with_unknown_containers("yjybeijing.gov.cn").body
    assert body.startswith("近日，由北京市教委组织的“组团式”教育援助专家团队抵达青海省")
    assert body.endswith("助力玉树州教育质量的全面提升和跨越式发展。")


def test_without_a_head_the_title_is_found_above_the_byline_nearest_the_text():
    # The same pages without <title> either (as a crawler's dump of the body, or a saved fragment):
    # the title block sits above the byline nearest the text; between them a source (防城港日报,
    # 青岛政务网, 湖北日报客户端), the site's name and address, a counter ("20"); above the title a
    # kicker (gxzf's h2 国务院150项重大水利工程之一), under it a subtitle (gov.cn baiyun's h2)
    cases = {
        "lfyfcgs.gov.cn": "广西防城港白龙核电项目一期工程建设动员大会举行",
        "lszqingdao.gov.cn": "胶州市司法局胶莱司法所组织开展法治文化剪纸活动",
        "qzhxiangtan.gov.cn": "“从齐白石故乡吹来的风”书画展亮相澳门",
        "tgnews.hubeidaily.net": "这场音乐节，出圈的“地气”和“底气”!",
        "lfygxzf.gov.cn": "下六甲灌区工程重要节点全面开工",
        "wyxby.gov.cn": "潘志军主持召开互联网医疗座谈会",
        "zxw1wuhan.gov.cn": "第七届武汉设计双年展闭幕",
    }
    for site, title in cases.items():
        record = GOLD[site]
        html = re.sub(r"<meta\b[^>]*\bname\s*=\s*[\"']?(?!viewport)[^>]*>", "", page_html(record), flags=re.I)
        html = re.sub(r"<title>.*?</title>", "", html, flags=re.I | re.S)
        assert parse_article(html, record["url"]).title == title, site


def test_a_utf8_page_cut_off_with_stray_bytes_is_read_as_utf8_not_as_gb18030():
    from pathlib import Path

    from scrapers.http import decode_body

    # A real gov.cn page (no charset declared) cut off mid-text with invalid bytes after it, as a
    # dropped connection leaves it: GB18030 decodes such bytes too, into 鍥藉姟闄… nonsense.
    raw = (Path(__file__).parent / "fixtures" / "real" / "pages" / "govcn-zhengce-5355822.html").read_bytes()
    text = decode_body(raw[: len(raw) // 3] + b"\xc3\x28\xa0\xa1", "text/html")
    page = parse_article(text, "https://www.gov.cn/zhengce/content/2019-01/09/content_5355822.htm")
    assert page.title == "国务院关于2018年度国家科学技术奖励的决定"
    assert page.body.startswith("各省、自治区、直辖市人民政府，国务院各部委、各直属机构") and "鍥" not in text
    # GB18030 text is still read as GB18030, markup around it or not
    assert decode_body('<td class="x">国务院关于2018年度国家科学技术奖励的决定</td>'.encode("gb18030")) == (
        '<td class="x">国务院关于2018年度国家科学技术奖励的决定</td>'
    )
