"""Compilations are split into their cases, and one article's numbered sections stay one case.

Every document here is built from real case texts (the labelled cases of the bundled
samples, `data/labels/`, and the headings the sample compilation 004 prints), in TXT,
HTML and DOCX (with Word tables), and read the way a run reads it (`parse_document`).
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from html import escape
from pathlib import Path

import pytest

from scrapers import parse_document

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels"
FORMATS = ["txt", "html", "docx"]
TABLE = [["事项", "改革前", "改革后"], ["办理时间", "5个工作日", "0.5个工作日"], ["办理环节", "3个", "1个"]]


@lru_cache(maxsize=1)
def cases() -> dict[str, tuple[str, list[str]]]:
    """Labelled real cases by id: title and paragraphs."""
    found = {}
    for path in sorted(LABELS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[row["id"]] = (row["title"].strip(), [p.strip() for p in row["text"].split("\n") if p.strip()])
    return found


def body(case_id: str, skip: int = 0) -> list[str]:
    """A case's paragraphs that read as sentences (the labellers' subtitles and issuer lines left out)."""
    return [p for p in cases()[case_id][1][skip:] if len(p) > 40][:4]


def render(blocks: list[tuple[str, object]], fmt: str) -> bytes:
    """A document from blocks: ("title" | "heading" | "subhead" | "para", text) or ("table", rows)."""
    if fmt == "txt":
        lines = []
        for role, content in blocks:
            lines += ["\t".join(row) for row in content] if role == "table" else [content]
        return "\n".join(lines).encode("utf-8")
    if fmt == "html":
        html = []
        for role, content in blocks:
            if role == "table":
                rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in content)
                html.append(f"<table>{rows}</table>")
            elif role == "title":
                html.append(f"<h1>{escape(content)}</h1>")
            elif role == "heading":
                html.append(f"<h3>{escape(content)}</h3>")
            elif role == "subhead":
                html.append(f"<p><strong>{escape(content)}</strong></p>")
            else:
                html.append(f"<p>{escape(content)}</p>")
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>营商环境</title></head><body>'
            '<nav><a href="/">首页</a></nav><div class="TRS_Editor">' + "".join(html) + "</div></body></html>"
        )
        return page.encode("utf-8")
    import docx

    document = docx.Document()
    for role, content in blocks:
        if role == "table":
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        elif role == "title":
            document.add_heading(content, level=1)
        else:
            document.add_paragraph().add_run(content).bold = role in ("heading", "subhead")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def split(blocks, fmt: str):
    articles, document = parse_document(render(blocks, fmt), f"doc.{fmt}", f"file:///doc.{fmt}", "test")
    assert document.status == "ok", document.error
    assert not any("placed in no case" in p for p in document.problems)
    return articles


SUBHEADS = {
    "paren": ["（一）基本情况", "（二）主要做法", "（三）取得成效"],
    "bare": ["基本情况", "主要做法", "取得成效"],
    "arabic": ["1.基本情况", "2.主要做法", "3.取得成效"],
    "restart": ["一、基本情况", "二、主要做法", "三、取得成效"],
    "bracket": ["【基本情况】", "【主要做法】", "【成效与启示】"],
}
NUMERALS = "一二三四五六七八九十"


def compilation(title: str | None, picks: list[tuple[str, str]], subheads: str | None, table: bool, preamble: str | None = None):
    """Blocks of a compilation: cases (heading title, case id) under 一、二、…, each with sections and a table."""
    blocks = [("title", title)] if title else []
    if preamble:
        blocks.append(("para", preamble))
    expected = []
    for n, (heading, case_id) in enumerate(picks):
        paragraphs = body(case_id)
        blocks.append(("heading", f"{NUMERALS[n]}、{heading}"))
        if subheads:
            names = SUBHEADS[subheads]
            blocks += [("subhead", names[0]), ("para", paragraphs[0]), ("subhead", names[1])]
            blocks += [("para", p) for p in paragraphs[1:-1]]
            if table:
                blocks.append(("table", TABLE))
            blocks += [("subhead", names[2]), ("para", paragraphs[-1])]
        else:
            blocks += [("para", p) for p in paragraphs]
            if table:
                blocks.append(("table", TABLE))
        expected.append((heading, paragraphs))
    return blocks, expected


# (document title, [(case heading, case id)], subheads, table): real titles of real cases.
COMPILATIONS = {
    "two cases, titled 汇编（第二期）, （一） sections": (
        "营商环境典型案例汇编（第二期）",
        [("“亲清在线”无感智慧审批", "004-01"), ("“执行合同”一件事集成改革", "004-02")],
        "paren",
        False,
    ),
    "three cases, titled 创新实践案例, bare sections and a table": (
        "营商环境创新实践案例",
        [("浙里办106个事项智能秒办", "002-01"), ("加快74项政务服务跨省通办", "002-04"), ("政府采购1+3模式优化营商环境", "002-13")],
        "bare",
        True,
    ),
    "four cases, 1. sections, a table, a plain title": (
        "2022年第三季度优化营商环境经验做法",
        [("财政局巧用加减乘除优化营商环境", "002-25"), ("西安市创新推出技术交易信用贷", "001-07"),
         ("推行审判活动全流程网上办理模式", "001-02"), ("不动产登记中心多措并举 进一步优化营商环境", "002-31")],
        "arabic",
        True,
    ),
    "two cases whose sections restart at 一、": (
        "营商环境典型案例",
        [("宝鸡市凤县打造企业便利化注销四办模式", "001-01"), ("铜川市构建税费服务矩阵助推营商环境突破提升", "001-04")],
        "restart",
        True,
    ),
    "two cases, 【】 sections, no document title": (
        None,
        [("创新开展承诺制审批 实现快办行动加速跑", "002-22"), ("营商环境建设局做到五个坚持 打造一流营商环境", "002-28")],
        "bracket",
        False,
    ),
    "three cases of a 十佳 list without sections": (
        "2021年度全省营商环境改革创新十佳案例",
        [("“亲清在线”无感智慧审批", "004-01"), ("“执行合同”一件事集成改革", "004-02"), ("“企明星”政策治理集成数字化改革", "004-03")],
        None,
        True,
    ),
    "two cases with plain titles, titled 汇编（第二期）": (
        "营商环境典型案例汇编（第二期）",
        [("营商环境靓起来 竞争实力硬起来", "002-16"), ("多措并举 进一步优化营商环境", "002-31")],
        None,
        False,
    ),
    "two cases naming their regions, no title": (
        None,
        [("西安市推行分阶段施工许可改革", "001-10"), ("安康市高新区以信用管理激发12345市民热线效能", "001-22")],
        None,
        False,
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(COMPILATIONS))
def test_a_compilations_numbered_cases_are_cases(name, fmt):
    title, picks, subheads, table = COMPILATIONS[name]
    blocks, expected = compilation(title, picks, subheads, table and fmt != "txt")
    articles = split(blocks, fmt)
    assert [a.title for a in articles] == [heading for heading, _ in expected]
    for article, (_, paragraphs) in zip(articles, expected):
        assert article.body.startswith(SUBHEADS[subheads][0] if subheads else paragraphs[0])
        at = 0
        for paragraph in paragraphs:  # every paragraph of the case, in order, in its own case
            at = article.body.index(paragraph, at)
        assert not any(p in article.body for other in expected if other[1] is not paragraphs for p in other[1])


def single(title: str, sections: list[tuple[str, list[str]]], table: bool, dateline: str | None = None):
    """Blocks of one article: its title, then numbered sections (heading, paragraphs)."""
    blocks = [("title", title)] + ([("para", dateline)] if dateline else [])
    for n, (heading, paragraphs) in enumerate(sections):
        blocks.append(("heading", heading))
        blocks += [("para", p) for p in paragraphs]
        if table and n == 1:
            blocks.append(("table", TABLE))
    return blocks


def _sections_004(case_id: str, headings: list[str]) -> list[tuple[str, list[str]]]:
    """Sample 004's own subheadings of a case, numbered 一、二、…, each over the paragraph it heads."""
    paragraphs = cases()[case_id][1]
    out = []
    for n, heading in enumerate(headings):
        at = paragraphs.index(heading)
        out.append((f"{NUMERALS[n]}、{heading}", [p for p in paragraphs[at + 1 : at + 2]]))
    return out


