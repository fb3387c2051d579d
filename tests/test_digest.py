"""The weekly digest: what it holds, how it reads, and that scraped text never becomes markup."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from markdown_it import MarkdownIt

import classify
import store
from digests import build_digest, parse_week, render_html, render_markdown, render_text, week_of, week_range, write_digest
from digests.build import REVIEW_BELOW
from scrapers import Article, Document, SourceResult
from store import reports

WEEK = "2026-W48"
BODY = "杭州市推行企业开办“一件事”改革，整合登记、刻章、申领发票等事项。改革后企业开办压缩至0.5个工作日，实现零费用。"


def scores(top: str, confidence: float, runner_up: str = "government_services", third: str = "market_regulation") -> dict:
    rest = (1 - confidence) / 17
    values = {slug: rest for slug in classify.SLUGS}
    values.update({top: confidence, runner_up: rest * 4, third: rest * 2}) if top else values.update({runner_up: confidence, third: rest * 3})
    return values


def add_cases(db, cases: list[dict], source: str = "web", title: str | None = "省营商办网站", week: str = WEEK, errors=(), documents=()) -> list[str]:
    """Save articles of one source in a run of `week`, with the model's decisions."""
    store.save_indicators(db, classify.INDICATORS)
    run = f"run-{week}-{source}-{len(list(db['runs'].rows))}"
    store.start_run(db, run, week)
    articles = [
        Article(
            title=c["title"], body=c.get("body", BODY), url=c.get("url", f"https://gov.example.cn/{abs(hash(c['title']))}.html"),
            source=source, region=c.get("region", "浙江省杭州市"), published=c.get("published"), document=c.get("document"),
        )
        for c in cases
    ]
    result = SourceResult(source, "site", articles=articles, documents=list(documents), errors=list(errors))
    ids = store.save_source_result(db, result, "https://gov.example.cn/", run, week, title)
    decisions = {}
    for c in cases:
        key = store.article_id(c["title"], c.get("body", BODY))
        if key not in ids:
            continue
        indicator, confidence = c.get("indicator", "starting_business"), c.get("confidence", 0.9)
        decisions[key] = {
            "primary": indicator,
            "confidence": confidence,
            "secondary": c.get("secondary", []),
            "terms": ["企业开办"],
            "scores": scores(indicator, confidence),
        }
    store.save_decisions(db, decisions)
    return ids


