"""How much one document may take: bytes read, bytes unpacked, seconds and memory."""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Caps on reading one document; the defaults fit the largest real compilations many times over.

    max_bytes: the file or download itself (real compilations are 0.1–5 MB);
    max_unpacked / max_member: a DOCX's declared uncompressed size, all members / any one;
    timeout: seconds a worker may spend parsing one document;
    memory: address space of that worker (RLIMIT_AS), which must hold the interpreter too.
    """

    max_bytes: int = 50_000_000
    max_unpacked: int = 200_000_000
    max_member: int = 100_000_000
    timeout: float = 120.0
    memory: int = 2 * GiB


DEFAULT_LIMITS = Limits()


def describe_bytes(size: int) -> str:
    """A size as people say it: 2 GiB, 3.2 GB, 24.3 MB, 812 bytes."""
    if size >= GiB and size % GiB == 0:
        return f"{size // GiB} GiB"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
