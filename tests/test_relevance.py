"""The relevance gate: real non-case pages stay out of the indicators, real cases pass; a non-case
is stored with its reason, no indicator, is counted in one digest line and listed in Datasette."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import classify
import store
from casewatch import pipeline
from casewatch.cli import cli
from classify import evaluation as ev
from classify.relevance import (OTHER_NEWS, REFORM_FLOOR, body_names_business_measures, names_business, names_measures,
                                read_pages, title_names_business_policy,
                                reason_for, strong_reason, title_names_other_news, title_names_other_topic,
                                title_names_reform)
from digests import build_digest, render_markdown, render_text
from scrapers import Article, SourceResult
from store.browse import datasette_app

FLOOR = json.loads((Path(__file__).parent / "fixtures" / "classify" / "relevance_floor.json").read_text(encoding="utf-8"))
WEEK = "2026-W48"


@pytest.fixture(scope="module")
def pages():
    """The held-out pages (data/eval/relevance.jsonl): real non-cases and real cases, never trained on."""
    return read_pages(ev.RELEVANCE_EVAL)


@pytest.fixture(scope="module")
def clf(model_path):
    """The session's shipped model, with its gate."""
    return classify.load_model(model_path)


def page(pages, key: str):
    return next(p for p in pages if p.id == key)


def test_held_out_pages_meet_the_floor(clf, pages):
    """Each set of pages keeps its own floor, so a harder set added later never lowers an earlier one."""
    figures = ev.relevance_figures(clf.gate, pages)
    assert figures["n_cases"] >= 180 and figures["n_non_cases"] >= 330  # the file is the card's, not a sample of it
    for reason, kept, total in figures["by_reason"]:
        assert kept / total >= FLOOR["non_case_kept_out_per_reason_all"], (reason, kept, total)
    first = ev.relevance_figures(clf.gate, [p for p in pages if (p.batch or "first") in ("first", "confirmation", "holdout")])
    for reason, kept, total in first["by_reason"]:
        assert kept / total >= FLOOR["non_case_kept_out_per_reason"], (reason, kept, total)
    for name, batches in (("all", ev.RELEVANCE_BATCHES), ("first_three", ("first", "confirmation", "holdout")),
                          ("tuning2", ("tuning2",)), ("holdout2", ("holdout2",)), ("holdout3", ("holdout3",)),
                          ("holdout4", ("holdout4",)), ("holdout5", ("holdout5",)),
                          ("holdout6", ("holdout6",)), ("holdout7", ("holdout7",)),
                          ("holdout8", ("holdout8",)), ("holdout9", ("holdout9",)),
                          ("holdout10", ("holdout10",)), ("holdout11", ("holdout11",)),
                          ("holdout12", ("holdout12",))):
        chosen = ev.relevance_figures(clf.gate, [p for p in pages if (p.batch or "first") in batches])
        floor = FLOOR[name]
        assert chosen["case_recall"] >= floor["case_recall"], (name, chosen["errors"])
        assert chosen["non_case_kept_out"] >= floor["non_case_kept_out"], (name, chosen["errors"])


def test_a_title_that_names_a_reform_lets_a_reform_told_as_news_through(clf, pages):
    """Real CCTV reform stories score low (they read like the news the gate's negatives are); below the
    uncertain band their title lets them through, unless it names a meeting or a visit."""
    tuned = [p for p in pages if p.batch == "tuning2"]
    judged = clf.gate.judge([(p.title, p.text) for p in tuned])
    rescued = [(p, j) for p, j in zip(tuned, judged)
               if REFORM_FLOOR <= j[1] < clf.gate.band_low and title_names_reform(p.title) and not title_names_other_news(p.title)]
    assert len(rescued) >= 3
    assert all(case for _, (case, _, _) in rescued)
    assert sum(p.is_case for p, _ in rescued) >= len(rescued) - 1  # they are cases, as labelled by hand
    meeting = page(pages, "cctv-20190129-5510")  # 韩正出席国务院推进政府职能转变和“放管服”改革协调小组全体会议
    assert title_names_reform(meeting.title) and clf.gate.judge([(meeting.title, meeting.text)])[0][0] is False


