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
TEMPLATES = HERE / "templates"
# Plugins the views rely on (installed with casewatch).
PLUGINS = ("datasette_cluster_map", "datasette_atom")
# Suggested facets off: Datasette would try every column as a facet over the rows shown, one query
# each (at 20,000 cases a search for a common word spent 2-3 s of its 3-4 s on them); the four
# facets that matter are declared in metadata.yml.
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000, "suggest_facets": False}

# The search box of `articles` (`/casewatch/articles?_search=…`, HTML and JSON) is answered here, not by
# Datasette's table view, which counts every match, sorts them all by first_seen and computes each facet
# over all of them, reading every matching row again per query (a word found in 80,000 of 100,000 cases:
# seconds). Here the newest matches come straight from the index (FTS5 walks it newest first and stops),
# the count stops at COUNT_CAP and the facets count the newest FACET_SAMPLE matches. A facet's link, a
# filter or any other option (`indicator=taxes`, `_sort=`, `_facet=` …) goes on to Datasette's own table
# page, which is exact.
SEARCH_PATHS = {f"/{DATABASE}/articles": "html", f"/{DATABASE}/articles.json": "json"}
SEARCH_ROUTE = "/-/casewatch-search"
SEARCH_ARGS = {"_search", "_next", "_size", "_shape"}
SEARCH_FACETS = ("indicator", "region", "source", "week")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
COUNT_CAP = 10_000
FACET_SAMPLE = 1_000
FACET_SIZE = 30


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
        template_dir=str(TEMPLATES),
        settings={**SETTINGS, **settings},
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
            if scope["type"] == "http" and is_plain_search(scope):
                scope = dict(scope, path=SEARCH_ROUTE, raw_path=SEARCH_ROUTE.encode(), casewatch_search=scope["path"])
            await app(scope, receive, send)

        return read_only

    return wrap


def is_plain_search(scope: dict) -> bool:
    """A GET of the articles table with a search and nothing Datasette alone can answer (filters, sorting, facets)."""
    from urllib.parse import parse_qsl

    if scope.get("path") not in SEARCH_PATHS or scope.get("method", "GET").upper() not in ("GET", "HEAD"):
        return False
    args = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return bool(args.get("_search", "").strip()) and set(args) <= SEARCH_ARGS


@hookimpl
def register_routes():
    """casewatch's answer to the articles table's search box (see SEARCH_PATHS)."""
    return [(f"^{SEARCH_ROUTE}$", search_view)]


def search_sql(columns: str, limit: int, before: bool = False) -> str:
    """The newest matches of :q first, straight from the index (FTS5 walks rowids downwards and stops at the limit)."""
    return (
        f"select {columns} from {FTS_TABLE} f join articles a on a.rowid = f.rowid "
        "left join indicators i on i.slug = a.indicator left join sources s on s.name = a.source "
        f"where {FTS_TABLE} match casewatch_match(:q){' and f.rowid < :before' if before else ''} "
        f"order by f.rowid desc limit {int(limit)}"
    )


