"""A digest per reader ([[readers]]): each reader's part of the week, sent once per reader and week,
against a real SMTP server (aiosmtpd) on 127.0.0.1; who was sent what in Datasette."""

from __future__ import annotations

import asyncio
import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

import digests
from casewatch import pipeline
from casewatch.cli import cli
from casewatch.config import ConfigError, load_config
from store import reports
from store.browse import datasette_app

from test_digest import add_cases
from test_mail import free_port

WEEK = "2026-W48"
BROKEN = "nobody@broken.example.cn"


class Mailroom:
    """An SMTP handler that keeps each message, and refuses one address as an unknown mailbox (a permanent 550)."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == BROKEN:
            return "550 5.1.1 <nobody@broken.example.cn>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages one address received."""
        return [message for rcpts, message in self.messages if address in rcpts]


@pytest.fixture
def mailroom():
    handler = Mailroom()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def smtp_env(monkeypatch, port: int) -> None:
    for key, value in {"CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port), "CASEWATCH_SMTP_TLS": "none",
                       "CASEWATCH_SMTP_FROM": "casewatch@example.cn"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CASEWATCH_EMAIL_TO", raising=False)


def plain(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


READERS = """
[[readers]]
name = "zhejiang"
to = ["浙江组 <zj@example.cn>"]
provinces = ["浙江省"]

[[readers]]
name = "tax"
to = ["tax@example.cn", "tax2@example.cn"]
indicators = ["taxes", "government_services"]
min_confidence = 0.7

[[readers]]
name = "noreview"
to = ["nr@example.cn"]
cities = ["苏州市"]
review = false
reforms = false
"""

# Five cases of one week: 浙江 and 江苏, four indicators, one the model could not place (its
# top guess is government_services, see test_digest.scores) and one below 0.7.
CASES = [
    {"title": "杭州市企业开办一日办结", "region": "浙江省杭州市", "indicator": "starting_business", "confidence": 0.9},
    {"title": "宁波市推行电子税务局", "region": "浙江省宁波市", "indicator": "taxes", "confidence": 0.95, "body": "宁波市推行电子税务局，出口退税全程网上办理，办理时间压缩至1个工作日。"},
    {"title": "苏州市纳税缴费便利化", "region": "江苏省苏州市", "indicator": "taxes", "confidence": 0.65, "body": "苏州市推行纳税缴费一网通办，申报时间压缩一半。"},
    {"title": "苏州市政务服务一网通办", "region": "江苏省苏州市", "indicator": None, "confidence": 0.4, "body": "苏州市推进政务服务事项一网通办，企业群众办事少跑腿。"},
    {"title": "南京市不动产登记压缩时限", "region": "江苏省南京市", "indicator": "property_registration", "confidence": 0.9, "body": "南京市不动产登记一般登记压缩至1个工作日办结。"},
]


@pytest.fixture
def week_store(tmp_path, monkeypatch):
    """A store with the week's five cases and a configuration with three readers."""
    config = tmp_path / "casewatch.toml"
    config.write_text(f'[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n{READERS}', encoding="utf-8")
    import store

    db = store.open_db(tmp_path / "cw.db")
    add_cases(db, CASES)
    monkeypatch.chdir(tmp_path)
    return tmp_path, db


def titles(part: digests.ReaderDigest) -> set[str]:
    d = part.digest
    return {e.title for s in d.sections for e in s.entries} | {e.title for e in d.unclassified}


def test_each_reader_gets_only_their_part_of_the_week(week_store):
    path, db = week_store
    config = load_config(path / "casewatch.toml")
    written = {p.reader.name: p for p in pipeline.write_reader_digests(config.db, WEEK, config.readers, config.digest_dir)}
    assert titles(written["zhejiang"]) == {"杭州市企业开办一日办结", "宁波市推行电子税务局"}
    # The unclassified case counts by its top guess (government_services); 0.65 is under the reader's 0.7.
    assert titles(written["tax"]) == {"宁波市推行电子税务局", "苏州市政务服务一网通办"}
    assert [e.title for e in written["tax"].digest.unclassified] == ["苏州市政务服务一网通办"]
    # Without review the unclassified case of 苏州 is left out, and so is the 待复核 section.
    assert titles(written["noreview"]) == {"苏州市纳税缴费便利化"}
    markdown = written["noreview"].markdown
    assert "## 待复核" not in markdown and "为「noreview」定制：地区 苏州市；不含待复核；不含改革扩散。" in markdown
    # Nor does its head line count cases to review ("待复核 0 个"): that reader does not review.
    assert "已归入指标 1 个；" in markdown and "待复核 0 个" not in markdown
    assert "已归入指标 1 个；" in written["noreview"].path.with_suffix(".html").read_text(encoding="utf-8")
    assert "已归入指标 1 个，待复核 1 个；" in written["tax"].markdown
    assert written["noreview"].digest.show_reforms is False and written["tax"].digest.show_reforms is True
    assert "## 待复核（1）" in written["tax"].markdown  # the unclassified case
    tax = written["tax"].digest
    assert (tax.cases, tax.classified, [s.slug for s in tax.sections]) == (2, 1, ["taxes"])
    # "without cases" names only the indicators the reader asked for
    assert tax.quiet == ["政务服务"]
    # The files sit beside the week's digest, one folder per reader, in Markdown and HTML.
    for name, part in written.items():
        assert part.path == config.digest_dir / "readers" / name / f"{WEEK}.md"
        assert part.path.read_text(encoding="utf-8") == part.markdown
        assert "定制" in part.path.with_suffix(".html").read_text(encoding="utf-8")
    assert reports.deliveries(db) == []  # written, not sent: no delivery


def test_a_reader_without_filters_gets_the_whole_digest(tmp_path):
    import store

    db = store.open_db(tmp_path / "cw.db")
    add_cases(db, CASES)
    whole = digests.build_digest(db, WEEK)
    [part] = digests.write_reader_digests(db, WEEK, [digests.Reader("all", ("a@example.cn",))], tmp_path / "out")
    assert part.digest.cases == whole.cases == 5 and part.digest.review == whole.review
    assert part.markdown.replace("> 为「all」定制：全部内容。\n\n", "") == digests.render_markdown(whole)


def test_a_readers_reforms_are_of_their_indicators_with_only_their_regions():
    from digests.build import Spread
    from digests.readers import spread_wanted

    jiaodi = Spread("交地即开工", 3, "浙江省杭州市、江苏省苏州市、四川省成都市", 5, 6, "安徽省合肥市", "2024-01-02", "construction_permits",
                    [("浙江省杭州市", "浙江省"), ("江苏省苏州市", "江苏省"), ("四川省成都市", "四川省")])  # fmt: skip
    xinyidai = Spread("信易贷", 1, "浙江省宁波市", 2, 2, "江苏省南京市", "2024-01-09", "getting_credit", [("浙江省宁波市", "浙江省")])
    week = [jiaodi, xinyidai]
    zhejiang = digests.Reader("zhejiang", ("zj@example.cn",), provinces=("浙江省",))
    assert [(r.name, r.new, r.new_regions, r.provinces) for r in spread_wanted(zhejiang, week)] == [
        ("交地即开工", 1, "浙江省杭州市", 5), ("信易贷", 1, "浙江省宁波市", 2)
    ]
    suzhou = digests.Reader("suzhou", ("sz@example.cn",), cities=("苏州市",), indicators=("construction_permits",))
    assert [(r.name, r.new_regions, r.places) for r in spread_wanted(suzhou, week)] == [("交地即开工", "江苏省苏州市", [("江苏省苏州市", "江苏省")])]
    credit = digests.Reader("credit", ("c@example.cn",), indicators=("getting_credit",))
    assert spread_wanted(credit, week) == [xinyidai]  # no region filter: every new region of the reform
    chengdu = digests.Reader("chengdu", ("cd@example.cn",), cities=("成都市",), indicators=("getting_credit",))
    assert spread_wanted(chengdu, week) == []  # 成都 saw only a reform of another indicator


def test_readers_are_sent_once_each_and_a_broken_address_fails_alone(week_store, mailroom, monkeypatch):
    path, db = week_store
    handler, port = mailroom
    smtp_env(monkeypatch, port)
    config = path / "casewatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[[readers]]\nname = "broken"\nto = ["{BROKEN}"]\n', encoding="utf-8")
    monkeypatch.setattr(digests.mail, "BACKOFF", (0, 0))
    cfg = load_config(config)
    settings = pipeline.mail_settings([])
    written = pipeline.write_reader_digests(cfg.db, WEEK, cfg.readers, cfg.digest_dir)
    outcomes = dict(pipeline.send_reader_digests(cfg.db, WEEK, written, settings))
    assert {name: o.status for name, o in outcomes.items()} == {"zhejiang": "sent", "tax": "sent", "noreview": "sent", "broken": "failed"}
    assert "550" in outcomes["broken"].message and "--reader broken --send" in outcomes["broken"].message
    [zj] = handler.to("zj@example.cn")
    assert zj["To"] == "浙江组 <zj@example.cn>" and zj["Subject"].endswith("· 2 个案例")
    assert "杭州市企业开办一日办结" in plain(zj) and "南京市" not in plain(zj)
    [tax] = handler.to("tax@example.cn")
    assert handler.to("tax2@example.cn") == [tax] and "苏州市政务服务一网通办" in plain(tax) and "杭州市" not in plain(tax)
    assert len(handler.messages) == 3
    rows = {r["reader"]: r for r in reports.deliveries(db, WEEK)}
    assert {r: (rows[r]["status"], rows[r]["cases"], rows[r]["attempts"]) for r in rows} == {
        "broken": ("failed", 5, 1), "noreview": ("sent", 1, 1), "tax": ("sent", 2, 1), "zhejiang": ("sent", 2, 1),
    }  # a permanent refusal is not retried
    assert rows["broken"]["error"].startswith("all recipients refused: nobody@broken.example.cn (550)") and rows["broken"]["sent_at"] is None
    assert rows["tax"]["addresses"] == ["tax@example.cn", "tax2@example.cn"] and len(rows["tax"]["articles"]) == 2

    # A second send sends nothing to those who have theirs, and tries the failed one again.
    again = dict(pipeline.send_reader_digests(cfg.db, WEEK, written, settings))
    assert {name: o.status for name, o in again.items()} == {"zhejiang": "already-sent", "tax": "already-sent", "noreview": "already-sent", "broken": "failed"}
    assert "--reader tax --resend" in again["tax"].message
    assert len(handler.messages) == 3
    assert reports.delivery(db, "broken", WEEK)["attempts"] == 1  # the second try is recorded too
    # `casewatch weeks` says which reader was sent the week and which was not.
    listed = CliRunner().invoke(cli, ["weeks", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    day = rows["tax"]["sent_at"][:10]
    assert listed.output.splitlines()[1:] == [
        "          reader broken: failed", f"          reader noreview: sent {day}", f"          reader tax: sent {day}",
        f"          reader zhejiang: sent {day}",
    ]


def test_the_cli_previews_and_sends_one_reader(week_store, mailroom, monkeypatch):
    path, db = week_store
    handler, port = mailroom
    args = ["digest", "--week", WEEK, "--reader", "tax"]
    preview = CliRunner().invoke(cli, args)
    assert preview.exit_code == 0, preview.output
    assert preview.output.splitlines() == [
        str(path / "out" / "readers" / "tax" / f"{WEEK}.md"), str(path / "out" / "readers" / "tax" / f"{WEEK}.html"),
        "2 case(s) for tax: 指标 纳税、政务服务；置信度不低于 0.70",
    ]  # fmt: skip
    assert handler.messages == [] and reports.deliveries(db) == []
    smtp_env(monkeypatch, port)
    sent = CliRunner().invoke(cli, args + ["--send"])
    assert sent.exit_code == 0 and sent.output.splitlines()[-1] == "digest 2026-W48 for tax sent to 2 recipient(s)"
    again = CliRunner().invoke(cli, args + ["--send"])
    assert again.exit_code == 0 and "the 2026-W48 digest for tax was sent at" in again.output
    resent = CliRunner().invoke(cli, args + ["--resend"])
    assert resent.exit_code == 0 and "sent to 2 recipient(s)" in resent.output
    assert len(handler.messages) == 2 and not handler.to("zj@example.cn")
    unknown = CliRunner().invoke(cli, ["digest", "--week", WEEK, "--reader", "nobody"])
    assert unknown.exit_code == 1 and "error: no reader named 'nobody'" in unknown.output and "zhejiang, tax, noreview" in unknown.output


@pytest.mark.parametrize(
    ("reader", "message"),
    [
        ('name = "a"\nto = ["a@example.cn"]\nprovince = ["浙江省"]', "reader 'a': unknown key 'province'"),
        ('name = "a"\nto = ["a@example.cn"]\nindicators = ["tax"]', "reader 'a': unknown indicator 'tax' (did you mean 'taxes'?)"),
        ('name = "a"\nto = ["not an address"]', "reader 'a': to: 'not an address' is not an e-mail address"),
        ('name = "a"\nto = ["a@example.cn\\nBcc: x@example.cn"]', "is not an e-mail address"),
        ('name = "a"\nto = []', "reader 'a': needs to"),
        ('name = "a"\nto = ["a@example.cn"]\nprovinces = ["浙江"]', "provinces: unknown name '浙江' (did you mean '浙江省'?)"),
        ('name = "a"\nto = ["a@example.cn"]\ncities = ["火星市"]', "cities: unknown name '火星市'"),
        ('name = "a"\nto = ["a@example.cn"]\nmin_confidence = 1.5', "min_confidence must be a number from 0 to 1"),
        ('name = "a"\nto = ["a@example.cn"]\nreview = "yes"', "review must be true or false"),
        ('name = "../x"\nto = ["a@example.cn"]', "name must be letters, digits"),
    ],
)
def test_a_wrong_reader_is_one_clear_error(tmp_path, reader, message):
    path = tmp_path / "casewatch.toml"
    path.write_text(f"[[readers]]\n{reader}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        load_config(path)


def test_readers_and_a_single_recipient_list_are_not_both_set(tmp_path):
    path = tmp_path / "casewatch.toml"
    path.write_text('[email]\nto = ["a@example.cn"]\n[[readers]]\nname = "a"\nto = ["a@example.cn"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[email\] to and \[\[readers\]\] are both set"):
        load_config(path)
    path.write_text('[[readers]]\nname = "a"\nto = ["a@example.cn"]\n[[readers]]\nname = "a"\nto = ["b@example.cn"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="two readers are named 'a'"):
        load_config(path)


def test_the_weekly_run_sends_each_reader_once_and_datasette_shows_who_got_what(project, prefect_harness, mailroom, monkeypatch):
    handler, port = mailroom
    monkeypatch.chdir(project)
    smtp_env(monkeypatch, port)
    config = project / "casewatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + """
[[readers]]
name = "sichuan"
to = ["sc@example.cn"]
provinces = ["四川省"]

[[readers]]
name = "property"
to = ["prop@example.cn"]
indicators = ["property_registration"]
review = false

[[readers]]
name = "broken"
to = ["nobody@broken.example.cn"]
""", encoding="utf-8")
    first = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    assert first.exit_code == 1, first.output  # a reader's failed send fails the run, as the single digest's does
    assert "e-mail:   sichuan: digest 2026-W48 for sichuan sent to 1 recipient(s)" in first.output
    assert "e-mail:   property: digest 2026-W48 for property sent to 1 recipient(s)" in first.output
    assert "e-mail:   broken: e-mail not sent after 1 attempt(s): all recipients refused" in first.output
    [sichuan] = handler.to("sc@example.cn")
    [prop] = handler.to("prop@example.cn")
    assert len(handler.messages) == 2
    assert "## 待复核" not in (project / "out" / "readers" / "property" / f"{WEEK}.md").read_text(encoding="utf-8")
    sc_text, prop_text = plain(sichuan), plain(prop)
    assert "四川省广安市：不动产登记中心多措并举" in sc_text and "四川省广安市：不动产登记中心多措并举" in prop_text
    assert "== 8. 登记财产" in prop_text and "== 17. 政务服务" not in prop_text
    assert "== 17. 政务服务" in sc_text or "== 3. 办理建筑许可" in sc_text  # 四川 has more than property
    import store

    db = store.open_db(project / "cw.db")
    rows = {r["reader"]: r for r in reports.deliveries(db, WEEK)}
    whole = reports.digest(db, WEEK)
    assert rows["sichuan"]["cases"] < whole["cases"] and rows["property"]["cases"] < whole["cases"]
    assert rows["broken"]["cases"] == whole["cases"] and whole["sent_at"] is None  # the single digest goes to no one

    second = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    assert "e-mail:   sichuan: the 2026-W48 digest for sichuan was sent at" in second.output
    assert len(handler.messages) == 2  # nothing sent twice; the broken address was tried again and failed again

    async def fetch():
        app = datasette_app(project / "cw.db")
        table = await app.client.get("/casewatch/deliveries")
        rows = await app.client.get("/casewatch/deliveries.json", params={"_shape": "array", "_sort": "reader"})
        return table, rows

    table, listed = asyncio.run(fetch())
    assert table.status_code == 200 and "周报投递记录" in table.text
    assert [(r["reader"], r["week"], r["status"]) for r in listed.json()] == [
        ("broken", WEEK, "failed"), ("property", WEEK, "sent"), ("sichuan", WEEK, "sent"),
    ]
    assert listed.json()[2]["addresses"] == '["sc@example.cn"]' and listed.json()[2]["sent_at"]


def test_the_readme_readers_example_is_valid_configuration(tmp_path):
    from pathlib import Path
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### A digest per reader") : readme.index("## Run it every week")]
    [block] = re.findall(r"```toml\n(.*?)```", section, re.S)
    (tmp_path / "casewatch.toml").write_text(block, encoding="utf-8")
    readers = {r["name"]: r for r in load_config(tmp_path / "casewatch.toml").readers}
    assert list(readers) == ["sichuan", "property", "all"]
    assert (readers["property"]["indicators"], readers["property"]["review"], readers["all"]["review"]) == (["property_registration", "taxes"], False, True)


def test_a_reader_send_interrupted_while_handing_over_is_not_repeated_by_itself(week_store, mailroom, monkeypatch):
    path, db = week_store
    handler, port = mailroom
    smtp_env(monkeypatch, port)
    cfg = load_config(path / "casewatch.toml")
    written = [p for p in pipeline.write_reader_digests(cfg.db, WEEK, cfg.readers, cfg.digest_dir) if p.reader.name == "tax"]
    # A send that was handing the message over when its process died: it may have arrived.
    assert reports.claim_delivery(db, "tax", WEEK, addresses=["tax@example.cn"], subject="s", articles=[]) == "claimed"
    reports.mark_delivery_handed_over(db, "tax", WEEK)
    reports.mark_delivery_failed(db, "tax", WEEK, "ConnectionResetError: reset", 1, maybe_sent=True)
    [(_, outcome)] = pipeline.send_reader_digests(cfg.db, WEEK, written, pipeline.mail_settings([]))
    assert outcome.status == "uncertain" and "--reader tax --resend" in outcome.message and handler.messages == []
    assert reports.delivery(db, "tax", WEEK)["status"] == "uncertain"
    [(_, resent)] = pipeline.send_reader_digests(cfg.db, WEEK, written, pipeline.mail_settings([]), resend=True)
    assert resent.status == "sent" and len(handler.to("tax@example.cn")) == 1
    assert reports.delivery(db, "tax", WEEK)["status"] == "sent"
