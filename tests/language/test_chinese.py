"""Chinese segmentation with jieba's packaged dictionary and the project's glossary terms."""

from assistant.language.chinese import cjk_ratio, is_chinese, language_of, search_words, words
from assistant.language.sentences import sentence_spans
from assistant.language.terms import terms


def test_policy_terms_stay_whole_and_compounds_keep_their_parts():
    found = search_words("新一代智能终端智能体等应用普及率超")
    assert {"智能终端", "智能体", "普及率", "新一代"} <= set(found)
    assert {"智能", "终端", "普及"} <= set(found)  # the words inside the compounds, for recall
    assert "体等" not in found  # jieba alone cuts 智能体等 as 智能 / 体等; the glossary keeps 智能体


def test_reading_segmentation_has_each_word_once_and_no_punctuation():
    found = words("提供者应当依法开展预训练、优化训练等训练数据处理活动。")
    assert found[:4] == ["提供者", "应当", "依法", "开展"]
    assert "训练数据" in found  # a glossary term
    assert "、" not in found and "。" not in found
    assert "".join(found) == "提供者应当依法开展预训练优化训练等训练数据处理活动"


def test_index_terms_are_words_not_character_pairs():
    found = terms("到2027年，新一代智能终端、智能体等应用普及率超70%")
    assert "2027" in found and "70" in found
    assert "智能终端" in found and "普及率" in found
    assert "端、" not in found and "率超" not in found  # no character bigrams across words


def test_language_of_mixed_text():
    assert language_of("本办法自2023年8月15日起施行。") == "zh"
    assert language_of("The Regulation applies from 2 August 2026.") == "en"
    assert is_chinese("《生成式人工智能服务管理暂行办法》 (Interim Measures)")
    assert 0 < cjk_ratio("AI+ 行动") < 1


def test_chinese_sentences_split_on_full_width_ends_with_exact_offsets():
    text = "第一条 为了促进发展，制定本办法。第二条 本办法自2023年8月15日起施行；另有规定的，从其规定！"
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == [
        "第一条 为了促进发展，制定本办法。",
        "第二条 本办法自2023年8月15日起施行；",
        "另有规定的，从其规定！",
    ]
