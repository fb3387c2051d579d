"""Compare HTML text extractors on the fixture pages: is every block kept, whole, and the furniture gone?

Usage: python bench/compare_html_extractors.py [--all]
Without --all only the project's own reader runs; with it, the candidate
libraries too (trafilatura, resiliparse, inscriptis, html-text), which are not
dependencies of casewatch: install them in a scratch venv to repeat the figures
written in tests/fixtures/README.md.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ROOT / "tests" / "fixtures" / "html"
# Text that sits outside the article on the fixture pages: none of it may reach a case.
FURNITURE = ["版权所有", "联系电话", "分享到", "打印", "当前位置", "您当前的位置", "相关链接", "访问量", "TRS_Editor", "设为首页", "请输入关键字", "字号", "_hmt"]


def compact(text: str) -> str:
    """Text without any whitespace: table cells compare equal whatever separates them."""
    return re.sub(r"\s+", "", text)


def decode(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("gb18030") if b"gb2312" in data[:600] else data.decode("utf-8")


def candidates() -> dict:
    found = {}
    try:
        from scrapers.readers import extract_html

        found["casewatch extract_html"] = lambda page, raw: extract_html(raw).text
    except ImportError:  # run from a scratch venv without casewatch's dependencies
        pass
    if "--all" not in sys.argv:
        return found
    from bs4 import BeautifulSoup

    def old(page, raw):
        soup = BeautifulSoup(page, "html.parser")
        for tag in soup(["script", "style", "noscript", "nav", "header", "footer"]):
            tag.decompose()
        return soup.get_text("\n")

    found["bs4 get_text('\\n') (old)"] = old
    import trafilatura

    found["trafilatura 2.3 (tables, recall)"] = lambda page, raw: trafilatura.extract(page, include_tables=True, favor_recall=True) or ""
    found["trafilatura 2.3 (default)"] = lambda page, raw: trafilatura.extract(page) or ""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    found["resiliparse 2.0 main_content"] = lambda page, raw: extract_plain_text(HTMLTree.parse(page), main_content=True)
    found["resiliparse 2.0 whole page"] = lambda page, raw: extract_plain_text(HTMLTree.parse(page), main_content=False)
    import inscriptis

    found["inscriptis 2.7"] = lambda page, raw: inscriptis.get_text(page)
    import html_text

    found["html-text 0.7"] = lambda page, raw: html_text.extract_text(page)
    return found


def measure(extract, page: str, raw: bytes, expected: list[str]) -> tuple[int, int, int, float]:
    """Blocks found whole on one line, blocks whose text is there at all, furniture leaked, ms."""
    start = time.perf_counter()
    for _ in range(5):
        text = extract(page, raw)
    ms = (time.perf_counter() - start) / 5 * 1000
    lines = {compact(line) for line in text.splitlines()}
    whole = sum(compact(block) in lines for block in expected)
    present = sum(compact(block) in compact(text) for block in expected)
    leaked = sum(marker in text for marker in FURNITURE)
    return whole, present, leaked, ms


def main() -> None:
    for path in sorted(PAGES.glob("*.html")):
        expected = [l for l in (path.with_suffix(".expected.txt")).read_text(encoding="utf-8").splitlines() if l]
        raw = path.read_bytes()
        page = decode(path)
        print(f"\n{path.name}: {len(expected)} blocks")
        print(f"{'extractor':36} {'whole':>6} {'text':>6} {'furniture':>9} {'ms':>7}")
        for name, extract in candidates().items():
            try:
                whole, present, leaked, ms = measure(extract, page, raw, expected)
            except Exception as exc:  # a candidate's crash is a result too
                print(f"{name:36} failed: {type(exc).__name__}: {exc}")
                continue
            print(f"{name:36} {whole:>6} {present:>6} {leaked:>9} {ms:>7.1f}")


if __name__ == "__main__":
    main()
