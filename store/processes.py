"""Which process holds a run or a claim, and whether it is still alive.

A run killed with SIGKILL cannot record its own end. Its row names the process that
ran it (host, pid and the pid's start time, so that a pid reused by another program
does not count), and the next run on the same host finds that the process is gone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    """A process: its host, its pid and when it started (clock ticks since boot, or None off Linux)."""

    host: str
    pid: int
    started: str | None

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started or ''}"

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        """The owner written by `str()`, or None for an empty or foreign value."""
        parts = (text or "").rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2] or None)


def process_start(pid: int) -> str | None:
    """When a process started (field 22 of /proc/PID/stat), or None where /proc cannot tell."""
    stat = _stat(pid)
    return stat[19] if stat else None


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def current() -> Owner:
    """This process."""
    return Owner(socket.gethostname(), os.getpid(), process_start(os.getpid()))


def alive(owner: Owner) -> bool | None:
    """Whether the process still runs: True, False, or None when it ran on another host (unknowable here)."""
    if owner.host != socket.gethostname():
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    stat = _stat(owner.pid)
    if stat is None:
        return True  # no /proc: the pid exists, which is all we can know
    if stat[0] in ("Z", "X"):  # killed but not yet reaped by its parent
        return False
    return owner.started is None or stat[19] == owner.started
