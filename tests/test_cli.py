"""The command line, end to end, in a temporary project directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from casewatch.cli import cli


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def test_weekly_run_end_to_end_then_again_changes_nothing(project, prefect_harness, monkeypatch):
    monkeypatch.chdir(project)
    result = invoke("run", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    assert "week 2026-W48: 79 new article(s), 79 classified, 0 source error(s)" in result.output
    assert f"digest:   {project / 'out' / '2026-W48.md'}" in result.output

    db = sqlite_utils.Database(project / "cw.db")
    assert db["articles"].count == 79
    counts = dict(db.execute("select substr(url, -24, 3), count(*) from articles group by 1").fetchall())
    assert counts == {"001": 30, "002": 38, "003": 1, "004": 10}
    assert db["articles"].count_where("week = '2026-W48' and classified_at is not null") == 79
    assert db["indicators"].count == 18
    before = list(db["articles"].rows)

    digest = (project / "out" / "2026-W48.md").read_text(encoding="utf-8")
    assert digest.startswith("# 营商环境改革案例周报 · 2026年第48周")
    assert "本周新收录 **79** 篇" in digest
    assert digest.index("## 1. 企业开办") < digest.index("## 17. 政务服务") < digest.index("## 待复核")

    again = invoke("run", "--week", "2026-W48")
    assert again.exit_code == 0, again.output
    assert "0 new article(s), 0 classified" in again.output
    assert list(db["articles"].rows) == before
    assert (project / "out" / "2026-W48.md").read_text(encoding="utf-8") == digest


def test_db_and_digest_dir_options_override_the_config(project, prefect_harness, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.setenv("CASEWATCH_CONFIG", str(project / "casewatch.toml"))
    monkeypatch.chdir(elsewhere)
    result = invoke("run", "--week", "2026-W01", "--db", str(elsewhere / "x.db"), "--digest-dir", str(elsewhere / "d"))
    assert result.exit_code == 0, result.output
    assert sqlite_utils.Database(elsewhere / "x.db")["articles"].count == 79
    assert (elsewhere / "d" / "2026-W01.md").exists()
    assert not (project / "cw.db").exists()


def test_ingest_adds_files_by_hand_once(project, samples_dir, monkeypatch):
    monkeypatch.chdir(project)
    path = next(samples_dir.glob("004_*.txt"))
    shutil.copy(path, project / "copy.txt")
    first = invoke("ingest", str(path), "--db", "hand.db", "--week", "2026-W48")
    assert first.exit_code == 0, first.output
    assert "10 new article(s), 10 classified" in first.output
    again = invoke("ingest", str(project / "copy.txt"), "--db", "hand.db")
    assert "copy.txt: already read, skipped" in again.output
    assert sqlite_utils.Database(project / "hand.db")["articles"].count == 10


def test_ingest_of_a_broken_file_fails_with_one_line(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    result = CliRunner().invoke(cli, ["ingest", "broken.pdf", "--db", "hand.db"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == ["broken.pdf: failed, 0 article(s)", "0 new article(s), 0 classified; database: hand.db"]
    assert lines[2].startswith("digest: ") and lines[2].endswith(".md")
    assert lines[3].startswith("failed: broken.pdf: corrupt or unreadable PDF") and len(lines) == 4
    db = sqlite_utils.Database(project / "hand.db")
    assert [(d["name"], d["status"]) for d in db["documents"].rows] == [("broken.pdf", "failed")]
    assert db["fetch_errors"].count == 1
    assert [(r["status"], r["errors"]) for r in db["runs"].rows] == [("partial", 1)]
    # The digest names the files given by hand in Chinese, as it does a backfill's (历史汇编).
    digest = Path(lines[2].removeprefix("digest: ")).read_text(encoding="utf-8")
    assert "- 手动导入：1 个文件未能读取\n\n" in digest and "- broken.pdf（手动导入）：文件损坏" in digest
    assert "manual" not in digest


def test_ingest_keeps_the_good_files_and_lists_the_bad_ones(project, samples_dir, monkeypatch):
    monkeypatch.chdir(project)
    (project / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    (project / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    good = next(samples_dir.glob("004_*.txt"))
    result = invoke("ingest", "broken.pdf", str(good), "broken.docx", "--db", "hand.db", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:5] == [
        "broken.pdf: failed, 0 article(s)",
        f"{good.name}: ok, 10 article(s)",
        "broken.docx: failed, 0 article(s)",
        "10 new article(s), 10 classified; database: hand.db",
        f"digest: {project / 'out' / '2026-W48.md'}",
    ]
    assert lines[5].startswith("failed: broken.pdf: corrupt or unreadable PDF")
    assert lines[6].startswith("failed: broken.docx: corrupt or unreadable DOCX") and len(lines) == 7
    # The week's digest is rewritten with the cases just added.
    digest = (project / "out" / "2026-W48.md").read_text(encoding="utf-8")
    assert "本周新收录 **10** 篇" in digest and "“亲清在线”无感智慧审批" in digest
    db = sqlite_utils.Database(project / "hand.db")
    assert db["articles"].count == db["articles"].count_where("url like ?", [f"%{good.name}"]) == 10
    assert {d["name"]: d["status"] for d in db["documents"].rows} == {"broken.pdf": "failed", good.name: "ok", "broken.docx": "failed"}
    assert [(r["status"], r["new_articles"], r["errors"]) for r in db["runs"].rows] == [("partial", 10, 2)]


def add_source(project, name: str) -> None:
    """A second inbox source in the project's configuration."""
    (project / name).mkdir()
    with open(project / "casewatch.toml", "a", encoding="utf-8") as config:
        config.write(f'[[sources]]\nname = "{name}"\nkind = "inbox"\npath = "{name}"\n')


