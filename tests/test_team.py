"""The README's team path, run as written: `prefect server start`, a process work pool,
`prefect deploy --all`, a worker, `prefect deployment run` and `prefect artifact ls`.

Every command is Prefect's own CLI in a process of its own, against a real server with its
scheduler (not the test harness): the 422s that FastAPI 0.151+ gave Prefect 3.8's client
(`limit: null`) only showed there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from conftest import ROOT, sample
from flows.serve import local_server, stop_process

WEEK = "2026-W48"


def prefect(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `prefect ARGS...` from the checkout, as the README's operator does; output captured."""
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def said(result: subprocess.CompletedProcess) -> str:
    """What a command printed, for an assertion's message."""
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def team(project, tmp_path_factory, migrated_prefect_home):
    """A Prefect server (`prefect server start`, scheduler on), a `casewatch` process pool and one worker
    whose $CASEWATCH_HOME is this checkout and whose $CASEWATCH_CONFIG is the test project's."""
    home = tmp_path_factory.mktemp("prefect-team")
    migrated_prefect_home(home / "server")
    with local_server(home / "server") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CASEWATCH_"))}
        env |= {
            "PREFECT_API_URL": url,
            "PREFECT_HOME": str(home / "client"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick a run up within a second, not 10
            "COLUMNS": "250",  # rich's tables cut keys to the width of the terminal (none here: 80)
            "CASEWATCH_HOME": str(ROOT),
            "CASEWATCH_CONFIG": str(project / "casewatch.toml"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        created = prefect("work-pool", "create", "casewatch", "--type", "process", env=env)
        assert created.returncode == 0, said(created)
        with open(home / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", "casewatch"],
                cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            yield env, home / "worker.log"
        finally:
            stop_process(worker)


def flow_run(name: str, env: dict[str, str]) -> dict:
    """The latest started flow run of a deployment (not one its schedule set for later), through the API."""
    import asyncio

    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter
    from prefect.client.schemas.filters import FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async def read() -> dict:
        async with PrefectClient(env["PREFECT_API_URL"]) as client:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.START_TIME_DESC, limit=1,
            )
            return {"state": runs[0].state.type.value, "message": runs[0].state.message or "", "parameters": runs[0].parameters}

    return asyncio.run(read())


def test_the_readme_team_commands_deploy_run_and_list_artifacts(team, project):
    env, worker_log = team
    before = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout

    deployed = prefect("deploy", "--all", env=env)
    assert deployed.returncode == 0, said(deployed)
    listed = prefect("deployment", "ls", env=env)
    assert listed.returncode == 0, said(listed)
    for name in ("weekly/casewatch-weekly", "backfill/casewatch-backfill", "retrain/casewatch-retrain"):
        assert name in listed.stdout, said(listed)
    pools = prefect("work-pool", "ls", env=env)
    assert pools.returncode == 0 and "casewatch" in pools.stdout, said(pools)

    # A backfill without its inputs fails and says what to pass, instead of completing empty.
    empty = prefect("deployment", "run", "backfill/casewatch-backfill", "--watch", env=env)
    assert empty.returncode != 0, said(empty)
    run = flow_run("casewatch-backfill", env)
    assert run["state"] == "FAILED", run
    assert "--params" in run["message"] and "locations" in run["message"], run

    # With --params as the README shows them: one compilation file, its 10 cases under their weeks.
    compilation = project / "past" / sample("004").name
    compilation.parent.mkdir()
    shutil.copy(sample("004"), compilation)
    params = json.dumps({"locations": [str(compilation)]}, ensure_ascii=False)
    backfilled = prefect("deployment", "run", "backfill/casewatch-backfill", "--params", params, "--watch", env=env)
    assert backfilled.returncode == 0, said(backfilled) + worker_log.read_text(errors="replace")[-3000:]
    assert flow_run("casewatch-backfill", env)["state"] == "COMPLETED"
    store = sqlite_utils.Database(project / "cw.db")
    assert store["articles"].count == 10

    # The weekly deployment, as the schedule would start it: the rest of the samples' 79 cases.
    weekly = prefect(
        "deployment", "run", "weekly/casewatch-weekly", "--param", f"week={WEEK}", "--watch", env=env
    )
    assert weekly.returncode == 0, said(weekly) + worker_log.read_text(errors="replace")[-3000:]
    assert flow_run("casewatch-weekly", env)["state"] == "COMPLETED"
    assert store["articles"].count == 79
    assert (project / "out" / f"{WEEK}.md").exists()

    artifacts = prefect("artifact", "ls", env=env)
    assert artifacts.returncode == 0, said(artifacts)
    assert f"digest-{WEEK.lower()}" in artifacts.stdout, said(artifacts)
    inspected = prefect("artifact", "inspect", f"digest-{WEEK.lower()}", env=env)
    assert inspected.returncode == 0 and "营商环境改革案例周报" in inspected.stdout, said(inspected)

    # The operator's commands leave the checkout as they found it.
    after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    assert after == before