def markdown_html(text: str) -> str:
    """The Markdown as a CommonMark renderer (with GFM tables) shows it."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def test_week_of_uses_shanghai_time():
    # Sunday 20:00 UTC is already Monday in Shanghai: the next ISO week.
    assert week_of(datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc)) == "2026-W48"
    assert week_of(datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc), tz="UTC") == "2026-W47"
    assert [str(d) for d in week_range("2026-W48")] == ["2026-11-23", "2026-11-29"]


@pytest.mark.parametrize("bad", ["2026-48", "2026-W60", "2025-W53", "W48"])
def test_bad_weeks_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_week(bad)


def test_indicators_with_cases_in_official_order_and_the_quiet_ones_in_one_line(db):
    add_cases(db, [
        {"title": "纳税服务“一网通办”", "indicator": "taxes"},
        {"title": "开办企业一日办结", "indicator": "starting_business"},
        {"title": "政务服务“好差评”", "indicator": "government_services"},
    ])
    text = render_markdown(build_digest(db, WEEK))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## 本周概览", "## 1. 企业开办（1）", "## 13. 纳税（1）", "## 17. 政务服务（1）", "## 待复核（0）", "## 数据源状态"]
    quiet = [line for line in text.splitlines() if line.startswith("本周无案例的指标：")]
    assert len(quiet) == 1 and "劳动力市场监管" in quiet[0] and "纳税" not in quiet[0]
    assert "本周暂无" not in text
    assert "| 1\\. 企业开办 | 1 | " in text or "| 1. 企业开办 | 1 | " in text


def test_header_gives_dates_counts_and_the_change_against_four_weeks(db):
    add_cases(db, [{"title": f"往期案例{i}"} for i in range(4)], week="2026-W46")
    add_cases(db, [{"title": "本周案例甲", "region": "浙江省杭州市"}, {"title": "本周案例乙", "region": "陕西省西安市"}])
    digest = build_digest(db, WEEK)
    assert (digest.articles, digest.regions, digest.sources) == (2, 2, 1)
    assert digest.previous == [("2026-W44", 0), ("2026-W45", 0), ("2026-W46", 4), ("2026-W47", 0)]
    assert digest.trend == "较前四周平均（每周 1.0 篇）增加 100%"
    text = render_markdown(digest)
    assert text.startswith("# 营商环境改革案例周报 · 2026年第48周\n\n2026年11月23日至11月29日（2026-W48）· 本周新收录 **2** 篇，来自 2 个地区、1 个来源")


def test_an_entry_names_source_title_region_date_confidence_secondary_and_links_its_page(db):
    add_cases(db, [{
        "title": "不动产登记与抵押一窗办", "indicator": "property_registration", "confidence": 0.83,
        "secondary": ["credit"], "published": "2026-11-20", "url": "https://gov.example.cn/a.html",
    }])
    text = render_markdown(build_digest(db, WEEK))
    short = store.article_id("不动产登记与抵押一窗办", BODY)[:8]
    assert f"- **[不动产登记与抵押一窗办](https://gov.example.cn/a.html)**\\\n  浙江省杭州市 · 省营商办网站 · 发布于 2026-11-20 · 置信度 0.83 · 兼及：获得信贷 · 编号 {short}\\\n" in text
    assert "来源：web" not in text and "· web ·" not in text


def test_a_case_from_a_compilation_names_the_compilation_by_its_title_never_its_file_name(db):
    document = Document("f" * 64, "001_213e3ce8f5cd92cf.txt", "/inbox/001_213e3ce8f5cd92cf.txt", "inbox", "document", title="营商环境典型案例汇编（第二期）")
    add_cases(db, [{"title": "企业注销“一网通办”", "url": "/inbox/001_213e3ce8f5cd92cf.txt", "document": "f" * 64}], source="inbox", title="邮件收到的汇编", documents=[document])
    untitled = Document("a" * 64, "汇编.pdf", "/inbox/汇编.pdf", "inbox", "document")
    add_cases(db, [{"title": "不动产登记一窗办", "url": "/inbox/汇编.pdf", "document": "a" * 64}], source="inbox", title="邮件收到的汇编", documents=[untitled])
    text = render_markdown(build_digest(db, WEEK))
    assert "- **企业注销“一网通办”**\\\n  浙江省杭州市 · 邮件收到的汇编 · 《营商环境典型案例汇编（第二期）》 · 置信度 0.90" in text
    assert "- **不动产登记一窗办**\\\n  浙江省杭州市 · 邮件收到的汇编 · 置信度 0.90" in text
    assert "001" not in text and "213e3ce8" not in text and "汇编.pdf" not in text and "汇编\\.pdf" not in text
    assert "](/inbox" not in text  # a file path is not a link


def test_summary_states_what_was_done_and_its_result_not_lead_ins_or_quotes():
    from digests import summarise

    listing = "一是整合“简化办”。取消了交易确认单、告知书等前置登记要件，重新梳理申请资料，精简办理流程。目前一般登记、抵押登记业务均压缩至4个工作日内办结。"
    summary = summarise(listing).text
    assert not summary.startswith("一是") and "压缩至4个工作日内办结" in summary
    quoted = "“这个对接会太及时了，解决了公司燃眉之急。”近日，白山市政数局联合银行召开银企对接会。企业开办时间从原来的11天压缩至1天，提交的材料减少了近90%。"
    summary = summarise(quoted).text
    assert not summary.startswith("“") and "压缩至1天" in summary
    numbered = "八项重点任务清单：\n\n1、持续推进“办不成事”反映窗口建设工作。\n\n进一步完善“办不成事”反映问题办理机制，精简问题办理流程、缩短办理时限，全面提升窗口工作质效。"
    assert summarise(numbered).text.startswith("进一步完善")
    heading = "一、主要做法\n\n推动办事简约高效\n\n潜江市立足群众简单办事、简单办成一件事的需求，推行一事联办。后续内容很短。"
    assert summarise(heading).text.startswith("潜江市立足群众简单办事")
    assert len(summarise("很长的句子，" * 60 + "。").text) <= 101


def test_figures_that_matter_are_found_measured_and_highlighted():
    from digests import find_figures

    text = "开办时间压缩至0.5个工作日，环节减少至2个环节，实现零费用，不动产登记1天办结。10月19日完成首宗项目。"
    figures = find_figures(text)
    assert [(f.text, f.kind, f.value) for f in figures] == [
        ("压缩至0.5个工作日", "time", 0.5), ("减少至2个环节", "steps", 2.0), ("零费用", "cost", 0.0), ("1天办结", "time", 1.0),
    ]
    assert find_figures("壓縮至三個工作日")[0].text == "壓縮至三個工作日"  # shown as published, measured in Simplified
    assert find_figures("壓縮至三個工作日")[0].value == 3.0


def test_figure_searches_skipped_by_their_prefilter_would_have_found_nothing():
    """`FIGURE_NEEDS` only skips searches: on every sentence of the samples and corpus, and on texts
    made to hold each pattern's matches, every pattern finds what it finds without the prefilter."""
    from pathlib import Path

    from digests.summary import FIGURE_NEEDS, FIGURE_RES, figure_count, find_figures, split_sentences
    from zhtext import to_simplified

    root = Path(__file__).resolve().parent.parent / "data"
    texts = [s for path in sorted(root.glob("samples/*.txt")) + sorted(root.glob("corpus/*.txt")) for s in split_sentences(path.read_text(encoding="utf-8"))]
    texts += ["由原来的3个环节整合为1个环节", "只需1个工作日", "仅2天", "全程免费", "零跑动", "压缩了约40%", "三个工作日内办结", "半天即可拿证"]
    found = [0] * len(FIGURE_RES)
    assert len(FIGURE_NEEDS) == len(FIGURE_RES)
    for text in map(to_simplified, texts):
        for k, (pattern, needs) in enumerate(zip(FIGURE_RES, FIGURE_NEEDS)):
            matches = [m.span() for m in pattern.finditer(text)]
            found[k] += len(matches)
            assert needs.search(text) or not matches, (pattern.pattern, text)
        assert figure_count(text) == len(find_figures(text))
    assert all(found) and sum(found) > 60, found  # figures of every kind: each prefilter was put to the test


