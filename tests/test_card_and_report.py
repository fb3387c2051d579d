"""What `casewatch evaluate` prints and what the model card shows: aligned Chinese names, the same bytes for the same model."""

from __future__ import annotations

import json
from pathlib import Path

from wcwidth import wcswidth

import classify
from classify.evaluation import render_report
from classify.taxonomy import SLUGS

TEMPLATE = Path(classify.__file__).resolve().parent / "templates" / "model_card.md.j2"
CASES = [
    ("推行电子税务局，出口退税全程网上办理，纳税人办税时间压缩一半。", "taxes"),
    ("不动产登记与水电气过户联动办理，一般登记压缩至1个工作日。", "property_registration"),
    ("企业开办全程网办，营业执照、印章、发票一天办结。", "starting_business"),
    ("破产案件简易审理，管理人可在线查询债务人财产，平均审理周期缩短。", "insolvency"),
    ("知识产权快速维权中心受理专利侵权纠纷，知识产权创造、保护和运用水平提升。", "intellectual_property"),
]


def test_the_evaluate_table_aligns_chinese_indicator_names(model_path, tmp_path):
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps({"id": f"t{n}", "text": text, "primary": slug}, ensure_ascii=False) + "\n"
                            for n, (text, slug) in enumerate(CASES)), encoding="utf-8")
    report = classify.evaluate(classify.load_model(model_path), classify.read_examples(data))
    lines = render_report(report).splitlines()
    table = lines[lines.index("") + 1:]
    table = table[: table.index("")] if "" in table else table
    assert len(table) >= 4 and any("知识产权" in line for line in table)
    # Every row as wide as the header on a terminal, and each figure's column starts at the same place.
    assert {wcswidth(line) for line in table} == {wcswidth(table[0])}
    starts = {wcswidth(line[: line.index(line.split()[2])]) for line in table[1:]}
    assert len(starts) == 1


def test_top_terms_break_ties_by_name(model_path):
    model = classify.load_model(model_path)
    names = model._word_names()
    index = {name: i for i, name in enumerate(names)}
    terms = model.top_terms(30)
    for row, slug in enumerate(SLUGS):
        weights = model._weights(row)
        keyed = [(-float(weights[index[t]]), t) for t in terms[slug]]
        assert keyed == sorted(keyed), slug
    assert model.top_terms(30) == terms


def test_the_model_card_shows_no_timings():
    """The full card is measured in minutes; what it shows must come from the model and the data, not the clock
    (the time it took is logged), so the same model writes the same bytes and `git status` stays clean."""
    template = TEMPLATE.read_text(encoding="utf-8")
    assert "card.seconds" not in template and "r.seconds" not in template
    card = (Path(classify.__file__).resolve().parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Measuring this card took" not in card


def test_the_training_summary_card_is_the_same_for_the_same_model(model_path):
    from casewatch.pipeline import render_training_summary

    model = classify.load_model(model_path)
    again = classify.load_model(model_path)
    assert render_training_summary(model) == render_training_summary(again)
