"""Extractive summaries and benchmark figures of a case, in the script it was published in.

A summary is one or two sentences of the body that say what was done and what it
achieved: sentences are scored by their centrality (TextRank over character
bigrams), their place in the text, words of action and of result, and the figures
they state. Lead-ins (一是… 1、…), headings and quotations are never chosen.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from zhtext import NUMERAL_CHARS, chinese_numeral, is_heading, to_simplified

# A sentence ends at 。！？； (with any closing quotes after it) or at a line break.
SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+(?:[。！？；!?;]+[”’」』）)]*)?")
TERMINAL = "。！？；!?;"
OPENING_QUOTES = "“‘「『\"'"
CLOSING_QUOTES = "”’」』"
PUNCTUATION_RE = re.compile(r"[\s\W_]+")
ACTION_RE = re.compile(
    r"推行|推出|实施|实行|建立|建设|打造|开展|设立|上线|开通|整合|简化|精简|创新|探索|构建|率先|出台|制定|推动|搭建|"
    r"依托|聚焦|升级|试点|首创|开发"
)
RESULT_RE = re.compile(
    r"实现|压缩|缩短|减少|压减|降至|降低|提升至|提高|办结|节约|节省|惠及|累计|零|全程网办|一次办|即办|秒办|当天|当日|"
    r"成效|达到|突破|覆盖|受益|缩减|提速|全覆盖"
)
# Openings that frame a case (its purpose, the news peg) rather than say what was done.
PREAMBLE_RE = re.compile(r"^(?:为了?|按照|根据|近日|日前|近年来|今年以来|记者)")
# What someone said ("张世俊表示，…", "企业负责人说：") and lead-ins that report rather than tell.
QUOTATION_RE = re.compile(
    r"^[^，。；,;“”]{1,24}?(?:表示|说|指出|介绍|称|认为|强调|坦言|感叹|感慨|提到|谈到|透露|告诉记者|点赞)(?:道)?[，,：:“]"
    r"|^(?:据了解|据介绍|据悉|据统计|记者了解到|值得一提的是|总的来看|总之|综上)[，,]"
)
# A piece that opens with these continues a sentence ("和营商环境建设作为…"), it does not start one.
CONTINUES_RE = re.compile(r"^(?:[，,、；;：:）)」』”’》]|和|与|及|以及|并且|而且|而|但|或|且|同时也)")
# A line this long without end punctuation is a sentence broken over two blocks, not a subtitle.
BROKEN_LINE = 40
PLACE_RE = re.compile(r"^.{1,10}?[省市县区州盟旗镇]")
MAX_SENTENCE = 100
# A second sentence (the result) is added only while the summary stays this short.
MAX_SUMMARY = 150

NUM = rf"(?:\d+(?:\.\d+)?|[{NUMERAL_CHARS}半]+)"
TIME_UNIT = r"(?:个)?(?:工作日|自然日|小时|分钟|个月|天|日|年)"
COUNT_UNIT = r"(?:个)?(?:环节|步)|(?:份|件|项|个)?材料|次"
# Benchmark figures: a time, number of steps, materials or cost reduced to a value, a
# case done within a time, things made free, and reductions in percent.
FIGURE_RES = [
    re.compile(rf"(?:压缩|缩短|减少|压减|降低|降|减|精简|缩减|提速|整合|优化)(?:了)?(?:到|至|为|成)\s*{NUM}\s*(?:{TIME_UNIT}|{COUNT_UNIT}|元|万元)(?:以内|之内|内)?"),
    re.compile(rf"(?:由|从)(?:原来的|原)?\s*{NUM}\s*(?:{TIME_UNIT}|{COUNT_UNIT}|元)(?:压缩|缩短|减少|压减|降低|精简|缩减|整合)(?:到|至|为|成)\s*{NUM}\s*(?:{TIME_UNIT}|{COUNT_UNIT}|元)(?:以内|之内|内)?"),
    re.compile(rf"(?<![月\d.]){NUM}\s*{TIME_UNIT}(?:以内|之内|内)?(?:即可)?(?:办结|办成|办完|办好|完成|出证|发证|拿证|领证|办理完毕|放款|接电|通水|通气)"),
    re.compile(rf"(?:仅需|只需|只要|仅)\s*{NUM}\s*(?:{TIME_UNIT}|{COUNT_UNIT})"),
    re.compile(r"零(?:费用|成本|收费|跑动|跑腿|材料|见面|接触|等待|填报|上门|投资)|免费(?:办理|代办|帮办)|全程免费"),
    re.compile(rf"(?:压缩|缩短|减少|压减|降低|精简|缩减|提速|节约|节省|提升|提高)(?:了)?[^，。；,;、\s]{{0,8}}?{NUM}\s*%(?:以上)?"),
]
# For each pattern above, what every match of it holds (the verb's last character and 到至为成; 由/从; a number's
# last character and a unit of time; 仅/只; 零/免费; %): a text without it is not searched with the
# pattern. Most sentences lack it for most patterns, and the summary looks for figures in every
# sentence; these searches skip ahead by character class, the patterns try every position.
FIGURE_NEEDS = [
    re.compile("[缩短少减低降简速合化]了?[到至为成]"),
    re.compile("[由从]"),
    re.compile(rf"[\d{NUMERAL_CHARS}半]\s*{TIME_UNIT}"),
    re.compile("[仅只]"),
    re.compile("[零免]"),
    re.compile("%"),
]


@dataclass(frozen=True)
class Figure:
    """A number that matters for an indicator, as it reads in the text, and what it measures."""

    text: str
    kind: str | None = None  # "time", "steps", "materials", "cost" or None
    value: float | None = None  # in days for a time, in units otherwise
    unit: str | None = None  # as stated, normalised: 工作日, 天, 小时, 分钟, 月, 年, 环节, 件, 元
    context: str = ""  # the words of its sentence before it (Simplified), or a best figure's label


@dataclass(frozen=True)
class Summary:
    """A case's summary as parts of text, the figures among them marked to be highlighted."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        """The summary as plain text."""
        return "".join(part for part, _ in self.parts)