@pytest.mark.parametrize("title, other_news", [
    ("国务院印发《关于在全国推开“证照分离”改革的通知》", False),  # a policy's measures, reported
    ("国务院办公厅关于2019年部分节假日安排的通知", True),  # a notice
    ("李克强对保护知识产权、打击侵权假冒工作作出重要批示强调 加强知识产权全链条保护", True),
    ("北京实施237项改革 优化营商环境", False),
])
def test_a_document_named_in_a_title_is_not_the_page_kind(title, other_news):
    assert title_names_other_news(title) is other_news


def test_the_gate_was_never_trained_on_the_evaluation_pages(clf, pages):
    from classify.relevance import NEGATIVES, gate_text

    trained = {gate_text(p.title, p.text) for p in read_pages(NEGATIVES)}
    assert not [p.id for p in pages if gate_text(p.title, p.text) in trained]
    assert {p.id for p in read_pages(NEGATIVES)}.isdisjoint({p.id for p in pages})


def test_probabilities_are_calibrated_enough_to_read(clf, pages):
    """Confident answers are right: of the pages the gate is >= 0.9 sure about either way, few are wrong.
    It is sure about half the pages of the first two rounds; the later batches (government sites'
    culture and meeting pages, CCTV items on reforms outside the business environment, holdout6's
    non-cases chosen to be hard: the gate is sure of 23 of its 102 pages; holdout7's central policies and
    commentaries: 29 of 113; holdout8 to holdout10, chosen the same way, bring the share over all pages
    to 39%) are harder."""
    probabilities = clf.gate.probability([(p.title, p.text) for p in pages])
    later = ("holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11", "holdout12")
    for chosen, share in ((lambda p: (p.batch or "first") not in later, 0.5), (lambda p: True, 0.37)):
        scored = [(p, q) for p, q in zip(pages, probabilities) if chosen(p)]
        sure = [(p.is_case, q >= 0.5) for p, q in scored if q >= 0.9 or q <= 0.1]
        assert len(sure) >= share * len(scored)
        assert sum(truth != said for truth, said in sure) <= 0.05 * len(sure)


@pytest.mark.parametrize("title, reform", [
    ("清费立税 资源税改革7月1日推开", True),
    ("新设内蒙古自贸试验区 推出19项改革创新举措", True),
    ("北京实施237项改革 优化营商环境", True),
    ("农业改革升温 “绿色”春耕兴起", False),  # a reform, not of the business environment
    ("电视纪录片《我们一起走过——致敬改革开放40周年》今晚播出第五 六集", False),
    ("中共中央办公厅印发《全国妇联改革方案》", False),
    ("通关新政落地首日 排队不超半小时", True),  # an effect in time
    ("证监会：券商基金公司取消外资股比限制提前至明年执行", True),  # a measure
])
def test_a_title_names_a_reform_of_the_business_environment_not_any_reform(title, reform):
    assert title_names_reform(title) is reform


def test_a_page_that_shows_its_kind_is_kept_out_whatever_its_probability(clf, pages):
    """A full 行政处罚决定书 (real, holdout3) shows its kind by its form even untitled; a meeting on a
    reform by its title; a 【series】 name or a press briefing does not make a page a visit or a meeting."""
    decision = page(pages, "h3-tj-penalty-2018-17")
    assert strong_reason(None, decision.text) == "行政处罚"
    assert clf.gate.judge([(None, decision.text)])[0][0] is False
    stats = page(pages, "h3-cctv-20250117-3213")  # 2024年我国经济运行稳中有进 主要发展目标顺利实现
    assert strong_reason(stats.title, stats.text) == "统计公报"
    meeting = page(pages, "cctv-20190329-4059")  # 韩正出席全国工程建设项目审批制度改革工作电视电话会议
    assert strong_reason(meeting.title, meeting.text) == "领导活动"  # 出席: a leader's activity first
    case, _, reason = clf.gate.judge([(meeting.title, meeting.text)])[0]
    assert case is False and reason == "领导活动"
    assert strong_reason("【坚持高质量发展调研行】辽宁：优化营商环境 吸引企业投资", "") is None
    assert strong_reason("国务院政策例行吹风会：深化改革 持续优化营商环境", "") is None
    for p in pages:  # no real case is kept out by its title or form
        if p.is_case:
            assert strong_reason(p.title, p.text) is None, p.id


