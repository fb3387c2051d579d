"""The relevance gate: is a text a business-environment reform case, or other government news?

A reform case says what a region or body changed and to what effect (and a policy
document's measures, the tasks of a 实施方案, count: reforms announced). Meeting reports,
leaders' visits, statistics releases, penalty decisions, notices and general economic
news are not cases: they are stored and marked, never sorted under an indicator.

Positives are the corpus's units and the labelled cases (`data/labels/`); negatives are
real pages of the other kinds (`data/relevance/negatives.jsonl`). Web pages gathered for
evaluation (`data/eval/`) are never read here.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
from scipy.special import expit

from .features import Features
from .model import split_chunks
from .text import DATA_DIR, normalise

if TYPE_CHECKING:  # scikit-learn is imported where the gate is fitted or loaded
    from sklearn.calibration import CalibratedClassifierCV

NEGATIVES = DATA_DIR / "relevance" / "negatives.jsonl"
POLICY_SAMPLE = DATA_DIR / "samples"  # seed 003: a policy document, a gate positive
GATE_CHARS = 3000  # the head of a page says what kind of page it is
MAX_BODY_CHARS = 6_000  # paragraphs read from a page at most (its opening measures say enough)
CHUNK_CHARS = 80  # paragraphs merged into chunks of at least this size
MAX_CHUNKS = 60
MAX_TITLE_CHARS = 300
# A page's paragraphs speak for it at this quantile of their probabilities: a reform told as news
# opens with a scene and a quote, and only its middle paragraphs say what changed; a meeting report
# quotes a reform in one paragraph, which this quantile still passes over.
BODY_QUANTILE = 0.75

# The reason a non-case is given, from its title first and its opening lines next:
# (reason, pattern), first match wins. Titles say what a page is far more reliably
# than bodies, which quote meetings and figures in passing.
REASONS: tuple[tuple[str, re.Pattern], ...] = (
    ("统计公报", re.compile(r"统计公报|统计局.{0,6}发布|经济运行|运行情况|同比(增长|下降)|比上年(增长|下降)|(季度|半年|[0-9一二三四五六七八九十]月).{0,16}(增|降)[0-9.]+%|[0-9一二三四五六七八九十]+[—-]?[0-9一二三四五六七八九十]*月份?.{0,12}(增长|下降)|"
                     r"[0-9一二三四五六七八九十]+月份.{0,16}(持续|稳步)?(改善|回升|向好|回暖)")),
    ("行政处罚", re.compile(r"行政处罚|处罚决定|罚款|被罚|受到处罚|没收违法所得|查处|彻查|违法.{0,4}案件|挂牌督办|骗税|偷税|逃税|违反.{0,8}规定精神|罚单|案件处理结果|责令.{0,10}(改正|停止|退运)|违法违规|党纪政务处分|严重违纪|开除党籍|通报.{0,16}(问题|案件|案例)")),
    ("领导活动", re.compile(r"会见|会谈|考察|调研|视察|出席|致辞|致信|贺信|贺电|访问|通电话|慰问|看望|批示|指示|的讲话")),
    ("会议报道", re.compile(r"会议|座谈会|召开|举行|开幕|闭幕|论坛|峰会|发布会|大会|全会|研讨会|推进会|对接会|培训班|"
                        r"宣传周|展会|博览会|大赛|比赛|征稿|(集体|专题)学习|专题询问|执法检查")),
    ("通知公告", re.compile(r"通知|公告|公示|通报|批复|复函|答复|决定|的函|名单|启事|预案")),
)
OTHER_NEWS = "其他新闻"
PENALTY_TITLE = dict(REASONS)["行政处罚"]
# A news title that names a reform of the business environment, one of its measures or an effect in
# time: what a reform told as news is headed with ("北京实施237项改革 优化营商环境", "我国全面取消制造业
# 领域外资准入限制", "通关新政落地首日 排队不超半小时"). Such a page reads like news, not like the corpus's
# summaries, so its probability can be low; below the uncertain band its title lets it through
# (`RelevanceGate.is_case`). A bare 改革 is not enough (改革开放, 农业改革, 机构改革 are other news); a
# 【series】 name says nothing of the item.
REFORM_TITLE = re.compile(
    r"优化.{0,6}营商环境|营商环境.{0,4}(改革|优化|提升)|打造.{0,12}营商环境|"
    r"(审批|商事|登记|税|通关|口岸|投融资|投资|准入|采购|招标|招投标|监管|执法|政务|证照|自贸)[^，。！？]{0,10}改革(?!开放)|"
    r"改革.{0,6}(举措|措施)|放管服|简政放权|放宽.{0,10}(准入|限制)|取消.{0,12}(限制|审批|收费)|负面清单|"
    r"(下调|降低|减免|免征).{0,8}(税|费)|(税|费)[^，。]{0,6}(下调|降低|减免)|减税|降费|扩大.{0,10}开放|(企业|纳税人|经营主体|市场主体|小微).{0,6}减负|减负.{0,4}(企业|纳税人)|(税费|税收)优惠|"
    r"(不超过?|缩短[至到]?|压缩[至到]?|只需|仅需)[0-9一二两三四五六七八九十半]+(分钟|小时|天|日|个?工作日)|"
    r"一网通办|最多跑一次|办成一件事|证照分离|多证合一|压缩|压减|缩短|便利化|通关.{0,4}(提速|一体化|便利)|"
    r"一体化通关|一窗|跨省通办|承诺制|减税降费|(推出|出台|实施).{0,12}(举措|措施)|"
    r"[0-9一二三四五六七八九十百]+多?(项|条)新?(措施|举措|改革)|营改增|政策.{0,2}组合拳|改革试点|降成本|降低.{0,6}成本")
REFORM_FLOOR = 0.02  # below this the body reads like no case at all, whatever the title says
# The words in which a page says what was changed and to what effect. In the uncertain band a page
# passes only when they come at least `MIN_MEASURE_DENSITY` times per 1,000 characters of its head:
# a culture event, a contest or a market report in the band names no measure at all.
MEASURE_WORDS = re.compile(
    r"改革|简化|压缩|精简|取消|下放|一网|一窗|一次办|最多跑|办理|审批|便利|优化|推行|实行|措施|举措|做法|成效|"
    r"提速|缩短|减少|降低|时限|工作日|流程|窗口|网上|线上|全程|试点|机制|制度|建立|健全|出台|印发|规划|保护|担保|"
    r"补偿|融资")
MIN_MEASURE_DENSITY = 1.0
# What a title is about when it is about something other than the business environment: health care,
# household registration, the army, forestry and farming, schools, culture, the disabled, the elderly,
# the courts' criminal work, and the party's own work (inspection tours, conduct campaigns, the united
# front, the reform of party and state institutions, formalism), social assistance and environmental
# monitoring. A central document or a reform of these reads like a policy of measures
# ("国务院办公厅印发《深化医药卫生体制改革2014年重点工作任务》", "中共中央、国务院印发《国有林场改革方案》")
# and scores as high as one, so a title of such a topic keeps a page out whatever its probability,
# unless the title names the business environment as well (`BUSINESS_TITLE`: "山东率先完成基本药物采购",
# "优化审批服务 促进创业就业"). The names of documents in 《》 count: they are what the page is about.
OTHER_TOPIC_TITLE = re.compile(
    r"医|卫生|健康(?!发展)|计生|两孩|生育|户口|户籍|军|国防|林场|林区|林业|林权|农业|农村|涉农|高校|教育|学校|残疾|"
    r"文化|文物|养老|扶贫|脱贫|生态|司法解释|刑事|童工|思想政治|妇联|"
    r"巡视|整风|民主生活会|三严三实|群众路线|主题教育|统战|党建|机构改革|形式主义|救助|低保|环境监测|环保|应诉|诉讼|表彰|评比|人才评价|成果评价|项目评审|"
    r"老年|基本公共服务|个人所得税|个税")
# Fields a title is about whatever business word it also names: a pollution permit or an environmental tax
# is the environment's ("国务院办公厅印发《控制污染物排放许可制实施方案》"), police law enforcement and
# graduates' jobs are not the business environment ("多举措鼓励中小微企业吸纳毕业生").
DOMINANT_TOPIC_TITLE = re.compile(r"污染|排污|减排|环境保护|公安|警察|毕业生|大学生")
BUSINESS_TITLE = re.compile(
    r"营商|企业|市场主体|经营主体|商事|审批|许可|注册|(?<!个人所得)税|费|通关|口岸|海关|准入|负面清单|采购|招标|投标|信用|监管|"
    r"政务服务|放管服|简政|证照|执照|融资|贷款|外资|投资|自贸|知识产权|专利|商标|破产|产权|成果转化|创业|"
    r"证明事项|减证|统一大市场|公平竞争|自由贸易|涉企|不动产|外贸|诚信|失信|公共资源|个体工商户|担保|经营者|罚款|政务")
# Below the uncertain band a reform told as news whose title names no measure ("政策频出 为小微企业输“金”
# 活“血”", "海南政府采购价格大幅下降 比市场价低24%") is still a case when its head is dense both in measure
# words and in the business environment's words (firms, approvals, tax, procurement …), at least this
# many times each per 1,000 characters: culture news and editorials on reform have the first without
# the second, market and trade news the second without the first.
BUSINESS_WORDS = re.compile(
    r"营商环境|企业|市场主体|经营主体|商事|审批|许可|注册|纳税|办税|税收|税费|减税|降费|通关|口岸|海关|准入|"
    r"负面清单|采购|招标|投标|信用|监管|政务服务|放管服|简政放权|证照|执照|融资|贷款|外资|投资|自贸|知识产权|收费|"
    r"专利|商标|破产|不动产")
MIN_BODY_DENSITY = 20.0
# In the uncertain band a page must also speak of the business environment: at least this many of its
# words per 1,000 characters of the head. Transport plans, party campaigns, central documents of the
# state's institutions and editorials on law name measures ("建立", "机制", "推行") but no firm,
# approval, tax or market.
MIN_BAND_BUSINESS_DENSITY = 5.0
# A title about another country that names nothing of China: foreign news, whatever it says of
# supervision or markets ("欧元区银行业单一监管机制今日启动"). China's reforms are the subject here.
FOREIGN_TITLE = re.compile(r"欧元区|欧盟|欧洲|美国|美联储|日本|英国|法国|德国|俄罗斯|印度|韩国|朝鲜|联合国|非洲|中东|"
                           r"乌克兰|伊朗|以色列|巴西|澳大利亚|加拿大")
CHINA_TITLE = re.compile(r"中国|我国|华|国务院|中央|中[美欧日俄英法德韩非印]|两国|双边|[省县]")
# An inspection tour's report (督查, 督察, 督导: in its title, its 【series】 name or its opening's 督查组)
# says what inspectors looked at, not what was changed; the State Council's circulars praising the
# practices an inspection found (表扬, 典型经验做法) are cases.
INSPECTION = re.compile(r"督查|督察|督导")
INSPECTION_OPENING = re.compile(r"督查组|督察组")
INSPECTION_PRAISE = re.compile(r"表扬|经验做法|典型经验")
# An interview's opening: an official's or a scholar's account of what is to be done.
INTERVIEW_OPENING = re.compile(r"权威访谈|接受[^，。]{0,10}专访|的专访")
# A title that announces a policy document: a document's name in 《》 of the kinds that set out measures,
# "关于…的意见", "若干措施", a State Council decree signed. Such a document on the business environment
# (`BUSINESS_TITLE`) is a policy of measures, a case, though told as news it scores below the band
# ("国务院办公厅印发《关于进一步规范行业协会商会收费的通知》", "李克强签署国务院令 公布《中华人民共和国政府采购法
# 实施条例》"); one of another field is kept out by its topic (`OTHER_TOPIC_TITLE`) or its probability.
POLICY_TITLE = re.compile(r"《[^》]*(意见|通知|决定|办法|措施|方案|规定|条例|目录|纲要|规划)[^》]*》|"
                          r"关于.{2,60}的(意见|通知|决定)|若干(措施|意见)|签署.{0,8}令")
# A title about a rule on penalties rather than a penalty: their records made public
# ("假冒伪劣和侵权行政处罚案件信息将纳入各级政府信息公开内容").
PENALTY_POLICY = re.compile(r"(处罚|案件)信息.{0,10}(公开|纳入)|公开.{0,8}(处罚|案件)信息")
# A commentary's, an editorial's or an interview's title (its 【series】 name included): an opinion on a
# reform, or an official's account of what is to be done, is not the reform ("【本台短评】行政审批改革倒逼
# 政府职能转型", "【权威访谈】加大力度推进行政审批制度改革").
EDITORIAL_TITLE = re.compile(r"【[^】]{0,6}(评论|短评|时评|社论|快评|锐评|访谈|议国是|建言)】|评论员(文章)?[:：]|"
                             r"^[^：:]{0,6}(社论|短评|时评|快评|锐评|述评)[:：]|专访")


# The kinds a title names beyond doubt: a statistics release, a penalty or discipline decision, a
# leader's activity, a meeting. A page so titled is kept out whatever its probability: a meeting on
# a reform reads like the reform ("韩正出席全国工程建设项目审批制度改革工作电视电话会议"), a penalty
# decision names the rules it enforces. A notice's title is no such proof ("…通知" heads policies of
# measures as well as holiday notices), so notices are left to the probability.
STRONG_REASONS = ("统计公报", "行政处罚", "领导活动", "会议报道")
# A press conference is no such proof either: a briefing that states a policy's measures is a case.
BRIEFING = re.compile(r"(新闻)?发布会|吹风会")
# What a page's body shows of its kind, whatever its title: a penalty decision's formal parts
# (当事人, the facts, the decision) or a statistics release's run of growth figures.
PENALTY_BODY = re.compile(r"当事人")
PENALTY_PARTS = re.compile(r"违法事实|违法行为|处罚如下|行政处罚决定|罚款|责令")
GROWTH = re.compile(r"(比上年|同比|比上月|环比)(增长|下降|上涨|提高|回落)|增长[0-9.]+%|下降[0-9.]+%")
MIN_GROWTH_FIGURES = 8  # growth figures in a page's head from which it reads as a statistics release
# A listing (列表页): a column's index, a portal's home page, a list of links read as if it were an article.
# Where the HTML is gone its shape still shows: line after line of short link texts, each with its date
# ("[招标动态] 衢州出台招投标投诉处理办法 2011-09-27", "2017-10-14区域品牌化 浙江绍兴…", or the date on a line
# of its own under the title), a title cut short ("笔记本电脑采购项目成交通...07-22"),
# and next to no sentence. An article has sentences; a compilation's table of contents or a list of
# measures ("●“一窗通办”再提速(推出即审即办方式…);", the corpus's bullets) has no dates or cut titles
# on its lines, and cases with sentences under it.
LISTING = "列表页"
SENTENCE = re.compile(r"[。；]")  # a question or an exclamation can be a link's title ("如何寻找供应商？")
LISTING_DATE = (r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?|[\[(（]?\d{1,2}[-/.]\d{1,2}[\])）]?"
                r"|[\[(（](?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?[\])）])")
LISTING_ITEM = re.compile(
    LISTING_DATE + r"\s*$"  # a date after the title
    r"|^[\[(（]?(?:(?:19|20)\d{2}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}日?[\])）]?"  # a date before it
    r"|(?:…|\.{3})$|^\[[^\]]{2,10}\]"  # a title cut short, a [column] tag (a bullet is no mark: measures have them)
)
BARE_DATE = re.compile(r"^\s*" + LISTING_DATE + r"\s*$")  # a link's date on the line under it
TEXT_LINE = re.compile(r"[\u4e00-\u9fff].*[\u4e00-\u9fff]")  # a line of words (not a bare date, not markup)
MAX_ITEM_CHARS = 60  # a link's text is a title: longer lines are prose
MIN_LISTING_LINES = 8  # lines of words in a page's head, at least
MIN_LISTING_ITEMS = 5
MIN_LISTING_SHARE = 0.3  # of a page's lines of words that are marked items
MAX_LISTING_PROSE = 0.2  # of the characters of those lines in sentences


def _title(title: str | None) -> str:
    """A title normalised, at most `MAX_TITLE_CHARS` of it."""
    return normalise((title or "")[:MAX_TITLE_CHARS])


def _title_unseries(title: str | None) -> str:
    """A normalised title without its 【series】 name ("【坚持高质量发展调研行】辽宁：优化营商环境" is no
    leader's visit)."""
    return re.sub(r"【[^】]*】", "", _title(title))


def _title_head(title: str | None) -> str:
    """A normalised title with the documents it names in 《》 blanked out and its 【series】 name dropped."""
    return re.sub(r"《[^》]*》", "《》", _title_unseries(title))


def _density(pattern: re.Pattern, text: str) -> float:
    """Matches of `pattern` per 1,000 characters of a page's normalised head."""
    body = normalise((text or "")[:GATE_CHARS])
    return len(pattern.findall(body)) * 1000 / max(1, len(body))


def is_listing(text: str) -> bool:
    """Whether a page's head is a list of links (a column's index, a home page) rather than an article.

    Of its lines of words (a table's cells, tab-separated, count as lines), at least `MIN_LISTING_ITEMS`
    and `MIN_LISTING_SHARE` are short items marked as a list's (a date before or after or on the next
    line, a title cut short, a [column] tag), and under `MAX_LISTING_PROSE` of their text is
    in sentences."""
    lines = [line.strip() for line in re.split(r"[\n\t]", (text or "")[:GATE_CHARS]) if line.strip()]
    words = [i for i, line in enumerate(lines) if TEXT_LINE.search(line)]
    if len(words) < MIN_LISTING_LINES:
        return False
    if sum(len(lines[i]) for i in words if SENTENCE.search(lines[i])) > MAX_LISTING_PROSE * sum(len(lines[i]) for i in words):
        return False
    items = sum(
        1 for i in words
        if len(lines[i]) <= MAX_ITEM_CHARS and not SENTENCE.search(lines[i])
        and (LISTING_ITEM.search(lines[i]) or (i + 1 < len(lines) and BARE_DATE.match(lines[i + 1])))
    )
    return items >= MIN_LISTING_ITEMS and items >= MIN_LISTING_SHARE * len(words)


# A page in another language (an English blog, a software page saved beside Chinese ones): the gate's model
# knows Chinese words only, and such a page used to pass as a case of no indicator. Chinese text quoting
# English names or URLs stays well above the share.
NOT_CHINESE = "非中文页面"
CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
MIN_LATIN_LETTERS = 200  # fewer: too little text to say
MIN_CHINESE_SHARE = 0.2  # of the Chinese characters and Latin letters of a page's head


def is_not_chinese(title: str | None, text: str) -> bool:
    """Whether a page is in another language: a title with no Chinese, and a head of mostly Latin letters.
    (A Chinese page's head can be mostly Latin letters: the menus and scripts of gov.cn's leaders' pages.)"""
    if len(CJK_CHAR.findall(title or "")) >= 2:
        return False
    head = (text or "")[:GATE_CHARS]
    latin = len(LATIN_LETTER.findall(head))
    if latin < MIN_LATIN_LETTERS:
        return False
    cjk = len(CJK_CHAR.findall(head))
    return cjk < MIN_CHINESE_SHARE * (cjk + latin)


def strong_reason(title: str | None, text: str = "") -> str | None:
    """The kind of non-case a page is beyond doubt, from its title or its body's form, else None."""
    if is_listing(text):
        return LISTING  # first: a listing's link texts name meetings and penalties of the articles it lists
    if is_not_chinese(title, text):
        return NOT_CHINESE
    head = _title_head(title)
    for reason, pattern in REASONS:
        if reason in STRONG_REASONS and head and pattern.search(BRIEFING.sub("", head)):
            if reason == "行政处罚" and PENALTY_POLICY.search(head):
                continue  # a rule about penalties, not a penalty
            return reason
    whole = _title(title)
    series = "".join(re.findall(r"【([^】]*)】", whole))
    if series and PENALTY_TITLE.search(series):
        return "行政处罚"  # "【环保部公布2014减排核查处罚结果】四市两集团被限批"
    opening = normalise((text or "")[:150])
    if (EDITORIAL_TITLE.search(whole) or (FOREIGN_TITLE.search(head) and not CHINA_TITLE.search(head))
            or INTERVIEW_OPENING.search(opening)):
        return OTHER_NEWS
    if (INSPECTION.search(whole) or INSPECTION_OPENING.search(opening)) and not INSPECTION_PRAISE.search(whole):
        return OTHER_NEWS
    body = normalise((text or "")[:GATE_CHARS])
    if PENALTY_BODY.search(body[:600]) and len(set(PENALTY_PARTS.findall(body))) >= 2:
        return "行政处罚"
    if len(GROWTH.findall(body)) >= MIN_GROWTH_FIGURES:
        return "统计公报"
    return None


def title_names_other_news(title: str | None) -> bool:
    """Whether a title names a kind of page that is no case (a meeting, a visit, statistics …).

    A document's name in 《》 is not the page's kind: "国务院印发《关于…改革的通知》" reports a
    policy's measures, "国务院办公厅关于…的通知" is a notice."""
    head = _title_head(title)
    return bool(head) and any(pattern.search(head) for _, pattern in REASONS)


def names_measures(text: str) -> bool:
    """Whether a page's head speaks of measures and their effect (`MEASURE_WORDS`, dense enough)."""
    return _density(MEASURE_WORDS, text) >= MIN_MEASURE_DENSITY


def title_names_reform(title: str | None) -> bool:
    """Whether a news title names a reform (its 【series】 name aside)."""
    head = _title_unseries(title)
    return bool(REFORM_TITLE.search(head))


def title_names_other_topic(title: str | None) -> bool:
    """Whether a title is about a field outside the business environment (health care, household
    registration, the army, forestry …) and names nothing of the business environment."""
    head = _title_unseries(title)
    return bool(DOMINANT_TOPIC_TITLE.search(head)) or (bool(OTHER_TOPIC_TITLE.search(head)) and not BUSINESS_TITLE.search(head))


def names_business(text: str) -> bool:
    """Whether a page's head speaks of the business environment (`BUSINESS_WORDS`, at least
    `MIN_BAND_BUSINESS_DENSITY` per 1,000 characters)."""
    return _density(BUSINESS_WORDS, text) >= MIN_BAND_BUSINESS_DENSITY


def title_names_business_policy(title: str | None) -> bool:
    """Whether a title announces a policy document on the business environment (`POLICY_TITLE` and
    `BUSINESS_TITLE`, the document's name included)."""
    head = _title_unseries(title)
    return bool(POLICY_TITLE.search(head)) and bool(BUSINESS_TITLE.search(head))


def body_names_business_measures(text: str) -> bool:
    """Whether a page's head is dense both in measure words and in the business environment's words
    (`MEASURE_WORDS`, `BUSINESS_WORDS`, each `MIN_BODY_DENSITY` per 1,000 characters)."""
    return _density(MEASURE_WORDS, text) >= MIN_BODY_DENSITY and _density(BUSINESS_WORDS, text) >= MIN_BODY_DENSITY


def reason_for(title: str | None, text: str) -> str:
    """The kind of non-case page, in a few words ("会议报道", "统计公报" …)."""
    head = _title(title)
    opening = normalise((text or "")[:200])
    for where in (head, opening):
        for reason, pattern in REASONS:
            if where and pattern.search(where):
                return reason
    return OTHER_NEWS


@dataclass(frozen=True)
class Page:
    """A page for the gate: its text, whether it is a reform case, and (for a non-case) why not."""

    id: str
    title: str | None
    text: str
    is_case: bool
    reason: str | None = None
    source: str | None = None
    batch: str | None = None  # evaluation pages: "confirmation" = gathered after the gate's design was fixed


def read_pages(path: str | Path) -> list[Page]:
    """Pages from a JSONL file: id, title?, text, is_case (default false), reason?, source?."""
    pages = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("text"), str):
                raise ValueError(f'{path}:{number}: no "text"')
            pages.append(Page(str(row.get("id") or f"{Path(path).stem}:{number}"), row.get("title"), row["text"],
                              bool(row.get("is_case", False)), row.get("reason"), row.get("source"), row.get("batch")))
    return pages


