from assistant.ingest.structure import find_headings, split_sections

AI_ACT = """HAVE ADOPTED THIS REGULATION:

CHAPTER I

GENERAL PROVISIONS

Article 1

Subject matter`

1.   The purpose of this Regulation is to improve the functioning of the internal market.

Article 2

Scope

1.   This Regulation applies to providers.

CHAPTER II

PROHIBITED AI PRACTICES

Article 5

Prohibited AI practices

1.   The following AI practices shall be prohibited:
Article 5 of the Charter is not affected.
"""


def test_legal_structure_gives_heading_paths():
    sections = split_sections(AI_ACT)
    paths = [s.path for s in sections]
    assert paths == [
        (),
        ("CHAPTER I — GENERAL PROVISIONS",),
        ("CHAPTER I — GENERAL PROVISIONS", "Article 1 — Subject matter"),
        ("CHAPTER I — GENERAL PROVISIONS", "Article 2 — Scope"),
        ("CHAPTER II — PROHIBITED AI PRACTICES",),
        ("CHAPTER II — PROHIBITED AI PRACTICES", "Article 5 — Prohibited AI practices"),
    ]
    # A sentence that merely starts with "Article 5" is not a heading.
    assert sections[-1].end == len(AI_ACT)


def test_sections_tile_the_document():
    sections = split_sections(AI_ACT)
    assert AI_ACT[: sections[0].start].strip() == ""
    for left, right in zip(sections, sections[1:], strict=False):
        assert left.end == right.start


def test_chinese_structure():
    text = "第一章 总则\n\n第一条　为了促进生成式人工智能健康发展，制定本办法。\n\n第二条　本办法适用于服务。\n\n一、总体要求\n\n（一）“人工智能+”科学技术\n\n1.加速科学发现进程。"
    headings = [(h.level, h.text) for h in find_headings(text)]
    assert headings == [
        (2, "第一章 总则"),
        (4, "第一条"),
        (4, "第二条"),
        (2, "一、总体要求"),
        (3, "（一）“人工智能+”科学技术"),
    ]


def test_markdown_headings_and_executive_order_sections():
    text = "# Order\n\nIntro.\n\n## Summary\n\nText.\n\nSec. 2.  Policy and Principles.  It is the policy of my Administration.\n"
    assert [(h.level, h.text) for h in find_headings(text)] == [
        (1, "Order"),
        (2, "Summary"),
        (4, "Sec. 2. Policy and Principles"),
    ]


def test_table_of_contents_names_headings_of_a_pdf_dump():
    text = (
        "Content\nSummary ........................ 1\nIntroduction ................... 2\n\n"
        "Summary\nWith the update the Government focuses on AI.\nIntroduction\nAI is a key technology.\n"
    )
    headings = find_headings(text)
    assert [h.text for h in headings] == ["Summary", "Introduction"]
    assert text[headings[0].start :].startswith("Summary\nWith")


def test_wrapped_line_starting_with_section_is_not_a_heading():
    text = "The agencies shall report under\nSection 2 of the Act requires agencies to act\nquickly."
    assert find_headings(text) == []


def test_a_heading_the_caller_skips_opens_no_section():
    text = "Contents\nAnnex A: Method 63\nForeword text.\n\nArticle 1\n\nSubject matter\n\nBody.\n"
    entry = text.index("Annex A")
    assert [s.path for s in split_sections(text)][1][0].startswith("Annex A")
    paths = [s.path for s in split_sections(text, skip=lambda start: start == entry)]
    assert paths == [(), ("Article 1 — Subject matter",)]
