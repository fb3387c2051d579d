"""Nothing lost between a document and its cases: conservation and case boundaries.

Property-based: compilations are built from real case texts in every format and
layout (tests/compilations.py), read by the document readers and split; every
character must be in a case or in named furniture, and the cases must be the ones
the document was built from. CI runs a few examples per format; the documented full
run is `CASEWATCH_EXAMPLES=500 pytest tests/test_conservation.py` (500 per format).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from compilations import FORMATS, documents
from scrapers import ScrapeError, split_compilation
from scrapers.compilation import unaccounted
from scrapers.documents import extract_document

EXAMPLES = int(os.environ.get("CASEWATCH_EXAMPLES", "15"))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check(doc) -> None:
    extracted = extract_document(doc.data, doc.name)
    split = split_compilation(extracted.text, extracted.layout)
    assert not unaccounted(extracted.text, split), "every character is in a case or in named furniture"
    assert [compact(c.title) for c in split.cases] == [compact(t) for t in doc.titles]
    assert [compact(c.body) for c in split.cases] == [compact(c) for c in doc.contents]


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_compilations_keep_every_case_whole(fmt):
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not os.environ.get("CASEWATCH_EXAMPLES"))
    @given(documents(fmt))
    def run(doc):
        check(doc)

    run()


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_the_samples_are_conserved(sample_text, prefix):
    text = sample_text(prefix)
    assert not unaccounted(text, split_compilation(text))


FIXTURES = Path(__file__).resolve().parent / "fixtures"
READABLE = {".txt", ".html", ".htm", ".shtml", ".pdf", ".docx"}


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.rglob("*") if p.suffix.lower() in READABLE), ids=lambda p: str(p.relative_to(FIXTURES))
)
def test_every_fixture_document_is_conserved(path):
    name = path.name if path.suffix.lower() != ".shtml" else path.with_suffix(".html").name
    try:
        extracted = extract_document(path.read_bytes(), name)
    except ScrapeError as exc:  # a fixture broken on purpose: refused with a clear reason, nothing to conserve
        assert str(exc)
        return
    split = split_compilation(extracted.text, extracted.layout)
    assert not unaccounted(extracted.text, split)
