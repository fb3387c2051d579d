"""The store in Datasette: the app `casewatch browse` serves, and the plugin hooks it needs.

The database is always served as `casewatch` (whatever the file is called), so the
metadata in `metadata.yml`, its canned queries and every link stay the same. The plugin
registers the SQL functions of Chinese search (`casewatch_match`, `casewatch_any`,
`casewatch_snippet`), makes the table search box search the same way, and shows article
bodies with their line breaks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from datasette import hookimpl
from markupsafe import Markup, escape

from zhtext import to_simplified

from .search import FTS_TABLE, any_query, match_query

DATABASE = "casewatch"
HERE = Path(__file__).resolve().parent
METADATA = HERE / "metadata.yml"
STATIC = HERE / "static"
# Plugins the views rely on (installed with casewatch).
PLUGINS = ("datasette_cluster_map", "datasette_atom")


def load_metadata() -> dict:
    """The Datasette metadata of the store (titles, facets, canned queries)."""
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def datasette_app(path: str | Path, **settings):
    """A Datasette serving the store at `path` as the database `casewatch`, with casewatch's metadata and plugins."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    if pm.get_plugin(DATABASE) is None and not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name=DATABASE)
    datasette = Datasette(
        metadata=load_metadata(),
        static_mounts=[("casewatch-static", str(STATIC))],
        settings={"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000, **settings},
    )
    datasette.remove_database("_memory")
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=DATABASE)
    return datasette


def snippet(text: str | None, query: str | None, width: int = 40) -> str:
    """The first place in the text where a word of the query occurs, with `width` characters either side."""
    if not text or not query:
        return ""
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        text = simplified  # the offsets only hold when conversion kept the length
    for word in to_simplified(query).replace('"', " ").split():
        at = simplified.find(word)
        if at >= 0:
            start, end = max(0, at - width), at + len(word) + width
            return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")
    return ""


def _is_store(conn) -> bool:
    return bool(conn.execute("select 1 from sqlite_master where name = ?", [FTS_TABLE]).fetchone())


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    """SQL functions of Chinese search; in a casewatch store, the search box's `escape_fts` becomes bigram search."""
    conn.create_function("casewatch_match", 1, match_query, deterministic=True)
    conn.create_function(
        "casewatch_any", 1, lambda words: any_query(json.loads(words or "[]")), deterministic=True
    )
    conn.create_function("casewatch_snippet", 2, snippet, deterministic=True)
    # trylast: Datasette's own escape_fts is registered by an earlier hook, this one replaces it.
    if _is_store(conn):
        conn.create_function("escape_fts", 1, match_query, deterministic=True)


# The store is browsed, never written through Datasette: a POST to a canned query would reach
# Datasette's write path and answer 500; every method but reading is refused outright.
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@hookimpl
def asgi_wrapper(datasette):
    """Answer 405 Method Not Allowed to anything but GET, HEAD and OPTIONS."""

    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope.get("method", "GET").upper() not in READ_METHODS:
                body = "405 Method Not Allowed: casewatch's store is read-only here\n".encode()
                await send({"type": "http.response.start", "status": 405, "headers": [
                    (b"allow", b"GET, HEAD, OPTIONS"), (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ]})
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl
def render_cell(value, column, table, database):
    """An article's body keeps its line breaks; its links are text unless they are http(s)."""
    if database != DATABASE or not isinstance(value, str):
        return None
    if column in ("body", "正文"):
        return Markup('<div class="casewatch-body" style="white-space: pre-wrap">{}</div>').format(value)
    if column in ("url", "链接"):
        if value.startswith(("http://", "https://")):
            return Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(value)
        return escape(value)
    return None



def prepare(path: str | Path):
    """Upgrade the store if needed (refusing a file that is not one) and return its Datasette, started."""
    import asyncio

    from .db import open_db

    open_db(path).close()
    datasette = datasette_app(path)
    asyncio.run(datasette.invoke_startup())
    return datasette


def serve(datasette, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve a Datasette until stopped."""
    import uvicorn

    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