async def search_view(datasette, request):
    """The articles matching `_search`, newest first, with their count (up to COUNT_CAP) and facets (of the newest FACET_SAMPLE)."""
    from urllib.parse import urlencode

    from datasette.utils.asgi import Response

    fmt = SEARCH_PATHS[request.scope.get("casewatch_search", f"/{DATABASE}/articles")]
    q = request.args.get("_search", "").strip()
    size = request.args.get("_size") or str(PAGE_SIZE)
    size = MAX_PAGE_SIZE if size == "max" else max(0, min(int(size) if size.isdigit() else PAGE_SIZE, MAX_PAGE_SIZE))
    before = request.args.get("_next")
    before = int(before) if before and before.isdigit() else None
    db = datasette.get_database(DATABASE)
    columns = [c for c in await db.table_columns("articles") if c != "fingerprint"]
    params = {"q": q, "before": before}
    picked = ", ".join(f"a.{c}" for c in columns)
    found = await db.execute(
        search_sql(f"a.rowid, {picked}, i.name as indicator_name, coalesce(s.title, a.source) as source_title, "
                   "casewatch_snippet(a.body, :q) as excerpt", size + 1, before is not None),
        params,
    )
    rows = [dict(r) for r in found.rows]
    more = len(rows) > size
    rows = rows[:size]
    counted = (await db.execute(
        f"select count(*) from (select rowid from {FTS_TABLE} where {FTS_TABLE} match casewatch_match(:q) limit {COUNT_CAP + 1})",
        params,
    )).first()[0]
    counts = await db.execute(FACETS_SQL, params)
    table_url = datasette.urls.table(DATABASE, "articles")
    facets = search_facets(counts.rows, table_url, q)
    next_url = None
    if more and rows:
        here = datasette.urls.table(DATABASE, "articles", format="json") if fmt == "json" else table_url
        next_url = here + "?" + urlencode({"_search": q, "_next": rows[-1]["rowid"], **({"_size": size} if size != PAGE_SIZE else {})})
    count = min(counted, COUNT_CAP)
    data = {
        "database": DATABASE, "table": "articles", "search": q,
        "count": count, "count_truncated": counted > COUNT_CAP,
        "facets_of": min(counted, FACET_SAMPLE), "facet_results": facets,
        "rows": [{k: v for k, v in r.items() if k not in ("indicator_name", "source_title", "excerpt")} for r in rows],
        "next_url": next_url,
    }
    if fmt == "json":
        shape = request.args.get("_shape")
        if shape == "array":
            return Response.json(data["rows"])
        return Response.json(data)
    context = {
        **data, "display_rows": rows, "table_url": table_url, "count_cap": COUNT_CAP,
        "json_url": datasette.urls.table(DATABASE, "articles", format="json") + "?" + urlencode({"_search": q}),
        "metadata": datasette.table_metadata(DATABASE, "articles"),
        "database_color": lambda _name: "ff0000",  # what Datasette 0.65's own views give every database
        # A truncated facet's "…" asks for all its values: with `_facet_size`, Datasette's own page answers.
        "path_with_replaced_args": lambda _request, args: table_url + "?" + urlencode({"_search": q, **args}),
    }
    return Response.html(await datasette.render_template("casewatch_search.html", context, request=request, view_name="table"))


# Each facet's values and counts over the newest FACET_SAMPLE matches, read once (`materialized`).
FACETS_SQL = (
    "with m as materialized ("
    + search_sql("a.indicator, i.name as indicator_name, a.region, a.source, "
                 "coalesce(s.title, a.source) as source_title, a.week", FACET_SAMPLE)
    + ") "
    + " union all ".join(
        f"select * from (select '{column}' as facet, {column} as value, max({label}) as label, count(*) as n from m "
        f"where {column} is not null group by {column} order by n desc, value limit {FACET_SIZE + 1})"
        for column, label in (("indicator", "indicator_name"), ("region", "region"), ("source", "source_title"), ("week", "week"))
    )
)


def search_facets(rows, table_url: str, q: str) -> dict:
    """Datasette-shaped facet results from FACETS_SQL's rows, each value linking to Datasette's own page for the search and that value."""
    from urllib.parse import urlencode

    results = {
        column: {"name": column, "type": "column", "hideable": False, "toggle_url": table_url, "truncated": False, "results": []}
        for column in SEARCH_FACETS
    }
    for row in rows:
        facet = results[row["facet"]]
        if len(facet["results"]) == FACET_SIZE:
            facet["truncated"] = True
            continue
        facet["results"].append({
            "value": row["value"], "label": row["label"] or row["value"], "count": row["n"], "selected": False,
            "toggle_url": f"{table_url}?{urlencode({'_search': q, row['facet']: row['value']})}",
        })
    return results


@hookimpl
def render_cell(value, column, table, database):
    """An article's body keeps its line breaks; its links are text unless they are http(s)."""
    if database != DATABASE or not isinstance(value, str):
        return None
    if column in ("body", "正文"):
        return Markup('<div class="casewatch-body" style="white-space: pre-wrap">{}</div>').format(value)
    if column == "案例编号":  # a reform query's case: its page in this Datasette
        return Markup('<a href="/{0}/articles/{1}">{2}</a>').format(DATABASE, value, value[:8])
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
    """Serve a Datasette until stopped by Ctrl-C or SIGTERM, then return (so `browse` exits 0)."""
    import signal
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(datasette.app(), host=host, port=port, log_level="warning"))
    if threading.current_thread() is not threading.main_thread():
        server.run()
        return
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again for the handler it
    # found installed: by default that kills the process (SIGTERM, status 143) or raises KeyboardInterrupt.
    # With these handlers in place the repeat is a no-op and the command ends normally.
    stopped = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in stopped.items():
            signal.signal(sig, handler)
