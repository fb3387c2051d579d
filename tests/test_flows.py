"""The flows under Prefect's test harness: what the weekly flow's final state and artifacts say
when sources fail, the retrain flow and its model card, and the team deployment file."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner

from casewatch.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def artifact(key: str) -> dict:
    """The latest version of an artifact, read back from the API (Prefect 3.8's `Artifact.get`
    and `read_artifacts` send null filters that its own server refuses with 422)."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        body = {"artifacts": {"key": {"any_": [key]}}, "flow_runs": {}, "task_runs": {}, "sort": "UPDATED_DESC", "limit": 1, "offset": 0}
        found = client.request("POST", "/artifacts/filter", json=body).json()
    assert found, f"no artifact {key!r}"
    return found[0]


def table_rows(key: str) -> list[dict]:
    """The rows of a table artifact."""
    import json

    data = artifact(key)["data"]
    return json.loads(data) if isinstance(data, str) else data


def test_weekly_says_what_failed_in_its_final_state_and_a_table_artifact(project, prefect_harness, monkeypatch):
    from flows.weekly import weekly

    monkeypatch.delenv("CASEWATCH_SMTP_HOST", raising=False)
    (project / "inbox" / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    with open(project / "casewatch.toml", "a", encoding="utf-8") as config:
        config.write('[[sources]]\nname = "mirror"\nkind = "inbox"\npath = "nowhere"\n')
    config_path = str(project / "casewatch.toml")

    state = weekly(config_path=config_path, week="2026-W48", send=False, return_state=True)
    assert (state.type.value, state.name) == ("COMPLETED", "Partial")
    assert state.message == "2 source(s) failed: inbox, mirror (artifact failures-2026-w48)"
    summary = state.result()  # what `casewatch run` prints from
    assert (summary["status"], summary["new_articles"], summary["errors"]) == ("partial", 79, 2)
    rows = table_rows("failures-2026-w48")
    assert [(r["source"], r["document"]) for r in rows] == [("inbox", "corrupt.pdf"), ("mirror", "")]
    assert "PDF" in rows[0]["reason"] and "nowhere" in rows[1]["reason"]
    assert artifact("digest-2026-w48")["type"] == "markdown"

    # Fixed: the next run completes plainly, and the key's latest table says nothing failed.
    (project / "inbox" / "corrupt.pdf").unlink()
    text = (project / "casewatch.toml").read_text(encoding="utf-8")
    (project / "casewatch.toml").write_text(text[: text.index('[[sources]]\nname = "mirror"')], encoding="utf-8")
    state = weekly(config_path=config_path, week="2026-W48", send=False, return_state=True)
    assert (state.name, state.result()["status"]) == ("Completed", "ok")
    assert table_rows("failures-2026-w48") == [{"source": "", "document": "", "reason": "nothing failed"}]


def test_a_failed_e_mail_makes_the_run_partial_without_counting_as_a_source():
    from flows.weekly import final_state

    summary = {"week": "2026-W48", "status": "partial"}
    state = final_state(summary, [{"source": "e-mail", "document": "", "reason": "connection refused"}])
    assert (state.name, state.message) == ("Partial", "the e-mail was not sent (artifact failures-2026-w48)")
    state = final_state(summary, [{"source": "mirror"}, {"source": "e-mail"}, {"source": "mirror"}])
    assert state.message == "1 source(s) failed: mirror; the e-mail was not sent (artifact failures-2026-w48)"
    assert final_state(summary, []) is summary


def test_retrain_rebuilds_the_model_with_the_analysts_labels_and_publishes_its_card(project, prefect_harness, monkeypatch):
    import classify

    monkeypatch.chdir(project)
    CliRunner().invoke(cli, ["ingest", str(next((project / "inbox").glob("004_*.txt"))), "--week", "2026-W48"])
    article = next(sqlite_utils.Database(project / "cw.db")["articles"].rows)
    assert CliRunner().invoke(cli, ["label", article["id"], "insolvency"]).exit_code == 0
    before = classify.Classifier.load(project / "models" / "indicators.pkl").metadata

    result = CliRunner().invoke(cli, ["retrain", "--quick", "--card", "card.md"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"model: {project / 'models' / 'indicators.pkl'} (1 analyst label(s) added to the corpus)",
        f"model card: artifact model-card, {project / 'card.md'}",
    ]
    after = classify.Classifier.load(project / "models" / "indicators.pkl").metadata
    assert (before["n_extra"], after["n_extra"]) == (0, 1) and after["extra_hash"] != before["extra_hash"]
    card = artifact("model-card")
    assert card["type"] == "markdown" and card["data"] == (project / "card.md").read_text(encoding="utf-8")
    assert f"trained {after['trained_at']}" in card["data"] and "| 办理破产 |" in card["data"]


@pytest.mark.skipif(not os.environ.get("CASEWATCH_FULL_CARD"), reason="measures the full model card: minutes; CASEWATCH_FULL_CARD=1")
def test_retrain_measures_the_full_model_card(project, prefect_harness):
    from flows.retrain import retrain

    summary = retrain(config_path=str(project / "casewatch.toml"), card_path=str(project / "MODEL_CARD.md"))
    card = artifact("model-card")["data"]
    assert summary["card"] == str(project / "MODEL_CARD.md") and card == (project / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("# Model card: casewatch indicator classifier") and "## Model against the naive baseline" in card


def test_prefect_yaml_deploys_each_flow_that_exists_to_the_process_pool():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"casewatch-weekly", "casewatch-backfill", "casewatch-retrain"}
    assert deployments["casewatch-weekly"]["schedules"][0] == {"cron": "0 7 * * 1", "timezone": "Asia/Shanghai"}
    checked = 0
    for deployment in deployments.values():
        assert deployment["work_pool"]["name"] == "casewatch"
        path, name = deployment["entrypoint"].split(":")
        if not (ROOT / path).exists():  # flows/backfill.py comes with the backfill flow
            continue
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        assert flow.name == deployment["entrypoint"].split(":")[1]
        checked += 1
    assert checked >= 2
    pull = spec["pull"][0]["prefect.deployments.steps.set_working_directory"]
    assert pull["directory"] == "{{ $CASEWATCH_HOME }}"


@pytest.mark.parametrize("unit", ["deploy/casewatch-serve.service"])
def test_the_systemd_unit_serves_with_a_clean_stop(unit):
    text = (ROOT / unit).read_text(encoding="utf-8")
    for line in ("Environment=PREFECT_SERVER_ANALYTICS_ENABLED=false", "Restart=on-failure", "KillSignal=SIGTERM"):
        assert line in text.splitlines(), line
    assert any(line.startswith("ExecStart=") and line.split()[1] == "serve" for line in text.splitlines())