def no_retries(monkeypatch) -> None:
    """Collect without the retry delays meant for the network."""
    import importlib

    module = importlib.import_module("flows.weekly")  # `flows.weekly` is the flow itself
    monkeypatch.setattr(module, "collect", module.collect.with_options(retries=0))


def test_a_source_that_raises_fails_alone_and_the_run_goes_on(project, prefect_harness, monkeypatch):
    from casewatch import pipeline

    monkeypatch.chdir(project)
    add_source(project, "mirror")
    real_collect = pipeline.collect

    def collect(source, db_path, session=None):
        if source["name"] == "mirror":
            raise RuntimeError("reader crashed\non two lines")
        return real_collect(source, db_path, session)

    monkeypatch.setattr(pipeline, "collect", collect)
    no_retries(monkeypatch)
    result = invoke("run", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    assert "week 2026-W48: 79 new article(s), 79 classified, 1 source error(s)" in result.output
    assert result.output.splitlines()[-1] == "failed: mirror: collection failed: RuntimeError: reader crashed on two lines"

    db = sqlite_utils.Database(project / "cw.db")
    assert db["articles"].count == 79 and db["articles"].count_where("classified_at is null") == 0
    run = next(db["runs"].rows)
    assert (run["status"], run["error"], run["new_articles"], run["errors"]) == (
        "partial", "collection failed: RuntimeError: reader crashed on two lines", 79, 1,
    )
    assert run["finished"] and run["digest"] == str(project / "out" / "2026-W48.md")
    assert (db["sources"].get("mirror")["last_status"], db["sources"].get("inbox")["last_status"]) == ("failed", "ok")
    assert [(e["run"], e["source"]) for e in db["fetch_errors"].rows] == [(run["id"], "mirror")]
    digest = (project / "out" / "2026-W48.md").read_text(encoding="utf-8")
    assert "本周新收录 **79** 篇" in digest
    assert "- mirror：采集出错\\\n  技术细节：collection failed: RuntimeError: reader crashed on two lines" in digest


def test_a_failing_classification_fails_the_run_with_one_line(project, prefect_harness, monkeypatch):
    from casewatch import pipeline

    monkeypatch.chdir(project)

    def classify_pending(*args, **kwargs):
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(pipeline, "classify_pending", classify_pending)
    result = CliRunner().invoke(cli, ["run", "--week", "2026-W48"])
    db = sqlite_utils.Database(project / "cw.db")
    run = next(db["runs"].rows)
    assert (result.exit_code, result.stdout) == (1, "")
    # Prefect's log of the flow run (stderr) holds the traceback; the CLI's own word is one line.
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[-1] == f"error: run {run['id']} failed: RuntimeError: model file is corrupt"
    assert (run["status"], run["error"], run["new_articles"], run["classified"]) == (
        "failed", "RuntimeError: model file is corrupt", 79, 0,
    )
    assert run["finished"] and run["digest"] is None
    assert db["articles"].count == 79  # what was saved stays; the next run classifies it


def test_errors_are_one_line_without_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--config", "missing.toml"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: cannot read configuration missing.toml: No such file or directory"]
    (tmp_path / "bad.toml").write_text('[[sources]]\nname = "x"\nkind = "ftp"\n')
    result = CliRunner().invoke(cli, ["run", "--config", "bad.toml"])
    assert result.output.startswith("error: bad.toml: source 'x' has kind 'ftp'") and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["run", "--config", "bad.toml", "--week", "2026-W99"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (tmp_path / "file").write_text("not a folder")
    result = CliRunner().invoke(cli, ["run", "--db", "file/x.db", "--week", "2026-W48"])
    assert (result.exit_code, result.output.strip()) == (1, "error: cannot create file: File exists")


def test_every_command_has_help_text():
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), name
        result = invoke(name, "--help")
        assert result.exit_code == 0 and " ".join(command.help.split()) in " ".join(result.output.split())


