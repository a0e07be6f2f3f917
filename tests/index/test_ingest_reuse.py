"""Updating a document re-embeds only the chunks whose embedded text changed; the result equals a clean run."""

import numpy as np

from tests.support import write


def doc(title: str, sections: list[str]) -> str:
    body = "\n\n".join(
        f"## Section {i}\n\n{text} Agencies shall report on measure {i} every year, naming the official "
        f"responsible and the risks found during deployment of system {i}."
        for i, text in enumerate(sections)
    )
    return f'---\ntitle: "{title}"\nlanguage: "en"\n---\n\n{body}\n'


SECTIONS = [
    f"Measure {i} covers the procurement of computing capacity for public research." for i in range(12)
]


def stored(assistant):
    ids = sorted(assistant.index.catalog.committed_chunk_ids())
    vectors = assistant.index.store.vectors(ids)
    return ids, vectors


def test_an_edit_re_embeds_only_the_touched_chunks(tmp_path, make_assistant, embedder):
    corpus = tmp_path / "corpus"
    write(corpus / "plan.md", doc("Compute plan", SECTIONS))
    write(corpus / "other.md", doc("Other plan", SECTIONS[:3]))
    assistant = make_assistant()
    assistant.ingest([corpus])
    before = assistant.index.catalog.chunk_ids_of("plan")
    assert len(before) > 4

    edited = [*SECTIONS]
    edited[5] = "Measure 5 now covers sovereign cloud hosting for ministries."
    write(corpus / "plan.md", doc("Compute plan", edited))
    embedded: list[str] = []
    embedder.observers.append(lambda texts, _: embedded.extend(texts))
    try:
        report = assistant.ingest([corpus])
    finally:
        embedder.observers.pop()
    item = next(i for i in report.items if i.doc_id == "plan")
    assert item.status == "updated"
    assert 0 < len(embedded) < len(before), "only chunks around the edit are embedded again"
    assert all("sovereign cloud" in text for text in embedded)
    assert item.message and "unchanged" in item.message

    clean = make_assistant()
    clean.ingest([corpus])
    ids, vectors = stored(assistant)
    clean_ids, clean_vectors = stored(clean)
    assert ids == clean_ids
    for chunk_id in ids:
        assert np.allclose(vectors[chunk_id], clean_vectors[chunk_id], atol=1e-5), chunk_id
    assert assistant.retrieve("sovereign cloud hosting").passages[0].doc_id == "plan"


def test_a_new_title_re_embeds_every_chunk(tmp_path, make_assistant, embedder):
    corpus = tmp_path / "corpus"
    write(corpus / "plan.md", doc("Compute plan", SECTIONS[:4]))
    assistant = make_assistant()
    assistant.ingest([corpus])
    n = len(assistant.index.catalog.chunk_ids_of("plan"))
    write(corpus / "plan.md", doc("National compute plan", SECTIONS[:4]))  # same chunk texts, new prefix
    embedded: list[str] = []
    embedder.observers.append(lambda texts, _: embedded.extend(texts))
    try:
        assistant.ingest([corpus])
    finally:
        embedder.observers.pop()
    assert len(embedded) == n
    assert all(text.startswith("National compute plan") for text in embedded)
