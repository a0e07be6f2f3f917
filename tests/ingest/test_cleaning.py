"""Noise in document text: found with exact offsets, kept out of chunk vectors and answer candidates."""

from pathlib import Path

import pytest

from assistant.answer.evidence import is_candidate, passage_sentences
from assistant.config import ChunkingSettings
from assistant.ingest.chunking import Chunker
from assistant.ingest.cleaning import NoiseIndex, cut_around, is_noise_sentence, noise_spans
from assistant.ingest.loaders import load_bytes, load_document
from assistant.models import Document
from tests.support import make_document, shared_data

BODY = (
    "The framework sets out how regulators should apply the principles in their own sectors. "
    "Each regulator will publish guidance on the use of artificial intelligence in its remit.\n"
    "Regulators will work together through the central function to keep the approach coherent.\n"
)


def paged_text() -> str:
    """Six pages of body text, each ending with a page number and a running header (as PDF dumps do)."""
    pages = []
    for n in range(1, 7):
        pages.append(f"{BODY}Page {n} closes with this sentence about the regulators.\n{n}\n")
        pages.append("A pro-innovation approach to AI regulation: response\n")
    return "".join(pages)


def spans_of(text: str, kind: str, **kwargs) -> list[str]:
    return [text[s.start : s.end] for s in noise_spans(text, **kwargs) if s.kind == kind]


def test_page_numbers_and_running_headers_are_found_with_exact_offsets():
    text = paged_text()
    assert spans_of(text, "page_number") == [str(n) for n in range(1, 7)]
    assert spans_of(text, "running_header") == ["A pro-innovation approach to AI regulation: response"] * 6
    for span in noise_spans(text):
        assert text[span.start : span.end] == text[span.start : span.end].strip()
    assert not NoiseIndex(noise_spans(text)).is_noise(0, len(BODY) - 1)


def test_numbers_that_do_not_continue_a_page_numbering_are_body_text():
    text = "Targets for the plan:\n\n70\n\nper cent of firms by 2027, and\n\n90\n\nby 2030.\n"
    assert noise_spans(text) == []


def test_a_repeated_line_away_from_page_breaks_is_not_a_header():
    text = ("Recommended Policy Actions\n" + BODY + "\n") * 4
    assert spans_of(text, "running_header") == []


def test_a_bracketed_banner_on_every_page_is_a_running_header_without_page_breaks():
    # Japan's AI Basic Plan prints "[Provisional translation]" atop each page, its bracket read as "{" or "[ "
    # here and there; a label the document repeats per section ("[Specific Initiatives]") is no banner.
    pages = []
    for n, banner in enumerate(
        ["[Provisional translation]", "[ Provisional translation]", "{ Provisional translation]"] * 2
    ):
        label = "[Specific Initiatives]\n" if n < 4 else ""
        pages.append(f"{banner}\n{BODY}{label}(1) Measure {n} promotes the use of AI in government.\n{BODY}")
    text = "".join(pages)
    banners = spans_of(text, "running_header")
    assert len(banners) == 6 and all("Provisional translation" in b for b in banners)


def test_a_line_repeating_the_title_is_a_running_header_without_page_numbers():
    text = ("Next Generation Artificial Intelligence Development Plan\nIssued by State Council\n" + BODY) * 3
    title = "Next Generation Artificial Intelligence Development Plan — summary"
    headers = spans_of(text, "running_header", title=title)
    assert headers.count("Issued by State Council") == 3 and len(headers) == 6


def test_table_of_contents_blocks():
    text = (
        "Table of Contents\n"
        "Introduction .................................... 1\n"
        "1. Governance of Generative AI and the Service Providers\n"
        "of Generative AI ................................ 9\n"
        "Editorial by the President 2\n"
        "Appendix ........................................ 33\n"
        "\nIntroduction\n" + BODY
    )
    toc = spans_of(text, "toc")
    assert toc[0] == "Table of Contents" and toc[-1].startswith("Appendix")
    assert "1. Governance of Generative AI and the Service Providers" in toc
    assert "Editorial by the President 2" in toc
    assert not any("framework" in t for t in toc)


