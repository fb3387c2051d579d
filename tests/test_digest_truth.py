"""The digest says only what is so: one test per way it used to say what isn't (issue 25, part 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import store
from casewatch import pipeline
from casewatch.config import ConfigError, load_config
from digests import build_digest, render_html, render_markdown, render_text, summarise, write_digest
from digests.summary import measure, parse_best_figures
from scrapers import Document, parse_document
from test_digest import BODY, WEEK, add_cases
from zhtext import to_simplified

ROOT = Path(__file__).resolve().parent.parent
# A stretch of sample 001 as it was published: its bytes were decoded with the wrong encoding.
MOJIBAKE = "優質“軟環境”?!绊椖抗芗摇惫ぷ髡"


def key_figures(text: str) -> str:
    return next(line for line in text.splitlines() if "关键数字" in line)


def test_a_figure_sits_beside_the_best_only_for_the_same_unit_and_procedure(db):
    add_cases(db, [
        # 10 minutes for one step is not the year's 纳税时间 (hours); the year's hours are.
        {"title": "办税服务厅发票申领提速", "indicator": "taxes",
         "body": "某市税务局推行发票申领“即来即办”，纳税人申领发票只需10分钟。全年纳税时间压缩至80小时，较上年减少12小时。"},
        # A step done in 1 working day is not the whole permit procedure of 49.5 working days.
        {"title": "竣工验收备案即办", "indicator": "construction_permits",
         "body": "某區推行竣工驗收備案告知承諾，備案1個工作日內完成。工程建设项目审批全流程压缩至40个工作日以内。"},
        # Calendar days are not working days.
        {"title": "不动产登记提速", "indicator": "property_registration", "body": "某市推行不动产登记“一窗办”，登记办理压缩至3天。"},
    ])
    text = render_markdown(build_digest(db, WEEK))
    assert "只需10分钟**（全国最佳" not in text and "1個工作日內完成**（全国最佳" not in text
    assert "**只需10分钟**；**压缩至80小时**（全国最佳：纳税时间90小时）" in text
    assert "**1個工作日內完成**；**压缩至40个工作日以内**（全国最佳：办理时间49.5个工作日）" in text
    assert "**压缩至3天**" in text and "压缩至3天**（全国最佳" not in text


def test_a_document_is_named_by_its_own_title_when_read():
    text = "营商环境典型案例汇编（第二期）\n一、杭州市推行“亲清在线”无感审批\n" + BODY + "\n二、宁波市企业简易注销改革\n" + BODY + "\n"
    articles, document = parse_document(text.encode(), "001_213e3ce8f5cd92cf.txt", "file:///x/001_213e3ce8f5cd92cf.txt", "inbox")
    assert len(articles) == 2 and document.title == "营商环境典型案例汇编（第二期）"
    single = "杭州市推行企业开办“一件事”改革\n" + BODY + "\n"
    _, document = parse_document(single.encode(), "0a1b2c3d4e5f6a7b.txt", "file:///x/0a1b2c3d4e5f6a7b.txt", "inbox")
    assert document.title == "杭州市推行企业开办“一件事”改革"  # no title of its own: its first heading


def test_summaries_start_at_a_sentence_and_skip_quotations_and_lead_ins():
    quoted = (
        "张世俊表示，将持续深化改革，把营商环境建设作为“一把手”工程。"
        "据了解，今年以来共办理业务1200件。"
        "某县推行“一件事一次办”，将企业开办涉及的6个事项整合为1个环节，办理时间压缩至0.5个工作日。"
    )
    summary = summarise(quoted).text
    assert summary.startswith("某县推行") and "张世俊" not in summary and "据了解" not in summary
    # A sentence broken over two blocks, and a clause after "；", are no sentence starts.
    broken = (
        "某市将优化营商环境作为全市中心工作，坚持把市场主体满意度作为检验标准，以数字化改革牵引各领域\n"
        "和营商环境建设作为“一把手”工程统筹推进，全市共压缩审批时间60%以上。\n"
        "某市推行工程建设项目“拿地即开工”，审批时间压缩至20个工作日；和以往相比减少一半以上。"
    )
    summary = summarise(broken).text
    assert not summary.startswith(("和", "以数字化")) and summary.startswith("某市")
    for text in (quoted, broken):
        assert not summarise(text).text.startswith(("和", "张世俊", "据了解"))


def test_mojibake_is_flagged_when_read_and_held_for_review_not_printed(db):
    text = "营商环境典型案例汇编\n一、杭州市推行“亲清在线”无感审批\n" + BODY + "\n二、西安市创新推出“技术交易信用贷”\n" + MOJIBAKE + "服务企业。" + BODY + "\n"
    articles, document = parse_document(text.encode(), "汇编.txt", "file:///x/汇编.txt", "inbox")
    assert len(articles) == 2  # nothing is lost
    (problem,) = [p for p in document.problems if "mojibake" in p]
    assert problem.startswith("mojibake in case 2 '西安市创新推出“技术交易信用贷”'")
    add_cases(db, [
        {"title": "杭州市推行“亲清在线”无感审批"},
        {"title": "西安市创新推出“技术交易信用贷”", "body": MOJIBAKE + "服务企业。" + BODY},
    ])
    digest = build_digest(db, WEEK)
    assert [e.title for e in digest.held] == ["西安市创新推出“技术交易信用贷”"]
    assert all(e.title != "西安市创新推出“技术交易信用贷”" for s in digest.sections for e in s.entries)
    for rendered in (render_markdown(digest), render_html(digest), render_text(digest)):
        assert "绊椖" not in rendered and "疑似乱码" in rendered
    assert "待复核 1 个" in render_markdown(digest)


def test_an_empty_week_reads_as_one_sentence(db):
    add_cases(db, [], source="quiet", title="安静的来源")
    text = render_markdown(build_digest(db, WEEK))
    assert text == "# 营商环境改革案例周报 · 2026年第48周\n\n2026年11月23日至11月29日（2026-W48）没有新收录的案例，1 个来源运行正常。\n\n"
    for rendered in (render_html(build_digest(db, WEEK)), render_text(build_digest(db, WEEK))):
        assert "没有新收录的案例，1 个来源运行正常。" in rendered
        assert "本周概览" not in rendered and "| 指标 |" not in rendered and "待复核" not in rendered


def test_failed_documents_are_listed_under_their_own_heading_in_chinese(db):
    broken = Document("e" * 64, "坏文件.pdf", "/inbox/坏文件.pdf", "manual", "document", status="failed",
                      error="corrupt or unreadable PDF: EOF marker not found", error_type="PdfReadError")
    add_cases(db, [], source="manual", title="manual", errors=["坏文件.pdf: corrupt or unreadable PDF: EOF marker not found"], documents=[broken])
    add_cases(db, [{"title": "新案例"}], source="ok", title="正常的来源")
    text = render_markdown(build_digest(db, WEEK))
    assert "## 采集失败的文件（1）\n\n- 坏文件.pdf（manual）：文件损坏，下次运行时重新读取\\\n  技术细节：corrupt or unreadable PDF: EOF marker not found\n" in text
    assert "manual：文件损坏" not in text
    # A list item, then a blank line before the next heading (it ran on into it).
    assert "## 采集失败的来源（1）\n\n- manual：1 个文件未能读取\n\n## 采集失败的文件" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for heading in ("采集失败的来源", "采集失败的文件"):  # the README names the headings the digest prints
        assert heading in readme and f"## {heading}" in text


def test_each_case_carries_a_short_id_and_its_datasette_link(db, tmp_path):
    (key,) = add_cases(db, [{"title": "开办企业一日办结"}])
    text = render_markdown(build_digest(db, WEEK))
    assert f" · 编号 {key[:8]}\\\n" in text and key[8:] not in text
    linked = build_digest(db, WEEK, base_url="http://127.0.0.1:8001/")
    assert f"[编号 {key[:8]}](http://127.0.0.1:8001/casewatch/articles/{key})" in render_markdown(linked)
    assert f'<a href="http://127.0.0.1:8001/casewatch/articles/{key}" style="color:#1d4ed8">编号 {key[:8]}</a>' in render_html(linked)
    # The short id is one copy away from `casewatch label`.
    db_path = tmp_path / "cw.db"
    file_db = store.open_db(db_path)
    (key,) = add_cases(file_db, [{"title": "开办企业一日办结"}])
    assert pipeline.save_labels(db_path, [(key[:8], "government_services")]) == 1
    assert file_db["articles"].get(key)["indicator"] == "government_services"


def test_digest_base_url_is_configured_and_checked(tmp_path):
    (tmp_path / "casewatch.toml").write_text('[digest]\nbase_url = "http://127.0.0.1:8001/"\n', encoding="utf-8")
    assert load_config(tmp_path / "casewatch.toml").digest_base_url == "http://127.0.0.1:8001"
    (tmp_path / "casewatch.toml").write_text('[digest]\nbase_url = "javascript:alert(1)"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="base_url must be an http"):
        load_config(tmp_path / "casewatch.toml")
    assert load_config(ROOT / "casewatch.toml").digest_base_url is None


def test_the_samples_digest_names_no_file_and_prints_no_mojibake(tmp_path, samples_dir, model_path):
    db_path = tmp_path / "cw.db"
    pipeline.prepare_store(db_path)
    source = {"name": "samples", "title": "样例汇编", "kind": "inbox", "path": str(samples_dir)}
    store.start_run(store.open_db(db_path), "run", WEEK)
    pipeline.save(db_path, pipeline.collect(source, db_path), source, "run", WEEK)
    pipeline.classify_pending(db_path, model_path)
    markdown = write_digest(store.open_db(db_path), WEEK, tmp_path / "out").read_text(encoding="utf-8")
    assert not re.search(r"\d{3}\\?_[0-9a-f]{16}|\.txt", markdown)
    assert "绊椖" not in markdown and "《2021年度全省营商环境改革创新十佳案例》" in markdown
    (held,) = re.findall(r"^- 编号 [0-9a-f]{8} · 样例汇编(?: · [^：]+)?：(.+)$", markdown, re.M)
    assert held == "咸陽市興平市創新“項目管家”服務機制 全方位保障高質量項目建設"
    pairs = re.findall(r"\*\*([^*]+)\*\*（全国最佳：([^）]+)）", markdown)
    assert pairs  # some figures are comparable, and each such pair measures in one unit
    for figure, best in pairs:
        assert measure(to_simplified(figure)).unit == parse_best_figures(best)[0].unit, (figure, best)
