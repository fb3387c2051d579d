"""Parse HTML without libxml2's silent cut of long text.

libxml2 stops a text run (or attribute value) at 10 MB and drops the rest without a
word unless the parser is told the tree may be huge: a 12-million-character article
comes out empty. That cap guards a parser fed without limits; casewatch's input is
already capped (`Session.max_bytes`, `Limits.max_bytes`), so every page is parsed
with `huge_tree`. A parser is made per call: lxml parsers must not be shared between
threads, and making one costs microseconds.
"""

from __future__ import annotations

import lxml.html


def parser(**options: object) -> lxml.html.HTMLParser:
    """An HTML parser that keeps text runs longer than 10 MB."""
    return lxml.html.HTMLParser(huge_tree=True, **options)


def tree(html: str | bytes) -> lxml.html.HtmlElement:
    """The page's root element (as `lxml.html.fromstring`), long text kept."""
    return lxml.html.fromstring(html, parser=parser())


def fragment(html: str) -> lxml.html.HtmlElement:
    """A fragment wrapped in one <div> (as `fragment_fromstring(create_parent="div")`), long text kept."""
    return lxml.html.fragment_fromstring(html, create_parent="div", parser=parser())