def test_a_table_of_contents_without_page_numbers_is_found_by_the_headings_the_body_repeats():
    # The Japanese AI Basic Plan's table lists its headings with no page numbers and no dot leaders; the body
    # repeats each (wrapped or worded a little differently), and nothing after the table is cut.
    text = (
        "Table of Contents\n"
        "Chapter 1 Basic Concept — Aiming to Become the most AI-friendly country in the world\n"
        "Chapter 2 Basic Policies on Measures for Promoting Research and Development, and Utilization of AI\n"
        "Technology\n"
        "Section 1 Accelerating AI Utilization\n"
        "Section 2 Revisions to the AI Basic Plan\n"
        "Chapter 1 Basic Concept — Aiming to Become the most AI-friendly country in the\n"
        "world\n" + BODY + "\n"
        "Chapter 2 Basic Policies on Measures for Promoting Research and Development, and\n" + BODY + "\n"
        "Section 1 Accelerating AI Utilization\n" + BODY + "\n"
        "Section 2 Revisions to the AI Basic Plan\n" + BODY
    )
    toc = spans_of(text, "toc")
    assert toc[0] == "Table of Contents" and toc[-1] == "Section 2 Revisions to the AI Basic Plan"
    assert "Technology" in toc and len(toc) == 6
    # the body's own headings stay
    assert text.count("Section 1 Accelerating AI Utilization") == 2
    first_heading = text.index("Chapter 1", text.index("Section 2 Revisions"))
    assert all(not (s.start <= first_heading < s.end) for s in noise_spans(text))
    # a line the body repeats, outside a 'Contents' block, is no table of contents
    assert (
        spans_of(
            "Section 1 Accelerating AI Utilization\n" + BODY + "\nSection 1 Accelerating AI Utilization\n",
            "toc",
        )
        == []
    )


def test_url_lines_and_available_at_boilerplate():
    text = (
        BODY
        + "https://www.gov.uk/government/publications/ai-regulation\n"
        + ("This publication is available at https://www.gov.uk/official-documents\n" + BODY)
    )
    assert spans_of(text, "url") == ["https://www.gov.uk/government/publications/ai-regulation"]
    assert spans_of(text, "url_tail") == [" available at https://www.gov.uk/official-documents"]
    assert is_noise_sentence("This publication is available at https://www.gov.uk/official-documents")
    assert not is_noise_sentence(
        "The guidance, available at https://x.org/a, tells regulators how to apply it."
    )


def test_footnote_marks_need_their_footnote():
    text = "This matters for policy.12 The plan continues in year8. Data4 is a company.\n12 See the annex.\n8 Ibid.\n4 x"
    refs = [
        (text[s.start - 5 : s.start], text[s.start : s.end])
        for s in noise_spans(text)
        if s.kind == "footnote_ref"
    ]
    assert refs == [("licy.", "12"), (" year", "8")]
    assert "year8" not in NoiseIndex(noise_spans(text)).search_text(text, 0, len(text))


def test_soft_hyphenation_is_joined_only_for_words_the_document_spells_whole():
    text = (
        "The regulation applies. Each regu-\nlation is reviewed; a high-\nrisk system and a high-risk one.\n"
    )
    kinds = [(text[s.start - 4 : s.start], s.kind) for s in noise_spans(text)]
    assert kinds == [("regu", "hyphenation")]
    assert "Each regulation is reviewed; a high-\nrisk" in NoiseIndex(noise_spans(text)).search_text(
        text, 0, len(text)
    )


def test_cover_page_from_page_markers():
    data = ("---- Page 1 ----\nHong Kong\nGuideline\nApril 2025\n---- Page 2 ----\n" + BODY).encode()
    document = load_bytes(data, "guideline.txt")
    assert spans_of(document.text, "cover", page_starts=document.page_starts) == [
        "Hong Kong",
        "Guideline",
        "April 2025",
    ]