def negatives_hash(path: Path = NEGATIVES) -> str:
    """Short hash of the negatives file (a model trained on other negatives is stale)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if Path(path).exists() else "none"


def policy_texts(folder: Path = POLICY_SAMPLE) -> list[str]:
    """Seed 003 whole, then each of its paragraphs of 40 characters or more (its measures)."""
    paths = sorted(Path(folder).glob("003_*.txt"))
    if not paths:
        return []
    text = normalise(paths[0].read_text(encoding="utf-8"))
    return [text] + [p.strip() for p in text.split("\n") if len(p.strip()) >= 40]


def gate_text(title: str | None, text: str) -> str:
    """Normalised title and the head of the body: what the gate reads of a page."""
    title = _title(title)
    body = normalise((text or "")[:GATE_CHARS])
    return f"{title}\n{body}" if title else body


@dataclass
class SigmoidFolds:
    """A fitted CalibratedClassifierCV of sigmoid-calibrated linear folds, as its numbers: each fold's
    coefficients and intercept, and its calibrator's a and b. Its probability is scikit-learn's, bit for
    bit; the gate keeps it in place of the fitted estimator when it is pickled, so that a loaded model
    imports no scikit-learn."""

    coef: np.ndarray  # (folds, features)
    intercept: np.ndarray  # (folds,)
    a: np.ndarray
    b: np.ndarray

    @classmethod
    def of(cls, calibrated: CalibratedClassifierCV) -> SigmoidFolds | None:
        """The numbers of a fitted binary, sigmoid-calibrated estimator (None for any other)."""
        folds = calibrated.calibrated_classifiers_
        if list(calibrated.classes_) != [False, True] or any(f.method != "sigmoid" for f in folds):
            return None
        return cls(np.vstack([f.estimator.coef_ for f in folds]), np.concatenate([f.estimator.intercept_ for f in folds]),
                   np.array([f.calibrators[0].a_ for f in folds]), np.array([f.calibrators[0].b_ for f in folds]))  # fmt: skip

    def probability(self, X) -> np.ndarray:
        """The mean of the folds' calibrated probabilities (`predict_proba(X)[:, True]`), the folds'
        margins taken in one product."""
        margins = X @ self.coef.T + self.intercept
        p = np.zeros(X.shape[0])
        for k in range(len(self.a)):
            p += expit(-(self.a[k] * margins[:, k] + self.b[k]))
        return p / len(self.a)


class RelevanceGate:
    """A calibrated linear model of "reform case or not", with a threshold chosen for recall.

    Words and character n-grams (the indicator model's features, fitted on the gate's own
    texts), a linear SVM with balanced class weights, and Platt scaling fitted on held-out
    folds (scikit-learn's CalibratedClassifierCV), so `probability` is a probability.
    """

    def __init__(self, c: float = 0.5, target_recall: float = 0.99, band_quantile: float = 0.975,
                 tokenizer: str = "jieba") -> None:
        """An unfitted gate; the threshold is chosen to keep `target_recall` of held-out cases, the
        uncertain band to start above `band_quantile` of held-out non-cases."""
        self.c, self.target_recall, self.band_quantile, self.tokenizer = c, target_recall, band_quantile, tokenizer
        self.threshold = 0.5
        self.band_low = 0.5

    def _estimator(self, folds: int) -> CalibratedClassifierCV:
        """A Platt-calibrated, class-balanced linear SVM."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=self.c, class_weight="balanced", tol=1e-3, random_state=0)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=folds)

    def fit(self, texts: Sequence[str], is_case: Sequence[bool], groups: Sequence[str] | None = None,
            folds: int = 5) -> "RelevanceGate":
        """Fit on gate texts; choose the threshold on out-of-fold probabilities of the cases.

        Folds keep a group (a corpus practice, a labels file, a source) together, so the
        threshold is chosen on texts from places the fold's model never saw.
        """
        from sklearn.model_selection import GroupKFold, StratifiedKFold

        y = np.asarray(is_case, dtype=bool)
        self.features = Features(self.tokenizer, (1, 3)).fit(texts)
        X = self.features.transform(texts)
        self.estimator = self._estimator(folds).fit(X, y)
        oof = np.zeros(len(y))
        splitter = GroupKFold(folds) if groups is not None else StratifiedKFold(folds, shuffle=True, random_state=0)
        for train, test in splitter.split(X, y, groups):
            fold = self._estimator(3).fit(X[train], y[train])
            oof[test] = fold.predict_proba(X[test])[:, 1]
        self.out_of_fold = oof
        self.threshold = float(self.threshold_for(oof[y], self.target_recall))
        # Below the threshold, down to where the held-out non-cases thin out, a page is uncertain:
        # the training cases are summaries and policy texts, so a reform told as news scores lower
        # than its content deserves. There the title decides (see `judge`).
        self.band_low = float(min(self.threshold, max(0.2, np.quantile(oof[~y], self.band_quantile)))) if (~y).any() else self.threshold
        self.cv = {
            "n_cases": int(y.sum()), "n_non_cases": int((~y).sum()), "threshold": round(self.threshold, 4),
            "band_low": round(self.band_low, 4),
            "case_recall": round(float((oof[y] >= self.threshold).mean()), 4),
            "non_case_kept_out": round(float((oof[~y] < self.threshold).mean()), 4),
        }
        return self

    @staticmethod
    def threshold_for(case_probabilities: np.ndarray, recall: float) -> float:
        """The highest threshold that still passes `recall` of these cases (at most 0.5)."""
        if not len(case_probabilities):
            return 0.5
        ranked = np.sort(case_probabilities)
        k = int(np.floor((1 - recall) * len(ranked)))
        return float(min(0.5, ranked[k] - 1e-9))

    def _p(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of "case" for gate texts: `self.estimator.predict_proba(X)[:, True]`
        with the folds' margins taken in one product (the mean of each fold's calibrated
        probability, as scikit-learn takes it)."""
        X = self.features.transform(texts)
        folds = self.estimator if isinstance(self.estimator, SigmoidFolds) else SigmoidFolds.of(self.estimator)
        if folds is None:
            return self.estimator.predict_proba(X)[:, list(self.estimator.classes_).index(True)]
        return folds.probability(X)

    def __getstate__(self) -> dict:
        """Pickled with the fitted estimator's numbers only (`SigmoidFolds`), where it has them."""
        state = dict(self.__dict__)
        if not isinstance(self.estimator, SigmoidFolds):
            state["estimator"] = SigmoidFolds.of(self.estimator) or self.estimator
        return state

    def probability(self, items: Sequence[tuple[str | None, str]]) -> np.ndarray:
        """Probability that each (title, text) is a reform case: the mean of the head's and the
        `BODY_QUANTILE` quantile of its paragraphs'.

        An official document of measures opens like any notice (letterhead, addressees,
        preamble) and shows what it is in its paragraphs; a reform told as news shows it in some
        of them; a meeting report quotes a reform in one paragraph, not in a quarter of them.
        """
        if not items:
            return np.zeros(0)
        head = self._p([gate_text(t, x) for t, x in items])
        owners, chunks = [], []
        for n, (_, text) in enumerate(items):
            for chunk in split_chunks(normalise((text or "")[:MAX_BODY_CHARS]), CHUNK_CHARS)[:MAX_CHUNKS]:
                owners.append(n), chunks.append(chunk)
        p = self._p(chunks) if chunks else np.zeros(0)
        owners_arr = np.asarray(owners, dtype=int)
        body = np.array([np.quantile(p[owners_arr == n], BODY_QUANTILE) if (owners_arr == n).any() else head[n]
                         for n in range(len(items))])
        return (head + body) / 2

    def is_case(self, probability: float, title: str | None, text: str = "") -> bool:
        """Never a case when the title names a statistics release, a penalty, a leader's activity or
        a meeting, or the body has a penalty decision's or a statistics release's form
        (`strong_reason`), or the title is about a field outside the business environment
        (`title_names_other_topic`). Else a case at or above the threshold; below it, unless the
        title names a notice or one of those: down to `REFORM_FLOOR` when the title names a reform
        or the head is dense in business measures (a reform told as news), and in the uncertain
        band when the page speaks of measures and of the business environment (`names_measures`,
        `names_business`). An editorial's title keeps a page out (`strong_reason`)."""
        if strong_reason(title, text) or title_names_other_topic(title):
            return False
        if probability >= self.threshold:
            return True
        if title_names_other_news(title):
            return False
        if probability >= REFORM_FLOOR and (title_names_reform(title) or body_names_business_measures(text)
                                            or title_names_business_policy(title)):
            return True
        return (probability >= getattr(self, "band_low", self.threshold) and names_measures(text)
                and names_business(text))

    def judge(self, items: Sequence[tuple[str | None, str]]) -> list[tuple[bool, float, str | None]]:
        """(is it a case, probability, reason if not) for each (title, text)."""
        out = []
        for (title, text), q in zip(items, self.probability(items)):
            case = self.is_case(float(q), title, text)
            out.append((case, float(q), None if case else (strong_reason(title, text) or reason_for(title, text))))
        return out


def gate_training(sections: list, real: Sequence, negatives: Sequence[Page],
                  policy: Sequence[str] = ()) -> tuple[list[str], list[bool], list[str]]:
    """Texts, labels and CV groups for the gate: corpus units, labelled cases, the policy
    document and its tasks, then negatives.

    Corpus practices and cases count whole and by their sub-items, so that one-paragraph
    reforms and one-line headings look like cases too. The policy document (seed 003, which
    the indicator model never trains on) teaches the gate that an official document of
    measures is a case, whatever its letterhead: its negatives include official notices.
    """
    from .corpus import section_units

    texts, labels, groups = [], [], []
    for section in sections:
        for group, text in section_units(section, "item+subitem"):
            texts.append(gate_text(None, text)), labels.append(True), groups.append(group)
    for r in real:
        texts.append(gate_text(r.example.title, r.example.text)), labels.append(True), groups.append(r.group)
    for n, text in enumerate(policy):
        texts.append(gate_text(None, text)), labels.append(True), groups.append(f"policy/{n % 5}")
    for page in negatives:
        texts.append(gate_text(page.title, page.text)), labels.append(False)
        groups.append(f"negative/{zlib.crc32(page.id.encode()) % 10}")
    return texts, labels, groups