def test_in_the_uncertain_band_a_page_must_speak_of_measures(pages):
    """A government site's contest report names no measure; a reform told as news does."""
    contest = page(pages, "h3-gov-zyjhenan")  # 在省第十届青年戏剧演员大赛中 许昌市喜获佳绩
    reform = page(pages, "h3-cctv-20131125-3667")  # 富阳：审批“瘦身” 中介服务提速
    assert not contest.is_case and reform.is_case
    assert names_measures(contest.text) is False and names_measures(reform.text) is True


def test_a_policy_of_another_field_is_kept_out_whatever_its_probability(clf, pages):
    """Central documents on household registration and forestry (real CCTV items, holdout4 and holdout5)
    read like policies of measures and scored as cases; their titles are about another field and name
    nothing of the business environment. A title that names it as well is no such proof."""
    for key in ("h4-cctv-20160114-4053", "h5-cctv-20150317-1864"):  # 无户口人员登记户口; 《国有林场改革方案》
        policy = page(pages, key)
        assert not policy.is_case and title_names_other_topic(policy.title)
        assert clf.gate.judge([(policy.title, policy.text)])[0][0] is False
    assert title_names_other_topic("国务院办公厅印发《深化医药卫生体制改革2014年重点工作任务》")
    assert title_names_other_topic("【改革追踪看落实】福建三明：医改补短板 医保再延伸")
    for key in ("eb2-c7490d016b", "h5-cctv-20200323-7122"):  # 基本药物采购; 优化审批服务 促进创业就业
        case = page(pages, key)
        assert case.is_case and not title_names_other_topic(case.title)
    for p in pages:  # no real case's title is about another field alone
        if p.is_case:
            assert not title_names_other_topic(p.title), p.id


def test_below_the_band_a_head_dense_in_business_measures_names_a_reform(clf, pages):
    """Reforms told as news whose titles name no measure (real, tuning2 and holdout4) say in their head
    what was changed for firms and procurement; an editorial on reform has the measure words without the
    business environment's, a report on foreign investment the business words without the measures."""
    for key in ("eb2-83eb4f2e7a", "h4-cctv-20120717-7477"):  # 海南政府采购价格大幅下降; 政策频出 为小微企业输"金"活"血"
        case = page(pages, key)
        assert case.is_case and not title_names_reform(case.title) and body_names_business_measures(case.text)
        assert clf.gate.judge([(case.title, case.text)])[0][0] is True
    for key in ("h3-cctv-20170720-9548", "h5-cctv-20180623-6483"):  # 《将改革进行到底》播出; 吸收外资稳中向好
        other = page(pages, key)
        assert not other.is_case and body_names_business_measures(other.text) is False


@pytest.mark.parametrize("title, reason", [
    ("习近平会见泰国总理", "领导活动"),
    ("丁薛祥在山东、河北调研", "领导活动"),
    ("中央经济工作会议在北京举行 习近平发表重要讲话", "会议报道"),
    ("新疆维吾尔自治区召开促进民营经济高质量发展工作会", "会议报道"),
    ("国务院办公厅关于2019年部分节假日安排的通知", "通知公告"),
    ("1—4月份全国房地产开发投资下降2.7%", "统计公报"),
    ("2024年天津市国民经济和社会发展统计公报", "统计公报"),
    ("上海市市场监督管理局行政处罚决定书", "行政处罚"),
    ("李克强就在自由贸易试验区开展“证照分离”改革全覆盖试点作出重要批示强调", "领导活动"),
    ("100万吨国家钾肥储备投放保春耕", OTHER_NEWS),
    ("全省教育系统师德师风建设专题培训班举办", "会议报道"),  # an event counts as a meeting
    ("第八届VBEF未来医疗生态展会", "会议报道"),
    ("市场监管总局彻查“3·15”晚会曝光的相关违法行为", "行政处罚"),
])
def test_a_non_case_gets_the_reason_its_title_gives(title, reason):
    assert reason_for(title, "") == reason