def split_sentences(body: str) -> list[str]:
    """The sentences of a text, in order, each with its closing punctuation; headings are lines of their own."""
    return [m.group(0).strip() for m in SENTENCE_RE.finditer(body) if m.group(0).strip()]


def sentence_starts(sentences: list[str]) -> list[bool]:
    """For each piece of `split_sentences`, whether it starts a sentence (not a clause after ；or a broken line)."""
    starts, opened = [], True
    for piece in sentences:
        bare = piece.rstrip(CLOSING_QUOTES + "”）)")
        starts.append(opened and not CONTINUES_RE.match(piece))
        if bare[-1:] in "。！？!?":
            opened = True
        elif bare[-1:] in "；;":
            opened = False  # what follows is the next clause of the same sentence
        else:  # a line without end punctuation: a subtitle, or a sentence broken over two blocks
            opened = len(piece) <= BROKEN_LINE
    return starts


def is_lead_in(sentence: str) -> bool:
    """True for sentences a summary must not use: numbered lead-ins, headings and quotations."""
    bare = sentence.lstrip(CLOSING_QUOTES + " ")
    if is_heading(bare) or bare[:1] in OPENING_QUOTES or QUOTATION_RE.match(bare):
        return True
    # A line without closing punctuation is a subtitle such as "推进企业注销全程网办".
    return bare[-1:] not in TERMINAL + CLOSING_QUOTES + "”）)" or len(bare) < 12


