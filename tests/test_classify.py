"""Tests of the indicator classifier: taxonomy, corpus, normalisation, decisions, retraining.

Quality figures, floors and ablations: tests/test_classify_quality.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import classify
from classify import SLUGS, Classifier, Example, load_model, normalise, read_examples
from classify.corpus import parse_corpus, read_corpus, section_units
from classify.data import TrainingSet, text_keys
from classify.examples import LABELS_DIR, read_label_files
from classify.text import tokenize
from classify.train import fit_on
from model_files import install_model

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
ELECTRICITY_TRAD = (
    "供電公司推行低壓小微企業辦電“零上門、零審批、零投資”，業擴報裝時間壓減至5個工作日，"
    "並通過不停電作業減少停電時間，提升供電可靠性。"
)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """A model trained once per test session."""
    path = tmp_path_factory.mktemp("classify") / "model.joblib"
    classify.train_model(path)
    return path


@pytest.fixture(scope="session")
def clf(model_path) -> Classifier:
    """The session's trained classifier, loaded from its artefact."""
    return load_model(model_path)


@pytest.fixture(scope="session")
def sections():
    """The parsed training corpus."""
    return read_corpus()


# -- taxonomy and corpus ------------------------------------------------------

def test_there_are_18_indicators_in_official_order():
    assert len(classify.INDICATORS) == len(SLUGS) == 18
    assert [i.number for i in classify.INDICATORS] == list(range(1, 19))
    assert SLUGS[0] == "starting_business" and SLUGS[12] == "taxes" and SLUGS[-1] == "inclusive_innovation"


def test_corpus_has_18_sections_whose_definitions_are_the_taxonomy_descriptions(sections):
    assert [s.number for s in sections] == list(range(1, 19))
    for section, indicator in zip(sections, classify.INDICATORS):
        assert section.slug == indicator.slug
        assert section.definition == indicator.description
        assert section.definition.startswith("本指标")


def test_every_section_has_practices_and_city_cases_with_subitems(sections):
    for section in sections:
        assert section.practices, section.name
        assert section.cases, section.name
        assert all(case.subitems for case in section.cases), section.name
    first = sections[0]
    assert first.best_cities == "银川、杭州、深圳、西安"
    assert [len(p.subitems) for p in first.practices] == [4, 3, 2, 3]
    # The city ("银川市—") is stripped from case headings: it names a place, not a topic.
    assert first.cases[0].heading == "五个“1”、五个“0”打造企业开办至简城市"
    assert first.cases[0].subitems[0][:2] == ["五个“1”实现企业开办最快速度", "“一枚印章”管审批;"]


def test_unit_sizes_nest(sections):
    counts = {size: sum(len(section_units(s, size)) for s in sections)
              for size in ("section", "item", "subitem", "line")}
    assert counts["section"] == 18
    # item = one overview + every practice + every case
    assert counts["item"] == sum(1 + len(s.practices) + len(s.cases) for s in sections)
    assert counts["item"] < counts["subitem"] < counts["line"]


def test_corpus_advert_trailer_is_not_part_of_the_last_section(sections):
    last = sections[-1]
    assert all("国脉" not in case.text() and "免责声明" not in case.text() for case in last.cases)


def test_parse_corpus_rejects_text_without_18_sections():
    with pytest.raises(ValueError):
        parse_corpus("一、\n企业开办\n\n本指标主要考察……\n")


# -- normalisation and tokens -------------------------------------------------

def test_normalise_turns_traditional_into_simplified_and_folds_width():
    assert normalise("企業開辦　“一網通辦”") == "企业开办 “一网通办”"
    assert normalise("ＡＢＣ１２３：") == "ABC123:"
    assert normalise(normalise("登記財產")) == "登记财产"
    assert normalise("  a \n\n\n b  ") == "a\n\nb"


def test_domain_dictionary_keeps_reform_terms_whole():
    tokens = tokenize(normalise("推行一網通辦和一窗受理，深化不動產登記與府院聯動"))
    for term in ("一网通办", "一窗受理", "不动产登记", "府院联动"):
        assert term in tokens


def test_traditional_and_simplified_versions_get_the_same_decision(clf):
    traditional = clf.predict(ELECTRICITY_TRAD, title="全面提升獲得電力服務水平")
    simplified = clf.predict(normalise(ELECTRICITY_TRAD), title="全面提升获得电力服务水平")
    assert traditional.primary == simplified.primary == "electricity"
    assert traditional.scores == pytest.approx(simplified.scores)
    assert traditional.terms == simplified.terms


# -- decisions and the JSON contract ------------------------------------------

