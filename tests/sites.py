"""A real HTTP server on 127.0.0.1 serving fixture sites, for the fetching tests and the benchmark.

Routes map a path (with its query, or without to match any query) to a `Reply`
or to a function of the request returning one. Every request is recorded in
`server.requests` so tests can assert what was (not) asked for.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sites"


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    body: str = ""  # the request's body as sent (a JSON body is not a form)


@dataclass
class Reply:
    """What the server answers: status, headers, body; ETag/Last-Modified honoured when set."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0  # seconds before the body is sent (a slow server)
    repeat: int = 1  # the body sent this many times (a huge response without holding it in memory)
    length: bool = True  # send Content-Length (False: the body ends when the connection closes)
    trickle: float = 0.0  # seconds between the bytes of the body (a server that never quite answers)


class Handler(BaseHTTPRequestHandler):
    server: FixtureServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        form = {} if "json" in headers.get("content-type", "") else dict(parse_qsl(raw))
        request = Request(method, self.path, headers, form, raw)
        self.server.requests.append(request)
        route = self.server.routes.get(self.path) or self.server.routes.get(urlsplit(self.path).path)
        reply = route(request) if callable(route) else route
        if reply is None:
            reply = Reply(b"<html><body>404 Not Found</body></html>", 404)
        if reply.etag and request.headers.get("if-none-match") == reply.etag:
            reply = Reply(b"", 304, headers={"ETag": reply.etag})
        self.send_response(reply.status)
        if reply.status != 304:
            self.send_header("Content-Type", reply.content_type)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body) * reply.repeat))
            else:  # the body ends when the connection closes
                self.send_header("Connection", "close")
                self.close_connection = True
        else:
            self.send_header("Content-Length", "0")
        if reply.etag:
            self.send_header("ETag", reply.etag)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if reply.delay:
            time.sleep(reply.delay)
        try:
            for _ in range(reply.repeat if method != "HEAD" else 0):
                if reply.trickle:
                    for byte in reply.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError, OSError):  # the client stopped reading: size cap, timeout
            pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


class FixtureServer(ThreadingHTTPServer):
    """A threaded HTTP server on a free port of 127.0.0.1; use as a context manager."""

    daemon_threads = True

    def __init__(self, routes: dict[str, Reply | Callable[[Request], Reply | None]] | None = None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict = dict(routes or {})
        self.requests: list[Request] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    @property
    def root(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.root + path

    def paths(self, method: str | None = None) -> list[str]:
        """Paths requested so far, in order (optionally of one method)."""
        return [r.path for r in self.requests if method is None or r.method == method]


def sequence(*replies: Reply) -> Callable[[Request], Reply]:
    """A route answering each request with the next reply, then the last one forever."""
    queue = list(replies)

    def answer(_request: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


def content_type(path: Path) -> str:
    """The Content-Type a CMS would send for a fixture file (charset left to the page for TRS)."""
    types = {
        ".pdf": "application/pdf",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".doc": "application/msword",
        ".xml": "text/xml; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }
    return types.get(path.suffix, "text/html")


def site_routes(name: str, headers_charset: str | None = None, etags: bool = False) -> dict[str, Reply]:
    """Routes serving every file under tests/fixtures/sites/<name>/ at its relative path."""
    base = FIXTURES / name
    routes = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        kind = content_type(path)
        if kind == "text/html" and headers_charset:
            kind = f"text/html; charset={headers_charset}"
        body = path.read_bytes()
        etag = f'"{hashlib.md5(body).hexdigest()[:12]}"' if etags else None
        routes["/" + path.relative_to(base).as_posix()] = Reply(body, content_type=kind, etag=etag)
    return routes


def trs_routes() -> dict:
    """A TRS WCM column in GB2312 (GB18030 bytes), paged by createPageHTML, with a PDF and a DOCX attachment."""
    return site_routes("trs")


def hanweb_routes() -> dict:
    """A Hanweb column: page 1 embeds a <datastore>; records 5–6 come from a dataproxy.jsp POST."""
    routes = site_routes("hanweb")
    proxy = (FIXTURES / "hanweb" / "dataproxy_5_6.xml").read_bytes()
    docx = (FIXTURES / "hanweb" / "files" / "2111121030.docx").read_bytes()
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()

    def dataproxy(request: Request) -> Reply | None:
        query = dict(parse_qsl(urlsplit(request.path).query))
        if request.method != "POST" or request.form.get("columnid") != "1229001" or query.get("startrecord") != "5":
            return Reply(b"<datastore><recordset></recordset></datastore>", content_type="text/xml; charset=utf-8")
        return Reply(proxy, content_type="text/xml; charset=utf-8")

    routes["/module/web/jpage/dataproxy.jsp"] = dataproxy
    routes["/module/download/downfile.jsp"] = Reply(
        docx, content_type="application/octet-stream", headers={"Content-Disposition": "attachment; filename=2111121030.docx"}
    )
    routes["/art/2021/11/1/art_1229001_59006.html"] = Reply(
        challenge, 412, headers={"Set-Cookie": "__jsluid_h=0a1b2c3d4e5f; max-age=31536000; path=/; HttpOnly"}
    )
    return routes


def plain_routes() -> dict:
    """A UTF-8 site without CMS conventions: `?page=N`, 下一页, dates beside links, no containers, a corrupt PDF."""
    routes = site_routes("plain")
    pages = {n: (FIXTURES / "plain" / "news" / f"list{'' if n == 1 else f'-{n}'}.html").read_bytes() for n in (1, 2, 3)}
    routes["/news/list"] = Reply(pages[1])
    for n, body in pages.items():
        routes[f"/news/list?page={n}"] = Reply(body)
    routes["/news/2021/1020/1004.html"] = Reply((FIXTURES / "plain" / "files" / "1004.pdf").read_bytes(), content_type="application/pdf")
    routes["/feed/rss.xml"] = Reply((FIXTURES / "feed" / "rss.xml").read_bytes(), content_type="application/rss+xml; charset=utf-8")
    return routes


class FakeClock:
    """A clock that moves only when the session sleeps; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