SINGLES = {
    "generic sections 基本情况/主要做法/取得成效": lambda: single(
        "宝鸡市凤县打造企业便利化注销“四办”模式",
        [("一、基本情况", body("001-01")[:1]), ("二、主要做法", body("001-01")[1:3]), ("三、取得成效", body("001-01")[3:])],
        True,
    ),
    "generic sections with 下一步打算": lambda: single(
        "四川省广安市不动产登记中心多措并举 进一步优化营商环境",
        [("一、主要做法", body("002-31")[:2]), ("二、工作成效", body("002-31")[2:]), ("三、下一步打算", ["持续深化不动产登记制度改革，进一步压缩办理时间。"])],
        True,
    ),
    "measures of 004 as headings (推进企业注销全程网办 …)": lambda: single(
        "宁波市企业简易注销“一件事”改革",
        [(f"{NUMERALS[n]}、{h}", [body("004-06")[0] if n == 0 else f"围绕{h[2:]}，宁波市市场监管局会同相关部门细化措施，已全面落地。"])
         for n, h in enumerate(["推进企业注销全程网办", "推进企业注销简办易办", "推进特殊注销灵活办理"])],
        False,
    ),
    "measures of 004 as headings, clauses with a comma": lambda: single(
        "嘉兴市南湖区“企明星”政策治理集成数字化改革",
        _sections_004("004-03", [
            "创建“两库一台”底层架构,在大数据碰撞中生成政企互动新范式",
            "再造涉企政策“五个阶段”,在全流程闭环中形成政策治理新标准",
            "集成企业培育“八大模块”,在跨部门服务协同中再造惠企服务新机制",
        ]),
        True,
    ),
    "measures of 004 as short headings (流程再造 …)": lambda: single(
        "杭州市全面升级“亲清在线”数字化平台",
        _sections_004("004-01", ["流程再造", "集成贯通", "赋能基层", "制度创新"]),
        True,
        "2022-01-18 来源：杭州市发展和改革委员会",
    ),
    "headings that run on into their paragraph": lambda: single(
        "寶雞市鳳縣打造企業便利化注銷“四辦”模式",
        [(f"{NUMERALS[n]}、{p}", []) for n, p in enumerate(cases()["001-01"][1][1:4])],
        False,
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(SINGLES))
def test_one_articles_numbered_sections_are_one_case(name, fmt):
    blocks = SINGLES[name]()
    articles = split(blocks, fmt)
    assert [a.title for a in articles] == [blocks[0][1]]
    for role, content in blocks[1:]:
        if role in ("heading", "para") and not content.startswith("2022-01-18"):
            assert content in articles[0].body
