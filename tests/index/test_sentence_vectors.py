"""Sentence vectors computed at ingest: a first answer then encodes only its question, and answers the same."""

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
    plain = make_assistant()
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
