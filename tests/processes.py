"""`casewatch` commands as real processes (for the crash and contention tests): start, watch, kill, compare."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils

WEEK = "2026-W48"
# Columns of an article that a run decides (not when: first_seen, classified_at, classified_by).
ARTICLE_COLUMNS = (
    "id, title, body, url, source, region, province, city, issuer, published, week, indicator, confidence, "
    "secondary, terms, scores, label_source, document, position, title_key"
)


def environment(**extra: str) -> dict[str, str]:
    """The environment of a command: this one, with Prefect pointed at the test harness's server.

    Each command then skips starting a temporary server of its own (seconds each, and a
    killed command would leave it running).
    """
    import prefect.settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWATCH_SMTP", "CASEWATCH_EMAIL"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    if prefect.settings.PREFECT_API_URL.value():  # inside the harness
        env["PREFECT_API_URL"] = prefect.settings.PREFECT_API_URL.value()
    return env | extra


class Command:
    """A `casewatch` command running in its own process group, its output in a file."""

    def __init__(self, cwd: Path, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.started = time.monotonic()
        with open(log, "wb") as out:
            # Its own session: a kill reaches the reader worker processes it starts, too.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "casewatch.cli", *args],
                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def output(self) -> str:
        """What it printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 300) -> bool:
        """Wait until it prints `text` (True) or ends first (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.process.poll() is not None:
                return text in self.output()
            time.sleep(0.01)
        raise TimeoutError(f"no {text!r} within {timeout} s:\n{self.output()}")

    def kill(self) -> bool:
        """SIGKILL the command and its children; return whether it was still running."""
        running = self.process.poll() is None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        return running

    def finish(self, timeout: float = 300) -> int:
        """Wait for the command to end; return its exit code."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


def store_state(path: Path) -> dict:
    """What a run leaves in a store, comparable between two stores of the same inputs."""
    db = sqlite_utils.Database(path)
    return {
        "articles": [tuple(r) for r in db.execute(f"select {ARTICLE_COLUMNS} from articles order by id")],
        "documents": [tuple(r) for r in db.execute("select sha256, name, status, error, articles from documents order by sha256")],
        "sightings": [
            tuple(r) for r in db.execute("select article_id, url, source, document, position from sightings order by 1, 2, 3, 4, 5")
        ],
        "sources": [tuple(r) for r in db.execute("select name, kind, location, last_status from sources order by name")],
        "digest": [tuple(r) for r in db.execute("select week, subject, cases, markdown, html, text from digests order by week")],
    }


def search_index_problems(path: Path) -> list[str]:
    """How the full-text index disagrees with the articles (a half-written case shows here), or []."""
    db = sqlite_utils.Database(path)
    indexed = [r[0] for r in db.execute("select id from articles_fts_docsize order by id")]
    rowids = [r[0] for r in db.execute("select rowid from articles order by rowid")]
    problems = []
    if len(indexed) != len(set(indexed)):
        problems.append("an article is indexed twice")
    if set(indexed) != set(rowids):
        problems.append(f"index rows {len(indexed)} vs articles {len(rowids)}")
    return problems


def running(pid: int) -> bool:
    """Whether the process runs (not gone, and not a zombie: an orphan's parent here, PID 1, may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def running_in_group(group: int) -> list[str]:
    """The command lines of the processes of that process group still running."""
    import subprocess

    pids = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
    commands = []
    for pid in pids:
        if running(int(pid)):
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                shown = cmdline.read().replace(bytes(1), b" ").decode(errors="replace")
            commands.append(f"{pid}: {shown[:150]}")
    return commands
