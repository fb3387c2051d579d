"""SIGKILL of a whole `casewatch run` at random points: the store ends as one uninterrupted run's.

Real processes and real timing (no hooks in the code): an uninterrupted run is timed first,
then runs are killed at uniform random moments of its flow (from the flow run's start, before
which nothing touches the store), the first third timed from the moment the run starts saving,
each killed run followed by the next, and a last run to completion: 20 kills, as the issue
asks, with CASEWATCH_FULL=1 (about 3.5 minutes on a busy 2-core machine); 6 by default (tests/budget.py),
or `CASEWATCH_KILLS=N`. The digest is e-mailed to a real SMTP server (aiosmtpd) on 127.0.0.1.
(Kills between every two writes of a save, in-process, are `test_faults.py`.)
"""

from __future__ import annotations

import asyncio
import email
import os
import random
import shutil
import socket
import threading
import time
from collections import Counter
from email import policy

import pytest
import sqlite_utils
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from budget import FULL
from processes import WEEK, Command, environment, search_index_problems, store_state
from test_mail import Recorder, free_port

import digests
import store
from casewatch.cli import cli

SEED = 16
KILLS = int(os.environ.get("CASEWATCH_KILLS", "20" if FULL else "6"))  # tests/budget.py
STARTED = "Beginning flow run"  # the flow starts: nothing before it writes to the store
COLLECTED = "new article(s) from"  # logged when a source's collection ends and its save begins
SAVED = "article(s) stored as new"  # logged when the save ends


def timed_run(project, env, log) -> tuple[float, float]:
    """Run to completion; return how long its flow took, and its save (seconds)."""
    command = Command(project, ["run", "--week", WEEK, "--no-send"], env, log)
    marks = {}
    while command.process.poll() is None:
        output = command.output()
        for mark in (STARTED, COLLECTED, SAVED):
            if mark in output and mark not in marks:
                marks[mark] = time.monotonic()
        time.sleep(0.01)
    end = time.monotonic()
    assert command.finish() == 0, command.output()
    assert marks.keys() == {STARTED, COLLECTED, SAVED}, command.output()
    return end - marks[STARTED], marks[SAVED] - marks[COLLECTED]


def phase(output: str) -> str:
    """The step a run was in, from the last line its log shows (each step logs when it ends)."""
    after = {STARTED: "collect", COLLECTED: "save", SAVED: "classify", "article(s) classified": "digest",
             "digest written": "send", "e-mail:": "end", f"week {WEEK}:": "end"}
    at: dict[str, int] = {}
    for mark, step in after.items():
        at[step] = max(at.get(step, -1), output.rfind(mark))
    return max(at, key=at.get) if max(at.values()) >= 0 else "start"


def kill_at_random_points(project, env, logs, rng, duration, save_time, handler) -> list[int]:
    """Start and SIGKILL `KILLS` runs; return the pids of those killed while running."""
    killed, phases = [], []
    for number in range(KILLS):
        command = Command(project, ["run", "--week", WEEK], env, logs / f"killed-{number}.log")
        # The first third are timed from the start of the save (later runs have nothing left to
        # save), the others from the flow's start.
        in_save = number < KILLS // 3
        command.wait_for(COLLECTED if in_save else STARTED)
        time.sleep(rng.uniform(0, save_time if in_save else duration))
        if command.kill():
            killed.append(command.process.pid)
            phases.append(phase(command.output()))
        assert len(handler.messages) <= 1, f"the digest was sent twice (kill {number})"
    print("kills by step:", dict(Counter(phases)))  # shown with -s
    return killed


