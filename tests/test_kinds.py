"""The source-kind registry (scrapers/kinds.py) is what config validation, dispatch and the docs follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from casewatch import pipeline
from casewatch.config import ConfigError, load_config
from scrapers.kinds import KINDS, collector, network_kinds

DEFAULTS = (Path(__file__).parent.parent / "casewatch" / "defaults.toml").read_text(encoding="utf-8")
VALUES = {str: "x", int: 2, bool: True, list: ["files.example.gov.cn"], dict: {"a": "1"}}


def source_table(kind: str, **extra) -> str:
    lines = ["[[sources]]", 'name = "s"', f'kind = "{kind}"']
    needed = {"url": '"https://www.example.gov.cn/col/index.html"', "path": '"in"', "host": '"imap.example.org"'}
    lines += [f"{KINDS[kind].needs[0]} = {needed[KINDS[kind].needs[0]]}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_takes_its_own_keys_and_names_them_when_one_is_unknown(tmp_path, kind):
    config = tmp_path / "casewatch.toml"
    extra = {"user": '"me"'} if kind == "mailbox" else {}
    config.write_text(source_table(kind, **extra), encoding="utf-8")
    assert load_config(config).sources[0]["kind"] == kind
    config.write_text(source_table(kind, **extra, colour='"red"'), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    message = str(raised.value)
    assert "unknown key 'colour'; expected one of: " in message
    assert message.endswith(", ".join(KINDS[kind].keys))  # every key the registry gives the kind, in its order


def test_an_unknown_kind_names_the_registered_ones(tmp_path):
    config = tmp_path / "casewatch.toml"
    config.write_text(source_table("site").replace('"site"', '"sitemap"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kind 'sitemap'; expected one of \['document', 'feed', 'inbox', 'mailbox', 'site'\]"):
        load_config(config)


def test_the_pipeline_dispatches_network_kinds_to_the_registry_s_collectors():
    assert sorted(network_kinds()) == ["feed", "site"]
    assert pipeline.WEB_COLLECTORS == {kind: collector(kind) for kind in ("site", "feed")}
    assert collector("site").__name__ == "collect_site" and collector("mailbox").__name__ == "collect_mailbox"


def test_every_key_of_a_site_is_described_in_the_packaged_defaults():
    undocumented = [key for key in KINDS["site"].keys if key not in ("name", "kind") and key not in DEFAULTS]
    assert undocumented == []
