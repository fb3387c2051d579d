"""`casewatch browse` as a real process: it serves, imports no Prefect, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote

import classify
import store
from scrapers import collect_inbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float) -> bytes:
    """GET `url`, retrying while the server is starting."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_browse_serves_and_stops_cleanly_on_sigterm(tmp_path, samples_dir):
    path = tmp_path / "archive.db"
    db = store.open_db(path)
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", "2026-W48")
    store.save_source_result(db, collect_inbox("samples", samples_dir, set()), "data/samples", "r1", "2026-W48")
    store.finish_run(db, "r1", status="ok")
    db.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # stderr to a file: -X importtime writes more than a pipe holds before anyone reads it
    errors = open(tmp_path / "stderr.txt", "w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "casewatch.cli", "browse", "--db", str(path), "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
    )
    try:
        found = json.loads(fetch(f"http://127.0.0.1:{port}/casewatch/articles.json?_search={quote('纳税')}", time.monotonic() + 120))
        assert found["count"] >= 5 and found["rows"]
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        errors.close()
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, (process.returncode, out, err[-2000:])
    assert out.splitlines()[-1] == "stopped"
    lines = [line for line in err.splitlines() if not line.startswith("import time:")]
    assert not [line for line in lines if "Traceback" in line or "Error" in line], lines
    modules = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in err.splitlines() if line.startswith("import time:") and "|" in line}
    assert "datasette" in modules and "prefect" not in modules
