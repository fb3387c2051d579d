"""Worker processes beside this one: whether one would get a core of its own, and that none outlives it."""

from __future__ import annotations

import contextlib
import os
import signal
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


def die_with_parent() -> None:
    """In a child process before it runs: be sent SIGTERM when the parent dies (Linux's
    PR_SET_PDEATHSIG), so that a process casewatch started never outlives a killed casewatch."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def start_worker(parent: int) -> None:
    """A worker process's first step (a pool's initializer, given the parent's pid): it dies with the parent,
    even a parent killed outright, and it ignores Ctrl-C, which the terminal sends to the whole process group:
    the parent stops the work itself and shuts its workers down."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent:  # the parent died before the line above could tell the kernel
        os._exit(1)


@contextlib.contextmanager
def deaf_to_ctrl_c():
    """Processes started in this block ignore Ctrl-C from their first instruction.

    A spawned worker runs `start_worker` (which ignores SIGINT) only after its start-up has
    imported the parent's main module and the pool's code: a Ctrl-C then, which the terminal sends
    to the whole process group, printed a KeyboardInterrupt traceback from the worker under the
    run's one-line stop. An ignored SIGINT is the one disposition a new program inherits, and Python
    keeps it ignored, so the parent ignores SIGINT while it starts them: the milliseconds of a fork
    and exec, in which a Ctrl-C is lost. So start workers here before the work starts, not in its
    midst: a worker started at the first batch's hand-over took the Ctrl-C meant for the run, whose
    reader then failed its document with a KeyboardInterrupt. Only the main thread can change a
    handler; elsewhere nothing changes.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def start_workers(pool, count: int = 1) -> None:
    """Start `count` of the pool's worker processes now, deaf to Ctrl-C from their first instruction
    (`deaf_to_ctrl_c`): a pool otherwise starts a worker at the first task handed to it, in the midst
    of the work."""
    with deaf_to_ctrl_c():
        for _ in range(count):
            pool.submit(int)
