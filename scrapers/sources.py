"""Collect one configured source: a folder inbox or a single document."""

from __future__ import annotations

from pathlib import Path

import requests

from .documents import SUFFIXES, parse_document, sha256
from .records import Document, ScrapeError, SourceResult

USER_AGENT = "casewatch/0.1 (weekly monitor of business-environment reform cases)"


def fetch_bytes(location: str, timeout: float = 30, max_bytes: int = 50_000_000) -> bytes:
    """Bytes of a local file or an http(s) URL, with a size cap."""
    if location.startswith(("http://", "https://")):
        try:
            response = requests.get(location, timeout=timeout, headers={"User-Agent": USER_AGENT}, stream=True)
            response.raise_for_status()
            data = response.raw.read(max_bytes + 1, decode_content=True)
        except requests.RequestException as exc:
            raise ScrapeError(f"cannot fetch {location}: {exc}") from exc
    else:
        try:
            data = Path(location).read_bytes()
        except OSError as exc:
            raise ScrapeError(f"cannot read {location}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ScrapeError(f"{location} is larger than {max_bytes} bytes")
    return data


def collect_file(result: SourceResult, location: str, seen: set[str]) -> None:
    """Read one document into `result`, unless a document with its content was seen."""
    try:
        data = fetch_bytes(location)
    except ScrapeError as exc:
        result.errors.append(str(exc))
        result.documents.append(Document("", Path(location).name, location, result.source, result.kind, "failed", str(exc)))
        return
    if sha256(data) in seen:
        return
    articles, document = parse_document(data, Path(location).name, location, result.source, result.kind)
    result.articles.extend(articles)
    result.documents.append(document)
    if document.error:
        result.errors.append(f"{document.name}: {document.error}")


def collect_inbox(name: str, folder: str | Path, seen: set[str]) -> SourceResult:
    """Every supported file in the folder whose content has not been processed yet."""
    result = SourceResult(name, "inbox")
    folder = Path(folder)
    if not folder.is_dir():
        result.errors.append(f"inbox folder {folder} does not exist")
        return result
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() in SUFFIXES:
            collect_file(result, str(path.resolve()), seen)
    return result


def collect_source(source: dict, seen: set[str]) -> SourceResult:
    """Collect a `[[sources]]` entry of the configuration."""
    name, kind = source["name"], source.get("kind", "")
    if kind == "inbox":
        return collect_inbox(name, source["path"], seen)
    if kind == "document":
        result = SourceResult(name, kind)
        collect_file(result, str(source.get("url") or source["path"]), seen)
        return result
    return SourceResult(name, kind, errors=[f"source kind {kind!r} is not supported (supported: inbox, document)"])
