"""Sentence vectors computed at ingest: a first answer then encodes only its question. Encoded alone, the
answers are the same as without; pooled out of the chunk's own forward pass (the default), nothing more is
encoded at ingest than the chunks."""

import numpy as np
import pytest

from assistant.index.onnx_encoder import span_vectors
from assistant.index.sentence_vectors import answer_sentence_spans, answer_sentence_texts
from assistant.ingest.pipeline import _stored_chunk
from tests.support import CORPUS, write

QUESTIONS = [
    "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?",
    "What are the four functions of the NIST AI RMF core?",
]


def encoded_during(embedder, action):
    texts: list[str] = []
    embedder.observers.append(lambda batch, _: texts.extend(batch))
    try:
        result = action()
    finally:
        embedder.observers.pop()
    return result, texts


def test_first_answers_encode_only_the_question_and_do_not_change(make_assistant, embedder):
    plain = make_assistant(ingest={"sentence_vectors": "off"})
    plain.ingest([CORPUS])
    expected_answers = []
    for question in QUESTIONS:
        embedder.clear_caches()
        expected_answers.append(plain.ask(question))
    ahead = make_assistant(ingest={"sentence_vectors": True})
    ahead.ingest([CORPUS])
    assert ahead.index.sentences is not None and ahead.index.sentences.count() > 0
    for question, expected in zip(QUESTIONS, expected_answers, strict=True):
        embedder.clear_caches()
        answer, texts = encoded_during(embedder, lambda q=question: ahead.ask(q))
        assert answer.text == expected.text
        assert [c.quote for c in answer.citations] == [c.quote for c in expected.citations]
        assert texts[0] == question
        assert len(texts) <= 4, f"passage sentences were encoded at answer time: {texts[1:]}"


def test_edits_removals_and_rebuilds_keep_the_store_in_step(tmp_path, make_assistant, embedder):
    corpus = tmp_path / "corpus"
    body = "\n\n".join(
        f"## Part {i}\n\nMeasure {i} funds regional computing centres for universities. "
        f"Each centre reports its energy use every year to the ministry."
        for i in range(6)
    )
    write(corpus / "plan.md", f'---\ntitle: "Plan"\n---\n\n{body}\n')
    write(
        corpus / "other.md", '---\ntitle: "Other"\n---\n\nThe other plan trains teachers in data literacy.\n'
    )
    assistant = make_assistant(ingest={"sentence_vectors": True})
    assistant.ingest([corpus])
    store = assistant.index.sentences
    before = store.count()
    # the answerer's form of a sentence: its section's heading in front
    stored = [f"Part {i}\nEach centre reports its energy use every year to the ministry." for i in range(6)]
    assert len(store.lookup(stored)) == 6

    write(
        corpus / "plan.md",
        f'---\ntitle: "Plan"\n---\n\n{body}\n\nA new measure funds sovereign cloud hosting.\n',
    )
    _, texts = encoded_during(embedder, lambda: assistant.ingest([corpus]))
    assert texts and all("sovereign cloud" in t for t in texts), "only the new text is embedded again"
    assert store.count() > before

    (corpus / "other.md").unlink()
    assistant.ingest([corpus])
    assert not store.lookup(["The other plan trains teachers in data literacy."])
    assistant.rebuild()
    assert store.count() == 0
    assistant.index.close()
    assert not embedder._from_sources(stored)


