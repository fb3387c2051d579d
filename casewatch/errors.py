"""Errors that the command line reports in one line; importing this module is cheap."""

from __future__ import annotations


class RunFailed(Exception):
    """A run stopped on an error; the message names the run and the error in one line."""


class RunStopped(Exception):
    """A run ended early because it was asked to stop (SIGTERM, SIGINT)."""


def stopped(exc: BaseException | None) -> bool:
    """Whether `exc` is a run's stop, or an error raised from one (`RunFailed` from `RunStopped`)."""
    while exc is not None:
        if isinstance(exc, RunStopped):
            return True
        exc = exc.__cause__
    return False