def _loop_centrality(sentences: list[str], iterations: int = 30, damping: float = 0.85) -> list[float]:
    """TextRank as it was written before it was batched: a Python loop over each two sentences' bigram sets."""
    import math
    import re

    import numpy as np

    grams = [(lambda bare: {bare[i : i + 2] for i in range(len(bare) - 1)})(re.sub(r"[\s\W_]+", "", s)) for s in sentences]
    n = len(grams)
    weights = np.zeros((n, n))
    logs = [math.log(len(g)) if len(g) > 1 else None for g in grams]
    for i in range(n):
        for j in range(i + 1, n):
            if logs[i] is not None and logs[j] is not None and (shared := len(grams[i] & grams[j])):
                weights[i, j] = weights[j, i] = shared / (logs[i] + logs[j])
    totals = np.zeros(n)
    for j in range(n):
        totals += weights[:, j]
    totals[totals == 0.0] = 1.0
    scores = np.ones(n)
    for _ in range(iterations):
        scores = (1 - damping) + damping * np.add.reduce(weights * scores[:, None] / totals[:, None], axis=0)
    top = max(scores.tolist(), default=1.0) or 1.0
    return [s / top for s in scores.tolist()]


def test_sentences_ranked_together_get_the_same_floats_as_ranked_one_case_at_a_time():
    """The batched TextRank (bigrams as numbers, a week's cases in one array) gives each case the
    scores of a loop over its sentences, bit for bit; so does summarise_all the summaries of summarise."""
    import random
    from pathlib import Path

    from digests.summary import _bigram_codes, _centralities, centrality, split_sentences, summarise, summarise_all

    rng = random.Random(7)
    root = Path(__file__).resolve().parent.parent / "data"
    sentences = [s for path in sorted(root.glob("samples/*.txt"))[:6] for s in split_sentences(path.read_text(encoding="utf-8"))]
    # Cases of 0 to 80 sentences: real ones, and short ones of few characters that share many bigrams or none.
    groups = [rng.sample(sentences, rng.choice([1, 2, 5, 19, 40, 80])) for _ in range(12)]
    groups += [["".join(rng.choice("甲乙丙丁，") for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 12))] for _ in range(300)]
    owner, bigram = _bigram_codes([s for group in groups for s in group])
    together = _centralities(owner, bigram, [len(group) for group in groups])
    assert together == [_loop_centrality(group) for group in groups]
    assert centrality(groups[0]) == _loop_centrality(groups[0]) and centrality([]) == []
    assert any(0 < score < 1 for ranks in together for score in ranks)  # not all ones: the weights were put to the test
    cases = [("".join(group), rng.choice(["", "企业开办", group[0][:12]])) for group in groups[:12]] + [("", ""), ("一、标题", "")]
    assert summarise_all(cases) == [summarise(body, title) for body, title in cases]


