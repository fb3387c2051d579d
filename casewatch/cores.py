"""Whether a worker process beside this one would get a core of its own."""

from __future__ import annotations

import os


def a_core_is_idle() -> bool:
    """The load average at least one below this process's CPUs: a second process would not only share a core."""
    return len(os.sched_getaffinity(0)) - os.getloadavg()[0] >= 1
