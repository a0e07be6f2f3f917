"""The three ingests compared side by side: ours, the bare-encode ceiling and LangChain's textbook pipeline.

Each contender's model is loaded before its clock starts, so every time below is files (or texts) in,
searchable index (or vectors) out.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError
from ..index.embedder import Embedder, resolve_model
from ..ingest.loaders import load_document
from ..service import Assistant
from .corpus import BenchCorpus
from .stats import MemoryPeak

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}


def run_settings(base: Settings, data_dir: Path) -> Settings:
    """`base` with its own data folder (and, on a Chroma server, its own collection)."""
    store = {"path": data_dir / "chroma"}
    if base.store.mode == "http":
        store["collection"] = f"bench_{uuid.uuid4().hex[:12]}"  # type: ignore[assignment]
    return base.model_copy(
        update={"data_dir": data_dir, "store": base.store.model_copy(update=store)}, deep=True
    )


def drop_index(assistant: Assistant) -> None:
    """Close an index and remove it (a collection on a Chroma server is deleted too)."""
    if assistant.settings.store.mode == "http":
        assistant.index.store.drop()
    assistant.close()
    assistant.index.close()  # also detaches its sentence vectors from the shared embedder
    shutil.rmtree(assistant.settings.data_dir, ignore_errors=True)


# --- ours -------------------------------------------------------------------------------------------------


@dataclass
class OursIngest:
    """One full ingest by the assistant, then a re-ingest unchanged and one after editing a document."""

    seconds: float
    embed_seconds: float
    documents: int
    chunks: int
    peak_mb: float
    growth_mb: float
    unchanged_seconds: float
    changed_seconds: float
    changed_chunks: int  # chunks embedded by the re-ingest after the edit
    changed_document_chunks: int  # chunks of the edited document
    texts: list[str] = field(repr=False)


def ingest_ours(
    corpus: BenchCorpus, settings: Settings, embedder: Embedder, data_dir: Path
) -> tuple[OursIngest, Assistant]:
    """Ingest the corpus into a fresh index; returns the figures and the assistant over that index."""
    assistant = Assistant(run_settings(settings, data_dir), embedder=embedder)
    texts: list[str] = []
    encode_seconds = [0.0]

    def observe(batch: Sequence[str], seconds: float) -> None:
        texts.extend(batch)
        encode_seconds[0] += seconds

    embedder.observers.append(observe)
    try:
        with MemoryPeak() as memory:
            started = time.perf_counter()
            report = assistant.ingest([corpus.root])
            seconds = time.perf_counter() - started
    finally:
        embedder.observers.remove(observe)
    failed = [i for i in report.items if i.status == "failed"]
    if failed:
        raise ConfigError(f"the benchmark ingest failed for {failed[0].source}: {failed[0].message}")

    started = time.perf_counter()
    again = assistant.ingest([corpus.root])
    unchanged_seconds = time.perf_counter() - started
    if again.summary["chunks_embedded"]:
        raise ConfigError("re-ingesting the unchanged benchmark corpus embedded chunks again")

    path = corpus.changed_document()
    original = corpus.change(path)
    embedded: list[str] = []
    embedder.observers.append(lambda batch, _: embedded.extend(batch))
    try:
        started = time.perf_counter()
        changed = assistant.ingest([corpus.root])
        changed_seconds = time.perf_counter() - started
    finally:
        embedder.observers.pop()
        path.write_text(original, encoding="utf-8")
    if changed.summary["updated"] != 1:
        raise ConfigError(f"editing {path.name} did not update exactly one document: {changed.summary}")
    result = OursIngest(
        seconds=seconds,
        embed_seconds=encode_seconds[0],
        documents=report.summary["added"],
        chunks=report.chunks_total,
        peak_mb=memory.peak_mb,
        growth_mb=memory.growth_mb,
        unchanged_seconds=unchanged_seconds,
        changed_seconds=changed_seconds,
        changed_chunks=len(embedded),
        changed_document_chunks=changed.summary["chunks_embedded"],
        texts=texts,
    )
    # Put the edited document back so that the index matches the corpus again for the query benchmark.
    assistant.ingest([corpus.root])
    return result, assistant


# --- the ceiling --------------------------------------------------------------------------------------------


class BareEncoder:
    """The same model with nothing around it: in a plain SentenceTransformer (the ceiling as tutorials
    run the model) and, when the assistant runs it on another runtime (onnx), in that runtime alone."""

    def __init__(self, settings: Settings) -> None:
        from sentence_transformers import SentenceTransformer

        target, _ = resolve_model(settings.embedding.model)
        self.batch_size = settings.embedding.batch_size
        self.backend = settings.embedding.backend
        self.model = SentenceTransformer(target, device=settings.embedding.device)
        self.runtime: Any = None
        if self.backend == "onnx":
            from ..index.onnx_encoder import OnnxEncoder

            self.runtime = OnnxEncoder.load(
                target, settings.embedding.onnx_cache, settings.embedding.precision
            )

    def encode(self, texts: Sequence[str]) -> tuple[float, Any]:
        """Seconds to encode `texts` in one `encode` call (it sorts by length and loops over batches)."""
        started = time.perf_counter()
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return time.perf_counter() - started, vectors

    def encode_runtime(self, texts: Sequence[str]) -> float | None:
        """Seconds to encode `texts` with the assistant's runtime alone (None when it is sentence-transformers)."""
        if self.runtime is None:
            return None
        started = time.perf_counter()
        self.runtime.encode(list(texts), self.batch_size)
        return time.perf_counter() - started

    def encode_query(self, text: str) -> tuple[float, Any]:
        """One query on the assistant's runtime, with nothing around it."""
        started = time.perf_counter()
        if self.runtime is not None:
            vector = self.runtime.encode([text], 1)[0]
        else:
            vector = self.model.encode(text, normalize_embeddings=True, convert_to_numpy=True)
        return time.perf_counter() - started, vector