def test_pooled_sentence_vectors_cost_no_encode_and_serve_first_answers(make_assistant, embedder):
    assistant = make_assistant(ingest={"sentence_vectors": "pooled"})
    _, texts = encoded_during(embedder, lambda: assistant.ingest([CORPUS]))
    chunks = len(assistant.index.catalog.chunk_rows())
    store = assistant.index.sentences
    assert store is not None and store.kind == "pooled" and store.count() > 0
    # at ingest only the chunks were encoded (sentences that noise removal split are the rare exception)
    sentence_like = [t for t in texts if "\n" in t and len(t) < 400]
    assert len(sentence_like) <= 0.05 * len(texts), sentence_like[:5]
    assert len(texts) <= chunks * 1.05
    for question in QUESTIONS:
        embedder.clear_caches()
        answer, asked = encoded_during(embedder, lambda q=question: assistant.ask(q))
        assert answer.citations, question
        assert asked[0] == question
        assert len(asked) <= 4, f"passage sentences were encoded at answer time: {asked[1:]}"


def test_a_pooled_sentence_vector_is_near_the_sentence_encoded_alone(embedder, make_assistant):
    assistant = make_assistant(ingest={"sentence_vectors": "pooled"})
    assistant.ingest([CORPUS])
    store = assistant.index.sentences
    texts = _stored_sentence_texts(assistant)[:40]
    pooled = store.lookup(texts)
    assert len(pooled) >= 0.9 * len(texts)
    alone = embedder.embed_documents(list(pooled))
    cosines = np.sum(alone * np.stack(list(pooled.values())), axis=1)
    assert np.median(cosines) > 0.6, cosines
    # and it is the sentence's vector, not the chunk's: another sentence's lone vector is further away
    shifted = np.sum(alone * np.roll(np.stack(list(pooled.values())), 1, axis=0), axis=1)
    assert np.median(cosines) > np.median(shifted) + 0.1


def _stored_sentence_texts(assistant):
    settings = assistant.settings.answer.evidence
    out = []
    for row in assistant.index.catalog.chunk_rows():
        out.extend(answer_sentence_texts(_stored_chunk(row), settings))
    return list(dict.fromkeys(out))


def test_span_vectors_are_the_mean_of_the_tokens_inside_each_span(embedder):
    model = embedder.model
    if not hasattr(model, "encode_spans"):
        pytest.skip("the torch runtime does not pool spans")
    text = "Providers shall keep logs. The Board meets twice a year."
    first, second = (0, 26), (27, len(text))
    vectors, pooled = model.encode_spans([text, "  " + text], [[first, second, (500, 600)], [(2, 28)]], 16)
    np.testing.assert_allclose(vectors[0], embedder.embed_documents([text])[0], atol=1e-5)
    spans = pooled[0]
    assert spans.shape == (3, model.dimension)
    assert np.allclose(np.linalg.norm(spans[:2], axis=1), 1.0, atol=1e-5)
    assert not spans[2].any(), "a span past the text has no tokens: zeros"
    # leading blanks are stripped before tokenising: the span shifts with them
    np.testing.assert_allclose(pooled[1][0], spans[0], atol=1e-5)
    # by hand: the tokens of the first sentence, averaged
    encoding = model._tokenizer.encode(text)
    _, hidden, _ = model._forward([text], model._session)
    manual = span_vectors(encoding, hidden[0], [first])[0]
    ids = [
        i
        for i, (s, e) in enumerate(encoding.offsets)
        if e > s and e <= 26 and not encoding.special_tokens_mask[i]
    ]
    expected = hidden[0][ids].mean(axis=0)
    np.testing.assert_allclose(manual, expected / np.linalg.norm(expected), atol=1e-5)


def test_sentence_spans_point_at_the_sentence_inside_the_embedding_text(make_assistant):
    assistant = make_assistant(ingest={"sentence_vectors": "pooled"})
    assistant.ingest([CORPUS])
    settings = assistant.settings.answer.evidence
    checked = 0
    for row in assistant.index.catalog.chunk_rows():
        chunk = _stored_chunk(row)
        embedding_text = assistant.pipeline.chunker.embedding_text(row.title, chunk)
        for key, start, end in answer_sentence_spans(chunk, embedding_text, settings):
            sentence = embedding_text[start:end]
            assert " ".join(sentence.split()) == key.split("\n")[-1]
            checked += 1
    assert checked > 50
