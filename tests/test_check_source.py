"""`casewatch check-source` against a local copy of real corpus pages: what a run would take, nothing stored."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sites import FixtureServer, Reply

from casewatch.cli import cli

REAL = Path(__file__).parent / "fixtures" / "real"
COLUMN = "/egbsfq/xxgk/xxgknb/"
# The ordos column (real), whose first three article links serve three real article pages of the corpus.
ARTICLES = {
    "202009/t20200903_2748784.html": "mhmiit.gov.cn",  # shown date 2009-09-30 against a 2023 meta tag
    "202005/t20200506_2633371.html": "zysc.gov.cn",  # 来源 on its own line, tails and a share summary
    "202003/t20200311_2593126.html": "zxwhongshan.gov.cn",  # the template without its text
}


def routes() -> dict:
    found = {COLUMN + "index.html": Reply((REAL / "columns" / "ordos-egb-xxgknb.html").read_bytes())}
    for path, site in ARTICLES.items():
        found[COLUMN + path] = Reply((REAL / "pages" / f"{site}.html").read_bytes())
    return found


def check(tmp_path, *args):
    config = tmp_path / "casewatch.toml"
    config.write_text("[http]\nrate = 1000.0\nretries = 0\n", encoding="utf-8")
    with FixtureServer(routes()) as server:
        result = CliRunner().invoke(cli, ["check-source", server.url(COLUMN + "index.html"), "--config", str(config), *args])
        return result, server


def test_check_source_shows_pages_links_furniture_and_the_first_articles(tmp_path):
    result, server = check(tmp_path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 more page(s) (paging: countPage)" in out and f"next: {server.url(COLUMN + 'index_1.html')}" in out
    assert "article links picked: 10" in out
    assert "links skipped as furniture: 2" in out and "联系我们" in out
    assert "date: 2009-09-30 (from page)   issuer: 北京通信管理局" in out
    assert "problem: date: the page shows 2009-09-30, its meta tag says 2023-05-12" in out
    assert "date: 2020-09-15 (from page)   issuer: 绵阳市政务网" in out
    assert "no_text: the page holds no article text" in out
    # nothing but robots.txt, the listing and the three articles was asked for
    assert server.paths() == ["/robots.txt", COLUMN + "index.html"] + [COLUMN + p for p in ARTICLES]


def test_check_source_json_is_the_same_report_for_scripts(tmp_path):
    result, _ = check(tmp_path, "--json")
    report = json.loads(result.output)
    assert report["links"]["count"] == 10 and report["skipped"]["count"] == 2
    assert report["listing_pages"][0]["paging"] == ["countPage"]
    first = report["articles"][0]
    assert (first["title"], first["date"], first["date_from"]) == ("北京通管局组织“三电”专项斗争大检查 确保国庆60周年电信设施安全运行", "2009-09-30", "page")
    assert first["first"].startswith("为确保国庆60周年网络与信息安全") and not first["no_text"]
    assert [a["no_text"] for a in report["articles"]] == [False, False, True]
    assert report["errors"] == []


# The other column layouts of the corpus, each served on 127.0.0.1 at its own path; its first
# three article links answer with real article pages of the corpus (stand-ins: the layouts'
# own articles were not saved), the rest of the site does not exist.
LAYOUTS = {
    "gdzbtb.gov.cn/zhaobiao12": ("createPageHTML", 382),
    "hzzy.gov.cn/courtweb": ("next-page links", 1),
    "sthjt.jiangxi.gov.cn/col42150": (None, 0),
    "ggzyzx.jl.gov.cn/zbgg": (None, 0),
}
STAND_INS = ("mhmiit.gov.cn", "zysc.gov.cn", "lysc.gov.cn")


def layout_routes(record: dict) -> dict:
    found = {_path(record["url"]): Reply((REAL / record["file"]).read_bytes())}
    for link, site in zip(record["links"], STAND_INS):
        found[_path(link)] = Reply((REAL / "pages" / f"{site}.html").read_bytes())
    return found


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


@pytest.mark.parametrize("site", sorted(LAYOUTS))
def test_check_source_reads_each_real_column_layout_from_a_local_copy(tmp_path, site):
    from real_corpus import load_gold

    record = next(r for r in load_gold() if r["site"] == site)
    rule, more = LAYOUTS[site]
    config = tmp_path / "casewatch.toml"
    config.write_text("[http]\nrate = 1000.0\nretries = 0\n", encoding="utf-8")
    column = _path(record["url"])
    with FixtureServer(layout_routes(record)) as server:
        result = CliRunner().invoke(cli, ["check-source", server.url(column), "--config", str(config), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        page = report["listing_pages"][0]
        assert report["links"]["count"] == len(record["links"])
        assert page["next_pages"] == more and page["paging"] == ([rule] if rule else [])
        if record["next_pages"]:
            assert page["examples"][0] == server.url(_path(record["next_pages"][0]))
        if record.get("script_endpoint"):  # the list's own endpoint is read (off this host: it fails here)
            assert report["endpoint"]["url"] == record["script_endpoint"] and report["endpoint"]["from"] == "page"
            assert any(e.startswith(f"listing endpoint {record['script_endpoint']}") for e in report["errors"])
        elif record.get("script"):
            assert any("listing loaded by script" in e for e in report["errors"])
        else:
            assert report["errors"] == [] and [a["no_text"] for a in report["articles"]] == [False] * 3
        # robots.txt, the column and its first three articles: no furniture, no other page
        assert server.paths() == ["/robots.txt", column] + [_path(u) for u in record["links"][:3]]
