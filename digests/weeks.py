"""ISO weeks in Asia/Shanghai: the unit of a digest."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(when: datetime | None = None, tz: str = "Asia/Shanghai") -> str:
    """The ISO week (`YYYY-Www`) of a moment, in the given time zone (default: now)."""
    local = (when or datetime.now(ZoneInfo("UTC"))).astimezone(ZoneInfo(tz))
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(week: str) -> tuple[int, int]:
    """(`year`, `week`) from `YYYY-Www`; ValueError on anything else."""
    match = WEEK_RE.fullmatch(week)  # "$" alone would accept a trailing newline
    if not match:
        raise ValueError(f"not an ISO week: {week!r} (expected YYYY-Www, e.g. 2026-W48)")
    year, number = int(match.group(1)), int(match.group(2))
    date.fromisocalendar(year, number, 1)  # raises ValueError for week 53 of a 52-week year
    return year, number


def week_range(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=6)