def test_a_non_case_is_stored_marked_with_its_reason_and_kept_out_of_the_indicators(tmp_path, model_path, pages):
    """Through the pipeline's classification step: a leader's visit and a statistics release (real
    pages) beside a real reform case; the digest counts the two in one line and lists only the case."""
    visit = page(pages, "xwlb-2025-11-26-3")  # 赵乐际对澳大利亚进行正式友好访问
    stats = page(pages, "sina-c0")  # 1—4月份全国房地产开发投资下降2.7%
    case = page(pages, "sina-c5")  # 北京市持续优化金融营商环境
    db_path = tmp_path / "cw.db"
    db = store.open_db(db_path)
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", WEEK)
    articles = [Article(title=p.title, body=p.text, url=f"https://gov.example.cn/{p.id}.html", source="web") for p in (visit, stats, case)]
    store.save_source_result(db, SourceResult("web", "site", articles=articles), "https://gov.example.cn/", "r1", WEEK, "省政府网站")
    store.finish_run(db, "r1", status="ok")
    assert pipeline.classify_pending(db_path, model_path) == 3

    rows = {r["title"]: r for r in store.open_db(db_path).query("select * from articles")}
    for p, reason in ((visit, "领导活动"), (stats, "统计公报")):
        row = rows[p.title]
        assert (row["is_case"], row["relevance"], row["indicator"], row["secondary"]) == (0, reason, None, "[]")
        assert row["classified_at"] and row["confidence"] > 0.5  # the gate's certainty that it is no case
    assert (rows[case.title]["is_case"], rows[case.title]["relevance"]) == (1, None)
    assert rows[case.title]["indicator"] == "credit"

    digest = build_digest(store.open_db(db_path), WEEK)
    assert digest.non_cases == 2
    listed = [e.title for s in digest.sections for e in s.entries] + [e.title for e in digest.unclassified]
    assert listed == [case.title]
    for text in (render_markdown(digest), render_text(digest)):
        assert "另有 2 篇非改革案例（会议、统计、通知等）未列入" in text
        assert visit.title not in text and stats.title not in text


def test_an_analyst_label_makes_a_non_case_a_case(tmp_path, model_path, pages):
    visit = page(pages, "xwlb-2025-11-26-3")
    db = store.open_db(tmp_path / "cw.db")
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", WEEK)
    store.save_source_result(db, SourceResult("web", "site", articles=[Article(title=visit.title, body=visit.text, url="u", source="web")]), "x", "r1", WEEK)
    pipeline.classify_pending(tmp_path / "cw.db", model_path)
    key = next(db.query("select id from articles"))["id"]
    store.save_label(db, key, "government_services")
    row = db["articles"].get(key)
    assert (row["is_case"], row["relevance"], row["indicator"], row["label_source"]) == (1, None, "government_services", "human")


