"""Configuration mistakes give one clear line, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from casewatch.cli import cli
from casewatch.config import load_config


@pytest.mark.parametrize(
    "text, message",
    [
        ('[sources]\nname = "x"\n', "sources must be [[sources]] tables"),
        ('sources = "x"\n', "sources must be [[sources]] tables"),
        ('[[sources]]\nname = "a"\nkind = "inbox"\npath = 5\n', "source 'a': path must be a string, not 5"),
        ("[store]\ndb = 5\n", "[store]: db must be a string, not 5"),
        ("dbb = 1\n", "unknown section or key 'dbb'"),
        ('[digests]\ndir = "x"\n', "unknown section or key 'digests'"),
        ('[digest]\nsimplified = "yes"\n', "[digest]: simplified must be true or false"),
        ('[digest]\ndri = "x"\n', "[digest]: unknown key 'dri'"),
        ('[[sources]]\nname = "a"\nkind = "inbox"\npath = "x"\npaht = "y"\n', "source 'a': unknown key 'paht'"),
        ('[[sources]]\nname = "a"\nkind = "ftp"\npath = "x"\n', "has kind 'ftp'"),
        ("store = 1\n", "store must be a table ([store])"),
    ],
)
def test_a_configuration_mistake_is_one_line(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "casewatch.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["digest"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: ") and message in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_bundled_configuration_and_the_defaults_are_valid(monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "casewatch.toml")
    assert [s["name"] for s in config.sources] == ["samples"]


@pytest.mark.parametrize("week", ["2026-W48\n", "2026-W48 ", "2026-w48", "2026-W54"])
def test_a_malformed_week_is_refused(tmp_path, monkeypatch, week):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--week", week, "--no-send"])
    assert result.exit_code != 0 and "error" in result.output.lower()