def test_sentences_with_page_furniture_are_not_candidates():
    assert not is_candidate("the regulators will publish their\n7\nstrategic approach to AI by April.")
    assert not is_candidate("Governance of Generative AI .............................. 9")
    assert not is_candidate("Page 3 of 40")
    assert is_candidate("Regulators will publish their strategic approach to AI by 30 April 2024.")
    assert is_candidate("(1) The purpose of this Regulation is to improve the functioning of the market.")


def check_chunks(chunker: Chunker, document: Document) -> list:
    noise = NoiseIndex(noise_spans(document.text, document.page_starts, document.metadata.title))
    chunks = chunker.chunk(document)
    assert chunks
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.search_text is not None
        for span in noise.overlapping(chunk.start, chunk.end):
            if span.blocking and span.start >= chunk.start and span.end <= chunk.end:
                noise_text = document.text[span.start : span.end]
                assert noise_text not in chunk.search_text.split("\n"), noise_text
        assert chunk.noise == noise.line_spans(chunk.start, chunk.end)
        for start, end in passage_sentences(chunk.text):
            if noise.is_noise(chunk.start + start, chunk.start + end):
                assert not is_candidate(chunk.text[start:end]), chunk.text[start:end]
        for start, end in passage_sentences(chunk.text, noise=chunk.local_noise()):
            assert not noise.is_noise(chunk.start + start, chunk.start + end), chunk.text[start:end]
    return chunks


def test_cut_around_keeps_the_body_between_spans_exactly():
    text = "The plan was\nPage 4\nHEADER\nadopted in May.  "
    page, header = text.index("Page 4"), text.index("HEADER")
    spans = [(page, page + 6), (header, header + 6)]
    pieces = cut_around(text, 0, len(text), spans)
    assert [(text[s:e], is_span) for s, e, is_span in pieces] == [
        ("The plan was", False),
        ("Page 4", True),
        ("HEADER", True),
        ("adopted in May.", False),
    ]
    assert cut_around(text, 0, 12, spans) == [(0, 12, False)]


def test_a_sentence_across_a_page_break_is_cut_around_its_running_header():
    # NIST's AI RMF: "... being designed, developed,\nPage 20\n\n---- Page 25 ----\nNIST AI 100-1 AI RMF
    # 1.0\ndeployed, or evaluated - which ..." was quoted with its header; the header's words also matched
    # every question naming the framework.
    text = (
        "Teams review the system as it is designed, developed,\nPage 20\n\nNIST AI 100-1 AI RMF 1.0\n"
        "deployed, or evaluated - which can surface emergent risks.\nThe Playbook is available online."
    )
    header = text.index("NIST AI 100-1")
    page = text.index("Page 20")
    noise = ((page, page + 7), (header, header + len("NIST AI 100-1 AI RMF 1.0")))
    plain = [text[s:e] for s, e in passage_sentences(text)]
    assert any(sentence.startswith("NIST AI 100-1") for sentence in plain)
    cut = [text[s:e] for s, e in passage_sentences(text, noise=noise)]
    assert cut == [
        "Teams review the system as it is designed, developed,",
        "deployed, or evaluated - which can surface emergent risks.",
        "The Playbook is available online.",
    ]


def test_chunks_leave_page_furniture_out_of_what_they_embed(embedder):
    chunker = Chunker(ChunkingSettings(max_tokens=128), embedder)
    document = make_document(paged_text(), title="A pro-innovation approach to AI regulation")
    chunks = check_chunks(chunker, document)
    for chunk in chunks:
        assert "response" not in chunk.search_text
        embedded = chunker.embedding_text(document.metadata.title, chunk)
        assert embedded.endswith(chunk.search_text)


# --- the real corpus (skipped when ../shared/data is absent) -------------------------------------------


def corpus_documents(*names: str) -> list[Document]:
    folder = shared_data("policy-corpus")
    return [load_document(Path(folder) / name) for name in names]