def test_classify_jsonl_says_a_non_case_is_one_with_its_reason_and_no_indicator(project, monkeypatch, pages):
    monkeypatch.chdir(project)
    visit, case = page(pages, "xwlb-2025-11-26-3"), page(pages, "dducha-088")
    lines = [{"id": "visit", "title": visit.title, "text": visit.text}, {"id": "case", "text": case.text}]
    result = CliRunner().invoke(cli, ["classify", "--jsonl"], input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    non_case, reform = [json.loads(line) for line in result.output.splitlines()]
    assert set(non_case) == {"id", "is_case", "reason", "relevance"}
    assert (non_case["id"], non_case["is_case"], non_case["reason"]) == ("visit", False, "领导活动")
    assert 0 <= non_case["relevance"] < 0.5
    assert reform["is_case"] is True and reform["primary"] == "taxes" and reform["relevance"] >= 0.5
    assert list(reform["scores"]) == list(classify.SLUGS)


def test_datasette_lists_non_cases_with_their_reason_and_leaves_them_out_of_this_week_and_review(tmp_path):
    path = tmp_path / "cw.db"
    db = store.open_db(path)
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", WEEK)
    meeting = Article(title="新疆维吾尔自治区召开促进民营经济高质量发展工作会", body="会议强调……", url="https://a.example/1", source="web")
    reform = Article(title="推行电子税务局", body="出口退税全程网上办理，办理时间压缩至1个工作日。", url="https://a.example/2", source="web")
    store.save_source_result(db, SourceResult("web", "site", articles=[meeting, reform]), "https://a.example/", "r1", WEEK)
    ids = {r["title"]: r["id"] for r in db.query("select id, title from articles")}
    scores = {s: 0.01 for s in classify.SLUGS} | {"taxes": 0.83}
    store.save_decisions(db, {
        ids[meeting.title]: {"id": ids[meeting.title], "is_case": False, "reason": "会议报道", "relevance": 0.04},
        ids[reform.title]: {"id": ids[reform.title], "is_case": True, "relevance": 0.97, "primary": None, "confidence": 0.4,
                            "scores": scores, "secondary": [], "terms": []},
    })
    db.close()

    def rows(url: str, **params) -> list[dict]:
        async def fetch():
            return await datasette_app(path).client.get(url, params={"_shape": "array", **params})
        response = asyncio.run(fetch())
        assert response.status_code == 200, response.text[:300]
        return response.json()

    listed = rows("/casewatch/non_cases.json", week="")
    assert [(r["标题"], r["理由"]) for r in listed] == [(meeting.title, "会议报道")]
    assert rows("/casewatch/non_cases.json", week=WEEK) == listed
    assert rows("/casewatch/non_cases.json", week="2026-W01") == []
    assert [r["标题"] for r in rows("/casewatch/this_week.json", week=WEEK)] == [reform.title]
    assert [r["标题"] for r in rows("/casewatch/review.json")] == [reform.title]  # unclassified case: to review; the meeting: not
    assert meeting.title not in {r["atom_title"] for r in rows("/casewatch/feed.json", indicator="")}


def test_round_seven_rules_keep_out_opinions_party_work_and_foreign_news(clf, pages):
    """Real CCTV items that passed the sixth round's gate (holdout2, holdout5, holdout6, all looked at):
    an editorial and an interview on approval reform, party campaigns and the united front, a foreign
    supervision reform, a State Council study session, and pages in the uncertain band that name
    measures but nothing of the business environment. Each is now kept out, and no real case is."""
    keys = {
        "h6-cctv-20130625-6950": "其他新闻",  # 【本台短评】行政审批改革倒逼政府职能转型
        "cctv-20131209-7840": "其他新闻",  # 【权威访谈】加大力度推进行政审批制度改革
        "cctv-20210131-1151": "其他新闻",  # 时建中：优化法治化营商环境 (a 权威访谈 by its opening)
        "h5-cctv-20141104-8580": "其他新闻",  # 欧元区银行业单一监管机制今日启动
        "h6-cctv-20231220-4116": "会议报道",  # 李强主持国务院第五次专题学习
    }
    for key, reason in keys.items():
        p = page(pages, key)
        assert not p.is_case and strong_reason(p.title, p.text) == reason, key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is False, key
    for key in ("h6-cctv-20140612-6034", "h6-cctv-20131015-3552", "h6-cctv-20140715-6286",
                "h6-cctv-20200915-6005"):  # 整风; 民主生活会; 巡视; 民营经济统战工作
        p = page(pages, key)
        assert not p.is_case and title_names_other_topic(p.title), key
    for key in ("h6-cctv-20141022-1156", "h6-cctv-20240129-7092"):  # 法治推动力; 今日近2亿人次流动 优化服务便利出行
        p = page(pages, key)
        assert not p.is_case and names_measures(p.text) and not names_business(p.text), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is False, key
    tax = page(pages, "h6-cctv-20230806-7315")  # 税费优惠政策支持民营企业发展: a reform told as news
    assert tax.is_case and title_names_reform(tax.title) and clf.gate.judge([(tax.title, tax.text)])[0][0] is True
    assert strong_reason("中美两国签署投资协定", "") is None  # a title that names China too is no foreign news
    for p in pages:  # no real case is kept out by these rules
        if p.is_case:
            assert strong_reason(p.title, p.text) is None and not title_names_other_topic(p.title), p.id


def test_round_eight_rules_pass_business_policies_and_reform_news(clf, pages):
    """Real CCTV items of holdout7 (scored once by the seventh round's gate, then looked at): central
    policies of the business environment told as news scored below the band; other fields' documents,
    an unbracketed 快评, a tax-violation list and a discipline report passed. Each goes the right way now."""
    for key in ("h7-cctv-20150227-6006", "h7-cctv-20180628-1181", "h7-cctv-20220410-4605"):
        p = page(pages, key)  # 政府采购法实施条例; 证明事项清理; 全国统一大市场
        assert p.is_case and title_names_business_policy(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    for key in ("h7-cctv-20211014-3705", "h7-cctv-20160426-6519", "h7-cctv-20200412-0309", "h7-cctv-20231124-8121"):
        p = page(pages, key)  # 综合改革试点; 营改增; 政策“组合拳”; 170多项新举措
        assert p.is_case and title_names_reform(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    fees = page(pages, "h7-cctv-20200721-1180")  # 国新办：进一步规范行业协会商会收费 (收费 is a business word)
    assert fees.is_case and names_business(fees.text) and clf.gate.judge([(fees.title, fees.text)])[0][0] is True
    for key, reason in (("h7-cctv-20200406-1252", "其他新闻"), ("h7-cctv-20160813-1510", "行政处罚"),
                        ("h7-cctv-20160426-2444", "行政处罚")):
        p = page(pages, key)  # 央视快评：…; 重大税收违法案件名单; 违反中央八项规定精神问题
        assert not p.is_case and strong_reason(p.title, p.text) == reason, key
    for key in ("h7-cctv-20190311-3112", "h7-cctv-20170921-9678", "h7-cctv-20200825-6430"):
        p = page(pages, key)  # 为基层减负 (formalism); 环境监测改革; 社会救助制度
        assert not p.is_case and title_names_other_topic(p.title) and not title_names_reform(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is False, key
    assert title_names_reform("国务院部署为小微企业减负") and not title_names_reform("为基层“松绑”减负")


def test_round_nine_rules_mend_what_holdout8_showed(clf, pages):
    """Real CCTV items of holdout8 (scored once by the eighth round's gate, then looked at): a fee cut and an
    opening-up measure headed with the measure, a rule on publishing penalty records taken for a penalty, a
    platform-economy policy taken for health care ("规范健康发展"); and penalties, an NPC law-enforcement
    inspection and central documents on the elderly, basic public services and personal income tax let in."""
    for key in ("h8-cctv-20130121-7730", "h8-cctv-20240410-0699"):  # 手续费…下调; 扩大…对外开放
        p = page(pages, key)
        assert p.is_case and title_names_reform(p.title) and clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    rule = page(pages, "h8-cctv-20140219-4071")  # 行政处罚案件信息将纳入…信息公开内容
    assert rule.is_case and strong_reason(rule.title, rule.text) is None
    platform = page(pages, "h8-cctv-20190808-8017")  # 促进平台经济规范健康发展
    assert platform.is_case and not title_names_other_topic(platform.title)
    assert clf.gate.judge([(platform.title, platform.text)])[0][0] is True
    for key, reason in (("h8-cctv-20160729-3140", "行政处罚"), ("h8-cctv-20140619-1482", "行政处罚"),
                        ("h8-cctv-20220630-9667", "会议报道")):  # 罚单; 案件处理结果; 执法检查
        p = page(pages, key)
        assert not p.is_case and strong_reason(p.title, p.text) == reason, key
    for key in ("h8-cctv-20201124-1235", "h8-cctv-20260522-1001", "h8-cctv-20230831-0697"):
        p = page(pages, key)  # 老年人; 基本公共服务; 个人所得税 (a household's tax, not a firm's)
        assert not p.is_case and title_names_other_topic(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is False, key
    assert not title_names_other_topic("国务院常务会议决定降低企业所得税税率")


def test_round_ten_rules_mend_what_holdout9_showed(clf, pages):
    """Real CCTV items of holdout9 (scored once by the ninth round's gate, then looked at): two State Council
    documents for firms whose titles named no business word the gate knew (担保, 个体工商户) stayed below the
    band; inspection tours' reports and deputies' proposals on 简政放权 passed. The State Council's circulars
    praising what an inspection found are still cases."""
    for key in ("h9-cctv-20201230-5837", "h9-cctv-20221025-6264"):  # 动产和权利担保统一登记; 促进个体工商户发展条例
        p = page(pages, key)
        assert p.is_case and title_names_business_policy(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    for key in ("h9-cctv-20150621-8873", "h9-cctv-20141225-0332", "h9-cctv-20140305-0158"):
        p = page(pages, key)  # 【督查在行动】 ×2; 【代表委员议国是】
        assert not p.is_case and strong_reason(p.title, p.text) == "其他新闻", key
    praise = [p for p in pages if p.is_case and "大督查" in (p.title or "")]
    assert len(praise) >= 3
    for p in praise:  # 国办通报表扬国务院第N次大督查发现的典型经验做法
        assert strong_reason(p.title, p.text) is None, p.id
    lawsuit = page(pages, "h9-cctv-20160707-7174")  # 行政应诉: the courts' field
    assert not lawsuit.is_case and title_names_other_topic(lawsuit.title)


def test_round_eleven_rules_mend_what_holdout10_showed(clf, pages):
    """Real CCTV items of holdout10 (scored once by the tenth round's gate, then looked at): central documents
    of other fields that name a business word (许可 of pollution permits, 税 of the environmental tax) or none
    (research and talent evaluation, police law enforcement) passed, and so did a tax-fraud crackdown and a
    penalty told in a 【series】 name; a merger-filing rule (经营者) and a cost-cutting story stayed out."""
    for key in ("h10-cctv-20161121-9858", "h10-cctv-20171227-5040", "h10-cctv-20160927-4387",
                "h10-cctv-20130527-8949", "h10-cctv-20180703-6016", "h10-cctv-20210802-9821"):
        p = page(pages, key)  # 污染物排放许可; 环境保护税; 公安执法; 吸纳毕业生; 人才评价; 科技成果评价
        assert not p.is_case and title_names_other_topic(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is False, key
    for key in ("h10-cctv-20141212-1619", "h10-cctv-20150616-6322"):  # 严打“骗税”; 【…减排核查处罚结果】
        p = page(pages, key)
        assert not p.is_case and strong_reason(p.title, p.text) == "行政处罚", key
    for key in ("h10-cctv-20240126-4439", "h10-cctv-20160417-8100"):  # 经营者集中申报标准; 降成本 催生出口新活力
        p = page(pages, key)
        assert p.is_case and clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    assert strong_reason("【坚持高质量发展调研行】辽宁：优化营商环境 吸引企业投资", "") is None  # a series is no visit


def test_round_twelve_rules_mend_what_holdout11_showed(clf, pages):
    """Real CCTV items of holdout11 (scored once by the eleventh round's gate, then looked at): a State Council
    policy on setting fines and Zhejiang's 政务 reform (its title's 生态 taken for ecology) stayed out; a monthly
    report on small firms and a land-violation crackdown passed."""
    for key in ("h11-cctv-20240219-1652", "h11-cctv-20151126-7902"):  # 规范和监督罚款设定; 优化政务生态
        p = page(pages, key)
        assert p.is_case and not title_names_other_topic(p.title), key
        assert clf.gate.judge([(p.title, p.text)])[0][0] is True, key
    monthly = page(pages, "h11-cctv-20241127-7001")  # 10月份我国中小企业生产经营持续改善
    assert not monthly.is_case and strong_reason(monthly.title, monthly.text) == "统计公报"
    land = page(pages, "h11-cctv-20130412-9996")  # 国土部：挂牌督办3起违法用地案件
    assert not land.is_case and strong_reason(land.title, land.text) == "行政处罚"
