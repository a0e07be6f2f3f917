from hypothesis import given
from hypothesis import strategies as st

from assistant.language.sentences import paragraph_spans, sentence_spans
from assistant.language.terms import numbers, terms, words


def texts(spans, text):
    return [text[s:e] for s, e in spans]


def test_sentences_respect_abbreviations_and_list_numbers():
    text = "The AI Act (Art. 5) bans e.g. social scoring. See the U.S. order! Next?\n\n1.   The purpose is clear."
    assert texts(sentence_spans(text), text) == [
        "The AI Act (Art. 5) bans e.g. social scoring.",
        "See the U.S. order!",
        "Next?",
        "1.   The purpose is clear.",
    ]
    chinese = "人工智能法（Art. 5）规定如下。This is it."  # an abbreviation after a full-width bracket
    assert texts(sentence_spans(chinese), chinese) == ["人工智能法（Art. 5）规定如下。", "This is it."]


def test_bare_list_marker_joins_the_following_item():
    text = "This Regulation lays down:\n\n(a)\n\nharmonised rules;\n\n(b)\n\nprohibitions of practices;"
    assert texts(sentence_spans(text), text) == [
        "This Regulation lays down:",
        "(a)\n\nharmonised rules;",
        "(b)\n\nprohibitions of practices;",
    ]


def test_chinese_sentences_end_without_spaces():
    text = "到2027年，率先实现人工智能与6大重点领域广泛深度融合。新一代智能终端普及率超70%。"
    assert texts(sentence_spans(text), text) == [
        "到2027年，率先实现人工智能与6大重点领域广泛深度融合。",
        "新一代智能终端普及率超70%。",
    ]


def test_a_heading_line_is_not_the_start_of_the_sentence_under_it():
    # As PDFs give them (the French brochure, Japan's AI Basic Plan, the 2021 Coordinated Plan).
    text = (
        "HELPING THE PUBLIC UNDERSTAND AND EMBRACE AI\nIn May 2024, the President tasked the CNNum.\n"
        "Section 3 Coordination with Other Plans\nWe will coordinate measures under this Plan.\n"
        "1.2 Technical robustness and safety\nA crucial component is robustness."
    )
    assert texts(sentence_spans(text), text) == [
        "HELPING THE PUBLIC UNDERSTAND AND EMBRACE AI",
        "In May 2024, the President tasked the CNNum.",
        "Section 3 Coordination with Other Plans",
        "We will coordinate measures under this Plan.",
        "1.2 Technical robustness and safety",
        "A crucial component is robustness.",
    ]


def test_a_stack_of_short_lines_opening_a_sentence_is_cut_line_by_line():
    # A cover page and a navigation list, as PDFs and web pages give them.
    cover = "Spring 2025\nRecommendation 4\nEstablish AI Growth Zones to facilitate the build out of data centres.\n"
    assert texts(sentence_spans(cover), cover) == [
        "Spring 2025",
        "Recommendation 4",
        "Establish AI Growth Zones to facilitate the build out of data centres.",
    ]
    nav = "Overview\nPriority areas\nExpectations for federal organizations\nCanada's strategy focuses on four areas."
    assert texts(sentence_spans(nav), nav)[-1] == "Canada's strategy focuses on four areas."
    # OCR's remains of a navigation line run into a lower-case line: still the stack, as a later line of it ends
    # before a capital.
    ocr = "Overview\nRelevant strategies and policy\nmM\ngagement and consultation\nPriority areas\nCanada's strategy focuses on four areas."
    assert texts(sentence_spans(ocr), ocr)[-1] == "Canada's strategy focuses on four areas."
    # A short line before a lower-case one, with no stack before it, is wrapped prose.
    wrapped = "Key findings\nthe report shows growth.\n"
    assert texts(sentence_spans(wrapped), wrapped) == ["Key findings\nthe report shows growth."]
    # Wrapped prose is not a stack: one short line before a capital, a line ending in "of" or "in".
    for prose in (
        "The European\nCommission shall adopt the act.",
        "The Department of\nCommerce and the\nSecretary shall report.",
        "The report, due in\nMarch, names\nThe Board as lead.",
    ):
        assert texts(sentence_spans(prose), prose) == [prose]


def test_a_line_ending_in_an_address_ends_its_sentence():
    text = (
        "This publication is available free of charge from: https://doi.org/10.6028/NIST.AI.100-1\n"
        "Update Schedule and Versions\nThe Framework is intended to be a living document.\n"
        "See https://example.org/a\nfor details."
    )
    assert texts(sentence_spans(text), text) == [
        "This publication is available free of charge from: https://doi.org/10.6028/NIST.AI.100-1",
        "Update Schedule and Versions\nThe Framework is intended to be a living document.",
        "See https://example.org/a\nfor details.",  # the next line goes on: no cut
    ]


def test_a_line_inside_a_sentence_is_never_cut_as_a_heading():
    # Mid-sentence lines: the line before has no sentence end, or the line itself ends like a continuation.
    cases = {
        "The obligations set out in\nSection 3 of this Order\nApply to every agency.": 1,
        "It is funded by\nTHE EUROPEAN UNION AND\nIts Member States.": 1,
        "The plan was agreed.\nTHE COMMISSION WILL FUND THE\nNetwork of hubs.": 2,
        "The plan was agreed.\nAI WATCH\nreports yearly on it.": 2,
    }
    for text, n in cases.items():
        spans = sentence_spans(text)
        assert len(spans) == n, texts(spans, text)
        assert spans[-1][1] == len(text) and "\n" in text[spans[-1][0] : spans[-1][1]]


def test_bullets_on_their_own_lines_are_sentences():
    text = "Achieving this entails\n• training more AI specialists,\n• building research structures"
    assert texts(sentence_spans(text), text) == [
        "Achieving this entails",
        "• training more AI specialists,",
        "• building research structures",
    ]


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n(1)。，中文Art")), max_size=200))
def test_sentences_cover_every_visible_character_in_order(text):
    spans = sentence_spans(text)
    covered = set()
    last_end = 0
    for start, end in spans:
        assert last_end <= start < end <= len(text)
        covered.update(range(start, end))
        last_end = end
    assert {i for i, c in enumerate(text) if not c.isspace()} <= covered


def test_paragraphs_are_trimmed():
    text = "  First para.\n\n\n  Second para.  \n"
    assert texts(paragraph_spans(text), text) == ["First para.", "Second para."]


def test_words_split_cjk_into_bigrams_and_keep_latin_runs():
    assert words("到2027年 AI+行动") == ["到", "2027", "年", "ai", "行动"]


def test_terms_drop_stopwords_and_stem():
    assert terms("The penetration rates of intelligent agents") == ["penetr", "rate", "intellig", "agent"]


def test_numbers_are_normalised():
    assert numbers("above 70% by 2,030 and 2027") == {"70%", "2030", "2027"}


def test_british_and_american_spellings_give_the_same_terms():
    from assistant.language.terms import terms, terms_batch

    british = "The AI Clusters programme prioritises organisations, licences and centres of excellence."
    american = "The AI Clusters program prioritizes organizations, licenses and centers of excellence."
    assert (
        terms(british) == terms(american) == terms_batch([british, american])[0] == terms_batch([american])[0]
    )
    # Without stemming, the words stay as written.
    assert "programme" in terms(british, stemmer=None)
