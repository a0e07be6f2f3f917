"""The Assistant: the one service behind the CLI, the HTTP API, the Slack bot and the evaluation harness."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

from .answer.backends import AnswerBackend, GenerationRequest, create_backend
from .answer.citations import CitationVerifier, VerifiedAnswer, looks_like_instruction
from .answer.claim_check import ClaimCheck, check_claim
from .answer.condense import Condensed, condense_question
from .answer.evidence import Evidence, EvidenceScorer, is_candidate, passage_sentences, sentence_terms
from .answer.glosses import with_glosses
from .answer.specifics import describe, specifics
from .caches import CacheStats, lru_cache_stats
from .config import Settings, load_settings
from .errors import BackendError, InvalidInputError, NotFoundError
from .index.embedder import Embedder
from .index.passage_index import PassageIndex
from .ingest.pipeline import IngestPipeline
from .language.chinese import SEARCH_WORDS_CACHE
from .lifecycle.model import LinkedRelation
from .lifecycle.notices import add_notices
from .lifecycle.questions import status_answer
from .lifecycle.registry import LifecycleRegistry
from .models import (
    Answer,
    ChatMessage,
    Document,
    DocumentInfo,
    Filters,
    IngestReport,
    Passage,
    PassageScores,
    StageTimings,
    StreamEvent,
)
from .retrieve.hybrid import HybridRetriever, Retrieval, to_passage

log = logging.getLogger(__name__)

FALLBACK_BACKEND = "extractive"
# Condensation failures that mean the model cannot be reached: answering would only fail the same way.
UNREACHABLE = frozenset({"timeout", "connection", "rate_limited", "server_error", "http_error"})


class Assistant:
    """Ingests documents and answers questions about them with verified citations."""

    def __init__(
        self, settings: Settings | None = None, *, embedder: Embedder | None = None, rebuild: bool = False
    ) -> None:
        """With `rebuild`, the index is emptied first, whichever embedding model (or precision) built it, so
        that the next ingest embeds everything with the configured one (`assistant ingest --rebuild`)."""
        self.settings = settings or load_settings()
        self.embedder = embedder or Embedder(self.settings.embedding)
        self.index = PassageIndex(self.settings, self.embedder, rebuild=rebuild)
        if rebuild:
            self.index.reset()
        self.pipeline = IngestPipeline(self.settings, self.embedder, self.index)
        self.retriever = HybridRetriever(self.index, self.embedder, self.settings.retrieval)
        stemmer = self.settings.retrieval.bm25.stemmer
        self.scorer = EvidenceScorer(self.embedder, self.settings.answer.evidence, stemmer)
        self.verifier = CitationVerifier(
            self.embedder, stemmer, self.settings.answer.verification.min_support
        )
        self._backends: dict[str, AnswerBackend] = {}
        self._backend_lock = threading.Lock()
        self._fallbacks: Counter[tuple[str, str]] = Counter()
        self._write_lock = threading.Lock()
        self.lifecycle = LifecycleRegistry(self.index.catalog)

    # --- documents --------------------------------------------------------------------------------------

    def ingest(
        self, paths: Iterable[str | Path], *, progress: bool = False, prune: bool = True
    ) -> IngestReport:
        """Bring the index in line with these files and folders (unchanged documents are skipped)."""
        with self._write_lock:
            return self.pipeline.run([Path(p) for p in paths], progress=progress, prune=prune)

    def ingest_bytes(self, data: bytes, filename: str, *, source: str | None = None) -> IngestReport:
        """Ingest one uploaded file."""
        with self._write_lock:
            return self.pipeline.run_bytes(data, filename, source=source)

    def rebuild(self) -> None:
        """Forget the whole index (the next ingest embeds everything again)."""
        with self._write_lock:
            self.index.reset()

    def delete_document(self, doc_id: str) -> None:
        with self._write_lock:
            if doc_id not in {d.id for d in self.documents()}:
                raise NotFoundError(f"no document with id {doc_id!r}")
            self.pipeline.remove(doc_id)

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their lifecycle: status today, identifiers, relations."""
        view = self.lifecycle.view()
        return [
            d.model_copy(
                update={
                    "status": view.status(d.id).status,
                    "identifiers": view.identifiers(d.id),
                    "relations": view.relations(d.id),
                }
            )
            for d in self.index.catalog.documents()
        ]

    def relations(self, doc_id: str) -> list[LinkedRelation]:
        """A document's outgoing and incoming relations, each with the passage (or field) that states it."""
        self.document(doc_id)  # NotFoundError for an unknown id
        return self.lifecycle.view().relations(doc_id)

    def in_force_filters(self, filters: Filters | None) -> Filters | None:
        """`in_force_on` turned into the documents in force that day (intersected with any `doc_ids`)."""
        if filters is None or filters.in_force_on is None:
            return filters
        allowed = self.lifecycle.view().in_force_on(filters.in_force_on)
        if filters.doc_ids:
            allowed &= set(filters.doc_ids)
        # No document in force: an id no document has, so that nothing matches (an empty list means "any").
        doc_ids = sorted(allowed) or ["(no document in force)"]
        return filters.model_copy(update={"doc_ids": doc_ids, "in_force_on": None})

    def document(self, doc_id: str) -> Document:
        document = self.index.catalog.document(doc_id)
        if document is None:
            raise NotFoundError(f"no document with id {doc_id!r}")
        return document

    def passage(self, passage_id: str) -> Passage:
        row = self.index.rows([passage_id]).get(passage_id)
        if row is None:
            raise NotFoundError(f"no passage with id {passage_id!r}")
        return to_passage(row, PassageScores())

    # --- questions --------------------------------------------------------------------------------------

    def retrieve(
        self, query: str, *, filters: Filters | None = None, top_k: int | None = None, mode: str | None = None
    ) -> Retrieval:
        return self.retriever.retrieve(
            self._check_question(query), filters=self.in_force_filters(filters), top_k=top_k, mode=mode
        )

    def check_claim(
        self, claim: str, *, filters: Filters | None = None, top_k: int | None = None, mode: str | None = None
    ) -> ClaimCheck:
        """Whether the documents support a claim, contradict it (other figures) or neither: the passages
        retrieved for it, judged by the citation verifier."""
        claim = self._check_question(claim)
        passages = self.retriever.retrieve(claim, filters=filters, top_k=top_k, mode=mode).passages
        return check_claim(self.verifier, claim, passages)

    def condense(
        self, question: str, history: list[ChatMessage] | None, *, backend: str | None = None
    ) -> str:
        """The standalone form of a follow-up question (by the backend's model when it has one, else by rules)."""
        return self.condensed(question, history, backend=backend).question

    def condensed(
        self, question: str, history: list[ChatMessage] | None, *, backend: str | None = None
    ) -> Condensed:
        """The standalone form of a follow-up with what retrieval searches with (`Condensed.search_text`)."""
        generator = self._backend(backend or self.settings.answer.backend)
        return self._condense(self._check_question(question), history, generator)

    def _condense(
        self, question: str, history: list[ChatMessage] | None, generator: AnswerBackend
    ) -> Condensed:
        llm = (
            getattr(generator, "condense_question", None)
            if getattr(generator, "can_condense", True)
            else None
        )
        return condense_question(question, history, llm, self.settings.answer.abstention_message)

    def ask(
        self,
        question: str,
        *,
        history: list[ChatMessage] | None = None,
        filters: Filters | None = None,
        top_k: int | None = None,
        backend: str | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer a question from the indexed documents, or abstain."""
        final: Answer | None = None
        for event in self.ask_stream(
            question, history=history, filters=filters, top_k=top_k, backend=backend, mode=mode
        ):
            if event.type == "final":
                final = event.answer
        assert final is not None
        return final

    def ask_stream(
        self,
        question: str,
        *,
        history: list[ChatMessage] | None = None,
        filters: Filters | None = None,
        top_k: int | None = None,
        backend: str | None = None,
        mode: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Answer as events: the retrieved sources, text deltas (with passage markers), then the final answer.

        The deltas carry the backend's raw text, whose [n] markers number the passages of the sources event;
        a delta with `reset` starts that text over (a retried stream or the extractive fallback). The final
        answer is the verified one, whose [n] markers number its citations. Nothing the backend does raises
        here: failures end in the extractive answer with `backend_fallback` and the reason.
        """
        started = time.perf_counter()
        question = self._check_question(question)
        backend_name = backend or self.settings.answer.backend
        generator = self._backend(backend_name)  # fail on an unknown backend before any work
        timings = StageTimings()
        as_of = filters.in_force_on if filters is not None else None
        filters = self.in_force_filters(filters)

        t = time.perf_counter()
        condensed = self._condense(question, history, generator)
        standalone = condensed.question
        timings.condense = _ms(t)

        retrieval = self.retriever.retrieve(condensed.search_text, filters=filters, top_k=top_k, mode=mode)
        for stage, value in retrieval.timings.items():
            setattr(timings, stage, value)
        passages = retrieval.passages
        yield StreamEvent(type="sources", passages=passages, standalone_question=standalone)

        # "Is EO 14110 still in effect?": a named document that is out of force is answered from its relations.
        status = status_answer(standalone, self.lifecycle.view(), self.index.catalog, as_of)
        if status is not None:
            text, citations, notices = status
            timings.total = _ms(started)
            answer = Answer(
                question=question,
                standalone_question=standalone,
                text=text,
                citations=citations,
                notices=notices,
                backend="lifecycle",
                passages=passages,
                timings=timings,
            )
            yield StreamEvent(type="final", answer=answer)
            return

        t = time.perf_counter()
        evidence = self._evidence(standalone, retrieval)
        timings.evidence = _ms(t)

        base = {
            "question": question,
            "standalone_question": standalone,
            "backend": backend_name,
            "evidence_score": round(evidence.score, 4),
            "passages": passages,
        }
        missing, unknown = [], []
        if self.settings.answer.require_specifics and passages:
            # "Article 118", "Executive Order 14117", "Brazil", "2040": passages on the topic that never
            # mention what the question pins down cannot answer it, however well they match otherwise.
            asked = specifics(standalone)
            evidence = evidence.led_by(asked.provision_passages(passages, retrieval.named_documents))
            base["evidence_score"] = round(evidence.score, 4)
            best = evidence.sentences[: self.settings.answer.extractive.max_sentences]
            # What the question pins down must be where its answer is: a passage that mentions Australia does
            # not make a sentence from another document an answer about Australia.
            # (A question naming several documents is answered from each: there, any passage.)
            answering = (
                [passages[i] for i in dict.fromkeys(s.passage for s in best)]
                if len(retrieval.named_documents) <= 1
                else passages
            )
            missing = asked.absent_from(answering, retrieval.named_documents) + asked.unstated(
                s.text for s in best
            )
            if not retrieval.named_by_name:
                missing += asked.unindexed_instruments(self.retriever.is_document_name)
            unknown = asked.unknown_names(self.index.knows)
        if evidence.score < self.settings.answer.abstain_threshold or missing or unknown:
            # The model is never called on weak evidence: abstention does not rest on its honesty.
            timings.total = _ms(started)
            if not passages:
                reason = "no passage matched the question"
            elif missing or unknown:
                reason = describe(missing, unknown)
            else:
                reason = "the evidence is below the threshold"
            yield StreamEvent(type="final", answer=self._abstention(base, reason, timings))
            return

        request = GenerationRequest(
            question=standalone,
            passages=passages,
            evidence=evidence,
            history=history or [],
            named_documents=retrieval.named_documents,
            translation=retrieval.translation,
        )
        t = time.perf_counter()
        skip = (
            condensed.error if condensed.error is not None and condensed.error.kind in UNREACHABLE else None
        )
        text, failure = yield from self._generate(generator, backend_name, request, skip)
        timings.generate = _ms(t)

        t = time.perf_counter()
        verified = None
        if failure is None:
            judge = (
                getattr(generator, "judge_support", None)
                if self.settings.answer.verification.llm_judge
                else None
            )
            verified = self.verifier.verify(text, passages, judge=judge)
            if verified.refusal and not verified.citations:
                timings.verify = _ms(t)
                timings.total = _ms(started)
                reason = "the backend found no answer in the passages"
                yield StreamEvent(type="final", answer=self._abstention(base, reason, timings))
                return
            if not verified.citations and backend_name != FALLBACK_BACKEND:
                if self.settings.answer.verification.on_ungrounded == "flag":
                    base.update(grounded=False)
                else:
                    failure = BackendError(
                        f"{backend_name}: the answer cited no passage that supports it", kind="ungrounded"
                    )
        if failure is not None:
            verified = yield from self._fall_back(backend_name, request, passages, failure)
            base.update(backend_fallback=True, fallback_reason=str(failure))
        assert verified is not None
        timings.verify = _ms(t)
        timings.total = _ms(started)
        if not verified.text.strip() or (not verified.citations and base.get("grounded", True)):
            yield StreamEvent(
                type="final",
                answer=self._abstention(base, "the backend found no answer in the passages", timings),
            )
            return
        answer = Answer(
            **{"grounded": verified.grounded, **base},
            text=verified.text,
            citations=with_glosses(verified.citations, standalone, retrieval.translation),
            unsupported_claims=verified.unsupported,
            timings=timings,
        )
        # A cited document that is revoked, superseded or (on the day asked about) not yet applicable.
        answer = add_notices(answer, self.lifecycle.view(), self.index.catalog, as_of)
        yield StreamEvent(type="final", answer=answer)

    def _generate(
        self, generator: AnswerBackend, name: str, request: GenerationRequest, skip: BackendError | None
    ) -> Generator[StreamEvent, None, tuple[str, BackendError | None]]:
        """Stream the backend's answer as deltas; return its text, or the error that ends the attempt.

        A stream that breaks after text arrived is started over up to the backend's `stream_restarts`
        (the first delta of the new attempt carries `reset`); nothing a backend raises escapes.
        """
        if skip is not None:
            return "", skip
        restarts = int(getattr(generator, "stream_restarts", 0))
        reset = False
        for attempt in range(restarts + 1):
            pieces: list[str] = []
            try:
                for piece in generator.generate(request):
                    if not isinstance(piece, str):
                        raise BackendError(
                            f"{name}: the backend yielded {type(piece).__name__}", kind="malformed"
                        )
                    pieces.append(piece)
                    yield StreamEvent(type="delta", text=piece, reset=reset and len(pieces) == 1)
                text = "".join(pieces)
                if not text.strip():
                    raise BackendError(f"{name}: the backend returned no text", kind="empty")
                return text, None
            except BackendError as exc:
                error = exc
            except Exception as exc:  # a broken plugin must not break the answer
                log.exception("answer backend %s failed", name)
                error = BackendError(f"{name}: {type(exc).__name__}: {exc}", kind="error")
            if pieces and error.retryable and attempt < restarts:
                log.warning("backend %s: %s; starting the answer over", name, error)
                reset = True
                continue
            return "", error
        raise AssertionError("unreachable")

    def _fall_back(
        self, name: str, request: GenerationRequest, passages: list[Passage], failure: BackendError
    ) -> Generator[StreamEvent, None, VerifiedAnswer]:
        """The extractive answer in place of a failed (or ungrounded) one; counted for the metrics."""
        kind = getattr(failure, "kind", "error")
        with self._backend_lock:
            self._fallbacks[(name, kind)] += 1
        log.warning("backend %s failed (%s: %s); falling back to %s", name, kind, failure, FALLBACK_BACKEND)
        if name == FALLBACK_BACKEND:
            return VerifiedAnswer(text="", citations=[], grounded=True)
        text = "".join(self._backend(FALLBACK_BACKEND).generate(request))
        yield StreamEvent(type="delta", text=text, reset=True)
        return self.verifier.verify(text, passages)

    def fallback_counts(self) -> dict[tuple[str, str], int]:
        """How often each backend fell back to the extractive answer, by (backend, failure kind)."""
        with self._backend_lock:
            return dict(self._fallbacks)

    def cache_stats(self) -> list[CacheStats]:
        """How full each cache on the answering path is (for /metrics).

        The vector caches and the Chinese words cache are bounded in bytes and entries. The functools caches
        of passage sentences (evidence.py, citations.py) count entries only; their keys are the sentences of
        indexed passages (at most chunking.max_tokens word pieces each) and of backend answers, so their bytes
        are bounded by construction (about 30 MiB when all are full, measured when they were introduced).
        """
        return [
            *self.embedder.cache_stats(),
            SEARCH_WORDS_CACHE.stats(),
            lru_cache_stats("passage_sentences", passage_sentences),
            lru_cache_stats("sentence_terms", sentence_terms),
            lru_cache_stats("candidate_sentences", is_candidate),
            lru_cache_stats("instruction_checks", looks_like_instruction),
        ]

    # --- helpers ----------------------------------------------------------------------------------------

    def _check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InvalidInputError("the question is empty")
        question = question.strip()
        limit = self.settings.answer.max_question_chars
        if len(question) > limit:
            raise InvalidInputError(f"the question is {len(question)} characters long; the limit is {limit}")
        return question

    def _evidence(self, question: str, retrieval: Retrieval) -> Evidence:
        if not retrieval.passages:
            return Evidence([])
        return self.scorer.score(
            question,
            retrieval.passages,
            retrieval.query_vector,
            retrieval.translation,
            retrieval.translated_vector,
            document_names(retrieval),
            retrieval.about_other_language,
            retrieval.document_questions,
            retrieval.document_vectors,
        )

    def _abstention(self, base: dict, reason: str, timings: StageTimings) -> Answer:  # type: ignore[type-arg]
        return Answer(
            **base,
            text=self.settings.answer.abstention_message,
            abstained=True,
            abstain_reason=reason,
            timings=timings,
        )

    def _backend(self, name: str) -> AnswerBackend:
        with self._backend_lock:
            backend = self._backends.get(name)
            if backend is None:
                backend = create_backend(name, self.settings)
                self._backends[name] = backend
            return backend

    def ready(self) -> dict[str, bool]:
        """Whether the model is loaded and the store answers."""
        return {"model_loaded": self.embedder.loaded, "store_reachable": self.index.store.ping()}

    def warm_up(self) -> None:
        """Load the model and the BM25 index now rather than on the first question (and, when the index holds
        documents in both English and Chinese, the segmenter and the dictionary cross-lingual search needs)."""
        self.embedder.embed_query("warm up")
        self.index.lexical()
        self.retriever.warm_up()

    def close(self) -> None:
        with self._backend_lock:
            for backend in self._backends.values():
                closer = getattr(backend, "close", None)
                if callable(closer):
                    closer()
            self._backends.clear()
        self.index.catalog.close()


def document_names(retrieval: Retrieval) -> tuple[str, ...]:
    """What names the documents the question asks about: the question's naming words and their titles."""
    named = set(retrieval.named_documents)
    titles = {p.title for p in retrieval.passages if p.doc_id in named}
    return (*retrieval.naming_phrases, *sorted(titles))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
