"""The classifier's mechanics: vectorisers, bounded work per article, explaining terms."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

import classify
from classify import text as text_module
from classify.features import CharNgrams
from classify.model import Settings, bounded_text
from classify.text import filler_words, is_filler

ELECTRICITY = "供电公司推行低压小微企业办电“零上门、零审批、零投资”，业扩报装时间压减至5个工作日。"


@pytest.fixture(scope="session")
def clf(model_path):
    """The session's trained classifier."""
    return classify.load_model(model_path)


def test_char_ngrams_give_the_same_tfidf_as_scikit_learn():
    texts = ["一网通办企业开办", "不动产登记一窗受理", "企业开办全程网办，一网通办", "纳税缴费 一次办"]
    ours = CharNgrams((1, 3)).fit(texts[:3])
    theirs = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, sublinear_tf=True).fit(texts[:3])
    names = list(ours.get_feature_names_out())
    assert sorted(names) == sorted(theirs.get_feature_names_out())
    order = [theirs.vocabulary_[n] for n in names]
    np.testing.assert_allclose(ours.transform(texts).toarray(), theirs.transform(texts).toarray()[:, order])


def test_bounded_text_keeps_the_head_and_spaced_windows_of_a_long_text():
    s = Settings(max_chars=1000, head_chars=400, window_chars=100)
    text = "".join(f"{i:07d}" for i in range(100_000))  # 700k characters, position is readable
    bounded = bounded_text(text, s)
    assert len(bounded) <= 1000 + 10
    assert bounded.startswith(text[:400])
    assert text[-100:] in bounded  # the last window reaches the end
    assert bounded_text("短文本", s) == "短文本"


def test_a_multi_megabyte_article_is_classified_from_a_bounded_amount_of_text(clf, monkeypatch):
    segmenter = text_module._segmenter()
    seen = []

    class Counting:
        def cut(self, text, hmm):
            seen.append(len(text))
            return segmenter.cut(text, hmm)

    monkeypatch.setattr(text_module, "_segmenter", lambda: Counting())
    body = (ELECTRICITY + "\n") * 80_000  # about 3.6 million characters
    decision = clf.predict(body, title="全面提升获得电力服务水平")
    assert decision.primary == "electricity"
    from classify.relevance import GATE_CHARS, MAX_BODY_CHARS

    # The indicator model reads the body's bound, the relevance gate its head and opening
    # paragraphs (of that bound), plus titles and line breaks: never the whole 3.6 million.
    assert 0 < sum(seen) <= clf.settings.max_chars + GATE_CHARS + MAX_BODY_CHARS + 800


def test_terms_never_show_stop_words_or_place_names(clf):
    text = "我们中国陕西省西安市全面解决问题，" + ELECTRICITY * 3
    decision = clf.predict(text, title="西安市全面提升获得电力服务水平")
    assert decision.terms
    assert not [t for t in decision.terms if is_filler(t)]
    assert {"我们", "中国", "全面", "问题", "西安"} <= filler_words()
    for terms in clf.top_terms(8).values():
        assert not [t for t in terms if is_filler(t)]


def test_predict_many_on_nothing_and_on_empty_texts(clf):
    assert clf.predict_many([]) == []
    decisions = clf.predict_many([(None, ""), ("", "   "), ("获得电力", "")])
    assert [d.primary for d in decisions[:2]] == [None, None]
    assert all(len(d.scores) == 18 for d in decisions)


# -- the fast paths give the slow paths' answers (issue 23) -----------------------------------


