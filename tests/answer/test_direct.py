"""Direct answers: the words of the best sentence that state the one date, period, frequency, count, amount or share a
question asks for, quoted verbatim; none when the sentence states two, or the question asks for something else."""

from __future__ import annotations

import pytest

from assistant.answer.citations import quotes_part
from assistant.answer.condense import asked_part, condense_by_rules
from assistant.answer.direct import asked_fact, direct_answer
from assistant.language.sentences import without_enumerator
from assistant.models import ChatMessage


def answer_of(question: str, sentence: str) -> str | None:
    found = direct_answer(question, sentence)
    return None if found is None else found.text(sentence)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Under the AI Act, from what date do the prohibitions apply?", "date"),
        ("When did the Commission set up the expert group?", "date"),
        ("How long was the consultation open?", "period"),
        ("Within how many days must the plan be submitted?", "period"),
        ("How many principles does the Playbook set out?", "count"),
        ("How often should CAISI convene agencies and researchers?", "frequency"),
        ("How much funding did the response announce for regulators?", "amount"),
        ("What adoption rate for intelligent terminals does the plan set?", "share"),
        ("Starting when?", "date"),
        ("Who chairs the White House AI Council?", None),
        ("What must a provider do when a serious incident occurs?", None),
        ("Does the AI Act cover military AI?", None),
        ("By how much, and by when, should compute capacity grow?", None),  # two things asked
        ("How many principles and how many basic policies does Chapter 2 lay down?", None),
    ],
)
def test_the_kind_of_fact_asked_for(question, kind):
    assert asked_fact(question) == kind


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Under the AI Act, from what date do the prohibitions apply?",
            "However, the prohibitions as well as the general provisions of this Regulation should already apply "
            "from 2 February 2025.",
            "from 2 February 2025",
        ),
        (
            "By what date were the regulators' updates due?",
            "We asked regulators to publish an update outlining their approach by 30 April 2024.28 We are ...",
            "by 30 April 2024",  # a footnote number glued to the year is not part of the date
        ),
        (
            "When did the Commission set up the expert group?",
            "The AI HLEG is an independent expert group that was set up by the European Commission in June 2018.",
            "in June 2018",
        ),
        (
            "By what year does NIST plan a formal review of the framework?",
            "A review with formal input from the AI community is expected to take place no later than 2028.",
            "no later than 2028",
        ),
        (
            "In what year of the 2021 plan is the programme launched?",
            "The Commission will launch in 2022 the programme announced in 2021.",
            "in 2022",  # a year the question names is not its answer
        ),
        (
            "Under the order, by when did the CIO Council have to publish the criteria?",  # "by when" mid-question
            "(a) Within 60 days of the date of this order, the CIO Council shall identify the criteria.",
            "Within 60 days",
        ),
        (
            "When must the agencies submit their plans?",  # "when" takes a period, "by what year" does not
            "Each agency shall submit its plan within 6 months of the date of this order.",
            "within 6 months",
        ),
        (
            "How long did the order give the advisers to submit an action plan?",
            "(a) Within 180 days of this order, the Assistant to the President shall submit a plan.",
            "Within 180 days",
        ),
        (
            "How often should CAISI convene federal agencies and researchers?",
            "• Convene meetings at least twice per year under the auspices of CAISI for federal agencies.",
            "at least twice per year",
        ),
        (
            "How many contributors gave feedback in the open consultation?",
            "The draft was subject to an open consultation which generated feedback from more than 500 "
            "contributors.",
            "more than 500 contributors",
        ),
        (
            "How many national competence centres were created?",
            "The plan created 8 national competence centres in 2018.",
            "8 national competence centres",
        ),
        (
            "Around how many priorities is the strategy built?",
            "The strategy sets out four priority areas for the public service.",
            "four priority areas",
        ),
        (
            "How much funding did the response announce to build up regulators' capabilities?",
            "We are announcing £10 million to jumpstart regulators' AI capabilities.",
            "£10 million",
        ),
        (
            "What adoption rate for intelligent terminals does the plan target?",
            "By then, adoption of new intelligent terminals and agents should exceed 70%.",
            "exceed 70%",
        ),
        # Two values: the one beside the question's words, or beside the year it asks about.
        (
            "How much funding did the response announce to build up regulators' AI capabilities?",
            "We announce initiatives including £10 million to jumpstart regulators' AI capabilities; and a £9 "
            "million partnership with the US on responsible AI as part of our science fund.",
            "£10 million",
        ),
        (
            "What adoption rate does the plan set for terminals and agents in 2030?",
            "By 2027 the adoption rate of terminals and agents should exceed 70%; by 2030 the adoption rate of "
            "terminals and agents should exceed 90%.",
            "exceed 90%",
        ),
        # Text as it comes out of PDFs: a footnote number before the date, a sign that opens the next amount.
        (
            "When did the government announce the fund?",
            "The UK is ranked third in the Readiness Index.55 In November 2023, we announced the fund.",
            "In November 2023",
        ),
        ("How much funding is provided?", "We are also working 30 £250m to secure the position.", "£250m"),
        # The time the sentence introduces with the question's own word, beside another date.
        (
            "Starting when? (following up on: What does the plan recommend for the AI Research Resource?)",
            "2. Expand the capacity of the AI Research Resource (AIRR) by at least 20x by 2030 - starting within "
            "6 months.",
            "starting within 6 months",
        ),
        # A period in the unit the question asks for.
        (
            "Within how many days must plans for the Challenge be set up?",
            "(a) Within 90 days of the date of this order, the Task Force shall establish plans for a Challenge, "
            "and agencies shall hold the Challenge no later than 12 months from the submission of the plan.",
            "Within 90 days",
        ),
        (
            "Until when does the pilot programme run?",
            "The pilot programme, reviewed in 2025, runs until 31 December 2027.",
            "until 31 December 2027",
        ),
    ],
)
def test_the_words_that_state_the_asked_fact_are_quoted(question, sentence, expected):
    assert answer_of(question, sentence) == expected
    assert quotes_part(expected, sentence)  # verbatim: the sentence's own words


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # Two dates: which one answers is not for a pattern to decide.
        (
            "By what date did the order require the proposals to be announced?",
            "By March 31, 2025, the Secretaries shall launch a solicitation, and by June 30, 2025, announce the "
            "selected proposals.",
        ),
        # The question's time word introduces two times.
        (
            "Starting when?",
            "Starting in 2025 for large firms and starting in 2027 for the others, reports are due.",
        ),
        # Two amounts.
        (
            "What is the budget of the programme?",
            "The programme has a budget of EUR 1 billion, of which EUR 300 million for start-ups.",
        ),
        # An amount beside a share: either alone is half the answer.
        (
            "How much is the maximum fine for a prohibited practice?",
            "Non-compliance shall be subject to administrative fines of up to EUR 35 000 000 or, if the offender "
            "is an undertaking, up to 7 % of its total worldwide annual turnover, whichever is higher.",
        ),
        # A number that counts something else.
        (
            "How many written responses did the government receive?",
            "Stakeholders were invited to submit evidence in response to 33 questions.",
        ),
        # OCR noise and ranges: "21%t century" is no share, "3,4 months" no period of 4 months, "2023-2024"
        # no single year, "2.3" opening a line a section number.
        (
            "What share of adoption is targeted?",
            "to meet the needs of Canadians in the digital 21%t century.",
        ),
        ("How long does performance take to double?", "AI has been doubling performance every 3,4 months."),
        ("When will the data space be set up?", "We will implement a common data space in 2023-2024."),
        ("How many principles are there?", "33\n2.3 Tensions between the principles\nTensions may arise."),
        # A reference, not a quantity.
        ("How many principles does the order set?", "Section 3 of the order lists the principles."),
        # A year that is part of a name, not a date.
        (
            "When do the high-risk rules apply?",
            "As clarified in the Commission's Blue Guide on the implementation of EU product rules 2022, the rule is "
            "that several acts may apply.",
        ),
        # A period answers "when", not "by what year".
        (
            "By what year should basic theory see breakthroughs?",
            "For the past 5 years, China has achieved all-around breakthroughs in basic theory.",
        ),
        # Two values, "respectively": they belong to words far from them.
        (
            "What adoption rate does the plan set for terminals and agents in 2030?",
            "The 2027 and 2030 goals are adoption rates for terminals and agents (above 70% and above 90% "
            "respectively).",
        ),
        # Two values, neither clearly nearer the question's words.
        (
            "How much does the plan invest?",
            "The plan invests £10 million in skills and £9 million in compute.",
        ),
        # No date at all.
        ("When does the Board meet?", "The Board shall meet regularly at the request of its Chair."),
        # One word that is no figure says less than the sentence.
        (
            "How often must agencies prepare the inventory?",
            "Within 180 days of the directive, and annually thereafter, each agency shall prepare an inventory.",
        ),
        # Not a question for a date or a figure.
        (
            "Who chairs the Board?",
            "The Board shall be chaired by one of the representatives of the Member States.",
        ),
    ],
)
def test_no_direct_answer_when_the_sentence_does_not_state_exactly_one(question, sentence):
    assert direct_answer(question, sentence) is None


