from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import ChunkingSettings
from assistant.ingest.chunking import Chunker
from assistant.models import Document
from tests.support import make_document

WORDS = [
    "The",
    "Commission",
    "shall",
    "adopt",
    "acts",
    "AI",
    "systems",
    "high-risk",
    "providers",
    "2027",
    "70%",
    "Article",
    "5",
    "(a)",
    "e.g.",
    "人工智能",
    "智能终端",
    "应用普及率",
    "。",
    ".",
    ",",
    ";",
    "\n",
    "\n\n",
    "## Heading",
    "CHAPTER II",
    "第三条",
    "一、",
    "（一）",
    "Annex",
    "III",
    "supercalifragilisticexpialidocious",
]


def check_invariants(chunker: Chunker, document: Document) -> list:
    chunks = chunker.chunk(document)
    text = document.text
    covered: set[int] = set()
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip()
        covered.update(range(chunk.start, chunk.end))
        embedded = chunker.embedding_text(document.metadata.title, chunk)
        tokens = chunker.counter.count_tokens([embedded])[0] + chunker.counter.special_tokens
        assert tokens <= chunker.embedder_limit
        assert tokens == chunk.n_tokens
    missing = [i for i, c in enumerate(text) if not c.isspace() and i not in covered]
    assert not missing, f"uncovered characters: {[text[i] for i in missing[:20]]}"
    assert len({c.id for c in chunks}) == len(chunks)
    return chunks


def make_chunker(embedder, **overrides) -> Chunker:
    chunker = Chunker(ChunkingSettings(**overrides), embedder)
    chunker.embedder_limit = embedder.max_seq_length
    return chunker


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=900).map(" ".join),
    st.integers(min_value=40, max_value=400),
    st.integers(min_value=0, max_value=80),
)
def test_chunks_slice_exactly_cover_everything_and_fit_the_model(embedder, text, max_tokens, overlap):
    chunker = make_chunker(embedder, max_tokens=max_tokens, overlap_tokens=overlap)
    check_invariants(chunker, make_document(text))


def test_one_huge_sentence_without_spaces_is_still_cut_to_fit(embedder):
    check_invariants(make_chunker(embedder), make_document("人工智能" * 3000))
    check_invariants(make_chunker(embedder), make_document("x" * 20000))


def test_very_long_title_and_headings_do_not_break_the_limit(embedder):
    text = "\n\n".join(
        f"# {'Very long heading ' * 40}{i}\n\nThe body sentence number {i} is here." for i in range(5)
    )
    check_invariants(make_chunker(embedder), make_document(text, title="Title " * 200))


def test_chunks_follow_articles_and_overlap_by_whole_sentences(embedder):
    sentences = [
        f"Providers of high-risk systems shall keep record number {i} for ten years." for i in range(60)
    ]
    text = "CHAPTER III\n\nHIGH-RISK AI SYSTEMS\n\nArticle 12\n\nRecord-keeping\n\n" + " ".join(sentences)
    text += "\n\nArticle 13\n\nTransparency\n\nDeployers shall be informed about the system."
    chunker = make_chunker(embedder, max_tokens=128, overlap_tokens=30)
    chunks = check_invariants(chunker, make_document(text))
    article_12 = [c for c in chunks if c.heading_path[-1:] == ["Article 12 — Record-keeping"]]
    assert len(article_12) > 2
    assert all(c.heading_path[0] == "CHAPTER III — HIGH-RISK AI SYSTEMS" for c in chunks)
    # The chapter heading has no text of its own: it is carried into the first article chunk.
    assert article_12[0].text.startswith("CHAPTER III")
    for left, right in zip(article_12, article_12[1:], strict=False):
        assert right.start < left.end, "consecutive chunks of one article overlap"
        overlap = text[right.start : left.end]
        assert overlap.strip().endswith(".") and overlap.strip()[0].isupper(), "overlap is whole sentences"
    assert chunks[-1].heading_path[-1] == "Article 13 — Transparency"
    assert "Article 13" not in article_12[-1].text


def test_chunk_ids_are_stable_and_depend_on_content(embedder):
    chunker = make_chunker(embedder)
    body = "This section has enough words of its own to stand alone as a chunk of the document. " * 2
    text = f"# One\n\nFirst {body}\n\n# Two\n\nSecond {body}"
    first = [c.id for c in chunker.chunk(make_document(text))]
    assert first == [c.id for c in chunker.chunk(make_document(text))]
    changed = [c.id for c in chunker.chunk(make_document(text.replace("Second", "Changed")))]
    assert first[0] == changed[0] and first[1] != changed[1]


def test_pages_are_recorded(embedder):
    text = (
        "First page sentence that is long enough.\n\n" * 30
        + "Second page sentence that is long enough.\n\n" * 30
    )
    doc = make_document(text)
    doc.page_starts = [(0, 1), (text.index("Second"), 2)]
    chunks = check_invariants(make_chunker(embedder, max_tokens=64), doc)
    assert chunks[0].page == 1 and chunks[-1].page == 2
