"""Why a source failed, in plain Chinese: the analyst reads the kind, the technician the detail."""

from __future__ import annotations

import re

# Failures of reaching a source. Checked in order: the first kind whose pattern matches names it.
ACCESS_KINDS: list[tuple[str, re.Pattern]] = [
    # A site or feed that answered but holds no article (any more): redesigned, or the wrong page.
    ("找不到文章（网站可能已改版）", re.compile(r"no article links found|: no entries\b", re.I)),
    ("找不到文件夹", re.compile(r"inbox folder .* does not exist", re.I)),
    ("找不到文件", re.compile(r"No such file or directory|FileNotFoundError", re.I)),
    ("被拦截", re.compile(r"\b(?:401|403|412|429)\b|Forbidden|Unauthorized|Too Many Requests|robots\.txt|Retry-After|captcha|验证码|blocked|access denied", re.I)),
    ("页面不存在", re.compile(r"\b(?:404|410)\b")),
    ("无法访问", re.compile(
        r"Max retries|Connection ?Error|Connect ?Timeout|Read ?Timeout|timed? ?out|Name or service not known|"
        r"Temporary failure in name resolution|nodename nor servname|Connection (?:refused|reset|aborted)|"
        r"HTTPS?ConnectionPool|SSL ?Error|certificate verify|RemoteDisconnected|\b5\d\d\b|cannot fetch|redirect[_ ]loop",
        re.I,
    )),
]
# Failures of reading a file that was fetched.
FILE_KINDS: list[tuple[str, re.Pattern]] = [
    ("文件无文字（可能是扫描件）", re.compile(r"no extractable text|scanned", re.I)),
    ("格式不支持", re.compile(r"unsupported document type", re.I)),
    ("文件过大", re.compile(r"larger than|too[_ ]large|size cap", re.I)),
    ("文件损坏", re.compile(r"corrupt|unreadable|cannot detect the text encoding|BadZip|PdfReadError|PdfStreamError|decode|truncated|EOF marker", re.I)),
]


def explain_error(error: str, failed_documents: list[dict] | None = None) -> str:
    """The kind of a collection error in plain Chinese (无法访问、被拦截、文件损坏 …)."""
    error = error or ""
    # An error about a document that was fetched but not read is about the file, whatever words it uses.
    from_file = any(error.startswith(f"{d['name']}: ") for d in failed_documents or [])
    for kind, pattern in FILE_KINDS + ACCESS_KINDS if from_file else ACCESS_KINDS + FILE_KINDS:
        if pattern.search(error):
            return kind
    return "文件损坏或无法读取" if from_file else "采集出错"