def test_a_year_that_names_the_document_asked_about_may_answer():
    question = "According to the 2021 Coordinated Plan, in what year was the Commission to launch Adopt AI?"
    sentence = "\uf02d launch in 2021 the Adopt AI programme, as announced in the White Paper; in particular:"
    # Without the document's years, 2021 is a year the question names, and no answer.
    assert direct_answer(question, sentence) is None
    found = direct_answer(question, sentence, document_years=frozenset({"2021"}))
    assert found is not None and found.text(sentence) == "in 2021"


def test_a_bullet_drawn_in_a_symbol_font_is_not_quoted_as_words():
    # PDFs give a Symbol-font bullet as a private-use character.
    assert (
        without_enumerator("\uf02d launch in 2021 the Adopt AI programme")
        == "launch in 2021 the Adopt AI programme"
    )
    assert without_enumerator("\uf0b7 Human agency and oversight") == "Human agency and oversight"


def test_a_follow_up_asks_for_its_own_kind_of_fact_not_the_earlier_questions():
    standalone = condense_by_rules(
        "Can that be extended?",
        [
            ChatMessage(role="user", content="How long does a controller have to act on an access request?"),
            ChatMessage(role="assistant", content="Within one month of receipt of the request [1]"),
        ],
    )
    assert "How long" in standalone  # the earlier question travels with it, for retrieval
    assert asked_fact(standalone) == "period"
    assert asked_fact(asked_part(standalone)) is None  # but a yes/no question gets no period for an answer


