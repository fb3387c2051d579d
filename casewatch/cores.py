"""Whether a worker process beside this one would get a core of its own."""

from __future__ import annotations

import os
import time

WINDOW = 0.5  # seconds of the CPUs' own accounting looked at
IDLE_SHARE = 0.8  # of one core, idle over the window: a core is free


def a_core_is_idle(window: float = WINDOW) -> bool:
    """Whether this process's CPUs were idle for most of a core's time over the last `window` seconds.

    Read from the kernel's per-CPU counters (/proc/stat), twice, `window` apart. The load average
    is no guide at the start of a job: it is a minute's average, so it still counts a process that
    just ended (a backfill started right after another job thought itself alone on one core of
    two). Without /proc, the load average at least one below the CPUs.
    """
    cpus = os.sched_getaffinity(0)
    before = _idle_and_total(cpus)
    if before is None:
        return len(cpus) - os.getloadavg()[0] >= 1
    time.sleep(window)
    after = _idle_and_total(cpus)
    idle, total = after[0] - before[0], after[1] - before[1]
    return total > 0 and idle / total * len(cpus) >= IDLE_SHARE


def _idle_and_total(cpus: set[int]) -> tuple[int, int] | None:
    """(idle, all) clock ticks of these CPUs since boot, iowait counted as idle; None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            lines = stat.read().splitlines()
    except OSError:
        return None
    idle = total = 0
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            ticks = [int(value) for value in fields[:8]]  # user nice system idle iowait irq softirq steal
            idle += ticks[3] + ticks[4]
            total += sum(ticks)
    return (idle, total) if total else None