def test_a_run_killed_at_random_points_ends_as_one_uninterrupted_run(project, prefect_harness, tmp_path):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = environment(
        CASEWATCH_SMTP_HOST="127.0.0.1", CASEWATCH_SMTP_PORT=str(controller.port), CASEWATCH_SMTP_TLS="none",
        CASEWATCH_SMTP_FROM="casewatch@example.cn", CASEWATCH_EMAIL_TO="analyst@example.cn",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        # The reference: one uninterrupted run, in the same folder so that paths are the same.
        duration, save_time = timed_run(project, env, logs / "reference.log")
        expected = store_state(project / "cw.db")
        expected_files = {name: (project / "out" / name).read_bytes() for name in (f"{WEEK}.md", f"{WEEK}.html")}
        for path in project.glob("cw.db*"):
            path.unlink()
        shutil.rmtree(project / "out")

        killed = kill_at_random_points(project, env, logs, random.Random(SEED), duration, save_time, handler)
        final = Command(project, ["run", "--week", WEEK], env, logs / "final.log")
        code = final.finish()
        # 0, or 1 when a kill fell while the digest was being handed to the server (checked below).
        assert code == 0 or (code == 1 and "may have been sent" in final.output()), final.output()
    finally:
        controller.stop()

    # Later runs have less to do (what was stored is not read again), so some end before their kill.
    assert killed, "no run was still running when killed"
    # Every case once, whole, classified as in the uninterrupted run; every document read.
    assert store_state(project / "cw.db") == expected
    assert search_index_problems(project / "cw.db") == []
    assert {name: (project / "out" / name).read_bytes() for name in expected_files} == expected_files
    db = sqlite_utils.Database(project / "cw.db")
    # Each killed run that had started its row is marked failed by the next run.
    runs = list(db.query("select id, status, error, owner from runs order by started, rowid"))
    assert [r["status"] for r in runs].count("running") == 0
    interrupted = [r for r in runs if r["status"] == "failed"]
    assert all(r["error"] == f"interrupted (process {r['owner'].split(':')[1]} no longer running)" for r in interrupted)
    assert {int(r["owner"].split(":")[1]) for r in interrupted} <= set(killed)
    assert runs[-1]["status"] == "ok"
    # The digest was e-mailed once. (A kill in the few milliseconds between recording the
    # hand-over and the server's reply would leave it unsent and flagged, never sent twice; the
    # last run then says so and exits 1, as a configured send that did not succeed does.)
    sent = db["digests"].get(WEEK)
    if sent["sent_at"]:
        assert code == 0 and len(handler.messages) == 1
        assert email.message_from_bytes(handler.messages[0][1], policy=policy.default)["Subject"] == expected["digest"][0][1]
    else:
        assert code == 1 and sent["handed_over"] and len(handler.messages) <= 1 and "may have been sent" in final.output()


class Holding(Recorder):
    """An SMTP server that keeps each message and then holds its reply until `release` is set."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        """Keep the message, then hold the reply (the client waits for it)."""
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return "250 OK"


@pytest.fixture
def digest_store(tmp_path):
    """A folder with a configuration and a store holding a week's digest, unsent; yields the folder."""
    (tmp_path / "casewatch.toml").write_text('[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n', encoding="utf-8")
    db = store.open_db(tmp_path / "cw.db")
    digests.write_digest(db, WEEK, tmp_path / "out")
    db.close()
    return tmp_path


def smtp_env(port: int) -> dict[str, str]:
    """The SMTP settings of a plain server on 127.0.0.1:`port`."""
    return {
        "CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port), "CASEWATCH_SMTP_TLS": "none",
        "CASEWATCH_SMTP_FROM": "casewatch@example.cn", "CASEWATCH_EMAIL_TO": "analyst@example.cn",
    }


def send_command(folder, port: int) -> Command:
    """`casewatch digest --send` to the SMTP server on `port`, as a process (to be killed)."""
    return Command(folder, ["digest", "--week", WEEK, "--send"], environment(**smtp_env(port)), folder / "send.log")


def send(folder, port: int, flag: str = "--send"):
    """`casewatch digest --send` (or `--resend`) in this process, after the killed one."""
    args = ["digest", "--week", WEEK, flag, "--config", str(folder / "casewatch.toml")]
    return CliRunner().invoke(cli, args, env=smtp_env(port))


def digest_row(folder) -> dict:
    """The week's row of `digests`, as the store has it now."""
    return sqlite_utils.Database(folder / "cw.db")["digests"].get(WEEK)


def test_a_send_killed_before_the_server_has_the_message_is_sent_by_the_next_run(digest_store):
    with socket.socket() as silent:  # accepts connections, never greets: the send waits there
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        command = send_command(digest_store, silent.getsockname()[1])
        while not digest_row(digest_store)["sending_since"]:
            assert command.process.poll() is None, command.output()
            time.sleep(0.02)
        time.sleep(0.2)  # connecting
        assert command.kill()
    row = digest_row(digest_store)
    assert row["sending_by"] and not row["handed_over"] and not row["sent_at"]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        again = send(digest_store, controller.port)
        assert again.exit_code == 0, again.output
    finally:
        controller.stop()
    assert len(handler.messages) == 1 and digest_row(digest_store)["sent_at"]


def test_a_send_killed_while_the_server_takes_the_message_is_not_repeated_without_resend(digest_store):
    handler = Holding()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        command = send_command(digest_store, controller.port)
        while not handler.messages:  # the server has the message; its reply is held
            assert command.process.poll() is None, command.output()
            time.sleep(0.02)
        assert command.kill()
        handler.release.set()
        row = digest_row(digest_store)
        assert row["handed_over"] and not row["sent_at"]
        again = send(digest_store, controller.port)
        assert again.exit_code == 1
        assert f"the {WEEK} digest may have been sent" in again.output and "--resend" in again.output
        assert len(handler.messages) == 1
        resend = send(digest_store, controller.port, "--resend")
        assert resend.exit_code == 0, resend.output
    finally:
        handler.release.set()
        controller.stop()
    assert len(handler.messages) == 2
    row = digest_row(digest_store)
    assert row["sent_at"] and not row["handed_over"] and not row["sending_since"]