REAL = [
    "uk_ai_regulation_white_paper_consultation_response_2024.md",
    "us_americas_ai_action_plan_2025.md",
    "de_ai_strategy_2020_update_en.md",
    "hk_generative_ai_technical_application_guideline_2025.md",
    "us_nist_ai_rmf_1_0_ai_100_1_2023.md",
    "cn_most_aidp_2017_official_english_summary.md",
]


@pytest.mark.parametrize("name", REAL)
def test_real_noise_spans_are_exact_and_spare_body_sentences(name):
    (document,) = corpus_documents(name)
    text = document.text
    spans = noise_spans(text, document.page_starts, document.metadata.title)
    assert spans == sorted(spans)
    kinds = {s.kind for s in spans}
    assert kinds & {"running_header", "page_number", "page_marker", "toc"}
    for span in spans:
        piece = text[span.start : span.end]
        assert piece.strip() and len(piece) < 400
        if span.blocking:  # whole lines, exactly
            assert text[span.start - 1 : span.start] in ("", "\n", " ", "\t") or text[: span.start].endswith(
                (" ", "\t")
            )
            assert "\n" not in piece
    share = sum(s.end - s.start for s in spans) / len(text)
    assert share < 0.12


def test_real_body_sentences_are_not_marked():
    uk, us, de = corpus_documents(*REAL[:3])
    for document, sentence in [
        (uk, "We are asking a number of regulators to publish an update outlining"),
        (us, "The United States is in a race to achieve global dominance in artificial intelligence (AI)."),
        (us, "America’s AI Action Plan has three pillars: innovation, infrastructure, and international"),
        (
            de,
            "With the update of the Artificial Intelligence Strategy, the Federal Government is focusing its",
        ),
    ]:
        start = document.text.index(sentence)
        noise = NoiseIndex(noise_spans(document.text, document.page_starts, document.metadata.title))
        assert not noise.is_noise(start, start + len(sentence)), sentence


def test_real_headers_found_on_every_page():
    (uk,) = corpus_documents(REAL[0])
    header = "A pro-innovation approach to AI regulation: government response to consultation"
    found = spans_of(uk.text, "running_header", page_starts=uk.page_starts, title=uk.metadata.title)
    assert found.count(header) >= 0.9 * uk.text.count(header + "\n")


@pytest.mark.parametrize("name", REAL[:2])
def test_real_chunks_are_exact_slices_and_no_candidate_holds_noise(embedder, name):
    (document,) = corpus_documents(name)
    chunker = Chunker(ChunkingSettings(), embedder)
    noise = NoiseIndex(noise_spans(document.text, document.page_starts, document.metadata.title))
    chunks = chunker.chunk(document)
    header = "AMERICA’S AI ACTION PLAN" if "americas" in name else "government response to consultation\n"
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert header not in chunk.search_text
        assert ".........." not in chunk.search_text
        assert chunk.noise == noise.line_spans(chunk.start, chunk.end)
        for start, end in passage_sentences(chunk.text, noise=chunk.local_noise()):
            # The answerer's sentences stop at the chunk's line noise: no running header starts or splits one.
            assert not noise.is_noise(chunk.start + start, chunk.start + end), chunk.text[start:end]


@pytest.mark.parametrize("name", [REAL[0], REAL[4]])
def test_real_contents_entries_name_no_body_text(embedder, name):
    # The response's contents end with "Annex D: Summary of impact assessment evidence 90" and NIST's with
    # "Appendix D: Attributes of the AI RMF 42": read as headings, they named the foreword and every section
    # up to the first heading the body repeats (a citation of the foreword said "Annex D: ...").
    (document,) = corpus_documents(name)
    chunks = Chunker(ChunkingSettings(), embedder).chunk(document)
    entry = "Annex D: Summary of impact assessment evidence 90" if "uk_" in name else "Appendix D: Attributes"
    first_body = "The world is on the cusp" if "uk_" in name else "AI risk management offers a path"
    assert not any(entry in " > ".join(c.heading_path) for c in chunks)
    holder = next(c for c in chunks if first_body in c.text)
    assert not any(h.startswith(("Annex", "Appendix")) for h in holder.heading_path)
