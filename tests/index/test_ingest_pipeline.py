"""Incremental, crash-safe ingest with the real model and a real Chroma (embedded and server)."""

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from assistant.errors import IndexMismatchError
from tests.support import ROOT, make_pdf, old_sqlite_file, write


def doc(title: str, body: str) -> str:
    return f'---\ntitle: "{title}"\nissuing_body: "Test Body"\ndate: "2024-05-01"\nlanguage: "en"\n---\n\n{body}\n'


def sample_corpus(folder, n=6):
    for i in range(n):
        paragraphs = "\n\n".join(
            f"## Part {j}\n\nMeasure {i}.{j} requires agencies to publish an annual report on system {i}-{j}. "
            f"Report {i}.{j} must list risks, mitigations and the responsible official for each deployment."
            for j in range(8)
        )
        write(folder / f"policy-{i}.md", doc(f"Policy {i}", paragraphs))
    return folder


def state(assistant):
    """Everything that must agree after any ingest: catalog, Chroma and BM25."""
    catalog_ids = assistant.index.catalog.committed_chunk_ids()
    chroma_ids = assistant.index.store.all_ids()
    bm25_ids = set(assistant.index.lexical().index.ids)
    pending = {d for d, s in assistant.index.catalog.states().items() if s.status != "committed"}
    return catalog_ids, chroma_ids, bm25_ids, pending


def assert_consistent(assistant):
    catalog_ids, chroma_ids, bm25_ids, pending = state(assistant)
    assert catalog_ids == chroma_ids == bm25_ids
    assert not pending
    return catalog_ids


def test_second_run_embeds_nothing_and_changes_are_applied(tmp_path, make_assistant):
    corpus = sample_corpus(tmp_path / "corpus")
    assistant = make_assistant()
    first = assistant.ingest([corpus])
    assert first.summary["added"] == 6 and first.summary["failed"] == 0
    ids = assert_consistent(assistant)

    again = assistant.ingest([corpus])
    assert again.summary["unchanged"] == 6 and again.summary["chunks_embedded"] == 0
    assert assert_consistent(assistant) == ids

    # change one, delete one, add one
    write(
        corpus / "policy-0.md",
        doc("Policy 0", "## Only part\n\nA completely rewritten policy text about data centres."),
    )
    (corpus / "policy-1.md").unlink()
    write(
        corpus / "policy-new.md",
        doc("Policy New", "## New\n\nA new policy on computing power and open source models."),
    )
    third = assistant.ingest([corpus])
    s = third.summary
    assert (s["updated"], s["removed"], s["added"], s["unchanged"]) == (1, 1, 1, 4)
    after = assert_consistent(assistant)
    assert not any(i.startswith(("policy-1:",)) for i in after), "removed document left chunks behind"
    old_policy0 = {i for i in ids if i.startswith("policy-0:")}
    assert not old_policy0 & after, "stale chunks of the changed document remain"
    hits = assistant.retrieve("computing power and open source models").passages
    assert hits[0].doc_id == "policy-new"


def test_reingest_after_changing_chunking_settings_redoes_everything(tmp_path, make_assistant):
    corpus = sample_corpus(tmp_path / "corpus", n=2)
    folder = tmp_path / "idx"
    make_assistant(folder).ingest([corpus])
    report = make_assistant(folder, chunking={"max_tokens": 128}).ingest([corpus])
    assert report.summary["updated"] == 2


def test_bad_inputs_are_reported_and_lose_nothing_else(tmp_path, make_assistant):
    corpus = sample_corpus(tmp_path / "corpus", n=2)
    (corpus / "empty.md").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (corpus / "corrupt.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (corpus / "latin1.txt").write_bytes(
        "Les données personnelles sont protégées par le règlement général.".encode("latin-1")
    )
    (corpus / "good.pdf").write_bytes(
        make_pdf([["Annual reporting on algorithmic transparency is required."]])
    )
    (corpus / "copy-of-policy-0.md").write_bytes((corpus / "policy-0.md").read_bytes())
    (corpus / "table.csv").write_text("a,b\n1,2\n")
    assistant = make_assistant()
    report = assistant.ingest([corpus, corpus / "policy-1.md", tmp_path / "missing.md", corpus / "table.csv"])
    by_source = {os.path.basename(i.source): i for i in report.items}
    assert by_source["empty.md"].status == "failed" and "empty" in by_source["empty.md"].message
    assert by_source["binary.txt"].status == "failed" and "binary" in by_source["binary.txt"].message
    assert by_source["corrupt.pdf"].status == "failed" and "PDF" in by_source["corrupt.pdf"].message
    assert by_source["missing.md"].status == "failed"
    assert by_source["table.csv"].status == "skipped"
    assert by_source["latin1.txt"].status == "added"
    assert by_source["good.pdf"].status == "added"
    copies = [i for i in report.items if i.source.endswith(("policy-0.md", "copy-of-policy-0.md"))]
    assert sorted(i.status for i in copies) == ["added", "skipped"]
    # policy-1.md was named twice (folder + file) but is ingested once
    assert sum(1 for i in report.items if i.source.endswith("policy-1.md")) == 1
    ids = {d.id for d in assistant.documents()}
    assert len(ids & {"policy-0", "copy-of-policy-0"}) == 1, "identical content is indexed once"
    assert ids - {"policy-0", "copy-of-policy-0"} == {"policy-1", "latin1", "good"}
    assert_consistent(assistant)


