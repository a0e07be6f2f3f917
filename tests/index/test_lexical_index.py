"""The BM25 index (real bm25s): plain term queries and queries whose parts have alternative renderings."""

import numpy as np
import pytest

from assistant.config import BM25Settings
from assistant.index.lexical import LexicalIndex
from assistant.language.terms import terms

TEXTS = {
    "regulate": "Regulators shall regulate the use of artificial intelligence in finance.",
    "oversee": "An authority will oversee and supervise artificial intelligence systems.",
    "doctrine": "The doctrine of precedent binds lower courts. Doctrine, doctrine and more doctrine.",
    "other": "Weather reports for the coming week.",
}


@pytest.fixture(scope="module")
def index():
    ids = list(TEXTS)
    return LexicalIndex.build(ids, [terms(TEXTS[i]) for i in ids], generation=1, settings=BM25Settings())


def ranked(index, hits):
    return [index.ids[i] for i, _ in hits]


def test_plain_search_ranks_and_masks(index):
    assert ranked(index, index.search(terms("regulate artificial intelligence"), 4))[0] == "regulate"
    mask = np.array([i != "regulate" for i in index.ids])
    assert "regulate" not in ranked(index, index.search(terms("regulate"), 4, mask))
    assert index.search(terms("unknownword"), 4) == []


def test_a_word_with_many_senses_weighs_no_more_than_a_word_with_one(index):
    # 监管 ("oversee", "regulate", "supervise") and 原则 ("principle", "doctrine"): flat, the three senses of
    # one word add up; as alternatives each passage scores its best sense, once.
    oversight = [terms("oversee"), terms("regulate"), terms("supervise")]
    principle = [terms("principle"), terms("doctrine")]
    ai = [terms("artificial intelligence")]
    flat = [t for group in (oversight, principle, ai) for rendering in group for t in rendering]
    structured = index.search_alternatives([oversight, principle, ai], 4)
    scores = dict((index.ids[i], s) for i, s in structured)
    plain = dict((index.ids[i], s) for i, s in index.search(flat, 4))
    # "oversee" uses two senses of one word: flat counts both, as alternatives only the better one
    assert scores["oversee"] < plain["oversee"]
    one_sense = dict((index.ids[i], s) for i, s in index.search(terms("oversee artificial intelligence"), 4))
    assert scores["oversee"] <= one_sense["oversee"] + 1e-9
    assert set(scores) == {"regulate", "oversee", "doctrine"} and "other" not in scores


def test_a_phrase_rendering_scores_the_mean_of_its_terms(index):
    phrase = index.search_alternatives([[terms("artificial intelligence")]], 4)
    single = dict((index.ids[i], s) for i, s in index.search(terms("artificial intelligence"), 4))
    for i, score in phrase:
        assert score == pytest.approx(single[index.ids[i]] / 2)


def test_alternatives_with_no_indexed_term_find_nothing(index):
    assert index.search_alternatives([[terms("zyzzyva")], []], 4) == []
    assert index.search_alternatives([], 4) == []


def test_a_terms_document_count_is_the_passages_that_use_it(index):
    # "doctrine" four times in one passage is one passage; "artifici" (stemmed) is in two.
    (doctrine,) = terms("doctrine")
    artificial = terms("artificial")[0]
    assert index.document_count(doctrine) == 1
    assert index.document_count(artificial) == 2
    assert index.document_count("unknownword") == 0
    assert index.has_term(artificial) and not index.has_term("unknownword")
    empty = LexicalIndex.build([], [], generation=1, settings=BM25Settings())
    assert empty.document_count(artificial) == 0