def test_figures_sit_beside_the_corpus_best_figure_of_the_same_measure(db):
    add_cases(db, [{"title": "企业开办提速", "body": BODY}])
    digest = build_digest(db, WEEK)
    (section,) = digest.sections
    assert section.best == ["办理环节2个", "办理时间0.5个工作日", "办理成本0元"]
    text = render_markdown(digest)
    assert "> 全国最佳指标：办理环节2个；办理时间0.5个工作日；办理成本0元" in text
    assert "关键数字：**压缩至0.5个工作日**（全国最佳：办理时间0.5个工作日）；**零费用**（全国最佳：办理成本0元）" in text
    assert "改革后企业开办**压缩至0.5个工作日**，实现**零费用**。" in text
    html = render_html(digest)
    assert '<strong style="background:#fff3bf;color:#7c2d12">压缩至0.5个工作日</strong>' in html


def test_the_same_case_in_two_compilations_is_listed_once_with_see_also(db):
    add_cases(db, [{"title": "浙江省杭州市：企业开办一日办结", "url": "https://a.example.cn/1.html", "confidence": 0.9}], source="a", title="甲网站")
    add_cases(db, [{"title": "企业开办一日办结", "body": BODY + "另有说明。", "url": "https://b.example.cn/2.html", "confidence": 0.8}], source="b", title="乙汇编")
    digest = build_digest(db, WEEK)
    assert digest.articles == 2 and digest.cases == 1
    text = render_markdown(digest)
    assert text.count("企业开办一日办结") == 1
    assert "另见：[乙汇编](https://b.example.cn/2.html)" in text
    assert "（合并重复后 1 个案例）" in text


def test_a_case_listed_in_an_earlier_week_points_to_that_digest(db):
    add_cases(db, [{"title": "企业开办一日办结"}], week="2026-W47")
    add_cases(db, [{"title": "陕西省：企业开办一日办结", "body": "另一份汇编里的同一个案例。企业开办压缩至1天。"}], source="other", title="丙汇编")
    text = render_markdown(build_digest(db, WEEK))
    assert "另见：[往期周报 2026-W47（省营商办网站）]" in text


def test_earlier_cases_read_once_give_each_week_the_digest_its_own_reads_give(db):
    """`EarlierCases` (the store's cases read once for many weeks' digests) points to the same earlier
    digests as each week's own query, the weeks taken in order, backwards or repeated."""
    from digests import EarlierCases

    for number, week in enumerate(["2026-W44", "2026-W45", "2026-W46", "2026-W47"]):
        add_cases(db, [{"title": f"企业开办一日办结{'' if number % 2 else '（续）'}"}, {"title": f"第{number}周的另一个案例"}],
                  source=f"s{number}", title=f"第{number}个网站", week=week)  # fmt: skip
    add_cases(db, [{"title": "陕西省：企业开办一日办结"}, {"title": "浙江省：企业开办一日办结（续）"}], source="other", title="丙汇编")
    earlier = EarlierCases(db)
    weeks = ["2026-W45", "2026-W47", WEEK, "2026-W46", WEEK, "2026-W44"]
    texts = [render_markdown(build_digest(db, week, earlier=earlier)) for week in weeks]
    assert texts == [render_markdown(build_digest(db, week)) for week in weeks]
    assert texts[2].count("往期周报") >= 2  # the week's cases were seen before: the earlier cases were put to the test


def test_review_lists_unclassified_cases_with_top_three_guesses_and_low_confidence_ones(db):
    add_cases(db, [
        {"title": "说不清的案例", "indicator": None, "confidence": 0.38},
        {"title": "拿不准的案例", "indicator": "credit", "confidence": REVIEW_BELOW - 0.05},
        {"title": "人工改过的案例", "indicator": "taxes", "confidence": 0.2},
    ])
    db["articles"].update(store.article_id("人工改过的案例", BODY), {"label_source": "human"})
    digest = build_digest(db, WEEK)
    assert [e.title for e in digest.unclassified] == ["说不清的案例"]
    assert [e.title for e in digest.doubtful] == ["拿不准的案例"]
    text = render_markdown(digest)
    assert "## 待复核（2）" in text
    assert "可能是：政务服务 0.38 · 市场监管 " in text
    short = store.article_id("拿不准的案例", BODY)[:8]
    assert f"- 拿不准的案例（编号 {short}）：暂列「获得信贷」0.55；其次 政务服务" in text
    assert "置信度 0.55（待复核）" in text  # still listed under its indicator, once
    assert text.count("**[拿不准的案例]") == 1
    assert "人工标注" in text


