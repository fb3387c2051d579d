"""Splitting the bundled compilations, and the page furniture of PDF text."""

from __future__ import annotations

import re

import pytest

from scrapers import split_compilation
from scrapers.compilation import parse_toc
from zhtext import chinese_numeral
from scrapers.text import join_units, split_units

RUNNING_HEADER = "营商智库：每周案例汇编（11.08-11.14）"


def titles(prefix, sample_text):
    split = split_compilation(sample_text(prefix))
    cases, problems = split.cases, split.problems
    assert problems == []
    return [c.title for c in cases], cases


def test_001_has_30_cases_titled_by_their_case_headings(sample_text):
    found, cases = titles("001", sample_text)
    headings = re.findall(r"^\s*案例\d+\s*[:：]\s*(.+?)\s*$", sample_text("001"), re.M)
    assert len(found) == 30
    assert all(title.startswith(heading) for title, heading in zip(found, headings))
    # A heading wrapped onto a second line (a subtitle) keeps that line, which leaves the body.
    wenan = found[11]
    assert wenan == "渭南市探索推行投資項目審批 “容缺+承諾制+并聯審批+全程幫辦代辦”模式"
    assert cases[11].body.startswith("渭南市持續深化投資項目審批制度改革")
    assert found[4] == "商洛市全面提升“獲得電力”服務水平 持續優化電力營商環境"
    assert found[0] == headings[0] and cases[0].body.startswith("寶雞市鳳縣著力打通")
    assert found[0] == "寶雞市鳳縣打造企業便利化注銷“四辦”模式"
    assert found[-1] == "韓城市創新體制機制 安商護企優服務"
    assert all(not c.body.startswith("案例") and "案例" not in c.body[:5] for c in cases)


def test_002_has_38_cases_titled_by_the_table_of_contents(sample_text):
    text = sample_text("002")
    found, cases = titles("002", sample_text)
    toc = text[text.index("目录") : text.index("浙江省：“浙里办”106个事项“智能秒办”\n\n近日")]
    entries = [
        re.sub(r"[.\s]*\d+$", "", line.strip()).rstrip(".").strip()
        for line in toc.splitlines()[1:]
        if line.strip()
    ]
    assert len(found) == 38
    assert found == entries
    # Entries whose heading in the body differs from the TOC keep the TOC's words.
    assert "新疆维吾尔自治区：11项举措打造更优营商环境" in found
    assert "湖北省：中央纪委国家监委网站报道湖北紧盯营商环境 靶向监督确保惠企政策落地" in found
    assert not any("..." in t or t[-1].isdigit() for t in found)


def test_002_bodies_hold_no_running_header_page_number_cover_or_toc(sample_text):
    _, cases = titles("002", sample_text)
    for case in cases:
        assert RUNNING_HEADER not in case.body
        assert "营商智库" not in case.body
        assert "资料获取" not in case.body and not re.search(r"^目\s*录$", case.body, re.M)
        assert not re.search(r"(\.{3,}|\t)\s*\d+$", case.body, re.M)  # no TOC line
        assert not re.search(r"^\s*\d{1,3}\s*$", case.body, re.M), case.title
        assert case.title not in case.body  # the heading is not repeated in the body


def test_002_joins_lines_broken_by_the_pdf(sample_text):
    _, cases = titles("002", sample_text)
    bodies = {c.title[:6]: c.body for c in cases}
    # Broken at a page header ...
    assert "深化证照分离等涉企服务领域改革，加大数据共享力度" in bodies["浙江省：“浙"]
    # ... and at a page boundary without one.
    assert "不断激发新疆维吾尔自治区市场主体活力" in bodies["新疆维吾尔自"]
    assert "器官移植术后抗排异治疗" in bodies["陕西省：加快"]
    # A heading wrapped over two lines is not left at the top of the body.
    assert bodies["重庆市两江新"].startswith("近日，两江新区税务局")
    # Section headings stay their own paragraphs.
    assert "\n\n二、主要内容\n\n" in bodies["云南省：关于"]


