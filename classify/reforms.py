"""Named reforms in a case's text, and how alike two cases' practices are.

A reform is a practice that regions copy (“交地即开工”, “一件事一次办”, 信易贷). A case names it
in quotes (“…”, ‘…’, 「…」) or with a tell-tale ending (…模式, …机制, …改革, …即开工); the same
reform is spelt several ways (交地即开工 / “交地即开工”改革 / 交地即开工模式), so names are
compared by a key: Simplified, without quotes, without the endings that only say "a reform".
Cases that name nothing in common may still describe one practice: `similarity` compares the
words of their action sentences (推行…, 建立…, 实现…); store/reforms.py groups cases with it
within one indicator, at the threshold `SAME_PRACTICE` measured on hand-labelled pairs
(data/eval/reform_groups.jsonl, classify/reform_eval.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .text import is_filler, normalise, place_names, tokenize

# Two cases of one indicator whose action sentences are at least this alike (TF-IDF cosine)
# describe one practice. Chosen on the bundled samples' labelled pairs only (the tuning part of
# data/eval/reform_groups.jsonl); README "How reforms spread" gives the figure on the other part.
SAME_PRACTICE = 0.15

QUOTED_RE = re.compile(r"[“\"‘「『]([^“”\"‘’「」『』\n]{2,16})[”\"’」』]")
# Endings that make a phrase a reform's name; the longest first, so 集成改革 wins over 改革.
ENDINGS = (
    "一件事一次办", "集成改革", "一次办", "即开工", "一件事", "新模式", "模式", "机制", "改革", "服务",
    "通办", "联办", "秒批", "秒办", "即办", "一网通", "承诺制", "代办制", "工作法",
)  # fmt: skip
NAME_RE = re.compile(r"[\u4e00-\u9fff“”\"‘’「」+＋]{2,18}?(?:" + "|".join(map(re.escape, ENDINGS)) + ")")
# Words that open a clause before the name: what was done to the reform, not its name.
LEAD_RE = re.compile(
    r"^.*(?:推行|推出|推进|推动|推广|实行|实施|实现|建立|构建|打造|开展|深化|试行|探索|创新|创建|首创|率先|全面|大力|"
    r"积极|持续|着力|升级|完善|健全|聚焦|依托|借鉴|围绕|出台|启动|上线|形成|设立|开通)"
)
# What a key ends with when it says only "a reform": stripped, so variants share one key.
GENERIC_ENDINGS = ("集成改革", "制度改革", "改革", "新模式", "模式", "工作机制", "服务机制", "机制", "集成服务", "服务", "集成", "制度", "试点", "创新", "工作法")
# Keys that name no particular practice: slogans of the whole field, indicators, bodies.
GENERIC_KEYS = frozenset({
    "营商环境", "优化营商环境", "放管服", "放管服改革", "政务服务", "一件事", "一次办", "一网通", "数字化", "数字化改革",
    "加减乘除", "多措并举", "流程再造", "集约化", "专业化", "直通车", "快车道", "升级版", "组合拳", "示范",
    "执行合同", "获得电力", "获得信贷", "登记财产", "企业开办", "开办企业", "办理破产", "纳税", "政府采购", "招标投标",
    "全生命周期", "最多", "集成", "改革", "服务", "机制", "模式", "新", "服务企业", "企业服务", "便民服务", "体系", "平台", "工作", "管理", "样本", "品牌", "新名片",
})  # fmt: skip
# A slogan made of a count (“四办”, “五个一”, “1+3”, “三团两库”): a local label, not a practice others copy.
COUNTED_RE = re.compile(r"^(?:[二三四五六七八九十两百\d]|[1-9]\d*[+＋])|^[\d+＋]+$|[二三四五六七八九十]个")
# A quoted phrase names a practice only if it says what is done or where (办, 审批, 证, 贷, 开工, 窗口, 网 …);
# (创: “双创”); without such a word it is a figure of speech (“一把手”, “蓄水池”, “牛鼻子”, “朋友圈”, “实打实”), not a reform.
PRACTICE_RE = re.compile(
    r"办|审|批|证|照|贷|许可|登记|开工|注销|报装|接电|用水|用气|服务|改革|机制|模式|制|通|联动|监管|监督|信用|码|平台|"
    r"窗|网|在线|智|即享|秒|免|承诺|容缺|帮|管家|专员|特派员|热线|评价|执行|审判|诉|调解|破产|拍卖|质押|税|票|"
    r"就业|招聘|创|融资|惠企|助企|营商|跑|站|标|采购|招投|交易|清单|备案|检|验|查|保|补|贴|金|租|地|房"
)
SENTENCE_RE = re.compile(r"[^。；;！!？?\n]+")
ACTION_RE = re.compile(
    r"推行|推出|推进|推广|实行|实施|实现|建立|构建|打造|开展|设立|探索|创新|试行|简化|压缩|取消|整合|搭建|开通|上线|"
    r"出台|制定|允许|支持|授权|引入|开发|下放|受理|联办|通办|办结|审批|办理|提供"
)
# How many action sentences of a body describe its practice (chosen with SAME_PRACTICE).
ACTION_SENTENCES = 2
# How many names of a case count: those of its title, else of the opening of its text.
LEAD_CHARS = 160


@dataclass(frozen=True)
class Name:
    """A reform's name as a case writes it, and the key its variants share."""

    text: str
    key: str