def test_quoting_part_of_a_sentence_means_whole_words():
    sentence = "The fine amounts to EUR 35 000 000 for prohibited practices."
    assert quotes_part("EUR 35 000 000", sentence)
    assert quotes_part("eur 35 000 000", sentence)  # case aside
    assert not quotes_part("EUR 35 000", sentence.replace("35 000 000", "35 0000"))
    assert not quotes_part("ne amounts", sentence)  # not whole words
    assert not quotes_part("fine", sentence)  # one word, no figure: not a quotation
    assert not quotes_part("35", sentence)  # a figure inside a larger one is not that figure
    assert quotes_part("by 30 April 2024", "to publish an update by 30 April 2024.28 We are")


def test_a_when_question_is_answered_with_the_date_and_cites_its_sentence(corpus_assistant):
    answer = corpus_assistant.ask("From what date do the AI Act's prohibitions of AI practices apply?")
    assert not answer.abstained
    assert answer.text.endswith("[1]") and "2 February 2025" in answer.text
    words = answer.text.removesuffix("[1]").strip()
    assert len(words.split()) <= 4  # the date, not the sentence
    quote = answer.citations[0].quote
    assert quotes_part(words, quote) and len(quote) > len(words)  # the citation quotes the whole sentence
    document = corpus_assistant.document(answer.citations[0].doc_id)
    assert document.text[answer.citations[0].start : answer.citations[0].end] == quote


def test_direct_answers_can_be_turned_off(make_assistant):
    from tests.support import CORPUS

    assistant = make_assistant(answer={"extractive": {"direct_answers": False}})
    assistant.ingest([CORPUS / "eu-ai-act-timeline-penalties.md"])
    answer = assistant.ask("From what date do the AI Act's prohibitions of AI practices apply?")
    assert not answer.abstained
    assert len(answer.text.split()) > 6  # whole sentences


def test_the_overlap_judge_takes_the_evidences_own_words_as_supported(embedder):
    from assistant.evaluation.judges import OverlapJudge

    judge = OverlapJudge(embedder, "english")
    evidence = [
        "The AI HLEG is an independent expert group that was set up by the European Commission in June 2018."
    ]
    assert judge.supports("In June 2018", evidence)
    assert not judge.supports("In June 2019", evidence)
    assert not judge.supports("In July 2018", evidence)