def test_004_has_ten_numbered_cases_with_issuers_and_no_advert(sample_text):
    found, cases = titles("004", sample_text)
    assert len(found) == 10
    assert found[0] == "“亲清在线”无感智慧审批"
    assert found[-1] == "工程建设项目竣工图数字化改革"
    assert cases[0].issuer == "杭州市发展和改革委员会、杭州市行政审批服务管理办公室"
    assert cases[3].issuer == "杭州市中级人民法院、瑞安市人民法院"
    assert "零售价" not in cases[-1].body and "国脉" not in cases[-1].body
    assert "营商环境国家政策汇编" not in cases[-1].body


def test_003_policy_document_is_one_article_with_its_date(sample_text):
    found, cases = titles("003", sample_text)
    assert found == ["关于纵深推进“最多跑一次”改革 着力打造中国营商环境最优城市的实施意见"]
    assert cases[0].published == "2018-07-06"
    assert cases[0].body.startswith("为深入贯彻习近平总书记")
    assert "扫码分享到手机" not in cases[0].body and "责任编辑" not in cases[0].body


def test_page_numbers_and_form_feeds_mark_page_breaks():
    text = (
        "目录\n甲省：第一个案例....1\n乙市：第二个案例....2\n\n"
        "甲省：第一个案例\n这一段在页面底部被截断，下一页接着写的内容还没有结束，所以\n- 1 -\n"
        "汇编名称（11.01-11.07）\n后半句在这里。\n\f汇编名称（11.01-11.07）\n乙市：第二个案例\n正文。\n"
        "第 2 页\n汇编名称（11.01-11.07）\n"
    )
    split = split_compilation(text)
    cases, problems = split.cases, split.problems
    assert problems == []
    assert [c.title for c in cases] == ["甲省：第一个案例", "乙市：第二个案例"]
    assert cases[0].body == "这一段在页面底部被截断，下一页接着写的内容还没有结束，所以后半句在这里。"
    assert cases[1].body == "正文。"


def test_missing_heading_is_reported_not_silently_dropped():
    text = "目录\n甲省：第一个案例\t1\n乙市：不存在的标题\t2\n\n甲省：第一个案例\n正文一。\n"
    split = split_compilation(text)
    cases, problems = split.cases, split.problems
    assert [c.title for c in cases] == ["甲省：第一个案例"]
    assert problems == ["heading not found for table-of-contents entry '乙市：不存在的标题'"]


def test_region_headings_split_a_compilation_without_toc():
    text = (
        "吉林省四平市：创新开展承诺制审批\n正文第一篇。\n"
        "江苏省镇江市：财政局巧用加减乘除\n正文第二篇。\n"
        "辽宁省朝阳市：四大专项行动\n正文第三篇。\n"
    )
    split = split_compilation(text)
    cases = split.cases
    assert [c.title for c in cases] == [
        "吉林省四平市：创新开展承诺制审批",
        "江苏省镇江市：财政局巧用加减乘除",
        "辽宁省朝阳市：四大专项行动",
    ]
    assert [c.body for c in cases] == ["正文第一篇。", "正文第二篇。", "正文第三篇。"]


def test_toc_is_only_parsed_after_a_toc_heading(sample_text):
    assert parse_toc(split_units(sample_text("001")).units) is None
    _, entries, _ = parse_toc(split_units(sample_text("002")).units)
    assert len(entries) == 38


@pytest.mark.parametrize("numeral, value", [("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23)])
def test_chinese_numerals(numeral, value):
    assert chinese_numeral(numeral) == value


def test_a_short_heading_before_a_page_break_stays_a_heading():
    text = "甲省：案例\n一、实施时间\n- 2 -\n从 2021 年 11 月起，建立制度。\n流程再造\n\f\n在线打破部门职能边框。\n"
    lines = split_units(text)
    assert join_units(lines.units, lines.width) == ["甲省：案例", "一、实施时间", "从 2021 年 11 月起，建立制度。", "流程再造", "在线打破部门职能边框。"]