def test_classify_jsonl_writes_one_decision_per_line(project, monkeypatch):
    import classify

    monkeypatch.chdir(project)
    lines = [
        {"id": "a", "title": "纳税服务", "text": "推行电子税务局，增值税申报和出口退税全程网上办理。"},
        {"id": 7, "text": "不动产登记与交易、缴税一窗受理，登记时间压缩至1个工作日。"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = invoke("classify", "--jsonl", input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    for decision in out:
        assert {"id", "primary", "scores", "secondary", "terms"} <= set(decision)
        assert list(decision["scores"]) == list(classify.SLUGS)
        assert decision["primary"] in classify.SLUGS + (None,)
    assert out[0]["primary"] == "taxes"


def test_classify_jsonl_rejects_a_bad_line_with_its_number(project, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["classify", "--jsonl"], input='{"text": "好"}\nnot json\n')
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("error: stdin line 2: not JSON")


def test_label_overrides_the_model_and_retrains_the_next_model(project, samples_dir, monkeypatch):
    import classify

    monkeypatch.chdir(project)
    invoke("ingest", str(next(samples_dir.glob("004_*.txt"))), "--db", "cw.db", "--week", "2026-W48")
    db = sqlite_utils.Database(project / "cw.db")
    row = next(db["articles"].rows_where("title = ?", ["“互联网+不动产登记”制度创新"]))
    model_file = project / "models" / "indicators.pkl"
    before = classify.Classifier.load(model_file).metadata["extra_hash"]

    result = invoke("label", row["id"], "insolvency", "--note", "test")
    assert result.exit_code == 0, result.output
    labelled = db["articles"].get(row["id"])
    assert (labelled["indicator"], labelled["label_source"]) == ("insolvency", "human")

    invoke("ingest", str(next(samples_dir.glob("001_*.txt"))), "--db", "cw.db")  # new articles: retrain
    model = classify.Classifier.load(model_file)
    assert model.metadata["extra_hash"] != before and model.metadata["n_extra"] == 1
    assert db["articles"].get(row["id"])["indicator"] == "insolvency"  # not overwritten by the model


def test_label_import_checks_slugs_before_saving(project, samples_dir, monkeypatch):
    monkeypatch.chdir(project)
    invoke("ingest", str(next(samples_dir.glob("004_*.txt"))), "--db", "cw.db")
    ids = [r["id"] for r in sqlite_utils.Database(project / "cw.db")["articles"].rows][:2]
    (project / "fix.csv").write_text(f"id,indicator\n{ids[0]},taxes\n{ids[1]},no_such_slug\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["label", "--import", "fix.csv"])
    assert result.exit_code == 1 and "unknown indicator 'no_such_slug'" in result.output
    assert sqlite_utils.Database(project / "cw.db")["labels"].count == 0
    (project / "fix.jsonl").write_text(json.dumps({"id": ids[0], "indicator": "taxes"}) + "\n", encoding="utf-8")
    assert invoke("label", "--import", "fix.jsonl").output.startswith("1 label(s) saved")


def test_weekly_deployment_runs_mondays_in_shanghai(project):
    from flows.weekly import weekly_deployment

    deployment = weekly_deployment(project / "casewatch.toml")
    schedule = deployment.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 7 * * 1", "Asia/Shanghai")
    assert deployment.parameters == {"config_path": str(project / "casewatch.toml")}
