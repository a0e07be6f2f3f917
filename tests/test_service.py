"""End to end through the Assistant with the real model, a real Chroma store and the project's corpus/."""

import pytest

from assistant.errors import ConfigError, InvalidInputError, NotFoundError
from assistant.models import ChatMessage, Filters
from tests.support import CORPUS

DONE_WHEN = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"


def test_the_corpus_answers_the_flagship_question_with_a_citation(corpus_assistant):
    answer = corpus_assistant.ask(DONE_WHEN)
    assert not answer.abstained
    assert "70%" in answer.text
    assert answer.citations and answer.grounded
    cited_docs = {c.doc_id for c in answer.citations}
    assert cited_docs & {p.stem for p in CORPUS.glob("*.md")}
    for citation in answer.citations:
        document = corpus_assistant.document(citation.doc_id)
        assert document.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.text
    assert any("70%" in c.quote for c in answer.citations)
    assert answer.backend == "extractive"
    assert answer.timings.total > 0 and answer.timings.dense > 0 and answer.timings.bm25 >= 0


def test_off_topic_questions_abstain_without_citations(corpus_assistant):
    for question in ("What is the capital of Peru?", "How do I bake sourdough bread at home?"):
        answer = corpus_assistant.ask(question)
        assert answer.abstained, answer.text
        assert answer.citations == []
        assert answer.text == corpus_assistant.settings.answer.abstention_message


def test_a_year_no_passage_mentions_is_an_abstention_whatever_the_topic_match(corpus_assistant, monkeypatch):
    # The corpus states the AI+ targets for 2027 and 2030 (and goals to 2035), never one for 2040.
    question = "What penetration rate does the AI+ plan target for 2040?"
    answer = corpus_assistant.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.abstain_reason == "no passage mentions 2040"
    # the passages are on topic (their evidence clears the threshold): only the year check refuses
    assert answer.evidence_score >= corpus_assistant.settings.answer.abstain_threshold
    monkeypatch.setattr(corpus_assistant.settings.answer, "require_specifics", False)
    assert not corpus_assistant.ask(question).abstained


def test_what_a_question_pins_down_must_be_where_its_answer_is(corpus_assistant, monkeypatch):
    # Some retrieved passage mentions 2024, but the sentences that would answer (the measures' filing duty)
    # do not: the question asks for a count at the end of 2024, which no document gives.
    question = "How many generative AI services had completed CAC filing by the end of 2024?"
    answer = corpus_assistant.ask(question)
    assert answer.abstained and answer.abstain_reason == "no passage mentions 2024"
    retrieval = corpus_assistant.retrieve(question)
    assert any("2024" in p.text for p in retrieval.passages)
    monkeypatch.setattr(corpus_assistant.settings.answer, "require_specifics", False)
    assert not corpus_assistant.ask(question).abstained


def test_an_amount_of_money_the_best_sentences_never_state_is_an_abstention(corpus_assistant, monkeypatch):
    # The corpus speaks of the AI Office's tasks, never of its budget; it does state the fines in euros.
    question = "What annual budget does the EU AI Act give the AI Office?"
    answer = corpus_assistant.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.abstain_reason == "no passage states an amount of money"
    assert answer.evidence_score >= corpus_assistant.settings.answer.abstain_threshold
    monkeypatch.setattr(corpus_assistant.settings.answer, "require_specifics", False)
    assert not corpus_assistant.ask(question).abstained
    fine = corpus_assistant.ask(
        "What is the maximum fine for providers of general-purpose AI models under the AI Act?"
    )
    assert not fine.abstained and "EUR 15 million" in fine.text


def test_a_law_that_is_no_indexed_document_is_not_answered_from_passages_on_its_topic(corpus_assistant):
    answer = corpus_assistant.ask(
        "Under the Digital Services Act, how fast must platforms remove illegal content?"
    )
    assert answer.abstained
    assert answer.abstain_reason == "the Digital Services Act is not among the indexed documents"
    # The same kind of question about a law that is indexed is answered.
    assert not corpus_assistant.ask("Under the EU AI Act, which AI practices are prohibited?").abstained


def test_a_follow_up_is_condensed_with_the_history(corpus_assistant):
    history = [
        ChatMessage(role="user", content=DONE_WHEN),
        ChatMessage(role="assistant", content="Above 70% [1]."),
    ]
    answer = corpus_assistant.ask("And by 2030?", history=history)
    assert answer.standalone_question == DONE_WHEN.replace("2027", "2030")
    assert "90%" in answer.text


def test_filters_restrict_the_sources(corpus_assistant):
    docs = [d.id for d in corpus_assistant.documents()]
    target = next(d for d in docs if d.startswith("nist"))
    answer = corpus_assistant.ask(
        "What does the framework say about risk?", filters=Filters(doc_ids=[target])
    )
    assert {p.doc_id for p in answer.passages} == {target}


def test_streaming_yields_sources_then_deltas_then_the_final_answer(corpus_assistant):
    events = list(corpus_assistant.ask_stream(DONE_WHEN))
    kinds = [e.type for e in events]
    assert kinds[0] == "sources" and kinds[-1] == "final" and "delta" in kinds
    assert events[0].passages
    assert events[-1].answer.citations


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 20_000, "20000 characters")],
)
def test_bad_questions_are_refused_clearly(corpus_assistant, question, message):
    with pytest.raises(InvalidInputError, match=message):
        corpus_assistant.ask(question)


def test_unknown_ids_and_backends(corpus_assistant):
    with pytest.raises(NotFoundError):
        corpus_assistant.passage("nope:123")
    with pytest.raises(NotFoundError):
        corpus_assistant.document("nope")
    with pytest.raises(ConfigError, match="unknown answer backend"):
        corpus_assistant.ask("What does AI+ target?", backend="no-such-backend")


def test_documents_are_listed_with_metadata(corpus_assistant):
    documents = corpus_assistant.documents()
    assert len(documents) == len([p for p in CORPUS.glob("*.md") if p.name.lower() != "readme.md"])
    for d in documents:
        assert d.n_chunks > 0 and d.title and d.language == "en" and d.date
    passage_id = corpus_assistant.retrieve("AI Act prohibited practices").passages[0].id
    passage = corpus_assistant.passage(passage_id)
    assert corpus_assistant.document(passage.doc_id).text[passage.start : passage.end] == passage.text


def test_a_deleted_document_disappears_from_both_retrievers(tmp_path, make_assistant):
    assistant = make_assistant()
    assistant.ingest([CORPUS])
    victim = next(d.id for d in assistant.documents() if d.id.startswith("nist"))
    assistant.delete_document(victim)
    for mode in ("dense", "bm25", "hybrid"):
        passages = assistant.retrieve("NIST AI RMF govern map measure manage", mode=mode, top_k=20).passages
        assert victim not in {p.doc_id for p in passages}
    assert victim not in {d.id for d in assistant.documents()}
    with pytest.raises(NotFoundError):
        assistant.delete_document(victim)


def test_a_follow_up_after_the_configured_refusal_searches_with_no_gist_of_it(corpus_assistant, monkeypatch):
    own = "Nothing in our policy library covers that."
    monkeypatch.setattr(corpus_assistant.settings.answer, "abstention_message", own)
    history = [
        ChatMessage(role="user", content="What penetration rate does the AI+ plan target for 2040?"),
        ChatMessage(role="assistant", content=own),
    ]
    condensed = corpus_assistant.condensed("Starting when?", history)
    assert condensed.context is None and own not in condensed.search_text
