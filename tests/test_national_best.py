"""The national best figures have one home (data/national_best.tsv) that classify and digests both read."""

from __future__ import annotations

import ast
from pathlib import Path

from classify.corpus import _PART, _SECTION, corpus_path, read_corpus
from classify.taxonomy import INDICATORS
from classify.text import normalise
from digests.summary import best_figures
from zhtext import chinese_numeral
from zhtext.national_best import national_best

ROOT = Path(__file__).resolve().parent.parent


def stated_in_corpus() -> dict[str, str]:
    """The 最佳指标 part of each corpus section, its lines joined as the corpus parser joined them."""
    pieces = _SECTION.split(normalise(corpus_path().read_text(encoding="utf-8")))
    found = {}
    for number, body in zip(pieces[1::2], pieces[2::2]):
        part, lines = None, []
        for line in (line for line in body.split("\n") if line.strip()):
            heading = _PART.match(line)
            if heading:
                part = heading.group(1)
            elif part == "最佳指标":
                lines.append(line.strip())
        if lines:
            found[INDICATORS[chinese_numeral(number) - 1].slug] = " ".join(lines)
    return found


def test_the_home_holds_what_the_corpus_states():
    stated = stated_in_corpus()
    assert len(stated) == 9 and stated["taxes"] == "纳税次数6次;纳税时间90小时。"
    assert national_best() == stated


def test_classify_and_digests_read_the_same_figures():
    assert {s.slug: s.best_figures for s in read_corpus() if s.best_figures} == national_best()
    assert set(best_figures()) == set(national_best())
    assert [f.text for f in best_figures()["taxes"]] == ["纳税次数6次", "纳税时间90小时"]


def test_digests_import_nothing_from_classify():
    for path in (ROOT / "digests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name == "classify" or name.startswith("classify.") for name in names), (path.name, names)