@dataclass
class Signals:
    """What a case says about its reform: the names it gives (title first) and its action words."""

    names: list[Name] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """The names' keys, once each, in order."""
        return list(dict.fromkeys(n.key for n in self.names))


def name_key(name: str) -> str:
    """The key of a reform's name: Simplified, no quotes or punctuation, generic endings removed."""
    key = re.sub(r"[\W_]+", "", normalise(name))
    places = place_names()
    # 安徽省合肥市交地即开工 names the place that did it: the reform is 交地即开工.
    while (lead := next((n for n in range(min(8, len(key) - 2), 1, -1) if key[:n] in places), 0)):
        key = key[lead:]
    changed = True
    while changed:
        changed = False
        for ending in GENERIC_ENDINGS:
            if key.endswith(ending) and len(key) - len(ending) >= 2:
                key, changed = key[: -len(ending)], True
    return key


def usable(key: str) -> bool:
    """True for a key that names a particular practice (not a slogan of the whole field or a count)."""
    return 2 <= len(key) <= 16 and key not in GENERIC_KEYS and not COUNTED_RE.search(key) and not key.isdigit()


def find_names(text: str, endings: bool = True, shortest: int = 2) -> list[Name]:
    """Reform names in one piece of text, in order: quoted names (of `shortest` characters or more) and
    (with `endings`) names with a reform's ending."""
    text = normalise(text)
    found: list[Name] = []
    for clause in re.split(r"[，,。；;：:！!？?、\s（）()《》]+", text):
        for match in NAME_RE.finditer(clause) if endings else ():
            phrase = LEAD_RE.sub("", match.group(0)) or match.group(0)
            quoted = QUOTED_RE.findall(phrase)
            bare = re.sub(r"[“”\"‘’「」『』]", "", phrase)
            whole = Name(bare, name_key(bare))
            # “一件事一次办”集成服务改革 is named by its quotes; 企业简易注销“一件事”改革 (一件事 alone names
            # nothing) by the whole phrase.
            if quoted and usable(name_key(quoted[0])):
                found.append(Name(quoted[0], name_key(quoted[0])))
            elif len(whole.key) >= 4 and usable(whole.key):  # 政务服务 → 政务 names nothing
                found.append(whole)
        for quoted in QUOTED_RE.findall(clause):
            key = name_key(quoted)
            if usable(key) and len(key) >= shortest and PRACTICE_RE.search(normalise(quoted)):
                found.append(Name(quoted, key))
    unique: dict[str, Name] = {}
    for name in found:
        if usable(name.key):
            unique.setdefault(name.key, name)
    return list(unique.values())


