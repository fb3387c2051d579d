"""`casewatch serve` as a user runs it: a real process, its own local Prefect server, the
server's scheduler, a triggered run through the runner, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlite_utils
from click.testing import CliRunner

from casewatch.cli import cli

SHANGHAI = ZoneInfo("Asia/Shanghai")


def mondays_at(hour: int, minute: int, count: int, after: dt.datetime) -> list[dt.datetime]:
    """The next `count` Mondays at hour:minute in Asia/Shanghai after `after` (no DST there)."""
    day = after.astimezone(SHANGHAI).replace(hour=hour, minute=minute, second=0, microsecond=0)
    found = []
    while len(found) < count:
        if day.weekday() == 0 and day > after:
            found.append(day)
        day += dt.timedelta(days=1)
    return found


class Lines:
    """The lines a process writes to a pipe, readable with a time limit."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)  # the process closed its output

    def next(self, timeout: float) -> str:
        """The next line; fails the test if none comes within `timeout` seconds."""
        try:
            line = self.queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output within {timeout} s; so far: {self.seen}")
        if line is None:
            self.queue.put(None)
            pytest.fail(f"the process ended its output; so far: {self.seen}")
        self.seen.append(line)
        return line


def serve_env(project) -> dict[str, str]:
    """The environment of a user who has no Prefect server: no PREFECT_API_URL, no SMTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CASEWATCH_"))}
    return env | {
        "PREFECT_HOME": str(project / ".prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # pick the triggered run up within a second
    }


async def scheduled_and_triggered(url: str, week: str):
    """The deployment's scheduled start times, then the final state of a run triggered through the API."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter
    from prefect.client.schemas.filters import FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.deployments import run_deployment

    async with PrefectClient(url) as client:
        deployment = await client.read_deployment_by_name("weekly/casewatch-weekly")
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=10,
        )
        triggered = await run_deployment(
            "weekly/casewatch-weekly", parameters={"week": week}, timeout=300, poll_interval=1, client=client
        )
        return deployment, [run.expected_start_time for run in runs], triggered.state


def test_serve_gets_runs_from_its_cron_runs_a_triggered_run_into_its_db_and_stops_on_sigterm(project, migrated_prefect_home):
    import asyncio

    with open(project / "casewatch.toml", "a", encoding="utf-8") as config:
        config.write('[schedule]\ncron = "30 6 * * 1"\n')
    served_db = project / "elsewhere" / "served.db"
    served_db.parent.mkdir()
    migrated_prefect_home(served_db.parent / ".casewatch" / "prefect")
    started = dt.datetime.now(dt.timezone.utc)
    process = subprocess.Popen(
        [sys.executable, "-m", "casewatch.cli", "serve", "--db", str(served_db)], cwd=project, env=serve_env(project),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True).start()
    try:
        out = Lines(process.stdout)
        api_line = out.next(timeout=180)
        assert api_line.endswith("(a local server, stopped with casewatch serve)"), api_line
        url = api_line.split()[2]
        # The server's scheduler made the runs: the line waits for them and prints the first.
        serving = out.next(timeout=120)
        deployment, scheduled, state = asyncio.run(scheduled_and_triggered(url, "2026-W48"))

        expected = mondays_at(6, 30, 3, started)
        assert [when.astimezone(SHANGHAI) for when in scheduled[:3]] == expected
        assert serving == (
            f'serving weekly/casewatch-weekly on "30 6 * * 1" (Asia/Shanghai); '
            f'next run {expected[0]:%Y-%m-%d} 06:30 Asia/Shanghai'
        )
        assert deployment.parameters == {"config_path": str(project / "casewatch.toml"), "db": str(served_db)}
        assert [s.schedule.cron for s in deployment.schedules] == ["30 6 * * 1"]

        # The triggered run went through the served process into the store given by --db.
        assert state.is_completed(), state
        db = sqlite_utils.Database(served_db)
        assert db["articles"].count == 79
        assert [(r["week"], r["status"]) for r in db["runs"].rows] == [("2026-W48", "ok")]
        assert not (project / "cw.db").exists()
        assert (served_db.parent / ".casewatch" / "prefect" / "prefect.db").exists()  # the server's own history
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=120)
    assert out.next(timeout=10) == "stopped"
    assert code == 0, "".join(stderr)
    text = "".join(stderr)
    assert "Traceback" not in text and "never awaited" not in text, text
    with pytest.raises(httpx.ConnectError):  # the local server went with it
        httpx.get(f"{url}/health", timeout=5)