def test_json_contract_has_every_slug_in_order(clf):
    row = clf.predict(ELECTRICITY_TRAD).as_json(id="a1")
    assert set(row) >= {"id", "primary", "scores", "secondary", "terms", "confidence"}
    assert row["id"] == "a1" and row["primary"] == "electricity"
    assert list(row["scores"]) == list(SLUGS)
    assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert row["confidence"] == pytest.approx(max(row["scores"].values()), abs=1e-3)
    assert all(isinstance(t, str) and t for t in row["terms"])
    assert row["primary"] not in row["secondary"]
    assert json.loads(json.dumps(row, ensure_ascii=False)) == row


def test_predict_many_matches_predict_and_keeps_order(clf):
    rows = [json.loads(line) for line in (FIXTURES / "articles.jsonl").read_text("utf-8").splitlines()]
    many = clf.predict_many([(r.get("title"), r["text"]) for r in rows])
    assert [d.primary for d in many[:2]] == ["electricity", "taxes"]
    for row, decision in zip(rows, many):
        single = clf.predict(row["text"], title=row.get("title"))
        assert single.scores == pytest.approx(decision.scores)
    assert clf.predict_many([]) == []


def test_terms_explain_the_decision(clf):
    decision = clf.predict(ELECTRICITY_TRAD)
    assert {"办电", "停电", "供电可靠性"} & set(decision.terms)


def test_empty_or_off_topic_text_is_unclassified_or_no_case(clf):
    for text in ("", "今天天气很好，我们去公园散步，看了一场电影。"):
        decision = clf.predict(text)
        assert decision.primary is None
        assert decision.secondary == []
        assert decision.as_json().get("primary") is None
        # Either the gate says it is no reform case, or the indicator model abstains.
        assert not decision.is_case or decision.confidence < clf.settings.threshold


def test_long_article_on_two_indicators_gets_a_secondary(clf):
    tax = "税务局推行非接触式办税，电子税务局全程网办，纳税人缴费人申报纳税时间压减，增值税留抵退税快速到账。"
    credit = "银行推出首贷、信用贷款和无还本续贷产品，融资担保机构降低担保费率，缓解中小微企业融资难融资贵。"
    text = "\n".join([tax] * 4 + [credit] * 2)
    decision = clf.predict(text, title="税务局推行非接触式办税")
    assert decision.primary == "taxes"
    assert "credit" in decision.secondary


def test_threshold_and_label_share_are_chosen_from_data_and_recorded(clf):
    assert 0 < clf.settings.threshold < 1
    assert clf.metadata["threshold"] == clf.settings.threshold
    assert 0 < clf.metadata["cv_accuracy"] <= 1
    trials = dict(clf.metadata["label_share_trials"])
    assert clf.settings.label_share in trials and trials[clf.settings.label_share] == max(trials.values())
    # Enough labelled real articles: the threshold is chosen on them, not on corpus units.
    assert clf.metadata["threshold_basis"].startswith("held-out real articles")
    assert "held-out real articles" in clf.metadata["secondary_basis"]


def test_threshold_falls_back_to_all_units_without_real_articles(clf):
    corpus_only = fit_on(clf.training.only_corpus())
    assert corpus_only.metadata["threshold_basis"].startswith("all held-out units")
    assert corpus_only.metadata["n_labels"] == 0 and corpus_only.metadata["training_keys"] == []


# -- persistence and retraining -------------------------------------------------

def test_saved_model_records_what_it_was_trained_on(clf):
    for key in ("corpus_hash", "labels_hash", "extra_hash", "code_version", "threshold", "trained_at"):
        assert clf.metadata[key]
    labelled = [e for e in read_label_files() if e.primary is not None]
    assert clf.metadata["n_labels"] == len(labelled)
    trained = set(clf.metadata["training_keys"])
    assert all(text_keys(e.text) & trained for e in labelled)


def test_text_keys_match_a_copy_without_the_issuer_line_or_with_other_line_breaks():
    body = "推行不动产登记“一窗受理”。\n\n登记时间压缩至1个工作日。\n税费同步缴纳。"
    assert text_keys(body) & text_keys("义乌市自然资源和规划局\n" + body)
    assert text_keys(body) & text_keys(body.replace("\n\n", "\n"))
    assert not text_keys(body) & text_keys("全然不同的一篇文章。\n第二段。\n第三段。")


def test_a_correction_replaces_the_labelled_case_with_the_same_text():
    labelled = read_examples(LABELS_DIR / "004.jsonl")[7]
    correction = Example(text=labelled.text.split("\n", 1)[1], primary="insolvency", title=labelled.title)
    data = TrainingSet.build([correction])
    matching = [r for r in data.real if r.keys & text_keys(labelled.text)]
    assert [(r.source, r.example.primary) for r in matching] == [("extra", "insolvency")]