def test_source_status_in_plain_chinese_with_the_detail_a_line_away(db):
    error = "cannot fetch https://gov.example.cn/list: HTTPSConnectionPool(host='gov.example.cn', port=443): Max retries exceeded"
    add_cases(db, [], source="down", title="某省政府网站", errors=[error])
    add_cases(db, [], source="quiet", title="安静的来源", week="2026-W47")
    add_cases(db, [{"title": "以前的案例"}], source="quiet", title="安静的来源", week="2026-W47")
    add_cases(db, [], source="quiet", title="安静的来源")
    broken = Document("e" * 64, "坏文件.pdf", "/inbox/坏文件.pdf", "inbox", "document", status="failed", error="corrupt or unreadable PDF: EOF marker not found", error_type="PdfReadError")
    add_cases(db, [], source="inbox", title="邮件汇编", errors=["坏文件.pdf: corrupt or unreadable PDF: EOF marker not found"], documents=[broken])
    add_cases(db, [{"title": "新案例"}], source="ok", title="正常的来源")
    statuses = {s.title: s for s in build_digest(db, WEEK).statuses}
    assert statuses["某省政府网站"].state == "无法访问" and not statuses["某省政府网站"].ok
    assert statuses["安静的来源"].state == "本周无新内容（以往共收录 1 篇）"
    assert statuses["邮件汇编"].state == "1 个文件未能读取"
    assert statuses["正常的来源"].state == "正常，本周新增 1 篇"
    text = render_markdown(build_digest(db, WEEK))
    assert "- 某省政府网站：无法访问\\\n  技术细节：cannot fetch https://gov.example.cn/list: HTTPSConnectionPool(host='gov.example.cn', port=443): Max retries exceeded\n" in text
    assert "采集异常的来源 2 个" in text


def test_a_failure_cleared_by_a_later_run_is_not_shown(db):
    add_cases(db, [], source="flaky", title="时好时坏的网站", errors=["HTTP 403 Forbidden"])
    statuses = build_digest(db, WEEK).statuses
    assert [(s.title, s.state) for s in statuses] == [("时好时坏的网站", "被拦截")]
    db["fetch_errors"].update(1, {"at": "2000-01-01T00:00:00+00:00"})  # the failing save came first
    add_cases(db, [{"title": "恢复后的案例"}], source="flaky", title="时好时坏的网站")
    statuses = build_digest(db, WEEK).statuses
    assert [(s.title, s.state, s.details) for s in statuses] == [("时好时坏的网站", "正常，本周新增 1 篇", [])]


@pytest.mark.parametrize(
    "error, kind",
    [
        ("HTTPSConnectionPool(host='x.gov.cn', port=443): Max retries exceeded with url: / (Caused by ConnectTimeoutError)", "无法访问"),
        ("HTTP 403 Forbidden", "被拦截"),
        ("disallowed by robots.txt", "被拦截"),
        ("HTTP 404 Not Found", "页面不存在"),
        ("a.pdf: corrupt or unreadable PDF: EOF marker not found", "文件损坏"),
        ("a.pdf: PDF has no extractable text (scanned images?)", "文件无文字（可能是扫描件）"),
        ("inbox folder /srv/inbox does not exist", "找不到文件夹"),
    ],
)
def test_errors_are_explained_in_plain_chinese(error, kind):
    from digests import explain_error

    assert explain_error(error) == kind


HOSTILE = {
    "title": "<script>alert(1)</script> | 表格 | *重点* ~~~",
    "body": "~~~\n<img src=x onerror=alert(1)>推行改革，企业开办压缩至1天。[点我](javascript:alert(1)) | a | b |",
    "url": "javascript:alert(1)",
}


def test_scraped_and_configured_text_never_becomes_markup(db):
    add_cases(db, [HOSTILE], source="evil", title="<img src=x onerror=alert(1)>", errors=["<script>alert('err')</script>"])
    digest = build_digest(db, WEEK)
    html = render_html(digest)
    for tag in ("<script", "<img", 'href="javascript'):
        assert tag not in html.lower()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render_markdown(digest)
    rendered = markdown_html(markdown)
    for tag in ("<script", "<img", 'href="javascript', "<pre", "<code", "<em>重点</em>"):
        assert tag not in rendered.lower()
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    # The title stays one paragraph line: `|` does not add table cells, `~~~` does not open a code block.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | 表格 | *重点* ~~~</strong>" in rendered
    assert rendered.count("<table>") == 1  # only the overview