def case_names(title: str, body: str) -> list[Name]:
    """The names a case gives its reform: those of its title, else the quoted ones of its opening lines."""
    title = re.sub(r"^[^：:]{2,16}[：:]", "", title or "")  # "浙江省：…" names a region, not a reform
    # A title's “双创” or “秒批” is a name; in the text, two quoted characters are as often a figure of speech (做好“加法”).
    return find_names(title)[:3] or find_names((body or "")[:LEAD_CHARS], endings=False, shortest=3)[:2]


def action_terms(title: str, body: str) -> list[str]:
    """The words of what a case did: its title (counted twice) and its first action sentences (推行…, 建立…),
    place names and stop words left out. A long article's later sentences describe its details, not its practice."""
    head = normalise(re.sub(r"^[^：:]{2,16}[：:]", "", title or ""))
    sentences = [s for s in SENTENCE_RE.findall(normalise(body or "")) if ACTION_RE.search(s)][:ACTION_SENTENCES]
    return [w for w in tokenize(" ".join([head, head, *sentences])) if not is_filler(w) and not w.isascii()]


def signals(title: str, body: str) -> Signals:
    """A case's reform names and action words."""
    return Signals(case_names(title, body), action_terms(title, body))


def idf(documents: Iterable[Sequence[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of each word over the documents (as scikit-learn's)."""
    documents = list(documents)
    counts = Counter(w for terms in documents for w in set(terms))
    n = len(documents)
    return {w: math.log((1 + n) / (1 + c)) + 1 for w, c in counts.items()}


def vector(terms: Sequence[str], weights: dict[str, float]) -> dict[str, float]:
    """A case's TF-IDF vector (sublinear term frequency), unit length."""
    raw = {w: (1 + math.log(c)) * weights.get(w, 1.0) for w, c in Counter(terms).items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {w: v / norm for w, v in raw.items()}


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two unit vectors."""
    if len(b) < len(a):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


@dataclass
class Case:
    """A case as grouping sees it: its id, indicator and signals."""

    id: str
    indicator: str | None
    signals: Signals


def case_vectors(cases: Sequence[Case]) -> dict[str, dict[str, float]]:
    """Each case's TF-IDF vector, the weights taken over the cases of its indicator."""
    by_indicator: dict[str | None, list[Case]] = {}
    for case in cases:
        by_indicator.setdefault(case.indicator, []).append(case)
    vectors = {}
    for members in by_indicator.values():
        weights = idf(c.signals.terms for c in members)
        vectors.update({c.id: vector(c.signals.terms, weights) for c in members})
    return vectors


def group(cases: Sequence[Case], threshold: float = SAME_PRACTICE) -> list[list[str]]:
    """The cases' reforms, as store/reforms.py builds them one case at a time, each a list of ids in input order.

    A case joins every group that gives one of its names' keys, or whose first case is of its indicator
    and alike enough (groups it joins are merged); else it starts a group. Likeness is to a group's
    first case, not to any member: a chain of each-a-little-alike cases is not one practice.
    """
    vectors = case_vectors(cases)
    groups: list[list[Case]] = []
    for case in cases:
        keys = set(case.signals.keys)
        hits = [
            g for g in groups
            if keys & {k for member in g for k in member.signals.keys}
            or (case.indicator is not None and g[0].indicator == case.indicator and similarity(vectors[g[0].id], vectors[case.id]) >= threshold)
        ]  # fmt: skip
        if not hits:
            groups.append([case])
            continue
        for other in hits[1:]:
            hits[0] += other
            groups.remove(other)
        hits[0].append(case)
    order = {c.id: i for i, c in enumerate(cases)}
    return [sorted((c.id for c in g), key=order.get) for g in groups]