def _bigram_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct character bigrams of each text (punctuation and spaces left out), as numbers.

    Two arrays, sorted by text then bigram: the text's index and the bigram (its two code
    points, 21 bits each): the sets of bigrams of the texts without a Python step per bigram.
    """
    bares = [PUNCTUATION_RE.sub("", text) for text in texts]
    chars = np.frombuffer("".join(bares).encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    owner = np.repeat(np.arange(len(bares), dtype=np.int64), [len(bare) for bare in bares])
    inside = owner[:-1] == owner[1:]  # not a pair across two texts
    keys = np.sort((owner[:-1][inside] << 42) | (chars[:-1][inside] << 21) | chars[1:][inside])
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # np.unique, 10 times faster (no hashing)
    return keys >> 42, keys & ((1 << 42) - 1)


# Texts ranked together: a batch's cases × its longest case's sentences² stays under this many weights.
RANK_BATCH = 1 << 20


def _centralities(owner: np.ndarray, bigram: np.ndarray, counts: list[int], iterations: int = 30, damping: float = 0.85) -> list[list[float]]:
    """`centrality` of several groups of texts at once, given `_bigram_codes` of all their texts in a row.

    The groups are ranked in batches, each group a slice of an (i, group, j) array padded with
    zeros. Every sum adds its terms one by one in index order, as Python's sum() of a list does
    (a reduction over axis 0 of a C-ordered array is sequential, not pairwise; padding adds +0.0,
    which changes no sum), and every term is w·s/t computed in that order: each group's scores
    are the same floats, bit for bit, as a loop over its sentences would give. Ranking the 25
    cases of a week together takes 90 NumPy steps, not 25 × 90.
    """
    sizes = np.bincount(owner, minlength=sum(counts))
    firsts = np.cumsum([0, *counts])
    group = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(group)) - firsts[group]
    # Every two texts of a group that hold the same bigram: sorted by (group, bigram), each text of
    # a run beside each text of the run, counted into the batch's cells.
    order = np.argsort((group[owner] << 42) | bigram, kind="stable")
    text = owner[order]
    key = (group[text] << 42) | bigram[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    runs = np.diff(np.r_[starts, len(key)])
    run_of, start_of = np.repeat(runs, runs), np.repeat(starts, runs)
    left = np.repeat(np.arange(len(text)), run_of)
    right = np.repeat(start_of, run_of) + np.arange(len(left)) - np.repeat(np.cumsum(run_of) - run_of, run_of)
    left, right = text[left], text[right]
    logs = [math.log(size) if size > 1 else 1.0 for size in sizes.tolist()]
    # Groups of about the same size share a batch (padding a case of 5 sentences to 80 would cost
    # 250 times its work): by size, each batch as wide as its largest group, at most twice (and 8
    # more than) its smallest.
    ranks: dict[int, list[float]] = {}
    by_size = sorted(range(len(counts)), key=counts.__getitem__)
    first = 0
    while first < len(by_size):
        last = first + 1
        smallest = counts[by_size[first]]
        while last < len(by_size) and counts[by_size[last]] <= 2 * smallest + 8 and counts[by_size[last]] ** 2 * (last + 1 - first) <= RANK_BATCH:
            last += 1
        batch = by_size[first:last]
        ranks.update(zip(batch, _rank_batch(left, right, sizes, logs, group, local, firsts, batch, counts[batch[-1]], iterations, damping)))
        first = last
    return [ranks[g] for g in range(len(counts))]


def _rank_batch(left, right, sizes, logs, group, local, firsts, batch, widest, iterations, damping) -> list[list[float]]:
    """TextRank of the groups `batch` (their texts' bigram pairs in `left`/`right`), in one padded array."""
    width = len(batch)
    slot = np.full(len(firsts) - 1, -1)
    slot[batch] = np.arange(width)  # each group's place in the batch
    texts = np.concatenate([np.arange(firsts[g], firsts[g + 1]) for g in batch])
    mine = slot[group[left]] >= 0
    cells = local[left[mine]] * (width * widest) + slot[group[left[mine]]] * widest + local[right[mine]]
    shared = np.bincount(cells, minlength=widest * width * widest).reshape(widest, width, widest)
    padded_logs, live = np.ones((widest, width)), np.zeros((widest, width), dtype=bool)
    padded_logs[local[texts], slot[group[texts]]] = np.asarray(logs)[texts]
    live[local[texts], slot[group[texts]]] = sizes[texts] > 1
    # The weight of two sentences of two bigrams or more: shared / (log size + log size), the
    # logarithms Python's (math.log); a sentence of fewer shares no weight, nor one with itself.
    weights = np.where(live[:, :, None] & live.T[None, :, :], shared / (padded_logs[:, :, None] + padded_logs.T[None, :, :]), 0.0)
    diagonal = np.arange(widest)
    weights[diagonal, :, diagonal] = 0.0
    totals = np.add.reduce(weights, axis=0).T  # (i, group): the weights are symmetric, a column's sum is its row's
    totals[totals == 0.0] = 1.0
    scores = np.ones((widest, width))
    terms = np.empty_like(weights)
    for _ in range(iterations):
        np.multiply(weights, scores[:, :, None], out=terms)
        terms /= totals[:, :, None]
        scores = ((1 - damping) + damping * np.add.reduce(terms, axis=0)).T
    ranks = []
    for place, g in enumerate(batch):
        values = scores[: firsts[g + 1] - firsts[g], place].tolist()
        top = max(values, default=1.0) or 1.0
        ranks.append([s / top for s in values])
    return ranks


def centrality(sentences: list[str], iterations: int = 30, damping: float = 0.85) -> list[float]:
    """TextRank scores of sentences (similarity: shared character bigrams), scaled to 0–1."""
    owner, bigram = _bigram_codes(sentences)
    return _centralities(owner, bigram, [len(sentences)], iterations, damping)[0]


def _shorten(sentence: str, limit: int = MAX_SENTENCE) -> str:
    sentence = sentence.lstrip(CLOSING_QUOTES + " ")
    if len(sentence) <= limit:
        return sentence
    cut = max(sentence.rfind(mark, 0, limit) for mark in "，,、")
    return (sentence[:cut] if cut > limit // 2 else sentence[: limit - 1]) + "…"


def summarise(body: str, title: str = "") -> Summary:
    """One or two sentences of `body` saying what was done and its result, figures marked."""
    return summarise_all([(body, title)])[0]


def summarise_all(cases: list[tuple[str, str]]) -> list[Summary]:
    """`summarise` of each (body, title): the same summaries, their sentences ranked together (a week's at once)."""
    plans = [_candidates(body) for body, _ in cases]
    ranked = [k for k, plan in enumerate(plans) if plan[3]]
    texts = [plans[k][1][i] for k in ranked for i in plans[k][3]]
    owner, bigram = _bigram_codes(texts)
    counts = [len(plans[k][3]) for k in ranked]
    ranks = _centralities(owner, bigram, counts)
    # How many of each candidate's bigrams its case's title lacks, and whether the title has any.
    title_owner, title_bigram = _bigram_codes([to_simplified(cases[k][1]) for k in ranked])
    case_of = np.repeat(np.arange(len(ranked)), counts)
    in_title = np.isin((case_of[owner] << 42) | bigram, (title_owner << 42) | title_bigram)
    beyond_title = (np.bincount(owner, minlength=len(texts)) - np.bincount(owner[in_title], minlength=len(texts))).tolist()
    titled = (np.bincount(title_owner, minlength=len(ranked)) > 0).tolist()
    summaries = [plan[4] for plan in plans]
    first = 0
    for number, k in enumerate(ranked):
        count = counts[number]
        summaries[k] = _choose(*plans[k][:4], ranks[number], beyond_title[first : first + count] if titled[number] else None)
        first += count
    return summaries


def _candidates(body: str) -> tuple[list[str], list[str], list[bool], list[int], Summary | None]:
    """A body's sentences, in Simplified, their starts and which may be chosen; a summary already when none may."""
    sentences = split_sentences(body)[:80]
    simple = [to_simplified(s) for s in sentences]
    starts = sentence_starts(sentences)
    candidates = [i for i, s in enumerate(simple) if starts[i] and not is_lead_in(s)]
    if candidates:
        return sentences, simple, starts, candidates, None
    # Still a sentence's start, never a quotation; else the text's first words.
    fallback = next(
        (s for i, s in enumerate(sentences) if starts[i] and len(s) >= 12 and not QUOTATION_RE.match(simple[i]) and s[:1] not in OPENING_QUOTES),
        next((s for i, s in enumerate(sentences) if starts[i]), sentences[0] if sentences else ""),
    )
    return sentences, simple, starts, candidates, mark_figures(_shorten(fallback))


def _choose(
    sentences: list[str], simple: list[str], starts: list[bool], candidates: list[int], rank: list[float], beyond_title: list[int] | None
) -> Summary:
    """The summary of a body from its candidates' centrality and how many of their bigrams the title lacks (None: no title)."""
    action, result, figures = {}, {}, {}
    for order, (i, central) in enumerate(zip(candidates, rank)):
        s = simple[i]
        place = 0.3 / (1 + order)
        length = -0.4 if len(s) > 160 else -0.2 if len(s) < 18 else 0.0
        repeats_title = 0.3 if beyond_title is not None and beyond_title[order] < 3 else 0.0
        figures[i] = figure_count(s)
        action[i] = central + place + length - repeats_title + 0.2 * min(len(ACTION_RE.findall(s)), 3) + (0.2 if PLACE_RE.match(s) else 0) - (0.4 if PREAMBLE_RE.match(s) else 0)
        result[i] = central * 0.5 + length + 0.2 * min(len(RESULT_RE.findall(s)), 3) + 0.5 * min(figures[i], 2)
    what = max(candidates, key=lambda i: (action[i] + result[i] * 0.5, -i))
    outcome = max(candidates, key=lambda i: (result[i], -i))
    chosen = [what]
    has_result = RESULT_RE.search(simple[what]) and figures[what]
    if outcome != what and not has_result and result[outcome] >= 0.6 and len(_shorten(sentences[what])) + len(_shorten(sentences[outcome])) <= MAX_SUMMARY:
        chosen = sorted([what, outcome])
    return mark_figures("".join(_shorten(sentences[i]) for i in chosen))


def _spans(text: str) -> list[tuple[int, int]]:
    """Non-overlapping spans of benchmark figures in `text` (the script-converted copy has the same length)."""
    simple = to_simplified(text)
    if len(simple) != len(text):
        return []
    spans = sorted(
        (m.start(), m.end()) for pattern, needs in zip(FIGURE_RES, FIGURE_NEEDS) if needs.search(simple) for m in pattern.finditer(simple)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_figures(text: str) -> Summary:
    """A summary of `text` with its benchmark figures marked for highlighting."""
    parts, at = [], 0
    for start, end in _spans(text):
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text) or not parts:
        parts.append((text[at:], False))
    return Summary(tuple(parts))


def _distinct_figures(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """`text` in Simplified, and the (start, end, words as shown) of its figures, in order, once each."""
    simple = to_simplified(text)
    original = text if len(text) == len(simple) else simple
    seen, found = set(), []
    for start, end in _spans(simple):
        shown = " ".join(original[start:end].split())
        if shown not in seen:
            seen.add(shown)
            found.append((start, end, shown))
    return simple, found


def figure_count(text: str) -> int:
    """How many figures `find_figures` finds in `text` (without measuring them)."""
    return len(_distinct_figures(text)[1])


def find_figures(text: str) -> list[Figure]:
    """The benchmark figures a text states ("压缩至0.5个工作日", "零费用", "1天办结"), in order, once each."""
    simple, found = _distinct_figures(text)
    figures = []
    for start, end, shown in found:
        opening = max(simple.rfind(mark, 0, start) for mark in "。！？；!?;\n") + 1
        context = simple[max(opening, start - CONTEXT) : start]
        figures.append(replace(measure(simple[start:end]), text=shown, context=context))
    return figures


# How many characters before a figure may name what it measures.
CONTEXT = 40
# Words that name the whole procedure an indicator's best figure times (its corpus section's
# 办理时间, 耗时 …): a figure is set beside that best only when its sentence names the procedure.
PROCEDURES = {
    "starting_business": r"开办|设立登记|注册登记|新办企业",
    "construction_permits": r"施工许可|建筑许可|报建|工程建设项目(?:审批|全流程)|审批全流程",
    "electricity": r"接电|办电|用电报装|获得电力|电力接入|报装|用电",
    "water_gas": r"用水|供水|接水|用气|供气|燃气|报装",
    "property_registration": r"不动产|登记|过户|产权",
    "cross_border_trade": r"通关|边境|单证|口岸",
    "taxes": r"纳税时间|办税时间|年纳税|纳税人?(?:全年|每年|年均)",
    "contract_enforcement": r"审理|审结|结案|诉讼|审判|执行合同|合同纠纷",
    "insolvency": r"破产",
}
# Words of a best figure's label that split one procedure into several (用水 / 用气, 出口 / 进口 …).
VARIANTS = [("用水", r"水"), ("用气", r"气"), ("出口", r"出口"), ("进口", r"进口"), ("边境", r"边境|通关|口岸"), ("单证", r"单证")]
# A time this small against the national best measures a step of the procedure, not all of it
# ("只需10分钟" beside 纳税时间90小时; "1个工作日内完成" beside 49.5个工作日).
SMALLEST_SHARE = 0.1


def comparable(figure: Figure, best: Figure, slug: str | None) -> bool:
    """Whether a case's figure measures what a best figure does: the same kind, unit and procedure."""
    if not figure.kind or figure.kind != best.kind or figure.unit != best.unit or best.value is None:
        return False
    words = figure.context + figure.text
    procedure = PROCEDURES.get(slug or "")
    if not procedure or not re.search(procedure, words):
        return False
    if any(label in best.context and not re.search(pattern, words) for label, pattern in VARIANTS):
        return False
    if figure.kind == "time" and figure.value is not None and figure.value < best.value * SMALLEST_SHARE:
        return False
    return True


TIME_DAYS = {"工作日": 1.0, "自然日": 1.0, "天": 1.0, "日": 1.0, "小时": 1 / 24, "分钟": 1 / 1440, "个月": 30.0, "月": 30.0, "年": 365.0}
LAST_QUANTITY_RE = re.compile(rf"({NUM})\s*(个工作日|工作日|自然日|小时|分钟|个月|天|日|年|个?环节|步|份|件|项|个?材料|次|万元|元|%)")


def _number(text: str) -> float | None:
    if text == "半":
        return 0.5
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return float(chinese_numeral(text.replace("半", "")) + (0.5 if text.endswith("半") else 0))
    except ValueError:
        return None


def measure(text: str) -> Figure:
    """What a figure measures and its value (the last quantity in it: "由3个整合为1个环节" → 1 step)."""
    if re.search(r"零(?:费用|成本|收费)|免费", text):
        return Figure(text, "cost", 0.0, "元")
    found = list(LAST_QUANTITY_RE.finditer(text))
    if not found or "%" in text:
        return Figure(text)
    number, unit = _number(found[-1].group(1)), found[-1].group(2).lstrip("个")
    if unit in TIME_DAYS:
        return Figure(text, "time", None if number is None else number * TIME_DAYS[unit], UNITS.get(unit, unit))
    if unit in ("环节", "步"):
        return Figure(text, "steps", number, "环节")
    if unit in ("份", "件", "材料"):
        return Figure(text, "materials", number, "件")
    if unit in ("元", "万元"):
        return Figure(text, "cost", None if number is None else number * (10000 if unit == "万元" else 1), "元")
    return Figure(text)


# Units that state the same measure: calendar days are days however written; working days are not days.
UNITS = {"日": "天", "自然日": "天", "个月": "月"}


BEST_RE = re.compile(rf"^(.*?)({NUM})\s*(个工作日|工作日|小时|天|年|个|次|万元|元|美元|%)$")


def parse_best_figures(text: str) -> list[Figure]:
    """The corpus's best figures of an indicator ("办理环节2个;办理时间0.5个工作日;办理成本0元。")."""
    figures, prefix = [], ""
    for piece in re.split(r"[;；,，。\s]+", to_simplified(text)):
        if "—" in piece:  # "获得用水—办理环节2个": the prefix names the figures that follow
            prefix, piece = piece.split("—", 1)
        match = BEST_RE.match(piece)
        if not piece or not match:
            continue
        label, number, unit = match.group(1), _number(match.group(2)), match.group(3).lstrip("个")
        piece = f"{prefix}{piece}" if prefix else piece
        if "环节" in label:
            kind, value, unit = "steps", number, "环节"
        elif unit in TIME_DAYS and ("时间" in label or "耗时" in label):
            kind, value, unit = "time", None if number is None else number * TIME_DAYS[unit], UNITS.get(unit, unit)
        elif unit in ("元", "万元") and ("成本" in label or "费用" in label):
            kind, value, unit = "cost", None if number is None else number * (10000 if unit == "万元" else 1), "元"
        else:
            kind, value = None, None
        figures.append(Figure(piece, kind, value, unit, f"{prefix}{label}"))
    return figures


@lru_cache(maxsize=1)
def best_figures() -> dict[str, list[Figure]]:
    """The national best figures per indicator slug (only the indicators that state them), from their one home."""
    from zhtext.national_best import national_best

    return {slug: parse_best_figures(text) for slug, text in national_best().items()}
