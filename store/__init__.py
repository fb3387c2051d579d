"""The SQLite store (sqlite-utils), shaped for Datasette."""

from .db import (
    article_id,
    ensure_schema,
    finish_run,
    human_labels,
    indicators,
    known_documents,
    now,
    open_db,
    save_articles,
    save_decisions,
    save_indicators,
    save_label,
    save_source_result,
    start_run,
    unclassified,
    week_articles,
    week_failures,
)
from .schema import TABLES

__all__ = [
    "TABLES",
    "article_id",
    "ensure_schema",
    "finish_run",
    "human_labels",
    "indicators",
    "known_documents",
    "now",
    "open_db",
    "save_articles",
    "save_decisions",
    "save_indicators",
    "save_label",
    "save_source_result",
    "start_run",
    "unclassified",
    "week_articles",
    "week_failures",
]
