"""Measure the near-duplicate rule on pairs that are one case and pairs that are not (not a test).

Same case: every case of the bundled compilations against copies of itself as another
source carries it (bench/measure_fingerprint.py's seven kinds: other script, PDF wrapping
and running headers, a site's title and footer, an introduction, a sentence dropped, 1% of
characters changed, the last 10% cut). Different cases: every pair of different cases; 17
pages made of a case's opening and one shared real paragraph of 100+ characters (the
issue's failing case); penalty decisions of one regulator written from one template with
other 文号, parties and amounts (a real 江苏银保监局 decision, 苏银保监罚决字〔2019〕64号,
and the standard 市场监督管理局 行政处罚决定书 form). Prints precision and recall of "same
case" per rule and threshold, and per kind of pair.

    .venv/bin/python bench/measure_near_duplicates.py
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from measure_fingerprint import cases, copies  # noqa: E402

from scrapers.fingerprint import (  # noqa: E402
    conflicting_identifiers,
    containment,
    minhash,
    normalise,
    same_case,
    similarity,
    title_overlap,
)

# A real decision (public: 中国银保监会江苏监管局, 2019-12-19), the template the variants below follow.
JIANGSU = (
    "苏银保监罚决字〔{year}〕{number}号\n被处罚人姓名：{person}\n住址：{address}\n"
    "依据《中华人民共和国保险法》《中华人民共和国行政处罚法》等有关法律规定，我局对{company}（以下简称{short}）"
    "财务数据不真实一案进行了调查、审理，并依法向当事人告知了作出行政处罚的事实、理由、依据以及当事人依法享有的权利。"
    "在法定陈述申辩期内，当事人未提出陈述申辩意见。本案现已审理终结。\n"
    "{period}，{short}通过服务费、宣传费两个科目列支费用{fee}元，实为公司给予业务部门保费金额3%-40%的销售费用，"
    "用于支付车商和其他代理机构超过手续费上限的额外费用。相关服务费、宣传费事项实际并未发生。"
    "{person}时任{short}总经理，任职期间同意了公司虚列费用的行为，导致公司财务数据不真实，应认定为直接负责的主管人员。\n"
    "上述事实，有现场检查事实确认书、公司车险业务情况说明及其附件、公司费用列支的签报及报销凭证、"
    "案涉承保清单及超手续费上限的跟单补贴费用明细、相关人员调查笔录、任职分工文件等证据证明。\n"
    "综上，我局决定作出如下处罚：上述财务数据不真实的行为，违反了《中华人民共和国保险法》第八十六条第二款的规定，"
    "根据《中华人民共和国保险法》第一百七十一条的规定，给予{person}警告，并处{fine}万元罚款。\n"
    "当事人应当在接到本处罚决定书之日起15日内持缴款码到财政部指定的12家代理银行中的任一银行进行同行缴款。"
    "逾期，将每日按罚款数额的3%加处罚款。当事人如对本处罚决定不服，可在收到本处罚决定书之日起60日内向"
    "中国银行保险监督管理委员会申请行政复议，也可在收到本处罚决定书之日起6个月内直接向有管辖权的人民法院提起行政诉讼。"
    "复议和诉讼期间，上述决定不停止执行。\n中国银保监会江苏监管局\n{date}"
)
# The standard form of a county market-regulation bureau's decision (行政处罚决定书, 2021 law).
MARKET = (
    "{bureau}\n行政处罚决定书\n{abbr}市监罚〔{year}〕{number}号\n当事人：{company}\n统一社会信用代码：{code}\n"
    "地址：{address}\n法定代表人：{person}\n"
    "经查，当事人在校园餐饮后厨经营过程中，存在{fact}。上述事实有现场检查笔录、询问笔录、现场照片为证。\n"
    "当事人的上述行为违反了《中华人民共和国食品安全法》第三十三条、《餐饮服务食品安全操作规范》第十六条等相关规定，已构成违法。\n"
    "依据《中华人民共和国行政处罚法》第五十七条、《中华人民共和国食品安全法》第一百二十六条第一款第（三）项的规定，"
    "决定对当事人作出如下行政处罚：1.警告；2.罚款人民币{fine}元。\n"
    "限当事人自收到本决定书之日起十五日内，将罚款缴至指定银行。逾期不缴纳罚款的，依据《中华人民共和国行政处罚法》"
    "第七十二条第一款第（一）项的规定，每日按罚款数额的百分之三加处罚款。\n"
    "如对本处罚决定不服，可以自收到本决定书之日起六十日内向{government}申请行政复议；也可以在六个月内依法向人民法院"
    "提起行政诉讼。复议、诉讼期间，本行政处罚决定不停止执行。\n{bureau}\n{date}"
)
PEOPLE = ["陈跃飞", "王建国", "李晓梅", "张立新", "刘海涛", "赵文静", "孙志强", "周国平", "吴晓东", "郑春燕"]
COMPANIES = ["中国平安财产保险股份有限公司宿迁中心支公司", "中国人寿财产保险股份有限公司淮安中心支公司",
             "太平财产保险有限公司盐城中心支公司", "中华联合财产保险股份有限公司连云港中心支公司",
             "阳光财产保险股份有限公司徐州中心支公司", "天安财产保险股份有限公司镇江中心支公司",
             "大地财产保险股份有限公司扬州中心支公司", "永安财产保险股份有限公司泰州中心支公司",
             "华泰财产保险有限公司南通中心支公司", "紫金财产保险股份有限公司常州中心支公司"]  # fmt: skip
SHOPS = ["某县实验小学食堂承包经营部", "某县第一中学餐饮服务有限公司", "某县城南小学配餐中心", "某县职业中学食堂",
         "某县育才中学餐饮管理有限公司", "某县北街小学食堂", "某县第二中学配餐有限公司", "某县新区幼儿园厨房",
         "某县东关小学餐饮服务部", "某县第三中学食堂"]  # fmt: skip
FACTS = ["生熟食品混放、未分区存放的问题", "冷藏设施温度不达标的问题", "餐具消毒记录不全的问题",
         "从业人员未持有效健康证明上岗的问题", "食品留样不足规定数量的问题", "加工用水未定期检测的问题",
         "原料进货查验记录缺失的问题", "防鼠防蝇设施损坏的问题", "超过保质期的调味品未及时清理的问题",
         "食品添加剂未专柜存放的问题"]  # fmt: skip


def decisions(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Ten decisions from each template: one regulator, one form, other 文号, parties, amounts (and facts)."""
    jiangsu, market = [], []
    for n in range(10):
        person, company = PEOPLE[n], COMPANIES[n]
        fields = dict(year=2019, number=60 + n, person=person, address=f"南京市建邺区集庆门大街{200 + n}号",
                      company=company, short=company[2:6] + "中支", period=f"2018年{1 + n % 9}-12月",
                      fee=rng.randrange(1_000_000, 9_000_000), fine=rng.choice([5, 8, 10, 15, 20]) + n,
                      date=f"2019年12月{10 + n}日")  # fmt: skip
        jiangsu.append((f"行政处罚决定书（苏银保监罚决字〔2019〕{60 + n}号）", JIANGSU.format(**fields)))
        fields = dict(bureau="某县市场监督管理局", abbr="某", year=2024, number=100 + n, company=SHOPS[n],
                      code=f"9132{rng.randrange(10**13, 10**14)}", address=f"某县人民路{10 + n}号", person=PEOPLE[n],
                      fact=FACTS[n], fine=rng.randrange(2, 50) * 1000, government="某县人民政府", date=f"2024年5月{1 + n}日")  # fmt: skip
        market.append((f"某县市场监督管理局行政处罚决定书（某市监罚〔2024〕{100 + n}号）", MARKET.format(**fields)))
    # Titles as sites list them: the same words for every decision of the year.
    return {"template (江苏银保监局)": jiangsu, "template (市场监管局)": market}


