"""What kind of fact a question asks for (a date, a figure, a name), and whether a sentence states one."""

import pytest

from assistant.answer.kinds import asked_kind, counted_noun, counts, states_kind
from assistant.language.terms import terms


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When do the rules on prohibited practices apply?", "date"),
        ("By what date must providers comply?", "date"),
        ("What is the deadline for the report?", "date"),
        ("Under EO 13960, by when did the council publish the criteria?", "date"),
        ("Starting when?", "date"),
        ("How soon must the plan be submitted?", "date"),
        ("How many articles does the regulation have?", "number"),
        ("What is the maximum fine for a breach?", "number"),
        ("What share of funding goes to research?", "number"),
        ("Which bodies oversee enforcement?", "who"),
        ("Which principles guide regulators?", None),
        ("Is the system exempt?", None),
        # The same in Chinese.
        ("《暂行办法》自何时起施行？", "date"),
        ("欧盟GDPR规定数据保护官的最短任期是几年？", "number"),
        ("到2027年智能终端普及率要达到多少？", "number"),
        ("由哪个部门负责备案？", "who"),
        ("直接与人交互的AI系统必须让用户知道什么？", None),
        # A leading condition asks nothing: its "when" is no date asked for.
        (
            "When data annotation is done during R&D, what kind of annotation rules must providers draw up?",
            None,
        ),
        ("If no law sets a penalty, what sanctions can the authorities impose?", None),
        ("If police act without prior approval, how long do they have to seek it?", "number"),
        ("When, under the AI Act, do the bans apply?", "date"),
    ],
)
def test_the_kind_of_fact_asked_for(question, kind):
    assert asked_kind(question) == kind


def test_sentences_that_state_the_kind_asked_for():
    assert states_kind("This Regulation shall apply from 2 August 2026.", "date")
    assert states_kind("The report is due within 90 days.", "date")
    assert not states_kind("The AI Office shall coordinate enforcement.", "date")
    assert states_kind("Fines of up to EUR 35 000 000 may be imposed.", "number")
    assert states_kind("Three bodies share the task.", "number")
    assert not states_kind("Fines shall be effective and dissuasive.", "number")
    # a year standing alone, or a footnote mark glued to a word, is no figure; a year with a share is one
    assert not states_kind(
        "Since the 2018 Coordinated Plan, most Member States adopted strategies4.", "number"
    )
    assert states_kind("A total of 19 Member States have adopted strategies.", "number")
    assert states_kind("In 2025, 40% of firms used AI.", "number")
    assert states_kind("EUR 1,5 billion to set up a network of hubs.", "number")
    assert states_kind("Anything at all.", None)
    # Chinese figures: in digits, or in Chinese numerals with their measure word.
    assert states_kind("到2027年，新一代智能终端普及率超70%。", "number")
    assert states_kind("以科技、产业等六大领域为重点。", "number")
    assert not states_kind("提供者应当依法开展训练数据处理活动。", "number")
    assert not states_kind("第十七条 提供者应当开展安全评估。", "number")  # an article's number is no figure


@pytest.mark.parametrize(
    "question",
    [
        "Who chairs the White House AI Council created by Executive Order 14110?",
        "Under Executive Order 13859, which agency heads must give priority to AI applications?",
        "Through which body is the American AI Initiative coordinated?",
        "And who signed it?",
        "Where will the first AI Growth Zone be built?",
        "where is the headquarters located",
    ],
)
def test_questions_asking_who(question):
    assert asked_kind(question) == "who"


def test_where_asking_for_a_position_or_a_goal_asks_for_no_name():
    assert asked_kind("Where does the AI+ initiative expect China to be by 2035?") is None
    assert asked_kind("Where does the UK stand on regulating foundation models?") is None


def test_a_sentence_answers_who_when_it_names_someone_the_question_does_not():
    question = "Who chairs the White House AI Council created by Executive Order 14110?"
    asked_terms = set(terms(question))

    def asked(word):
        return set(terms(word)) <= asked_terms

    chair = "The Assistant to the President and Deputy Chief of Staff for Policy shall serve as Chair of the Council."
    assert states_kind(chair, "who", asked)
    assert states_kind("(b) Its Chair is the Director of OSTP.", "who", asked)  # an acronym is a name
    # only the question's own names ("Chair", "White House AI Council"), or none at all
    assert not states_kind(
        "(d) The Chair may create subgroups of White House AI Council members.", "who", asked
    )
    assert not states_kind("The council shall meet regularly.", "who", asked)
    # Chinese writes names without capitals: a Chinese sentence is not held to it
    assert states_kind("国家互联网信息办公室主任 庄荣文", "who", asked)


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("How many principles does the UK government's AI Playbook set out?", "principles"),
        ("How many EU Member States had adopted a national AI strategy?", "States"),
        ("How much will they invest, and how many hubs is the network meant to have?", "hubs"),
        ("How many principles and how many basic policies does Chapter 2 lay down?", "principles"),
        ("How many?", None),
        ("What is the maximum fine?", None),
    ],
)
def test_the_thing_a_how_many_question_counts(question, noun):
    assert counted_noun(question) == noun


def test_a_sentence_counts_the_thing_asked_about():
    def principles(word):
        return "principl" in terms(word)

    assert counts("This playbook defines 10 core principles for AI use.", principles)
    assert counts("This Chapter sets forth the “three principles” and “four basic policies”.", principles)
    assert not counts(
        "Since 2019 these principles have guided regulators.", principles
    )  # a year counts nothing
    assert not counts("It has 5 sections on principles.", principles)  # five sections, not five principles
    assert not counts("Regulators apply the principles.", principles)
