"""The weekly Markdown digest."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import classify
from digests import build_digest, parse_week, render_markdown, summarise, week_of, week_range

INDICATORS = [{"slug": i.slug, "number": i.number, "name": i.name} for i in classify.INDICATORS]


def article(title, indicator, confidence=0.8, body="正文第一句，说明改革的主要内容和成效。第二句。", **extra):
    return dict(title=title, indicator=indicator, confidence=confidence, body=body, region="浙江省杭州市", source="inbox", **extra)


def test_week_of_uses_shanghai_time():
    # Sunday 20:00 UTC is already Monday in Shanghai: the next ISO week.
    assert week_of(datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc)) == "2026-W48"
    assert week_of(datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc), tz="UTC") == "2026-W47"
    assert [str(d) for d in week_range("2026-W48")] == ["2026-11-23", "2026-11-29"]


@pytest.mark.parametrize("bad", ["2026-48", "2026-W60", "2025-W53", "W48"])
def test_bad_weeks_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_week(bad)


def test_digest_lists_indicators_in_official_order_with_review_and_failures():
    articles = [
        article("纳税服务“一网通办”", "taxes", 0.9),
        article("开办企业一日办结", "starting_business", 0.7),
        article("说不清的案例", None, 0.2),
    ]
    failures = [{"source": "某省政府网站", "error": "HTTP 404"}]
    text = render_markdown(build_digest("2026-W48", articles, INDICATORS, failures))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## 本周概览"
    assert headings[1] == "## 1. 企业开办（1 篇）"
    assert headings[13] == "## 13. 纳税（1 篇）"
    assert headings[18] == "## 18. 包容普惠创新（0 篇）"
    assert headings[19:] == ["## 待复核：未能确定指标的案例（1 篇）", "## 采集失败的来源"]
    assert "2026年11月23日至11月29日（2026-W48） · 本周新收录 **3** 篇，已归入指标 2 篇，待复核 1 篇；采集失败的来源 1 个。" in text
    assert "- **开办企业一日办结**（浙江省杭州市）· 来源：inbox · 置信度 0.70\\\n  正文第一句" in text
    assert "- 某省政府网站：HTTP 404" in text
    assert text.count("本周暂无。") == 16


def test_titles_cannot_inject_markdown():
    text = render_markdown(build_digest("2026-W48", [article("*重要* [链接](x)", "taxes")], INDICATORS, []))
    assert "**\\*重要\\* \\[链接\\](x)**" in text


def test_summary_skips_subtitles_and_section_headings():
    body = "一、主要做法\n\n推动办事简约高效\n\n潜江市立足群众简单办事、简单办成一件事的需求，推行一事联办。后续内容。"
    assert summarise(body) == "潜江市立足群众简单办事、简单办成一件事的需求，推行一事联办。"
    assert summarise("很" * 100).endswith("…") and len(summarise("很" * 100)) == 70


def test_entries_show_secondary_indicators_terms_and_human_labels():
    articles = [
        article("政银合作不动产抵押登记", "property_registration", 0.8, secondary=["credit"], terms=["不动产登记", "抵押"]),
        article("人工改过的案例", "taxes", 1.0, label_source="human"),
    ]
    text = render_markdown(build_digest("2026-W48", articles, INDICATORS, []))
    # Each entry is three lines joined by hard line breaks (a backslash at the end).
    assert "· 来源：inbox · 置信度 0.80 · 兼及：获得信贷\\\n  正文第一句，说明改革的主要内容和成效。\\\n  关键词：不动产登记、抵押\n" in text
    assert "- **人工改过的案例**（浙江省杭州市）· 来源：inbox · 人工标注\\\n" in text
