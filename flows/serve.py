"""Serving deployments until stopped: a local Prefect server when none is configured, the
runner, the next scheduled run, and a clean stop on SIGTERM or SIGINT.

Prefect's temporary ("ephemeral") server runs no scheduler, so a cron schedule registered
with it never fires; a served deployment needs a real server. When `PREFECT_API_URL` is
unset, `local_server` starts `prefect server start` on a free port of 127.0.0.1 with its
database in casewatch's state folder, and stops it on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import httpx

from casewatch.config import ConfigError
from casewatch.cores import die_with_parent

STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# How long to wait for the server's scheduler to create the first runs before saying so.
SCHEDULE_WAIT = 60.0


class TemporaryServer:
    """Prefect's temporary ("ephemeral") API server, started the way Prefect 3.8 starts it (uvicorn on
    `create_app`, no UI, the ephemeral server's settings), but by casewatch:

    - `start()` only launches it, so the caller imports the pipeline and its flow while the server
      starts on the other core (Prefect's own start-up waits for it first, and imports Prefect's whole
      server into this process for it: 4.8 s and 73 MiB for nothing but a child process);
    - it dies with this process (Linux's PR_SET_PDEATHSIG; Prefect starts it as a plain child, which
      a SIGKILL leaves running);
    - `wait()` raises `ServerDidNotStart` after `timeout` s, and the server is stopped on `stop()`.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen | None = None

    def start(self) -> TemporaryServer:
        import prefect

        note(f"Starting temporary server on http://127.0.0.1:{self.port}")
        env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
        env |= {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        command = [
            sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", "error", "--lifespan", "on",
        ]
        # Its own session: a Ctrl-C in the terminal reaches casewatch only, which ends its run and then
        # stops the server (`stop`); killed by the same Ctrl-C, the server left the run's last logs
        # nowhere to go, and casewatch waited minutes on them before it could exit.
        self.process = subprocess.Popen(
            command, env=env, start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )  # fmt: skip
        return self

    def wait(self, timeout: float) -> str:
        """The server's API URL once it answers its health check."""
        wait_until_healthy(self.url, self.process, timeout, None)
        return self.url

    def stop(self) -> None:
        """Send what Prefect still holds for the server (a run's last logs and events), then stop it:
        a log sent to a stopped server is retried for a minute before Prefect gives it up."""
        if self.process is not None:
            if self.process.poll() is None:
                from prefect.events.worker import EventsWorker
                from prefect.logging.handlers import APILogWorker

                for service in (APILogWorker, EventsWorker):
                    with contextlib.suppress(Exception):
                        service.drain_all(timeout=10)
            note(f"Stopping temporary server on http://127.0.0.1:{self.port}")
            stop_process(self.process, grace=5)
            self.process = None


def note(message: str) -> None:
    """A line on stderr in Prefect's log format, as Prefect's own note on its temporary server was."""
    stamp = dt.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    print(f"{stamp} | INFO    | prefect - {message}", file=sys.stderr, flush=True)


class ServerDidNotStart(RuntimeError):
    """The local Prefect server did not answer in time; the message says what to set."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def state_folder(db_path: Path) -> Path:
    """Where casewatch keeps its local Prefect server's database and log: `.casewatch/prefect/` beside the store.

    Not ~/.prefect: the run history belongs with the store it ran against, the user's
    ~/.prefect may hold another project's database at another Prefect version, and a
    service account may have no writable home.
    """
    return Path(db_path).resolve().parent / ".casewatch" / "prefect"


@contextlib.contextmanager
def local_server(home: Path, timeout: float | None = None) -> Iterator[str]:
    """A Prefect server with its scheduler on 127.0.0.1, its database under `home`; yields its API URL, stops it on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log_path = home / "server.log"
    with open(log_path, "ab") as log:
        # Its own session: a Ctrl-C in the terminal reaches casewatch, which stops the runner
        # (pausing the schedule through this server) before it stops the server.
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
    try:
        url = f"http://127.0.0.1:{port}/api"
        wait_until_healthy(url, process, timeout or float(os.environ.get(STARTUP_TIMEOUT, "90")), log_path)
        yield url
    finally:
        stop_process(process)


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float, log_path: Path | None) -> None:
    """Return once the server answers its health check; raise ServerDidNotStart if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                where = f"; see {log_path}" if log_path else " (its output is above)"
                raise ServerDidNotStart(f"the local Prefect server exited with code {process.returncode}{where}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{url}/health").status_code == 200:
                    return
            time.sleep(0.2)
    raise ServerDidNotStart(
        f"the local Prefect server did not start within {timeout:g} s{f' (log: {log_path})' if log_path else ''}; "
        f"set {STARTUP_TIMEOUT} higher, or PREFECT_API_URL to a running Prefect server"
    )


def stop_process(process: subprocess.Popen, grace: float = 15) -> None:
    """Ask a process to stop (SIGTERM), then kill it if it has not stopped after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_cron(cron: str, timezone: str) -> None:
    """Check a cron expression with Prefect's own schedule, in one line (the config checked only its shape)."""
    from pydantic import ValidationError
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError:
        raise ConfigError(f"invalid cron expression {cron!r}: expected minute hour day month weekday") from None