def test_nfkc_folds_as_unicodedata_does_on_every_bmp_character_and_real_text():
    import random
    import unicodedata

    from classify.text import nfkc

    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    tricky = ["Ａ\u0301ｂ\u0308", "\u1100\u1161\u11a8", "ｶﾞﾊﾟ", "e\u0301①…（）", "\uff21\u0327\u0301", "㍿㈱℡", ""]
    rng = random.Random(23)
    noise = ["".join(chr(rng.choice([rng.randrange(0x3000, 0x3400), rng.randrange(0xFF00, 0xFFF0),
                                     rng.randrange(0x300, 0x370), rng.randrange(0x1100, 0x11FF)])) for _ in range(12))
             for _ in range(2000)]
    from pathlib import Path

    real = [p.read_text(encoding="utf-8") for p in sorted(Path("data/samples").glob("*.txt"))]
    for text in [every, *tricky, *noise, *real]:
        assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_normalise_remembers_within_a_block_and_answers_the_same():
    from classify.text import _normalise, normalise, remembering

    text = "營商環境（第二期）：企業開辦　１個工作日…"
    with remembering():
        first = normalise(text)
        assert normalise(text) is first  # from memory
    assert normalise(text) == first == _normalise(text)
    assert normalise(text) is not first  # the memo ends with its block


def test_weighing_counts_in_place_equals_each_block_weighted_apart(clf):
    import scipy.sparse as sp

    from classify.features import tfidf

    features = clf.features
    texts = ["一网通办企业开办，全程网办", "", "不动产登记一窗受理" * 3, "纳税缴费一次办，电子税务局"]
    counts = features.counts(texts)
    apart = sp.hstack([tfidf(counts[:, : features.n_words], features.words.idf_),
                       tfidf(counts[:, features.n_words :], features.chars.idf_)], format="csr")
    np.testing.assert_allclose(features.weigh(counts).toarray(), apart.toarray(), rtol=1e-12, atol=1e-15)
    assert (features.weigh(counts)[1].nnz, counts.nnz > 0) == (0, True)


def test_counting_words_skips_the_filter_and_counts_what_the_filter_keeps(clf):
    from classify.text import tokenize

    words = clf.features.words
    texts = ["2024年，企业开办1天办结；A级纳税人 100%网办。", "", "一网通办"]
    expected = np.zeros((len(texts), len(words.vocabulary_)))
    for row, text in enumerate(texts):
        for word in tokenize(text):
            if word in words.vocabulary_:
                expected[row, words.vocabulary_[word]] += 1
    np.testing.assert_array_equal(words.counts(texts).toarray(), expected)


def test_a_pickled_gate_gives_scikit_learns_probability_without_it():
    """The gate is pickled with its folds' numbers (`SigmoidFolds`), not scikit-learn's estimator:
    its probability must stay scikit-learn's, bit for bit."""
    import pickle

    from classify.data import TrainingSet
    from classify.relevance import SigmoidFolds, gate_text
    from classify.train import fit_gate

    fitted = fit_gate(TrainingSet.build())
    loaded = pickle.loads(pickle.dumps(fitted))
    assert isinstance(loaded.estimator, SigmoidFolds) and not isinstance(fitted.estimator, SigmoidFolds)
    items = [("优化营商环境 企业开办一日办结", "某市推行企业开办“一网通办”，办理时间压减至1个工作日。"),
             ("国务院常务会议", "会议听取了关于…的汇报。"), (None, "")]
    texts = [gate_text(t, x) for t, x in items]
    expected = fitted.estimator.predict_proba(fitted.features.transform(texts))[:, 1]
    np.testing.assert_array_equal(fitted._p(texts), expected)
    np.testing.assert_array_equal(loaded._p(texts), expected)


def test_a_pickled_svm_gives_scikit_learns_margins_without_it():
    import pickle

    import scipy.sparse as sp
    from sklearn.svm import LinearSVC

    from classify.model import LinearMargins, TemperedSVM

    rng = np.random.default_rng(0)
    X = sp.random(90, 40, density=0.2, format="csr", random_state=1)
    y = np.array(["a", "b", "c"] * 30)
    svm = TemperedSVM(0.5).fit(X, y, np.ones(90))
    loaded = pickle.loads(pickle.dumps(svm))
    assert isinstance(loaded.estimator, LinearMargins)
    np.testing.assert_array_equal(loaded.decision_function(X), svm.decision_function(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), svm.predict_proba(X))
    binary = LinearSVC().fit(X, rng.integers(0, 2, 90))  # one column of margins, as scikit-learn gives it
    np.testing.assert_array_equal(LinearMargins.of(binary).decision_function(X), binary.decision_function(X))


