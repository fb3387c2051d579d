"""Prefect's temporary server on a loaded machine: a start-up limit that fits, one retry, one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from casewatch import cli as cli_module

ROOT = Path(__file__).resolve().parent.parent


def test_the_cli_gives_the_temporary_server_time_to_start():
    assert int(os.environ[cli_module.STARTUP_TIMEOUT]) >= 60


@pytest.fixture
def no_running_server(monkeypatch):
    """As on a machine without a Prefect server: in the whole suite, Prefect's test harness sets PREFECT_API_URL,
    and a flow run would report to it (and never start, or retry, a temporary server)."""
    import flows.serve

    monkeypatch.setattr(flows.serve, "api_for_flows", lambda db_path: None)


class FakeServer:
    """Stands for `flows.serve.TemporaryServer`: the first `failures` of them never answer."""

    started: list[FakeServer] = []
    failures = 1

    def start(self) -> FakeServer:
        FakeServer.started.append(self)
        self.stopped = False
        return self

    def wait(self, timeout: float) -> str:
        import flows.serve

        if len(FakeServer.started) <= FakeServer.failures:
            raise flows.serve.ServerDidNotStart("did not answer")
        return "http://127.0.0.1:9/api"

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_server(no_running_server, monkeypatch):
    import flows.serve

    monkeypatch.setattr(flows.serve, "TemporaryServer", FakeServer)
    monkeypatch.setattr(FakeServer, "started", [])
    return FakeServer


def test_a_server_that_fails_to_start_once_is_tried_again(fake_server):
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    calls = []

    def flow(**parameters):
        calls.append((parameters, PREFECT_API_URL.value(), PREFECT_UI_URL.value()))
        return "summary"

    assert cli_module.run_flow(flow, week="2026-W48") == "summary"
    assert calls == [({"week": "2026-W48"}, "http://127.0.0.1:9/api", "")]  # its own server, no link to a UI
    assert len(fake_server.started) == 2 and all(server.stopped for server in fake_server.started)


def test_other_errors_are_not_retried_and_the_server_is_stopped(fake_server, monkeypatch):
    monkeypatch.setattr(FakeServer, "failures", 0)
    calls = []

    def flow(**parameters):
        calls.append(1)
        raise RuntimeError("something else")

    with pytest.raises(RuntimeError, match="something else"):
        cli_module.run_flow(flow)
    assert calls == [1]
    assert len(fake_server.started) == 1 and fake_server.started[0].stopped


@pytest.fixture(scope="module")
def never_starts(tmp_path_factory) -> subprocess.CompletedProcess:
    """`casewatch run` in a subprocess whose temporary Prefect server is given 1 s to start."""
    tmp_path = tmp_path_factory.mktemp("never-starts")
    (tmp_path / "casewatch.toml").write_text(
        f'[[sources]]\nname = "samples"\nkind = "inbox"\npath = "{ROOT / "data" / "samples"}"\n', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / ".prefect"), cli_module.STARTUP_TIMEOUT: "1"}
    return subprocess.run(
        [sys.executable, "-m", "casewatch.cli", "run", "--no-send"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=300,
    )


def test_a_server_that_never_starts_gives_one_line_and_no_traceback(never_starts):
    done = never_starts
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: Prefect's temporary server did not start within 1 s, twice; set {cli_module.STARTUP_TIMEOUT} "
        "higher, or PREFECT_API_URL to a running Prefect server"
    ]


def test_prefects_note_on_its_temporary_server_keeps_the_address_not_the_link_to_its_docs(never_starts):
    output = never_starts.stderr + never_starts.stdout
    assert output.count("Starting temporary server on http://127.0.0.1:") == 2  # the first try and the retry
    assert "docs.prefect.io" not in output and "dedicated Prefect server" not in output


def test_the_flow_runner_is_used_by_run(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(cli_module, "run_flow", lambda flow, **kw: seen.append(kw) or {
        "week": kw["week"], "new_articles": 0, "classified": 0, "errors": 0, "db": kw["db"], "digest": None,
        "mail": None, "failures": [],
    })
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli_module.cli, ["run", "--week", "2026-W48", "--no-send"])
    assert result.exit_code == 0, result.output
    assert seen and seen[0]["send"] is False
