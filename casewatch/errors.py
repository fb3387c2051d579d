"""Errors that the command line reports in one line; importing this module is cheap."""

from __future__ import annotations


class RunFailed(Exception):
    """A run stopped on an error; the message names the run and the error in one line."""
