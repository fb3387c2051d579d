"""`casewatch backfill`: past compilations and a site's history, each case under its publication week.

The files are the bundled samples, dated by their names the way real compilations
are ("2021年11月1日-11月7日"): each lands in a known past week. The flows run under
Prefect's test harness; the interrupted backfill is a real subprocess, killed with
SIGKILL once its first batch is in the store, then started again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from casewatch import pipeline
from casewatch.cli import cli
from conftest import sample
from digests import week_of
from model_files import install_model
from processes import running_in_group
from scrapers import Article
from scrapers.http import Session
from sites import FakeClock, FixtureServer, Reply, trs_routes

# Each sample under a name that dates it (or with its own date, 003): the weeks its cases belong to.
DATED = {
    "周报2021年11月1日-11月7日.txt": "001",  # 30 cases without a date: the period's last day, 2021-11-07
    "2021年营商环境优秀案例.txt": "002",  # 38 cases, "11月8日-11月14日" in its headers, 2021 from the name
    "衢州实施意见.txt": "003",  # 1 case dated 2018-07-06 in its text
    "2021年10月25日-10月31日.txt": "004",  # 10 cases without a date: 2021-10-31
}
WEEKS = {"2018-W27": 1, "2021-W43": 10, "2021-W44": 30, "2021-W45": 38}
CONFIG = '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n'


def make_project(path: Path, model_path: Path, extra: str = "") -> Path:
    """A project folder with a trained model, a configuration and the dated compilations in `history/`."""
    install_model(model_path, path / "models")
    (path / "casewatch.toml").write_text(CONFIG + extra, encoding="utf-8")
    (path / "history").mkdir()
    for name, prefix in DATED.items():
        shutil.copy(sample(prefix), path / "history" / name)
    return path


def backfill(project: Path, *args: str):
    """`casewatch backfill` in the project, through the flow; fails the test on a non-zero exit."""
    result = CliRunner().invoke(cli, ["backfill", "--config", str(project / "casewatch.toml"), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def history(project: Path) -> list[str]:
    return [str(project / "history" / name) for name in DATED]


def stored(project: Path) -> dict:
    """What a comparison of two stores looks at: articles with their weeks, documents, sightings, digests."""
    db = sqlite_utils.Database(project / "cw.db")
    return {
        "articles": sorted(db.execute("select id, week, published, indicator, document, position from articles").fetchall()),
        "documents": sorted(db.execute("select sha256, status, articles from documents").fetchall()),
        "sightings": db["sightings"].count,
        "digests": sorted(r[0] for r in db.execute("select week from digests where sent_at is null")),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory, model_path, prefect_harness) -> Path:
    """One uninterrupted backfill of the dated compilations, two documents a batch, every case scored in its own process."""
    project = make_project(tmp_path_factory.mktemp("reference"), model_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "a_core_is_idle", lambda: False)
        result = backfill(project, *history(project), "--batch", "2")
    assert "backfill: 79 new article(s), 79 classified, 0 error(s)" in result.output
    return project


def test_a_case_takes_the_week_it_was_published_in_else_the_runs():
    def week(published):
        return pipeline.publication_week(Article("t", "b", "u", "s", published=published), fallback="2026-W48")

    assert [week("2021-11-07"), week("2021-11-08"), week("2021-01-03"), week("2018-07-06"), week(None), week("")] == [
        "2021-W44", "2021-W45", "2020-W53", "2018-W27", "2026-W48", "2026-W48",
    ]  # fmt: skip


def test_a_compilation_url_is_read_like_a_file(tmp_path):
    with FixtureServer({"/2021/001.txt": Reply(sample("001").read_bytes(), content_type="text/plain; charset=utf-8")}) as server:
        result = pipeline.read_documents([server.url("/2021/001.txt")], tmp_path / "cw.db")
    assert [(d.name, d.status, d.articles) for d in result.documents] == [("001.txt", "ok", 30)]
    assert {a.url for a in result.articles} == {server.url("/2021/001.txt")}


def test_backfill_of_files_writes_one_digest_per_publication_week(reference):
    db = sqlite_utils.Database(reference / "cw.db")
    assert dict(db.execute("select week, count(*) from articles group by week").fetchall()) == WEEKS
    assert sorted(p.name for p in (reference / "out").iterdir()) == sorted(f"{w}.{s}" for w in WEEKS for s in ("md", "html"))
    assert stored(reference)["digests"] == sorted(WEEKS)  # kept in the store, none e-mailed
    assert "2021年11月1日至11月7日（2021-W44）· 本周新收录 **30** 篇" in (reference / "out" / "2021-W44.md").read_text(encoding="utf-8")
    [run] = db["runs"].rows
    assert (run["week"], run["status"], run["new_articles"], run["classified"]) == (week_of(), "ok", 79, 79)
    assert db.execute("select count(*) from articles where classified_at is null").fetchone()[0] == 0
    assert sorted(WEEKS) in [sorted(row["week"] for row in json.loads(a.data)) for a in artifacts("backfill-digests")]


def artifacts(key: str) -> list:
    """The artifacts of that key in the harness's Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, TaskRunFilter
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:  # Prefect 3.8's client sends unset filters as null: give them all
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), flow_run_filter=FlowRunFilter(),
            task_run_filter=TaskRunFilter(), sort=ArtifactSort.CREATED_DESC, limit=50, offset=0,
        )