def test_rows_scaled_to_unit_length_bit_for_bit_as_scikit_learn_does():
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    from classify.features import unit_rows

    for seed in range(20):
        m = sp.random(30, 200, density=0.05 + seed / 40, format="csr", random_state=seed)
        m.data = np.log(m.data * 50 + 1) + 1
        np.testing.assert_array_equal(unit_rows(m.copy()).toarray(), normalize(m.copy(), copy=False).toarray())


def test_char_ngram_counts_by_length_equal_one_search_over_the_whole_vocabulary():
    from classify.features import CharNgrams, char_codes

    train = ["一网通办企业开办𠀋𠀋", "不动产登记一窗受理，ＡＢ", "企业开办全程网办 一网通办", "\U0002a6a5纳税"]
    texts = train + ["𠀋一网通办\U0002a6a5税", "", "未见过的字：龘靐", "a b\tc"]
    ours = CharNgrams((1, 3)).fit(train)
    codes, owners = char_codes(texts, (1, 3))
    col = np.searchsorted(ours.vocabulary_, codes)
    col[col == len(ours.vocabulary_)] = 0
    hit = ours.vocabulary_[col] == codes
    expected = np.zeros((len(texts), len(ours.vocabulary_)))
    np.add.at(expected, (owners[hit], col[hit]), 1)
    assert expected[4].sum() > 0 and (expected[:, ours.vocabulary_ >= 1 << 16].sum() > 0)  # astral characters counted
    np.testing.assert_array_equal(ours.counts(texts).toarray(), expected)


def test_code_table_finds_each_code_as_a_sorted_search_does_colliding_or_not():
    from classify.features import CodeTable

    rng = np.random.default_rng(7)
    for size in (0, 1, 5, 1000, 50_000):
        vocabulary = np.unique(rng.integers(1, 1 << 62, size, dtype=np.int64))
        queries = np.concatenate([vocabulary, rng.integers(1, 1 << 62, 3 * size + 10, dtype=np.int64), vocabulary[::-3]])
        expected = np.searchsorted(vocabulary, queries)
        expected[expected == len(vocabulary)] = 0
        expected = np.where(vocabulary[expected] == queries, expected, -1) if size else np.full(len(queries), -1)
        np.testing.assert_array_equal(CodeTable(vocabulary).columns(queries), expected)
    # Codes that all hash to slot 0 (k / the multiplier, mod 2^64) probe past each other; each is still found.
    inverse = pow(int(CodeTable._MULTIPLIER), -1, 1 << 64)
    crowded = np.array(sorted({c for k in range(1, 400) if (c := k * inverse % (1 << 64)) < 1 << 63}), dtype=np.int64)
    table = CodeTable(crowded)
    assert len(crowded) > 100 and (table._slots(crowded) == 0).all()
    np.testing.assert_array_equal(table.columns(crowded[::-1]), np.arange(len(crowded))[::-1])
    assert (table.columns(crowded + 1) == -1).all()


def test_count_matrix_is_scipys_sum_of_duplicate_pairs():
    import scipy.sparse as sp

    from classify.features import count_matrix

    rng = np.random.default_rng(3)
    for rows, columns, pairs in ((1, 1, 0), (3, 5, 40), (40, 700, 5000), (200, 30, 100)):
        row, col = rng.integers(0, rows, pairs), rng.integers(0, columns, pairs)
        ours = count_matrix(row, col, (rows, columns))
        theirs = sp.csr_matrix((np.ones(pairs), (row, col)), shape=(rows, columns))
        assert ours.has_canonical_format and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours.toarray(), theirs.toarray())
