import pytest

from assistant.errors import DecodeError, EmptyDocument, UnsupportedFileType
from assistant.ingest.loaders import document_id_for, load_bytes, load_document
from tests.support import make_pdf, shared_data, write

FRONT_MATTER = """---
title: "State Council Opinions on the AI+ Action"
issuing_body: "State Council"
date: 2025-08-21
language: "en"
source_url: "https://www.gov.cn/"
tags: ["china", "ai-plus"]
summary_of: "Guo Fa [2025] No. 11"
---

# Overall goals

By 2027 the penetration rate shall exceed 70%.
"""


def test_markdown_front_matter_becomes_metadata_and_is_stripped(tmp_path):
    doc = load_document(write(tmp_path / "AI Plus_Opinions.md", FRONT_MATTER))
    assert doc.id == "ai-plus_opinions"
    assert doc.text.startswith("\n# Overall goals")
    meta = doc.metadata
    assert meta.title == "State Council Opinions on the AI+ Action"
    assert meta.issuing_body == "State Council"
    assert meta.date == "2025-08-21" and meta.date_key == 20250821
    assert meta.tags == ["china", "ai-plus"]
    assert meta.source_url == "https://www.gov.cn/"
    assert meta.extra == {"summary_of": "Guo Fa [2025] No. 11"}


def test_markdown_without_front_matter_takes_the_first_heading_as_title():
    doc = load_bytes(b"Intro line\n\n# The Real Title\n\nBody.", "notes.md")
    assert doc.metadata.title == "The Real Title"
    assert doc.metadata.language == "en"


def test_invalid_front_matter_is_reported():
    with pytest.raises(Exception, match="front matter"):
        load_bytes(b"---\ntitle: [unclosed\n---\nBody text.", "bad.md")


def test_page_markers_become_page_numbers():
    doc = load_bytes(b"---- Page 1 ----\nFirst page text.\n---- Page 2 ----\nSecond page text.\n", "dump.txt")
    assert "Page" not in doc.text
    assert doc.page_at(doc.text.index("First")) == 1
    assert doc.page_at(doc.text.index("Second")) == 2


def test_html_keeps_main_text_and_headings_and_drops_navigation():
    html = b"""<html lang="fr-FR"><head><title>Strategie IA</title>
    <meta name="dc.date" content="2025-02-10"><script>var x = 1;</script></head>
    <body><nav>Home | About</nav><main><h1>Strategy</h1><p>France invests <b>109 billion</b> euros.</p>
    <h2>Data centres</h2><ul><li>35 sites identified</li></ul></main><footer>Legal</footer></body></html>"""
    doc = load_bytes(html, "page.html")
    assert "# Strategy" in doc.text and "## Data centres" in doc.text
    assert "109 billion" in doc.text and "35 sites identified" in doc.text
    assert "Home | About" not in doc.text and "var x" not in doc.text and "Legal" not in doc.text
    assert doc.metadata.title == "Strategie IA"
    assert doc.metadata.language == "fr"
    assert doc.metadata.date == "2025-02-10"


def test_pdf_pages_are_kept():
    data = make_pdf([["Article 1", "The purpose is clear."], ["Article 2", "Scope applies to providers."]])
    doc = load_bytes(data, "regulation.pdf")
    assert doc.page_at(doc.text.index("purpose")) == 1
    assert doc.page_at(doc.text.index("Scope")) == 2
    assert doc.metadata.title == "regulation"


def test_corrupt_pdf_is_a_clear_error():
    with pytest.raises(DecodeError, match="PDF"):
        load_bytes(b"%PDF-1.4\n1 0 obj garbage\n%%EOF", "broken.pdf")


def test_binary_file_named_txt_is_refused():
    with pytest.raises(DecodeError, match="binary"):
        load_bytes(bytes(range(256)) * 4, "image.txt")


def test_empty_and_whitespace_files_are_refused():
    with pytest.raises(EmptyDocument):
        load_bytes(b"", "empty.md")
    with pytest.raises(EmptyDocument):
        load_bytes(b"  \n\t\n", "blank.txt")
    with pytest.raises(EmptyDocument):
        load_bytes(b"---\ntitle: Only a header\n---\n", "header-only.md")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "gb18030"])
def test_non_utf8_text_is_decoded(encoding):
    text = "Le règlement s'applique à l'intelligence artificielle générale dès février 2025. " * 5
    if encoding == "gb18030":
        text = "生成式人工智能服务管理暂行办法自2023年8月15日起施行。提供者应当依法开展预训练。" * 5
    doc = load_bytes(text.encode(encoding), "note.txt")
    assert doc.text.strip() == text.strip()


def test_unknown_file_type_is_reported():
    with pytest.raises(UnsupportedFileType):
        load_bytes(b"x,y\n1,2", "table.csv")


def test_document_ids_are_slugs():
    from pathlib import Path

    assert document_id_for(Path("EU AI Act (2024).md")) == "eu-ai-act-2024"
    assert document_id_for(Path("中文.md")).startswith("doc-")


def test_every_shared_policy_document_loads():
    folder = shared_data("policy-corpus")
    files = sorted(folder.glob("*.md"))
    assert len(files) == 27
    for path in files:
        doc = load_document(path)
        assert doc.text.strip()
        assert doc.metadata.title and doc.metadata.language in ("en", "zh")
    zh = load_document(folder / "cn_state_council_ai_plus_opinions_2025_zh.md")
    assert zh.metadata.language == "zh" and "人工智能" in zh.text
