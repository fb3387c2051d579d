"""The weekly digest: Markdown grouped by the 18 indicators, in Chinese."""

from .weekly import Digest, Section, build_digest, render_markdown, save_digest, summarise, write_digest
from .weeks import parse_week, week_of, week_range

__all__ = [
    "Digest",
    "Section",
    "build_digest",
    "parse_week",
    "render_markdown",
    "save_digest",
    "summarise",
    "week_of",
    "week_range",
    "write_digest",
]
