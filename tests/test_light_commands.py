"""Commands that need no flow start no Prefect server and import no Prefect, and print no library chatter.

Each command runs for real in a subprocess under `python -X importtime`, which lists every
module the process imported on stderr: Prefect must not be among them. (`browse` is checked
the same way by its SIGTERM test in tests/test_browse_process.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import classify
import store
from scrapers import Article

WEEK = "2026-W48"
CHATTER = ("Building prefix dict", "Loading model from cache", "docs.prefect.io", "Starting temporary server")


def casewatch(project: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run `casewatch ARGS` in `project` under -X importtime; fail with its output when it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(project / ".prefect-must-stay-unused")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "casewatch.cli", *args], cwd=project, env=env,
        input=stdin, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def imported(stderr: str) -> set[str]:
    """The top-level packages named in -X importtime's lines."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                names.add(name.split(".")[0])
    return names


def output_lines(done: subprocess.CompletedProcess) -> list[str]:
    """stdout and stderr without -X importtime's lines."""
    return [line for line in (done.stdout + done.stderr).splitlines() if not line.startswith("import time:")]


@pytest.fixture
def stored(project) -> tuple[Path, str]:
    """The project with a store holding one case; returns (project, the case's id)."""
    db = store.open_db(project / "cw.db")
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", WEEK)
    [key] = store.save_articles(
        db, [Article(title="铜川市构建税费服务矩阵", body="推行电子税务局，出口退税全程网上办理，便利纳税人缴费人。",
                     url="https://example.org/1", source="web")],
        WEEK, "2026-11-24T08:00:00+08:00",
    )
    store.finish_run(db, "r1", status="ok")
    db.close()
    return project, key


def check_light(done: subprocess.CompletedProcess) -> None:
    """No Prefect, no chatter, and no scikit-learn (its import alone took 75 MiB and most of a second):
    a loaded model holds its numbers only, scikit-learn is imported to fit one."""
    modules = imported(done.stderr)
    assert "casewatch" in modules  # the listing is real
    assert "prefect" not in modules and "flows" not in modules
    assert "sklearn" not in modules
    lines = output_lines(done)
    assert not [line for line in lines if any(c in line for c in CHATTER)], lines


def test_classify_imports_no_prefect(project):
    done = casewatch(project, "classify", stdin="推行电子税务局，出口退税全程网上办理。")
    assert json.loads(done.stdout)["primary"] == "taxes"
    check_light(done)


def test_label_imports_no_prefect(stored):
    project, key = stored
    done = casewatch(project, "label", key[:8], "taxes")
    assert "1 label(s) saved" in done.stdout
    check_light(done)


def test_digest_imports_no_prefect(stored):
    project, _ = stored
    done = casewatch(project, "digest", "--week", WEEK)
    assert (project / "out" / f"{WEEK}.md").exists()
    check_light(done)


def test_evaluate_imports_no_prefect(project):
    data = project / "cases.jsonl"
    data.write_text(
        json.dumps({"id": "t1", "text": "推行电子税务局，出口退税全程网上办理，纳税人办税时间压缩一半。", "primary": "taxes"}, ensure_ascii=False)
        + "\n" + json.dumps({"id": "t2", "text": "不动产登记与水电气过户联动办理，一般登记压缩至1个工作日。", "primary": "property_registration"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    done = casewatch(project, "evaluate", "--data", str(data))
    assert "labelled cases: 2" in done.stdout
    check_light(done)


def test_reforms_imports_no_prefect(stored):
    project, _ = stored
    done = casewatch(project, "reforms", "--all", "--json")
    assert isinstance(json.loads(done.stdout), list)
    check_light(done)


def test_weeks_imports_no_prefect(stored):
    project, _ = stored
    done = casewatch(project, "weeks")
    assert f"{WEEK}" in done.stdout
    check_light(done)


def test_a_hypothesis_deprecation_fails_the_suite_instead_of_being_printed():
    import warnings

    from hypothesis.errors import HypothesisDeprecationWarning

    with pytest.raises(HypothesisDeprecationWarning):
        warnings.warn(HypothesisDeprecationWarning("a deprecated call in a test"), stacklevel=1)
    # The one Hypothesis gives when another thread draws from `random` during a draw is not printed either.
    note = "Do not use the `random` module inside strategies; instead consider `st.randoms()`"
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn(HypothesisDeprecationWarning(note), stacklevel=1)
    assert caught == []


def test_weeks_lists_each_week_with_its_cases_and_digest_as_the_readme_shows(stored, tmp_path):
    import re

    project, _ = stored
    db = store.open_db(project / "cw.db")
    store.start_run(db, "r0", "2026-W47")
    store.save_articles(db, [Article(title=f"第{n}个案例", body=f"不动产登记压缩至{n}个工作日，办理环节减少。" * 3,
                                     url=f"https://example.org/w47/{n}", source="web") for n in range(2)],
                        "2026-W47", "2026-11-17T08:00:00+08:00")
    store.finish_run(db, "r0", status="ok")
    db.close()
    casewatch(project, "digest", "--week", WEEK)
    lines = casewatch(project, "weeks").stdout.splitlines()
    assert lines == ["2026-W47       2 case(s)  digest none", "2026-W48       1 case(s)  digest written"]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"after `make run` on the bundled samples:\n\n```text\n(.*?)\n```", readme, re.S).group(1)
    assert re.fullmatch(r"\d{4}-W\d\d +\d+ case\(s\)  digest (none|written|sent \d{4}-\d\d-\d\d)", shown)


def test_classify_jsonl_prints_the_fields_the_readme_documents(project):
    import re

    line = json.dumps({"id": "a1", "title": "电子税务局", "text": "推行电子税务局，出口退税全程网上办理。"}, ensure_ascii=False)
    printed = json.loads(casewatch(project, "classify", "--jsonl", stdin=line + "\n").stdout)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"`classify --jsonl` writes one line per input, with these fields in this order:\n`(\{.*?\})`", readme).group(1)
    fields = re.findall(r'(?:^\{|, )"(\w+)"', documented)
    assert fields == list(printed) == ["id", "is_case", "relevance", "primary", "confidence", "scores", "secondary", "terms"]
    assert printed["id"] == "a1" and len(printed["scores"]) == 18