def test_simplified_setting_shows_titles_and_summaries_in_simplified(db):
    add_cases(db, [{"title": "寶雞市鳳縣打造企業便利化注銷“四辦”模式", "body": "寶雞市鳳縣全面推行“專窗辦、一網辦”，實現企業注銷便利化，注銷時間壓縮至1天。"}])
    as_published = render_markdown(build_digest(db, WEEK))
    assert "寶雞市鳳縣打造企業便利化注銷" in as_published and "壓縮至1天" in as_published
    simplified = render_markdown(build_digest(db, WEEK, simplified=True))
    assert "宝鸡市凤县打造企业便利化注销" in simplified and "寶" not in simplified
    assert "标题和摘要已统一为简体" in simplified


def test_write_digest_writes_both_files_keeps_them_in_the_store_and_is_idempotent(db, tmp_path):
    add_cases(db, [{"title": "开办企业一日办结"}])
    path = write_digest(db, WEEK, tmp_path / "out")
    assert path == tmp_path / "out" / "2026-W48.md"
    html = path.with_suffix(".html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "开办企业一日办结" in html
    row = reports.digest(db, WEEK)
    assert row["markdown"] == path.read_text(encoding="utf-8") and row["html"] == html
    assert row["subject"] == "营商环境改革案例周报 · 2026年第48周（2026-W48）· 1 个案例"
    assert "开办企业一日办结" in row["text"] and "<" not in row["text"]
    assert row["sent_at"] is None and row["recipients"] == []
    db["digests"].update(WEEK, {"sent_at": "2026-11-23T00:00:00+00:00", "recipients": json.dumps(["a@example.cn"])})
    before = reports.digest(db, WEEK)
    write_digest(db, WEEK, tmp_path / "out")
    assert reports.digest(db, WEEK) == before  # nothing changed, nothing written
    add_cases(db, [{"title": "补充的案例"}])  # e.g. `casewatch ingest` adds a case to the week
    write_digest(db, WEEK, tmp_path / "out")
    after = reports.digest(db, WEEK)
    assert "补充的案例" in after["markdown"] and after["sent_at"] == before["sent_at"]


def test_plain_text_part_reads_without_markup(db):
    add_cases(db, [{"title": "开办企业一日办结", "url": "https://gov.example.cn/a.html"}])
    text = render_text(build_digest(db, WEEK))
    assert "== 1. 企业开办（1）==" in text
    short = store.article_id("开办企业一日办结", BODY)[:8]
    assert f"* 开办企业一日办结\n  浙江省杭州市 · 省营商办网站 · 置信度 0.90 · 编号 {short}\n" in text
    assert "  链接：https://gov.example.cn/a.html\n" in text
    assert "**" not in text and "\\" not in text


def test_readme_excerpt_is_the_digest_of_the_samples(tmp_path, samples_dir, model_path):
    import re
    from pathlib import Path

    from casewatch import pipeline

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    excerpt = re.search(r"```markdown\n(.*?)```", readme, re.S).group(1)
    db_path = tmp_path / "cw.db"
    pipeline.prepare_store(db_path)
    source = {"name": "samples", "title": "样例汇编", "kind": "inbox", "path": str(samples_dir)}
    store.start_run(store.open_db(db_path), "run", WEEK)
    pipeline.save(db_path, pipeline.collect(source, db_path), source, "run", WEEK)
    pipeline.classify_pending(db_path, model_path)
    markdown = write_digest(store.open_db(db_path), WEEK, tmp_path / "out").read_text(encoding="utf-8")
    lines = [line for line in excerpt.splitlines() if line and "…" not in line]
    assert len(lines) >= 15
    for line in lines:
        assert line in markdown.splitlines(), line
    for line in excerpt.splitlines():  # a line shortened with "…": each piece shown is in the digest
        for piece in line.split("…") if "…" in line else []:
            assert piece.strip() in markdown, piece


def test_sightings_from_the_store_show_as_see_also(db):
    (key,) = add_cases(db, [{"title": "开办企业一日办结", "url": "https://a.example.cn/1.html"}])
    db["sightings"].insert_all([
        {"article_id": key, "url": "https://a.example.cn/1.html", "source": "web"},
        {"article_id": key, "url": "https://b.example.cn/9.html", "source": "其他网站"},
    ])
    text = render_markdown(build_digest(db, WEEK))
    assert "另见：[其他网站](https://b.example.cn/9.html)" in text
    assert "另见：[省营商办网站]" not in text  # the page the entry links to is not "seen elsewhere"
