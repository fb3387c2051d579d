"""Secrets in URLs: credentials (`http://user:pw@host/`) and secret-bearing query parameters.

The real URL of a source lives only in the configuration and is used only to fetch;
whatever is shown or stored (the store, the digest, logs, error messages) goes through
`redact_url` or `redact_text` first: `http://user:pw@host/feed?token=abc` becomes
`http://***@host/feed?token=***`. Redaction is deterministic and idempotent, so a
redacted URL is a stable key (the fetch log, `known_urls`, `http_cache`) for the real one.

The lowest layer of the URL helpers: it imports only the scrapers' record types.
"""

from __future__ import annotations

import re

from .records import SourceResult

__all__ = ["MASK", "is_secret_param", "redact_result", "redact_text", "redact_url"]

MASK = "***"

# Query (and fragment) parameters that carry a credential, compared lower-case with "-" as "_".
# OAuth and bearer tokens, API keys (`key` is Google's and AMap's, `appkey` WeChat's and
# many Chinese open platforms'), passwords as scripts put them in URLs, request signatures
# (AWS/Aliyun/Tencent signed URLs, `sign` on Chinese open platforms), CAS single-sign-on
# tickets (common on government portals) and session ids, which log in whoever holds them.
SECRET_PARAMS = frozenset(
    {
        "token", "access_token", "refresh_token", "id_token", "auth_token", "api_token", "accesstoken",
        "key", "apikey", "api_key", "appkey", "app_key", "access_key", "accesskey", "secret_key", "secretkey",
        "secret", "client_secret", "app_secret", "appsecret",
        "password", "passwd", "pwd", "pass",
        "sig", "signature", "sign", "x_amz_signature", "x_amz_credential",
        "auth", "authorization", "credential", "credentials", "ticket", "otp",
        "session", "sessionid", "session_id", "jsessionid", "phpsessid",
    }
)  # fmt: skip
# Any name ending so is a secret too (csrf_token, x-amz-security-token, wx_secret …).
SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "signature", "apikey", "api_key", "sessionid", "session_id")
# Deliberately left out: `id`, `sid`, `uid`, `code`. A redacted parameter is no longer part of a
# page's identity (two pages differing only in it are one known URL), and government CMSs use
# these names for the article or column a page shows (`?sid=12` is a site or section id).

# scheme://userinfo@ — up to the last "@" of the authority, as urlsplit reads it.
USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]*(?:@[^/?#\s@]*)*@")
# user:password@host written without a scheme (a URL mistyped in the configuration, quoted by its error).
BARE_USERINFO_RE = re.compile(r"(?<![\w.+\-/:@])(?!mailto:)[A-Za-z0-9._~%+\-]+:[^\s/?#@'\"]*@(?=[A-Za-z0-9\-]+[.:])")
# name=value after "?", "&" or "#" (a query or an OAuth fragment) or ";" (`;jsessionid=` and the
# `&amp;` of HTML). A value ends at a delimiter (`?` too), a quote, a bracket, whitespace or
# non-ASCII text, so a URL inside a sentence, a Markdown link or an HTML attribute keeps what
# follows it; punctuation that closes the URL ("url?token=x: 404", "…?token=x.") is not the value's.
_END = r"""\s&#;?'"<>()\[\]{}\x7f-\U0010ffff"""
PARAM_RE = re.compile(rf"""([?&;#])([A-Za-z0-9_.\-\[\]]+)=([^{_END}]*?)(?=[:.,!]*(?:[{_END}]|$))""")


def is_secret_param(name: str) -> bool:
    """True for a query parameter whose value is a credential (`token`, `api_key`, `sig`, …)."""
    name = name.lower().replace("-", "_")
    return name in SECRET_PARAMS or name.endswith(SECRET_SUFFIXES)


def _mask_param(match: re.Match) -> str:
    separator, name, value = match.groups()
    if not value or not is_secret_param(name):
        return match.group(0)
    return f"{separator}{name}={MASK}"


def redact_text(text: str | None) -> str | None:
    """Text (an error, a log line, a page of Markdown) with every URL's credentials and secret parameters masked."""
    if not text or ("@" not in text and "=" not in text):  # the common case, at no cost
        return text
    text = USERINFO_RE.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = BARE_USERINFO_RE.sub(f"{MASK}@", text)
    return PARAM_RE.sub(_mask_param, text)


def redact_url(url: str | None) -> str | None:
    """A URL as it may be shown or stored: `http://***@host/path?token=***` (a path is left as it is)."""
    return redact_text(url)


def redact_result(result: SourceResult) -> SourceResult:
    """A collected `SourceResult` with every URL, name and error in it redacted, in place; returned.

    What a collector hands over is what the rest of casewatch shows and stores, so it
    carries no secret; the collector itself fetched with the real URLs.
    """
    result.errors = [redact_text(error) for error in result.errors]
    for article in result.articles:
        article.url = redact_url(article.url)
    for document in result.documents:
        document.url, document.name, document.error = redact_url(document.url), redact_text(document.name), redact_text(document.error)
    for entry in result.fetch_log:
        entry["url"], entry["error"] = redact_url(entry["url"]), redact_text(entry.get("error"))
    for attachment in result.attachments:
        attachment.url, attachment.page = redact_url(attachment.url), redact_url(attachment.page)
        attachment.name, attachment.error = redact_text(attachment.name), redact_text(attachment.error)
    result.known_urls = [redact_url(url) for url in result.known_urls]
    result.validators = {redact_url(url): value for url, value in result.validators.items()}
    return result
