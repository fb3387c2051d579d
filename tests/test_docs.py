"""The README and CI stay true: the two commands, the commands it shows, the columns it promises."""

from __future__ import annotations

import re
from pathlib import Path

import store
from casewatch.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_run_and_test_commands_near_the_top():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["make run", "make test"]
    assert README.index("make run") < 1200


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in script.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\n\t$(BIN)/pytest\n" in makefile and "\n\t$(BIN)/casewatch run\n" in makefile


def test_every_command_the_readme_shows_exists():
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", README, re.S))
    shown = set(re.findall(r"(?:^|\| )casewatch ([a-z]+)", blocks, re.M))
    assert shown >= {"ingest", "run", "digest", "serve", "label", "classify", "train", "evaluate"}
    assert shown <= set(cli.commands)


def test_readme_columns_are_the_stored_columns():
    promised = re.findall(r"`(\w+)`", README[README.index("Stable columns") : README.index("- `indicators`")])
    columns = set(store.TABLES["articles"]["columns"])
    assert {"id", "title", "body", "url", "source", "region", "published", "week", "indicator", "confidence", "first_seen"} <= set(promised)
    assert set(promised) - {"陕西省宝鸡市", "YYYY-Www", "model", "human"} <= columns


def test_readme_lists_the_indicators_in_order():
    import classify

    rows = re.findall(r"^\| (\d+) \| (\w+) \| (.+?) \|$", README, re.M)
    assert [(int(n), slug, name) for n, slug, name in rows] == [(i.number, i.slug, i.name) for i in classify.INDICATORS]


def test_readme_shows_the_run_summary_the_cli_prints():
    # tests/test_cli.py asserts the CLI prints exactly this line on the bundled samples.
    assert "week 2026-W48: 79 new article(s), 79 classified, 0 source error(s)\n" in README
    assert "digest:   /path/to/casewatch/reports/2026-W48.md" in README


def test_readme_source_examples_are_valid_configuration(tmp_path):
    from casewatch.config import load_config

    section = README[README.index("## Add a source") : README.index("## Add compilations by hand")]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    (tmp_path / "casewatch.toml").write_text("\n".join(blocks), encoding="utf-8")
    config = load_config(tmp_path / "casewatch.toml")
    assert [s["kind"] for s in config.sources] == ["inbox", "document", "site", "feed", "site", "mailbox"]
    assert config.http.rate == 1.0 and config.http.robots