def test_unchanged_inputs_reuse_the_saved_model(model_path, clf):
    again = load_model(model_path)
    assert again.metadata["trained_at"] == clf.metadata["trained_at"]
    assert again.metadata["extra_hash"] == clf.metadata["extra_hash"]


def test_a_correction_retrains_the_model_and_is_learned(model_path, tmp_path):
    path = install_model(model_path, tmp_path)  # with its hash file: `before` is the trained model, loaded
    text = "区残联推行残疾人就业帮扶“一件事”，为残疾人辅助器具适配提供上门评估服务。"
    correction = Example(text=text, title="残疾人辅具适配服务", primary="water_gas")
    before = load_model(path)
    assert before.metadata["trained_at"] == Classifier.load(model_path).metadata["trained_at"]  # loaded, not retrained
    after = load_model(path, extra=[correction] * 5)
    assert after.metadata["extra_hash"] != before.metadata["extra_hash"]
    assert after.metadata["n_extra"] == 5
    assert after.predict(text, title="残疾人辅具适配服务").scores["water_gas"] > before.predict(
        text, title="残疾人辅具适配服务").scores["water_gas"]
    # The retrained artefact was saved: loading with the same extras reuses it.
    assert load_model(path, extra=[correction] * 5).metadata["trained_at"] == after.metadata["trained_at"]


def test_a_corrupt_artefact_is_rebuilt(tmp_path, monkeypatch):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"not a model")
    calls = []
    monkeypatch.setattr(classify.train, "train_model", lambda p, extra=(), corpus=None: calls.append(p))
    load_model(path)
    assert calls == [path]


# -- labels and the quality gate -----------------------------------------------

def test_label_files_are_well_formed():
    examples = read_label_files()
    assert len(examples) >= 40
    ids = [e.id for e in examples]
    assert len(ids) == len(set(ids))
    for path in LABELS_DIR.glob("*.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            assert {"id", "title", "text", "primary", "secondary"} <= set(row)
            assert row["primary"] is None or row["primary"] in SLUGS
            assert row["primary"] not in row["secondary"]


def test_read_examples_rejects_an_unknown_slug(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "x", "primary": "no_such_indicator"}) + "\n", "utf-8")
    with pytest.raises(ValueError):
        read_examples(path)


def test_read_examples_names_a_labels_only_file_in_one_line(tmp_path):
    """A second labeller's file holds ids and labels, no texts: said plainly, not as `KeyError: 'text'`."""
    path = tmp_path / "second.jsonl"
    path.write_text(json.dumps({"id": "004-01", "title": "“亲清在线”无感智慧审批", "primary": "government_services"}) + "\n", "utf-8")
    with pytest.raises(ValueError, match=r'second.jsonl:1: no "text"'):
        read_examples(path)


def test_labels_002_are_the_cases_the_splitter_finds():
    from scrapers import split_compilation

    path = next((LABELS_DIR.parent / "samples").glob("002_*.txt"))
    split = split_compilation(path.read_text(encoding="utf-8"))
    cases = split.cases
    rows = [json.loads(line) for line in (LABELS_DIR / "002.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [f"002-{n:02d}" for n in range(1, 39)]
    assert [r["title"] for r in rows] == [c.title for c in cases]
    assert all(text_keys(r["text"]) & text_keys(c.body) for r, c in zip(rows, cases))


def test_evaluate_refits_without_the_cases_the_model_trained_on(clf):
    examples = read_examples(LABELS_DIR / "004.jsonl")
    report = classify.evaluate(clf, examples)
    assert report["seen_in_training"] == report["refit_removed"] == 10
    text = classify.render_report(report)
    assert text.splitlines()[0].startswith("cross-fitted: 10 of these 10 cases were in the model's training data")
    # Against the second labeller the same decisions are scored on other labels.
    second = classify.evaluate(clf, examples, labeller="second")
    assert second["n"] == 10 and second["threshold"] == report["threshold"]


def test_evaluate_scores_unseen_articles_with_the_model_itself(clf):
    rows = [json.loads(line) for line in (FIXTURES / "articles.jsonl").read_text("utf-8").splitlines()][:2]
    examples = [Example(text=r["text"], title=r["title"], primary=p) for r, p in zip(rows, ["electricity", "taxes"])]
    report = classify.evaluate(clf, examples)
    assert report["seen_in_training"] == 0 and report["threshold"] == clf.settings.threshold
    assert report["top1"] == 1.0
    assert classify.render_report(report).splitlines()[0].startswith("the model did not train on any")