def shared_paragraph_pages(found: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """17 short pages, each a different case's opening, all carrying one shared real paragraph of 100+ characters."""
    policy = (ROOT / "data" / "samples").glob("003_*.txt")
    paragraphs = [p.strip() for p in next(policy).read_text(encoding="utf-8").split("\n") if 100 <= len(normalise(p)) <= 160]
    shared = paragraphs[0]
    pages = []
    for title, body in rng.sample(found, 17):
        opening = body[: rng.randrange(120, 420)]
        pages.append((title, f"{opening}\n\n{shared}" if rng.random() < 0.5 else f"{shared}\n\n{opening}"))
    return pages


def rules() -> dict[str, callable]:
    """Each rule: (title_a, body_a, title_b, body_b, estimated Jaccard) → same case?"""
    found = {f"MinHash >= {t}": (lambda t: lambda ta, a, tb, b, j: j >= t)(t) for t in (0.25, 0.35, 0.5, 0.7)}
    for c in (0.6, 0.7, 0.8):
        found[f"MinHash >= 0.25, containment >= {c}"] = (lambda c: lambda ta, a, tb, b, j: j >= 0.25 and containment(a, b) >= c)(c)
    found["MinHash >= 0.25, no conflicting 文号/party/amount"] = lambda ta, a, tb, b, j: j >= 0.25 and not conflicting_identifiers(
        f"{ta}\n{a}", f"{tb}\n{b}"
    )
    found["casewatch: MinHash >= 0.25 and same_case (identifiers, containment 0.7 / 0.85 with other titles)"] = (
        lambda ta, a, tb, b, j: j >= 0.25 and same_case(ta, a, tb, b)
    )
    return found


def main() -> None:
    rng, to_traditional = random.Random(1), opencc.OpenCC("s2t").convert
    found = cases()
    pairs: list[tuple[str, bool, tuple[str, str], tuple[str, str]]] = []
    for title, body in found:
        for kind, text in copies(title, body, rng, to_traditional).items():
            copy_title = to_traditional(title) if kind == "traditional script" else title
            pairs.append((f"same: {kind}", True, (title, body), (copy_title, text)))
    for a, b in itertools.combinations(found, 2):
        pairs.append(("different: two cases", False, a, b))
    for a, b in itertools.combinations(shared_paragraph_pages(found, rng), 2):
        pairs.append(("different: pages sharing a paragraph", False, a, b))
    for kind, items in decisions(rng).items():
        pairs += [(f"different: {kind}", False, a, b) for a, b in itertools.combinations(items, 2)]
    signatures: dict[str, object] = {}

    def jaccard(a: str, b: str) -> float:
        for text in (a, b):
            if text not in signatures:
                signatures[text] = minhash(text)
        return similarity(signatures[a], signatures[b])

    scores = [jaccard(a[1], b[1]) for _, _, a, b in pairs]
    kinds = sorted({kind for kind, *_ in pairs})
    print(f"{len(found)} cases; {sum(s for _, s, *_ in pairs)} same-case pairs, {sum(not s for _, s, *_ in pairs)} different")
    print("| rule | precision | recall | " + " | ".join(kinds) + " |")
    print("|---|---|---|" + "---|" * len(kinds))
    results = {}
    for name, rule in rules().items():
        said = [rule(a[0], a[1], b[0], b[1], j) for (_, _, a, b), j in zip(pairs, scores)]
        tp = sum(s and truth for s, (_, truth, *_) in zip(said, pairs))
        fp = sum(s and not truth for s, (_, truth, *_) in zip(said, pairs))
        fn = sum(not s and truth for s, (_, truth, *_) in zip(said, pairs))
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        per_kind = []
        for kind in kinds:
            members = [s for s, (k, *_) in zip(said, pairs) if k == kind]
            per_kind.append(f"{sum(members)}/{len(members)}")
        print(f"| {name} | {precision:.3f} | {recall:.3f} | " + " | ".join(per_kind) + " |")
        results[name] = {"precision": precision, "recall": recall}
    print("(per kind: pairs called the same case / pairs)")
    spread = {kind: (min(j for (k, *_), j in zip(pairs, scores) if k == kind), max(j for (k, *_), j in zip(pairs, scores) if k == kind)) for kind in kinds}
    for kind, (low, high) in spread.items():
        print(f"  {kind}: MinHash {low:.3f}–{high:.3f}")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