def test_same_file_name_in_two_folders_gets_two_ids(tmp_path, make_assistant):
    write(tmp_path / "a" / "policy.md", doc("A", "The first folder's policy on export controls of chips."))
    write(tmp_path / "b" / "policy.md", doc("B", "The second folder's policy on teacher training in AI."))
    assistant = make_assistant()
    report = assistant.ingest([tmp_path / "a", tmp_path / "b"])
    assert report.summary["added"] == 2
    assert len({d.id for d in assistant.documents()}) == 2


def test_reopening_with_another_model_is_a_clear_error(tmp_path, make_assistant):
    folder = tmp_path / "idx"
    make_assistant(folder).ingest([sample_corpus(tmp_path / "c", n=1)])
    from assistant.index.embedder import Embedder
    from assistant.service import Assistant
    from tests.support import make_settings

    other = make_settings(folder, embedding={"model": "some-other/model"})
    with pytest.raises(IndexMismatchError, match="embedding model"):
        Assistant(other, embedder=Embedder(other.embedding))  # the model is never loaded: the name decides


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from assistant.config import load_settings
    from assistant.service import Assistant
    from assistant.index import catalog, vector_store

    step, target = 0, int(sys.argv[3])
    def killer(fn):
        def wrapped(*args, **kwargs):
            global step
            result = fn(*args, **kwargs)
            step += 1
            if step == target:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapped
    for cls, names in ((catalog.Catalog, ("mark_pending", "commit_document", "delete_document")),
                       (vector_store.ChromaStore, ("add", "delete_document", "delete_ids"))):
        for name in names:
            setattr(cls, name, killer(getattr(cls, name)))
    Assistant(load_settings(profile="test", data_dir=sys.argv[1])).ingest([sys.argv[2]])
    print("finished")
    """
)


@pytest.mark.slow
def test_a_run_killed_at_any_step_then_rerun_equals_a_clean_run(tmp_path, make_assistant):
    corpus = sample_corpus(tmp_path / "corpus", n=4)
    clean = make_assistant(tmp_path / "clean")
    clean.ingest([corpus])
    expected = assert_consistent(clean)
    # Every write step of a first ingest (4 documents x 4 steps), each killed with SIGKILL.
    for target in (1, 2, 3, 4, 6, 11, 16):
        folder = tmp_path / f"killed-{target}"
        run = subprocess.run(
            [sys.executable, "-c", KILL_SCRIPT, str(folder), str(corpus), str(target)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
        assistant = make_assistant(folder)
        report = assistant.ingest([corpus])
        assert report.summary["failed"] == 0
        assert assert_consistent(assistant) == expected, f"state differs after a kill at step {target}"
        assert len(assistant.documents()) == 4


@pytest.mark.slow
def test_a_run_killed_while_updating_and_removing_recovers(tmp_path, make_assistant):
    corpus = sample_corpus(tmp_path / "corpus", n=3)
    folder = tmp_path / "idx"
    make_assistant(folder).ingest([corpus])
    write(
        corpus / "policy-0.md",
        doc("Policy 0", "## Changed\n\nA changed policy on semiconductor supply chains."),
    )
    (corpus / "policy-2.md").unlink()
    for target in (1, 2, 3, 5):
        run = subprocess.run(
            [sys.executable, "-c", KILL_SCRIPT, str(folder), str(corpus), str(target)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert run.returncode in (-signal.SIGKILL, 0), run.stderr[-2000:]
    assistant = make_assistant(folder)
    assistant.ingest([corpus])
    ids = assert_consistent(assistant)
    clean = make_assistant(tmp_path / "clean")
    clean.ingest([corpus])
    assert ids == assert_consistent(clean)


def test_http_chroma_server_mode(tmp_path, make_assistant, chroma_server):
    host, port = chroma_server
    corpus = sample_corpus(tmp_path / "corpus", n=3)
    store = {"mode": "http", "host": host, "port": port, "collection": f"test_{tmp_path.name[-20:]}"}
    assistant = make_assistant(store=store)
    report = assistant.ingest([corpus])
    assert report.summary["added"] == 3
    assert_consistent(assistant)
    assert assistant.index.store.count() == assistant.index.count()
    assert assistant.ready() == {"model_loaded": True, "store_reachable": True}
    hits = assistant.retrieve("annual report on system 2-3").passages
    assert hits and hits[0].doc_id == "policy-2"
    again = assistant.ingest([corpus])
    assert again.summary["unchanged"] == 3
    # another index (another data_dir) must not take over this collection
    with pytest.raises(IndexMismatchError, match="another index"):
        make_assistant(store=store).index.store.count()


def test_unreachable_chroma_server_is_reported(tmp_path, make_assistant):
    from assistant.errors import StoreUnavailableError
    from tests.support import free_port

    assistant = make_assistant(store={"mode": "http", "port": free_port(), "timeout": 2})
    assert assistant.ready()["store_reachable"] is False
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        assistant.retrieve("anything at all")


@pytest.mark.parametrize("mode", ["persistent", "http"])
def test_the_hnsw_search_breadth_is_applied_to_new_and_existing_collections(
    tmp_path, make_assistant, request, mode
):
    # Chroma's own ef_search (100) let one query return different neighbours from one process to the next
    # over the real corpus; the configured one is set on the collection however it was made.
    store: dict[str, object] = {}
    if mode == "http":
        host, port = request.getfixturevalue("chroma_server")
        store = {"mode": "http", "host": host, "port": port, "collection": f"ef_{tmp_path.name[-20:]}"}
    folder = tmp_path / "index"
    first = make_assistant(folder, store={**store, "hnsw_ef_search": 64})
    first.ingest([sample_corpus(tmp_path / "corpus", n=3)])
    assert first.index.store.collection.configuration["hnsw"]["ef_search"] == 64
    first.close()
    reopened = make_assistant(folder, store={**store, "hnsw_ef_search": 300})
    assert reopened.index.store.collection.configuration["hnsw"]["ef_search"] == 300
    assert reopened.index.store.collection.configuration["hnsw"]["space"] == "cosine"
    assert reopened.retrieve("annual report on system 2-3").passages[0].doc_id == "policy-2"


HEADER = "A pro-innovation approach to AI regulation: response"


def paged_policy() -> str:
    """Six pages whose last sentence runs on over the page number and running header into the next page."""
    pages = []
    for n in range(1, 7):
        pages.append(
            f"Regulators will publish guidance on artificial intelligence in sector {n} of the economy. "
            "Each regulator will set out how it applies the principles to the firms it oversees.\n"
            f"The central function will collect reports from regulator {n} and from the\n{n}\n{HEADER}\n"
            f"sector bodies, and it will publish a summary of them every spring, page {n} says.\n"
        )
    return "".join(pages)


def test_chunks_keep_their_line_noise_and_quotes_stop_at_it(tmp_path, make_assistant):
    corpus = tmp_path / "corpus"
    write(corpus / "paged.md", doc("A pro-innovation approach to AI regulation", paged_policy()))
    assistant = make_assistant()
    assistant.ingest([corpus])
    rows = assistant.index.catalog.chunk_rows()
    text = assistant.index.catalog.document("paged").text
    noise = {(s, e) for row in rows for s, e in row.noise}
    headers = [m.start() for m in re.finditer(re.escape(HEADER), text)]
    assert {(s, e) for s, e in noise if text[s:e] == HEADER} == {(s, s + len(HEADER)) for s in headers}
    assert sorted(text[s:e] for s, e in noise if text[s:e] != HEADER) == [str(n) for n in range(1, 7)]
    answer = assistant.ask("What will the central function publish every spring?")
    assert answer.citations
    for citation in answer.citations:
        assert HEADER not in citation.quote and "\n3\n" not in citation.quote
        assert text[citation.start : citation.end] == citation.quote


def test_a_catalog_from_before_the_noise_column_opens_and_reads(tmp_path):
    from assistant.index.catalog import Catalog

    path = old_sqlite_file(
        tmp_path / "catalog.sqlite",
        "CREATE TABLE chunks (id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, "
        'start INTEGER NOT NULL, "end" INTEGER NOT NULL, heading TEXT NOT NULL, page INTEGER, page_end INTEGER, '
        "n_tokens INTEGER NOT NULL, text TEXT NOT NULL, terms TEXT NOT NULL);",
    )
    catalog = Catalog(path)
    try:
        columns = {row[1] for row in catalog._db.execute("PRAGMA table_info(chunks)")}
        assert "noise" in columns
        assert catalog.chunk_rows() == []
    finally:
        catalog.close()
