"""Regression tests: each defect of the splitter found on documents that are not the samples."""

from __future__ import annotations

from scrapers import split_compilation
from scrapers.compilation import unaccounted
from scrapers.text import join_units, split_units

PARA = "某市推行企业开办全程网办，压缩办理时间至0.5个工作日，实现零费用。"


def split(text: str, layout: str = "lines"):
    result = split_compilation(text, layout)
    assert not unaccounted(text, result), "every character is in a case or in named furniture"
    return result


def kinds(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for piece in result.furniture:
        out.setdefault(piece.kind, []).append(piece.text)
    return out


def test_a_retail_price_sentence_inside_a_case_is_not_an_advert():
    text = (
        "案例1：某市药品集中采购改革\n" + PARA + "\n治理后常用药零售价平均下降12%。\n第二段仍属于案例一。\n第三段也是。\n"
        "案例2：某县不动产登记改革\n" + PARA + "\n最后一段。\n"
    )
    cases = split(text).cases
    assert cases[0].body.split("\n\n") == [PARA, "治理后常用药零售价平均下降12%。", "第二段仍属于案例一。", "第三段也是。"]


def test_a_retail_price_sentence_in_the_last_case_is_kept_too():
    text = "案例1：甲\n" + PARA + "\n案例2：某市药品集采\n" + PARA + "\n治理后常用药零售价平均下降12%。\n后续成效明显。\n"
    assert split(text).cases[-1].body.endswith("治理后常用药零售价平均下降12%。\n\n后续成效明显。")


def test_an_advert_after_the_last_case_is_recorded_not_kept():
    text = "案例1：甲\n" + PARA + "\n案例2：乙\n" + PARA + "\n《营商环境政策汇编》\n统一零售价299元，欢迎垂询。\n扫码立即抢购\n"
    result = split(text)
    assert result.cases[-1].body == PARA
    assert kinds(result)["advert"] == ["《营商环境政策汇编》", "统一零售价299元，欢迎垂询。", "扫码立即抢购"]


def test_site_footer_is_furniture_not_the_last_cases_body():
    text = (
        "案例1：甲市改革\n" + PARA + "\n案例2：乙市改革\n" + PARA + "\n"
        "责任编辑：张三\n版权所有：某某市人民政府办公室\n联系电话：0571-12345678\n网站标识码：3301000001\n"
    )
    result = split(text)
    assert result.cases[-1].body == PARA
    assert kinds(result)["footer"] == [
        "责任编辑：张三", "版权所有：某某市人民政府办公室", "联系电话：0571-12345678", "网站标识码：3301000001"
    ]


def test_a_lone_number_in_a_web_or_word_block_is_content_not_a_page_number():
    text = "某市压减审批时间\n压减至\n1\n个工作日。\n"
    result = split(text, "blocks")
    assert "1" in result.cases[0].body.split("\n\n")
    assert "page_number" not in kinds(result)


def test_a_short_subheading_is_not_glued_to_the_next_paragraph_in_text_without_wrapping():
    subheading = "深化工程建设项目审批制度改革推动项目早落地早见效"  # 24 characters, no end punctuation
    paragraphs = [PARA * 3, subheading, PARA * 2, "持续优化营商环境的其他举措与取得成效", PARA * 4]
    lines = split_units("\n".join(paragraphs))
    assert lines.width is None  # one paragraph per line: no hard wrapping
    assert join_units(lines.units, lines.width) == paragraphs


def test_docx_and_html_blocks_are_never_joined():
    blocks = ["第一段没有句号而且相当长相当长相当长相当长相当长相当长相当长相当长相当长相当长相当长", "第二段"]
    lines = split_units("\n".join(blocks), "blocks")
    assert join_units(lines.units, lines.width, lines.layout) == blocks


def test_hard_wrapped_text_is_joined_at_its_own_width():
    paragraph = "这是一个被排版硬换行的段落" * 12 + "。"
    width = 30
    wrapped = [paragraph[i : i + width] for i in range(0, len(paragraph), width)]
    text = "\n".join(["标题行没有句号"] + wrapped + ["短小标题"] + wrapped)
    lines = split_units(text)
    assert lines.width is not None and lines.width <= width
    assert join_units(lines.units, lines.width) == ["标题行没有句号", paragraph, "短小标题", paragraph]


def test_two_cases_headed_by_chinese_numerals_are_two_cases():
    text = "一、杭州市推行“亲清在线”无感审批\n" + PARA + "\n二、宁波市企业简易注销改革\n" + PARA + "\n"
    result = split(text)
    assert [c.title for c in result.cases] == ["杭州市推行“亲清在线”无感审批", "宁波市企业简易注销改革"]
    assert result.problems == []


def test_numbered_sections_of_one_case_do_not_make_a_compilation():
    text = (
        "某市探索“一件事”集成改革\n一、基本情况\n" + PARA + "\n二、主要做法\n" + PARA + "\n三、取得成效\n" + PARA + "\n"
    )
    result = split(text)
    assert [c.title for c in result.cases] == ["某市探索“一件事”集成改革"]
    assert "一、基本情况" in result.cases[0].body and "三、取得成效" in result.cases[0].body


def test_headings_that_run_on_into_their_paragraph_are_sections_not_cases():
    text = (
        "某区民政局多措并举优化营商环境\n"
        "一、积极推进改革工作。自2018年起，全区推行养老服务设施备案制。\n"
        "二、提供政策有效保障。实施市区两级补贴。\n"
        "三、大力支持民营机构发展。引进社会资本。\n"
    )
    result = split(text)
    assert [c.title for c in result.cases] == ["某区民政局多措并举优化营商环境"]


def test_case_numbers_have_no_upper_limit():
    text = "".join(f"案例{n}：第{n}个案例的标题\n正文{n}。\n" for n in range(1, 10_001))
    result = split(text)
    assert len(result.cases) == 10_000
    assert result.cases[-1].title == "第10000个案例的标题" and result.cases[-1].body == "正文10000。"


def test_a_document_without_headings_says_so():
    text = "某市优化营商环境工作总结\n" + "\n".join([PARA] * 5)
    result = split(text)
    assert len(result.cases) == 1
    assert result.problems == ["no case headings found: the document is kept as one case"]


def test_joining_unpunctuated_lines_is_linear():
    # 2 MB of one paragraph hard-wrapped at 30 characters: quadratic joining would copy ~70 GB.
    lines = [f"无标点的长段落文字无标点的长段落文字第{n:06d}行" for n in range(70_000)]
    units = split_units("\n".join(lines))
    paragraphs = join_units(units.units, units.width)
    assert paragraphs == ["".join(lines)]
