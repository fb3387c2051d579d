"""How much of the slowest, exhaustive tests a run does: a smaller form by default (CI, `make test`),
everything with CASEWATCH_FULL=1.

The smaller form keeps each test's assertion whole and only takes fewer of its cases: fewer killed
runs (test_crash.py), a spread of a save's writes instead of every one (test_faults.py). The full
form is what the issues asked for; run it before a release or after changing what those tests guard:
`CASEWATCH_FULL=1 .venv/bin/pytest tests/test_crash.py tests/test_faults.py`.
"""

from __future__ import annotations

import os

FULL = os.environ.get("CASEWATCH_FULL", "") not in ("", "0")


def spread(count: int, small: int) -> list[int]:
    """1…count when FULL (or count <= small), else `small` of them spread evenly, the first and last included."""
    if FULL or count <= small:
        return list(range(1, count + 1))
    return sorted({1 + round(i * (count - 1) / (small - 1)) for i in range(small)})