def _request(question: str, sentences: list[tuple[str, str]], named: tuple[str, ...] = ()):
    """A request whose evidence is `sentences` ((doc_id, text), best first), one passage each."""
    import numpy as np

    from assistant.answer.backends.base import GenerationRequest
    from assistant.answer.evidence import Evidence, SentenceEvidence
    from assistant.models import Passage

    passages = [
        Passage(id=f"{doc}:{i}", doc_id=doc, title=doc, heading_path="", text=text, start=0, end=len(text))
        for i, (doc, text) in enumerate(sentences)
    ]
    vectors = np.eye(len(sentences), 8, dtype=np.float32)  # unrelated sentences: none redundant
    evidence = Evidence(
        [
            SentenceEvidence(i, 0, len(text), text, 0.8, 0.8, 0.8 - 0.01 * i, vectors[i])
            for i, (_, text) in enumerate(sentences)
        ]
    )
    return GenerationRequest(question=question, passages=passages, evidence=evidence, named_documents=named)


def test_the_extractive_backend_answers_directly_only_when_its_sentences_agree():
    from assistant.answer.backends.extractive import ExtractiveBackend
    from assistant.config import load_settings

    backend = ExtractiveBackend(load_settings(profile="test"))
    question = "How many principles does the AI Playbook set out?"
    playbook = ("playbook", "The AI Playbook sets out 10 principles for using AI safely.")
    assert "".join(backend.generate(_request(question, [playbook], ("playbook",)))) == "10 principles [1]"
    # Two named documents: each gets its sentence, no direct answer.
    white_paper = ("white_paper", "The white paper sets out 5 principles for regulators.")
    text = "".join(backend.generate(_request(question, [playbook, white_paper], ("playbook", "white_paper"))))
    assert "10 principles for using AI safely" in text and "5 principles for regulators" in text
    # The best sentence states no count, the next states the one asked for: that one answers, alone.
    invited = ("playbook", "Departments were invited to comment on the AI Playbook's principles.")
    assert (
        "".join(backend.generate(_request(question, [invited, playbook], ("playbook",))))
        == "10 principles [2]"
    )
    # A date in another chosen sentence does not compete with the period asked for.
    period_question = "How long did the order give the advisers to submit a plan?"
    order = ("order", "(a) Within 180 days of this order, the advisers shall submit a plan.")
    footnote = ("plan", "1 Executive Order 14179 of January 23, 2025, Federal Register 90 (20) 8741.")
    text = "".join(backend.generate(_request(period_question, [order, footnote], ("order",))))
    assert text == "Within 180 days [1]"
    # Two chosen sentences that state different counts: the sentences are the answer.
    other = ("playbook", "An earlier draft of the AI Playbook set out 8 principles in all.")
    text = "".join(backend.generate(_request(question, [playbook, other], ("playbook",))))
    assert "10 principles for using AI safely" in text and "8 principles" in text


def test_a_definition_is_the_answer_on_its_own_and_a_restatement_adds_nothing():
    import numpy as np

    from assistant.answer.backends.extractive import select_sentences
    from assistant.answer.evidence import SentenceEvidence
    from assistant.config import load_settings

    settings = load_settings(profile="test").answer.extractive
    vectors = np.eye(3, 8, dtype=np.float32)  # unrelated by embedding: only the rules below tell them apart
    plan = "24. Reform the UK text and data mining regime so that it is at least as competitive as the EU."
    table = (
        "Spring 2025 Recommendation 24 Reform the UK text and data mining regime so that it is at least as "
        "competitive as the EU."
    )
    other = "The government will consult on copyright and AI."
    sentences = [
        SentenceEvidence(0, 0, len(plan), plan, 0.8, 0.8, 0.80, vectors[0]),
        SentenceEvidence(1, 0, len(table), table, 0.8, 0.8, 0.79, vectors[1]),
        SentenceEvidence(2, 0, len(other), other, 0.8, 0.8, 0.78, vectors[2]),
    ]
    chosen = select_sentences(sentences, settings, floor=0.3)
    assert [s.text for s in chosen] == [plan, other]  # the table's restatement is skipped
    definition = "Misinformation: Incorrect or misleading information spread without harmful intent."
    foreword = "I have sought to double-down on this success, backed by over £100 million."
    sentences = [
        SentenceEvidence(0, 0, len(definition), definition, 0.6, 0.1, 0.48, vectors[0], defines=True),
        SentenceEvidence(1, 0, len(foreword), foreword, 0.6, 0.3, 0.47, vectors[1]),
    ]
    assert [s.text for s in select_sentences(sentences, settings, floor=0.3)] == [definition]
    sentences[0].defines = False
    assert len(select_sentences(sentences, settings, floor=0.3)) == 2