# --- the textbook pipeline ------------------------------------------------------------------------------------


@dataclass
class BaselineIngest:
    seconds: float
    chunks: int
    peak_mb: float
    growth_mb: float
    texts: list[str] = field(repr=False)


class LangChainBaseline:
    """LangChain's textbook RAG ingest: split 1000/200, HuggingFaceEmbeddings, Chroma.from_documents, k=5."""

    def __init__(self, settings: Settings) -> None:
        try:
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError as exc:
            raise ConfigError(
                "the LangChain baseline needs the bench extra: pip install -e '.[bench]'"
            ) from exc
        target, _ = resolve_model(settings.embedding.model)
        # As the tutorials write it: the model by name (here its packaged folder), default encode options.
        self.embeddings = HuggingFaceEmbeddings(
            model_name=target, model_kwargs={"device": settings.embedding.device}
        )

    def ingest(self, corpus: BenchCorpus, persist_dir: Path) -> tuple[BaselineIngest, Any]:
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        with MemoryPeak() as memory:
            started = time.perf_counter()
            documents = [_langchain_document(path) for path in corpus.files]
            splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
            chunks = splitter.split_documents(documents)
            store = Chroma.from_documents(
                chunks,
                self.embeddings,
                collection_name="baseline",
                persist_directory=str(persist_dir),
                client_settings=ChromaSettings(anonymized_telemetry=False),
            )
            seconds = time.perf_counter() - started
        result = BaselineIngest(
            seconds=seconds,
            chunks=len(chunks),
            peak_mb=memory.peak_mb,
            growth_mb=memory.growth_mb,
            texts=[c.page_content for c in chunks],
        )
        return result, store

    @staticmethod
    def search_ms(store: Any, question: str) -> float:
        started = time.perf_counter()
        store.similarity_search(question, k=5)
        return (time.perf_counter() - started) * 1000.0


def _langchain_document(path: Path) -> Any:
    """What TextLoader gives for a text file; other formats go through our loaders (no textbook loader)."""
    from langchain_core.documents import Document

    if path.suffix.lower() in TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        text = load_document(path).text
    return Document(page_content=text, metadata={"source": str(path)})