async def next_cron_time(cron: str, timezone: str) -> dt.datetime:
    """The next time the cron fires, as Prefect's server schedule computes it."""
    from prefect.server.schemas.schedules import CronSchedule

    return (await CronSchedule(cron=cron, timezone=timezone).get_dates(n=1))[0]


async def first_scheduled_run(deployment_id: UUID, wait: float | None = None) -> dt.datetime | None:
    """The start time of the deployment's first run in state Scheduled, once the server's scheduler made it
    (None if it made none within `wait` seconds, default SCHEDULE_WAIT)."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter
    from prefect.client.schemas.filters import FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + (SCHEDULE_WAIT if wait is None else wait)
    async with get_client() as client:
        while True:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
            if runs:
                return runs[0].expected_start_time
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(1)


Announce = Callable[[str, dt.datetime, bool], None]


async def serve_until_stopped(deployment, on_scheduled: Announce) -> None:
    """Register `deployment`, run what it schedules until SIGTERM or SIGINT, then stop cleanly.

    `on_scheduled(name, when, by_server)` is called once: with the deployment's first run
    the server scheduled, or, if its scheduler made none within SCHEDULE_WAIT seconds,
    with the next time of the cron and `by_server` False.

    Prefect's own SIGTERM handler calls the runner's synchronous stop from inside the event
    loop, which only creates a coroutine that is never awaited, and then raises SystemExit
    through the loop; here both signals await the runner's asynchronous stop instead.
    """
    from prefect.runner import Runner

    runner = Runner(name="casewatch")
    deployment_id = await runner.aadd_deployment(deployment)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    async def stop() -> None:
        if runner.started:
            await runner.astop()
        else:  # a signal before the runner started: nothing to stop but ourselves
            main.cancel()

    def on_signal(signum, frame) -> None:
        loop.call_soon_threadsafe(lambda: loop.create_task(stop()))

    async def announce() -> None:
        when = await first_scheduled_run(deployment_id)
        if when is not None:
            on_scheduled(f"{deployment.flow_name}/{deployment.name}", when, True)
            return
        schedule = deployment.schedules[0].schedule
        on_scheduled(f"{deployment.flow_name}/{deployment.name}", await next_cron_time(schedule.cron, schedule.timezone), False)

    runner.handle_sigterm = on_signal  # Runner.start installs this for SIGTERM
    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    announcing = loop.create_task(announce())
    try:
        await runner.start()
    finally:
        announcing.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve(deployment, on_scheduled: Announce) -> None:
    """Serve `deployment` until SIGTERM or SIGINT; return normally when stopped."""
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(serve_until_stopped(deployment, on_scheduled))


@contextlib.contextmanager
def prefect_api(db_path: Path) -> Iterator[tuple[str, bool]]:
    """The Prefect API to serve against: PREFECT_API_URL (environment or Prefect profile), else a local server started here.

    Yields (url, started_here). The URL is also put in the environment, so that the flow
    runs the runner starts in child processes report to the same server.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():  # from the environment or the user's Prefect profile
        with announced(db_path, PREFECT_API_URL.value()):
            yield PREFECT_API_URL.value(), False
        return

    with local_server(state_folder(db_path)) as url, temporary_settings({PREFECT_API_URL: url}), announced(db_path, url):
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url, True
        finally:
            os.environ.pop("PREFECT_API_URL", None)


# --- The serve state file: how `run`, `backfill` and `retrain` find a running `casewatch serve` ---------


def serve_state_path(db_path: Path) -> Path:
    """The file a running `casewatch serve` of this store leaves beside its server's database: its API URL and process."""
    return state_folder(db_path) / "serve.json"


@contextlib.contextmanager
def announced(db_path: Path, url: str) -> Iterator[None]:
    """While serving, say in the serve state file which API this store's serve process uses; removed on the way out."""
    path = serve_state_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": url, "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():  # not a newer serve's file
                path.unlink()


def running_serve(db_path: Path, timeout: float = 3.0) -> tuple[str, int] | None:
    """(API URL, process id) of a `casewatch serve` of this store that is running and whose server answers, else None."""
    try:
        state = json.loads(serve_state_path(db_path).read_text(encoding="utf-8"))
        url, pid = str(state["api_url"]), int(state["pid"])
        os.kill(pid, 0)  # a serve killed outright leaves its file behind
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        if httpx.get(f"{url}/health", timeout=timeout).status_code != 200:
            return None
    except httpx.HTTPError:
        return None
    return url, pid


def api_for_flows(db_path: Path | None) -> tuple[str, str] | None:
    """The running Prefect server a flow run should report to, and how it was found: PREFECT_API_URL (the
    environment or the Prefect profile), else a running `casewatch serve` of this store; None for Prefect's
    temporary server."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return PREFECT_API_URL.value(), "PREFECT_API_URL"
    found = running_serve(db_path) if db_path else None
    if found:
        return found[0], f"the server of `casewatch serve` (process {found[1]})"
    return None