def test_backfill_with_a_core_free_scores_in_a_worker_and_stores_the_same(reference, tmp_path, model_path, monkeypatch, caplog):
    project = make_project(tmp_path / "two", model_path)
    monkeypatch.setattr(pipeline, "a_core_is_idle", lambda: True)
    workers = []
    step = pipeline.RunScoring.step
    monkeypatch.setattr(pipeline.RunScoring, "step", lambda self: workers.append(self.pool is not None) or step(self))
    result = backfill(project, *history(project), "--batch", "2")
    assert "backfill: 79 new article(s), 79 classified, 0 error(s)" in result.output
    assert workers == [True, True]
    assert "a core is free: cases are scored in a worker process" in caplog.text
    assert stored(project) == stored(reference)
    for path in (reference / "out").iterdir():
        assert (project / "out" / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_backfill_told_to_keep_to_one_core_starts_no_worker_with_a_core_free(reference, tmp_path, model_path, monkeypatch, caplog):
    project = make_project(tmp_path / "one", model_path, extra="[backfill]\nsecond_core = false\n")
    monkeypatch.setattr(pipeline, "a_core_is_idle", lambda: True)
    workers = []
    step = pipeline.RunScoring.step
    monkeypatch.setattr(pipeline.RunScoring, "step", lambda self: workers.append(self.pool is not None) or step(self))
    backfill(project, *history(project), "--batch", "2")
    assert workers == [False, False]
    assert "the backfill runs in one process ([backfill] second_core = false)" in caplog.text
    assert stored(project) == stored(reference)
    (project / "casewatch.toml").write_text(CONFIG + "[backfill]\nsecond_core = 2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["backfill", "--config", str(project / "casewatch.toml"), *history(project)])
    assert result.exit_code != 0 and "[backfill]: second_core must be true or false" in result.output


def test_readme_shows_the_backfill_summary_of_these_files(reference):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for week in WEEKS:
        assert f"digest: /path/to/reports/{week}.md\n" in readme
    assert "backfill: 79 new article(s), 79 classified, 0 error(s); database: /path/to/casewatch.db\n" in readme
    assert all(name in readme for name in list(DATED)[0::3])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--source", "inbox", "--since", "2021-01-01"], "error: source 'inbox' is of kind 'inbox': only a site is backfilled by date"),
        (["--source", "nope", "--since", "2021-01-01"], "error: no source named 'nope' in the configuration (site sources: none)"),
        (["--source", "inbox"], "--source needs --since YYYY-MM-DD"),
        (["missing.pdf"], "error: missing.pdf is not a file"),
        ([], "give compilation files or URLs, or --source NAME --since YYYY-MM-DD"),
    ],
)
def test_backfill_arguments_that_cannot_work_are_refused_in_one_line(tmp_path, monkeypatch, args, message):
    (tmp_path / "casewatch.toml").write_text(CONFIG + '[[sources]]\nname = "inbox"\nkind = "inbox"\npath = "in"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["backfill", *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "cw.db").exists()


def test_backfill_again_stores_nothing_and_rewrites_no_digest(reference, tmp_path):
    project = tmp_path / "again"
    shutil.copytree(reference, project)
    before = stored(project)
    result = backfill(project, *history(project))
    assert "backfill: 0 new article(s), 0 classified, 0 error(s)" in result.output
    assert "digest:" not in result.output  # every week's digest already holds its cases
    assert "(no flow run)" in result.output
    assert stored(project) == before


def test_backfill_with_nothing_new_starts_no_prefect(reference, tmp_path):
    project = tmp_path / "again"
    shutil.copytree(reference, project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(project / ".prefect-unused")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "casewatch.cli", "backfill", "--config", str(project / "casewatch.toml"), *history(project)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        f"backfill: 0 new article(s), 0 classified, 0 error(s); database: {project / 'cw.db'}",
        "nothing new: every file was read before and every digest is up to date (no flow run)",
    ]
    modules = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "casewatch" in modules and "prefect" not in modules


def test_backfill_with_nothing_new_but_a_digest_behind_its_cases_runs_the_flow(reference, tmp_path):
    project = tmp_path / "behind"
    shutil.copytree(reference, project)
    db = sqlite_utils.Database(project / "cw.db")
    db.execute("update digests set basis = 'older' where week = '2021-W44'")  # as if a case was added after it was written
    db.conn.commit()
    result = backfill(project, *history(project))
    assert "backfill: 0 new article(s), 0 classified, 0 error(s)" in result.output
    assert "(no flow run)" not in result.output
    assert f"digest: {project / 'out' / '2021-W44.md'}" in result.output


def test_backfill_killed_after_its_first_batch_goes_on_where_it_stopped(reference, tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    project = make_project(tmp_path / "killed", reference / "models" / "indicators.pkl")
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value())  # the harness's server: no start-up of its own
    with open(project / "child.log", "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "casewatch.cli", "backfill", *history(project), "--batch", "1"],
            cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            read = wait_for_documents(project / "cw.db", child)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    assert 1 <= read < len(DATED), "the backfill was not stopped midway"
    kept = sqlite_utils.Database(project / "cw.db")["articles"].count

    result = backfill(project, *history(project))
    assert f"backfill: {79 - kept} new article(s)" in result.output  # nothing stored twice
    assert stored(project) == stored(reference)
    assert sorted(p.name for p in (project / "out").iterdir()) == sorted(p.name for p in (reference / "out").iterdir())


def test_backfill_stopped_by_ctrl_c_ends_at_once_with_all_it_started_and_goes_on_next_time(reference, tmp_path, migrated_prefect_home):
    """Ctrl-C in a terminal signals the whole process group: the command, Prefect's temporary server,
    the workers. The server used to die with it and leave the run's last logs nowhere to go, so the
    command waited minutes before exiting."""
    project = make_project(tmp_path / "stopped", reference / "models" / "indicators.pkl")
    migrated_prefect_home(project / ".prefect-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CASEWATCH_"))}
    env |= {"PREFECT_HOME": str(project / ".prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    with open(project / "child.log", "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "casewatch.cli", "backfill", *history(project), "--batch", "1"],
            cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_documents(project / "cw.db", child)
            os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C does
            code = child.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
    output = (project / "child.log").read_text(encoding="utf-8", errors="replace")
    assert code == 1, output[-3000:]
    assert "stopped by SIGINT" in output
    assert "Traceback" not in output  # the stop said in one line, not in Prefect's 30 of traceback
    time.sleep(1)
    assert running_in_group(child.pid) == []  # the server and the workers stopped with it
    [run] = sqlite_utils.Database(project / "cw.db")["runs"].rows
    assert run["status"] == "failed" and "SIGINT" in run["error"]

    result = backfill(project, *history(project))
    assert "backfill: 0 new article(s)" not in result.output
    assert stored(project) == stored(reference)


def wait_for_documents(path: Path, child: subprocess.Popen) -> int:
    """Poll the store until the child has committed a document; return how many it has."""
    while child.poll() is None:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                count = conn.execute("select count(*) from documents where status = 'ok'").fetchone()[0]
        except sqlite3.Error:  # not created yet, or its schema not yet written
            count = 0
        if count:
            return count
        time.sleep(0.02)
    raise AssertionError(f"the backfill ended (status {child.returncode}) before any document was stored")


@pytest.fixture
def site_project(tmp_path, model_path, monkeypatch) -> Path:
    """A project whose run sessions wait on a fake clock (the rate limit never makes the test wait)."""
    fake = FakeClock()
    monkeypatch.setattr(pipeline, "Session", functools.partial(Session, clock=fake.clock, sleep=fake.sleep))
    return tmp_path


def test_site_backfill_reads_back_to_since_and_no_further(site_project, model_path, prefect_harness):
    with FixtureServer(trs_routes()) as server:
        source = f'[[sources]]\nname = "fgw"\ntitle = "某省发改委"\nkind = "site"\nurl = "{server.url("/xwzx/gzdt/index.shtml")}"\n'
        project = make_project(site_project, model_path, "[http]\nrate = 1000.0\nretries = 1\n" + source)
        first = backfill(project, "--source", "fgw", "--since", "2021-11-01", "--batch", "1")
        first_requests = server.paths()
        db = sqlite_utils.Database(project / "cw.db")
        first_articles = db.execute("select week, published, title from articles order by published, title").fetchall()
        server.requests.clear()
        second = backfill(project, "--source", "fgw", "--since", "2021-10-01", "--until", "2021-10-31")
        second_requests = server.paths()
    listing = [p for p in first_requests if "/index" in p]
    # page 2 holds 2021-11-03 and 2021-10-29: older than --since, so page 3 is never asked for
    assert listing == ["/xwzx/gzdt/index.shtml", "/xwzx/gzdt/index_1.shtml"]
    assert not [p for p in first_requests if "t202110" in p]
    assert first_articles == [
        ("2021-W44", "2021-11-03", "台州市推行“证照联办”改革"),
        ("2021-W44", "2021-11-03", "绍兴市推行“企业开办全程网办”"),
        ("2021-W44", "2021-11-05", "关于印发全省优化营商环境典型案例汇编（第一批）的通知"),
        ("2021-W44", "2021-11-05", "嘉兴市推行“交地即发证”"),
        ("2021-W44", "2021-11-05", "宁波市推行不动产登记“带押过户”"),
        ("2021-W44", "2021-11-05", "温州市推行“个转企”一件事改革"),
        ("2021-W45", "2021-11-08", "杭州市推行企业开办“一件事”集成改革"),
    ]
    assert "backfill: 7 new article(s), 7 classified" in first.output
    assert [line for line in first.output.splitlines() if line.startswith("digest:")] == [
        f"digest: {project / 'out' / '2021-W44.md'}",
        f"digest: {project / 'out' / '2021-W45.md'}",
    ]
    # The second range goes on to page 3 for October only: no November article is asked for again.
    assert [p for p in second_requests if "/index" in p] == ["/xwzx/gzdt/index.shtml", "/xwzx/gzdt/index_1.shtml", "/xwzx/gzdt/index_2.shtml"]
    assert not [p for p in second_requests if "t202111" in p]
    assert "backfill: 2 new article(s)" in second.output
    # W44 and W45 compare themselves with the four weeks before them, which now hold cases: rewritten too
    assert [line[-11:] for line in second.output.splitlines() if line.startswith("digest:")] == [
        "2021-W41.md", "2021-W43.md", "2021-W44.md", "2021-W45.md",
    ]  # fmt: skip
    assert dict(db.execute("select week, count(*) from articles group by week").fetchall()) == {
        "2021-W41": 1, "2021-W43": 1, "2021-W44": 6, "2021-W45": 1,
    }  # fmt: skip
    assert sorted(p.name for p in (project / "out").glob("*.md")) == ["2021-W41.md", "2021-W43.md", "2021-W44.md", "2021-W45.md"]


def test_a_case_added_within_the_second_its_digest_was_written_still_makes_the_digest_stale(tmp_path, monkeypatch):
    """Which digests are behind the store is told by their cases' counts, not by timestamps to the second:
    a second backfill right after the first (same second) once left W44's comparison line stale."""
    import store

    monkeypatch.setattr(store.db, "now", lambda: "2026-11-29T08:00:00+00:00")
    monkeypatch.setattr(store.reports, "now", lambda: "2026-11-29T08:00:00+00:00")
    db_path = tmp_path / "cw.db"
    pipeline.prepare_store(db_path)
    db = store.open_db(db_path)

    def add(title: str, week: str) -> None:
        article = Article(title=title, body=f"{title}，压缩至1个工作日办结。" * 8, url=f"https://example.org/{week}", source="backfill")
        store.save_articles(db, [article], week, "2026-11-29T08:00:00+00:00")

    add("宁波市推行不动产登记“带押过户”", "2021-W44")
    pipeline.write_digest(db_path, "2021-W44", tmp_path / "out")
    assert pipeline.stale_weeks(db_path) == []
    add("台州市推行“证照联办”改革", "2021-W43")  # the same second: W44's four weeks before it now hold a case
    assert pipeline.stale_weeks(db_path) == ["2021-W43", "2021-W44"]
    for week in pipeline.stale_weeks(db_path):
        pipeline.write_digest(db_path, week, tmp_path / "out")
    assert pipeline.stale_weeks(db_path) == []


def test_digests_written_by_a_worker_are_those_written_in_process(tmp_path):
    """`write_digests` shares the weeks with a worker process: the same files and the same store rows."""
    import store

    texts = [s.strip() for s in sample("001").read_text(encoding="utf-8").split("。") if len(s.strip()) > 20]
    weeks = [f"2021-W{n:02d}" for n in range(30, 40)]
    copies = []
    for workers in (0, 1):
        db_path = tmp_path / f"cw{workers}.db"
        pipeline.prepare_store(db_path)
        db = store.open_db(db_path)
        for n, week in enumerate(weeks):
            body = "。".join(texts[n * 3 : n * 3 + 6]) + "。"
            article = Article(title=f"案例{n}", body=body, url=f"https://example.org/{n}", source="backfill")
            store.save_articles(db, [article], week, "2026-11-29T08:00:00+00:00")
        paths = pipeline.write_digests(db_path, weeks, tmp_path / f"out{workers}", workers=workers)
        assert [p.stem for p in paths] == weeks
        assert pipeline.stale_weeks(db_path) == []
        copies.append({p.name: p.read_text(encoding="utf-8") for p in sorted((tmp_path / f"out{workers}").iterdir())})
        copies.append(sorted((r["week"], r["markdown"], r["cases"]) for r in store.open_db(db_path)["digests"].rows))
    assert copies[0] == copies[2] and copies[1] == copies[3]
