"""The splitter on mangled real input: it never crashes and never invents or drops whole cases' text."""

from __future__ import annotations

import random
import re

import pytest

from scrapers import split_compilation
from scrapers.compilation import unaccounted
from scrapers.text import clean_line


HEADER = "汇编（11.01-11.07）"


def mangled(text: str, seed: int) -> str:
    """Real lines, shuffled in blocks, with page furniture and blank lines sprinkled in."""
    rng = random.Random(seed)
    lines = text.splitlines()
    blocks = [lines[i : i + rng.randint(1, 30)] for i in range(0, len(lines), 15)]
    rng.shuffle(blocks)
    out = []
    for number, block in enumerate(blocks):
        out += block
        # A running header on every third page, so that it repeats like a real one.
        out.append(HEADER if number % 3 == 0 else rng.choice(["", "", "目录", "- 3 -", "\f", "12"]))
    return "\n".join(out)


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
@pytest.mark.parametrize("seed", range(5))
def test_mangled_compilations_split_without_error(sample_text, prefix, seed):
    text = mangled(sample_text(prefix), seed)
    split = split_compilation(text)
    cases, problems = split.cases, split.problems
    assert cases, "every non-empty document yields at least one case"
    assert not unaccounted(text, split), "every character is in a case or in named furniture"
    # What the document says once page furniture is gone; joined lines stay adjacent in it.
    furniture = {piece.text for piece in split.furniture if piece.kind in ("running_header", "page_number")}
    lines = (clean_line(line) for line in text.replace("\f", "\n").splitlines())
    compact = re.sub(r"\s+", "", "".join(line for line in lines if line not in furniture))
    for case in cases:
        assert case.title.strip()
        # Bodies only hold text from the document (joined lines may lose their breaks).
        for paragraph in case.body.split("\n\n"):
            assert re.sub(r"\s+", "", paragraph)[:20] in compact
    assert all(isinstance(p, str) for p in problems)


@pytest.mark.parametrize("text", ["", "\n\n\f\n", "目录\n", "一、\n二、\n三、", "案例1：\n案例2：", "- 1 -\n- 2 -"])
def test_degenerate_documents(text):
    split = split_compilation(text)
    cases = split.cases
    assert all(c.title is not None and c.body is not None for c in cases)
