"""Reader fidelity, as a property: every character of every block comes out, in order, one block per line.

Generated HTML and DOCX documents mix paragraphs carrying inline markup (spans,
bold, links, runs) with tables; the reader must return exactly the blocks'
texts, inline markup never breaking a line and table rows as tab-separated cells.
"""

from __future__ import annotations

import html
import io

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers import extract_document

ALPHABET = list("案例西安市压减至个工作日营商环境改革。，、；：“”（）《》—0123456789.%abcXYZ&<>\"'")
text = st.text(alphabet=ALPHABET, min_size=1, max_size=30)
# A paragraph is a list of segments; each segment may get its own inline tag (or run).
paragraph = st.lists(text, min_size=1, max_size=5)
table = st.lists(st.lists(text, min_size=1, max_size=4), min_size=1, max_size=4).map(
    lambda rows: [row + ["x"] * (max(map(len, rows)) - len(row)) for row in rows]  # rectangular
)
blocks = st.lists(st.one_of(paragraph.map(lambda p: ("p", p)), table.map(lambda t: ("table", t))), min_size=1, max_size=8)
INLINE = ["span", "b", "strong", "em", "a", "font", "u", "sub"]
BLOCK = ["p", "div", "li", "h3", "blockquote"]


def expected_lines(document: list) -> list[str]:
    lines = []
    for kind, content in document:
        if kind == "p":
            lines.append("".join(content))
        else:
            lines.extend("\t".join(row) for row in content)
    return lines


def render_html(document: list, choices: list[int]) -> str:
    parts, n = [], 0
    for kind, content in document:
        if kind == "p":
            tag = BLOCK[choices[n % len(choices)] % len(BLOCK)]
            inner = ""
            for i, segment in enumerate(content):
                pick = choices[(n + i) % len(choices)] % (len(INLINE) + 1)
                escaped = html.escape(segment)
                inner += escaped if pick == len(INLINE) else f"<{INLINE[pick]}>{escaped}</{INLINE[pick]}>"
            parts.append(f"<ul><li>{inner}</li></ul>" if tag == "li" else f"<{tag}>{inner}</{tag}>")
        else:
            rows = "".join("<tr>" + "".join(f"<td><span>{html.escape(c)}</span></td>" for c in row) + "</tr>" for row in content)
            parts.append(f"<table><tbody>{rows}</tbody></table>")
        n += 1
    return "<html><body>" + "\n".join(parts) + "</body></html>"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=blocks, choices=st.lists(st.integers(0, 100), min_size=1, max_size=10))
def test_html_reader_keeps_every_character_and_every_block(document, choices):
    extracted = extract_document(render_html(document, choices).encode(), "page.html")
    assert extracted.text.split("\n") == expected_lines(document)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=blocks)
def test_docx_reader_keeps_every_character_and_every_block(document):
    word = docx.Document()
    for kind, content in document:
        if kind == "p":
            paragraph = word.add_paragraph()
            for i, segment in enumerate(content):
                run = paragraph.add_run(segment)
                run.bold, run.italic = i % 2 == 1, i % 3 == 2
        else:
            grid = word.add_table(rows=len(content), cols=len(content[0]))
            for row, values in zip(grid.rows, content):
                for cell, value in zip(row.cells, values):
                    cell.text = value
    buffer = io.BytesIO()
    word.save(buffer)
    extracted = extract_document(buffer.getvalue(), "a.docx")
    assert extracted.text.split("\n") == expected_lines(document)