def test_a_bad_cron_is_one_line_before_any_server_starts(project, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["serve", "--cron", "0 7 * *"])
    assert (result.exit_code, result.output) == (
        1, "error: --cron: cron must be five fields (minute hour day month weekday), not '0 7 * *'\n"
    )
    result = CliRunner().invoke(cli, ["serve", "--cron", "0 25 * * 1"])
    assert (result.exit_code, result.output) == (
        1, "error: invalid cron expression '0 25 * * 1': expected minute hour day month weekday\n"
    )
    with open(project / "casewatch.toml", "a", encoding="utf-8") as config:
        config.write('[schedule]\ntimezone = "Mars/Olympus"\n')
    result = CliRunner().invoke(cli, ["serve"])
    assert (result.exit_code, result.output) == (
        1, "error: casewatch.toml: [schedule] timezone must be an IANA time zone such as Asia/Shanghai, not 'Mars/Olympus'\n"
    )
    assert not (project / ".casewatch").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_without_a_scheduler_serve_warns_and_gives_the_cron_time_and_a_signal_returns(signum, project, prefect_harness, monkeypatch):
    from flows import serve as serving
    from flows.weekly import weekly_deployment

    # Prefect's temporary server (the harness) runs no scheduler: nothing is ever scheduled.
    monkeypatch.setattr(serving, "SCHEDULE_WAIT", 1)
    before = signal.getsignal(signum)
    announced = []

    def on_scheduled(name, when, by_server) -> None:
        announced.append((name, when.astimezone(SHANGHAI), by_server))
        os.kill(os.getpid(), signum)

    started = dt.datetime.now(dt.timezone.utc)
    serving.serve(weekly_deployment(project / "casewatch.toml", "30 6 * * 1"), on_scheduled)  # returns: stopped
    assert announced == [("weekly/casewatch-weekly", mondays_at(6, 30, 1, started)[0], False)]
    assert signal.getsignal(signum) is before


async def flow_runs_of(url: str, name: str) -> list:
    """The flow runs of the flow `name` that the server at `url` recorded."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    async with PrefectClient(url) as client:
        return await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))


def test_backfill_reports_to_a_running_serve_says_so_and_starts_no_server_of_its_own(project, migrated_prefect_home):
    import asyncio

    migrated_prefect_home(project / ".casewatch" / "prefect")
    process = subprocess.Popen(
        [sys.executable, "-m", "casewatch.cli", "serve"], cwd=project, env=serve_env(project),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    state = project / ".casewatch" / "prefect" / "serve.json"
    try:
        out = Lines(process.stdout)
        url = out.next(timeout=180).split()[2]
        out.next(timeout=120)  # serving …: the runner is up
        assert state.exists()
        files = [str(project / "inbox" / name) for name in sorted(os.listdir(project / "inbox"))[:1]]
        done = subprocess.run(
            [sys.executable, "-m", "casewatch.cli", "backfill", *files], cwd=project, env=serve_env(project),
            capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"Prefect: using the server of `casewatch serve` (process {process.pid}) at {url}" in done.stderr
        assert "Starting temporary server" not in done.stderr
        assert done.stdout.startswith("backfill: 30 new article(s), 30 classified, 0 error(s)")
        runs = asyncio.run(flow_runs_of(url, "backfill"))
        assert [run.state.type.value for run in runs] == ["COMPLETED"]  # recorded by the served server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    assert not state.exists()  # a stopped serve is found by no later run
