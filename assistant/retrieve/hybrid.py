"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused by weighted reciprocal rank, then an optional
cross-encoder rerank of the best fused candidates and optional MMR."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..answer.specifics import places, provisions
from ..config import RetrievalSettings
from ..index.catalog import ChunkRow
from ..index.embedder import Embedder
from ..index.passage_index import PassageIndex
from ..language.chinese import language_of
from ..language.terms import terms
from ..language.translation import QueryTranslation, QueryTranslator, warm_up_translation
from ..models import HEADING_SEPARATOR, DocumentInfo, Filters, Passage, PassageScores
from .clauses import document_questions
from .rerank import Reranker, build_reranker, combine, passage_input
from .scope import DocumentNames

# A BM25 query: its terms, or (a translated question) each word's renderings, each a list of terms.
LexicalQuery = list[str] | list[list[list[str]]]


@dataclass
class Retrieval:
    """Passages, best first, with the milliseconds each stage took."""

    passages: list[Passage]
    timings: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None
    named_documents: tuple[str, ...] = ()  # the documents the query names, searched on their own too
    naming_phrases: tuple[str, ...] = ()  # the query's words that named them
    named_by_name: tuple[str, ...] = ()  # those of them named by a name of their own (not only by a place)
    translation: QueryTranslation | None = None  # the query in the other language's words, when searched so
    translated_vector: np.ndarray | None = None  # the translation's embedding (into English only)
    # The query is about the documents in the translation's language (it names one, or a place their titles
    # name) and names none in its own language by a name of its own ("the MOST summary of China's plan" is not).
    about_other_language: bool = False
    # Each named document's own clause of the query, when it asks something of each in a clause of its own
    # ("How many X do the HLEG guidelines set, and how many Y make up the NIST AI RMF?"), and its embedding.
    document_questions: dict[str, str] = field(default_factory=dict)
    document_vectors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogView:
    """What retrieval reads of the catalog for one generation: the names documents go by, and each document's
    language as cross-lingual search sees it ('zh', or 'en' for every other one) with the codes stored."""

    generation: int
    names: DocumentNames
    language: dict[str, str]  # document id -> 'zh' or 'en'
    codes: dict[str, tuple[str, ...]]  # 'zh' / 'en' -> language codes as the documents store them

    @property
    def languages(self) -> set[str]:
        return set(self.language.values())

    @classmethod
    def of(cls, generation: int, documents: list[DocumentInfo]) -> CatalogView:
        language = {d.id: "zh" if (d.language or "").lower().startswith("zh") else "en" for d in documents}
        codes: dict[str, tuple[str, ...]] = {}
        for d in documents:
            if d.language:
                codes[language[d.id]] = tuple(dict.fromkeys((*codes.get(language[d.id], ()), d.language)))
        return cls(generation, DocumentNames(documents), language, codes)


def rrf_fuse(rankings: dict[str, list[str]], weights: dict[str, float], k: int) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: score(d) = sum over rankings of weight / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def mmr(vectors: np.ndarray, relevance: list[float], top_k: int, lambda_: float) -> list[int]:
    """Maximal marginal relevance: trade each candidate's (fused) relevance against its similarity to those
    already chosen; `vectors` are normalised, relevance is rescaled to [0, 1]."""
    if len(vectors) == 0:
        return []
    rel = np.asarray(relevance, dtype=np.float32)
    spread = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / spread if spread > 0 else np.ones_like(rel)
    chosen: list[int] = []
    remaining = list(range(len(vectors)))
    while remaining and len(chosen) < top_k:
        if chosen:
            redundancy = (vectors[remaining] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(remaining), dtype=np.float32)
        scores = lambda_ * rel[remaining] - (1 - lambda_) * redundancy
        best = remaining[int(np.argmax(scores))]
        chosen.append(best)
        remaining.remove(best)
    return chosen


def to_passage(row: ChunkRow, scores: PassageScores) -> Passage:
    return Passage(
        id=row.id,
        doc_id=row.doc_id,
        title=row.title,
        heading_path=HEADING_SEPARATOR.join(row.heading),
        page=row.page,
        page_breaks=list(row.page_breaks),
        noise=list(row.noise),
        text=row.text,
        start=row.start,
        end=row.end,
        language=row.language,
        issuing_body=row.issuing_body,
        date=row.date,
        scores=scores,
    )


def each_document_represented(
    fused: list[tuple[str, float]], top_k: int, owners: dict[str, str]
) -> list[tuple[str, float]]:
    """The fused ranking with every named document's best passage first, then the rest in order: a question
    naming two documents needs both. A passage moves in for the last one whose document is already
    represented."""
    head, rest = list(fused[:top_k]), list(fused[top_k:])
    for doc_id in dict.fromkeys(owners.values()):
        if any(owners.get(chunk_id) == doc_id for chunk_id, _ in head):
            continue
        best = next((item for item in rest if owners.get(item[0]) == doc_id), None)
        if best is None:
            continue
        counts: dict[str | None, int] = {}
        for chunk_id, _ in head:
            counts[owners.get(chunk_id)] = counts.get(owners.get(chunk_id), 0) + 1
        for i in range(len(head) - 1, -1, -1):
            owner = owners.get(head[i][0])
            if owner is None or counts[owner] > 1:
                rest.insert(0, head[i])
                head[i] = best
                rest.remove(best)
                break
    firsts = [
        next(item for item in head if owners.get(item[0]) == doc_id)
        for doc_id in dict.fromkeys(owners.values())
        if any(owners.get(c) == doc_id for c, _ in head)
    ]
    firsts.sort(key=lambda item: head.index(item))
    head = firsts + [item for item in head if item not in firsts]
    return head + rest


def _record(
    source: Literal["dense", "bm25"],
    name: str,
    hits: list[tuple[str, float]],
    rankings: dict[str, list[str]],
    scores: dict[str, PassageScores],
) -> None:
    """Keep a search's ranking under `name`, and each passage's first score and rank from this retriever."""
    rankings[name] = [chunk_id for chunk_id, _ in hits]
    for rank, (chunk_id, score) in enumerate(hits, start=1):
        passage = scores.setdefault(chunk_id, PassageScores())
        if source not in passage.sources:
            setattr(passage, source, score)
            setattr(passage, f"{source}_rank", rank)
            passage.sources.append(source)


def _owners(rankings: dict[str, list[str]]) -> dict[str, str]:
    """chunk id -> document, for the passages found by the searches of one named document."""
    owners: dict[str, str] = {}
    for name, ids in rankings.items():
        _, _, doc_id = name.partition("@")
        if doc_id:
            owners.update(dict.fromkeys(ids, doc_id))
    return owners


class HybridRetriever:
    """Finds the passages most likely to answer a query."""

    def __init__(
        self,
        index: PassageIndex,
        embedder: Embedder,
        settings: RetrievalSettings,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        # The configured cross-encoder unless one is given; it loads its model on first use.
        self.reranker = reranker if reranker is not None else build_reranker(settings.rerank)
        self._catalog_view: CatalogView | None = None

    def retrieve(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        top_k: int | None = None,
        mode: str | None = None,
    ) -> Retrieval:
        top_k = top_k or self.settings.top_k
        mode = mode or self.settings.mode
        n = max(self.settings.candidates, top_k)
        timings: dict[str, float] = {}
        rankings: dict[str, list[str]] = {}
        scores: dict[str, PassageScores] = {}
        vector: np.ndarray | None = None

        fusion = self.settings.fusion
        query_terms = terms(query, self.settings.bm25.stemmer) if mode in ("hybrid", "bm25") else []
        if mode in ("hybrid", "dense"):
            started = time.perf_counter()
            vector = self.embedder.embed_query(query)
            timings["embed_query"] = _ms(started)
            started = time.perf_counter()
            self._dense(vector, n, filters, "dense", rankings, scores)
            timings["dense"] = _ms(started)

        if mode in ("hybrid", "bm25"):
            started = time.perf_counter()
            self._lexical(query_terms, n, filters, "bm25", rankings, scores)
            timings["bm25"] = _ms(started)
        weights = {"dense": fusion.dense_weight, "bm25": fusion.bm25_weight}

        # The question in the other language's words, searched among the documents in that language.
        asked = language_of(query)
        translation = self.translation(query)
        translated_vector: np.ndarray | None = None
        translated_terms: LexicalQuery = []
        if translation is not None:
            started = time.perf_counter()
            in_target = self._in_language(filters, translation.target_language)
            crosslingual = self.settings.crosslingual.weight
            if mode in ("hybrid", "bm25"):
                translated_terms = translation.term_groups(self.settings.bm25.stemmer)
                self._lexical(translated_terms, n, in_target, "bm25_translated", rankings, scores)
                weights["bm25_translated"] = fusion.bm25_weight * crosslingual
            if translation.target_language == "en" and mode in ("hybrid", "dense"):
                # MiniLM reads English: the translated question is embedded (a Chinese one means little to it).
                translated_vector = self.embedder.embed_query(translation.text)
                self._dense(translated_vector, n, in_target, "dense_translated", rankings, scores)
                weights["dense_translated"] = fusion.dense_weight * crosslingual
            timings["translate"] = _ms(started)

        named, naming, strong, named_by = self._names(query, filters)
        # Each named document's own clause, when the query asks something of each in a clause of its own.
        clause_of = document_questions(query, named_by)
        clause_vectors: dict[str, np.ndarray] = {}
        provision_of: dict[str, str] = {}
        if translation is not None and translation.target_language == "en":
            # A Chinese question names English documents in Chinese (日本《人工智能基本计划》): their English
            # names are in the translation.
            more = self.named_documents(translation.text, filters)
            named = tuple(dict.fromkeys((*named, *more)))[: self.settings.scope.max_documents]
        if named:
            # Each document the question names is searched on its own too, so that its best passages
            # compete with the whole index's (and a question naming two documents finds both); a document
            # in the other language is searched with the translated question only.
            started = time.perf_counter()
            per_document = self.settings.scope.per_document
            scope = self.settings.scope.weight
            asked_provisions = provisions(query)  # each one's chunks are kept in `provision_of`
            language_of_document = self._catalog().language
            for doc_id in named:
                scoped = (filters or Filters()).model_copy(update={"doc_ids": [doc_id]})
                if language_of_document.get(doc_id, "en") == asked:
                    own = clause_of.get(doc_id)
                    if own is None:
                        searches = [("", vector, query_terms, 1.0)]
                    else:
                        # A document the question asks something of in a clause of its own: that clause.
                        if vector is not None:
                            clause_vectors[doc_id] = self.embedder.embed_query(own)
                        own_terms = terms(own, self.settings.bm25.stemmer) if query_terms else []
                        searches = [("", clause_vectors.get(doc_id), own_terms, 1.0)]
                elif (
                    translation is not None
                    and language_of_document.get(doc_id) == translation.target_language
                ):
                    searches = [
                        (
                            "_translated",
                            translated_vector,
                            translated_terms,
                            self.settings.crosslingual.weight,
                        )
                    ]
                else:
                    continue
                for label, dense_vector, lexical_terms, weight in searches:
                    if dense_vector is not None:
                        name = f"dense{label}@{doc_id}"
                        self._dense(dense_vector, per_document, scoped, name, rankings, scores)
                        weights[name] = fusion.dense_weight * scope * weight
                    if lexical_terms:
                        name = f"bm25{label}@{doc_id}"
                        self._lexical(lexical_terms, per_document, scoped, name, rankings, scores)
                        weights[name] = fusion.bm25_weight * scope * weight
                # "Chapter 2 of Japan's AI Basic Plan": the chunks under that heading, in document order.
                for provision in asked_provisions:
                    under = self.index.chunks_under(doc_id, provision.pattern, per_document)
                    if under:
                        name = f"provision {provision.text}@{doc_id}"
                        rankings[name] = under
                        for chunk_id in under:
                            scores.setdefault(chunk_id, PassageScores())
                            provision_of.setdefault(chunk_id, name)
                        weights[name] = fusion.bm25_weight * scope
            timings["scope"] = _ms(started)

        about_other_language = translation is not None and self._about_language(
            query, named, translation.target_language, translation
        )
        if about_other_language:
            # A question about China asked in English (or naming a document in the other language) is likely
            # answered by the documents in that language: their rankings weigh more.
            boost = self.settings.crosslingual.boost
            weights.update({name: w * boost for name, w in weights.items() if "_translated" in name})

        started = time.perf_counter()
        fused = rrf_fuse(rankings, weights, self.settings.fusion.k)
        for chunk_id, score in fused:
            scores[chunk_id].fused = score
        rows: dict[str, ChunkRow] = {}
        if self.reranker is not None and fused:
            head = fused[: self.settings.rerank.candidates]
            rows = self.index.rows([chunk_id for chunk_id, _ in fused[: max(top_k, len(head))]])
            timings["fusion"] = _ms(started)
            started = time.perf_counter()
            fused = self._rerank(query, head, rows, scores) + fused[len(head) :]
            timings["rerank"] = _ms(started)
            started = time.perf_counter()
            if self.settings.mmr.enabled:
                # Diversify among the reranked candidates, by their new scores; the rest only fill up.
                reranked = fused[: len(head)]
                chosen = self._diversify(reranked, top_k)
                taken = {chunk_id for chunk_id, _ in chosen}
                fused = chosen + [item for item in fused if item[0] not in taken]
        elif self.settings.mmr.enabled and fused:
            fused = self._diversify(fused[: max(top_k * 4, 20)], top_k)
        if named and provision_of:
            # A provision the question names by its number has a passage among those answered from.
            fused = each_document_represented(fused, top_k, provision_of)
        if len(named) > 1:
            fused = each_document_represented(fused, top_k, _owners(rankings))
        fused = fused[:top_k]
        missing = [chunk_id for chunk_id, _ in fused if chunk_id not in rows]
        if missing:
            rows.update(self.index.rows(missing))
        passages = []
        for chunk_id, _ in fused:
            row = rows.get(chunk_id)
            if row is None:  # removed between search and lookup
                continue
            passages.append(to_passage(row, scores[chunk_id]))
        timings["fusion"] = timings.get("fusion", 0.0) + _ms(started)
        # "the MOST summary of China's plan" names an English document of its own: not about the Chinese ones.
        language_of_document = self._catalog().language
        names_own_language_only = bool(strong) and all(
            language_of_document.get(d, "en") == asked for d in strong
        )
        return Retrieval(
            passages=passages,
            timings=timings,
            query_vector=vector,
            named_documents=named,
            naming_phrases=naming,
            named_by_name=strong,
            translation=translation,
            translated_vector=translated_vector,
            about_other_language=about_other_language and not names_own_language_only,
            document_questions=clause_of,
            document_vectors=clause_vectors,
        )

    def _dense(
        self,
        vector: np.ndarray,
        n: int,
        filters: Filters | None,
        name: str,
        rankings: dict[str, list[str]],
        scores: dict[str, PassageScores],
    ) -> None:
        hits = self.index.dense_search(vector, n, filters)
        _record("dense", name, [(h.id, h.similarity) for h in hits], rankings, scores)

    def _lexical(
        self,
        query: LexicalQuery,
        n: int,
        filters: Filters | None,
        name: str,
        rankings: dict[str, list[str]],
        scores: dict[str, PassageScores],
    ) -> None:
        if query and isinstance(query[0], list):  # a translated query: each word's renderings
            hits = self.index.lexical_search_alternatives(query, n, filters)  # type: ignore[arg-type]
        else:
            hits = self.index.lexical_search(query, n, filters)  # type: ignore[arg-type]
        _record("bm25", name, hits, rankings, scores)

    def named_documents(self, query: str, filters: Filters | None = None) -> tuple[str, ...]:
        """The indexed documents the query names (within the filters), at most `scope.max_documents`."""
        return self._names(query, filters)[0]

    def is_document_name(self, name: str) -> bool:
        """Whether `name` ("the EU Data Act") is the title or a short name of an indexed document."""
        return self._catalog().names.is_document_name(name)

    def _names(
        self, query: str, filters: Filters | None
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
        """The documents the query names (as `named_documents`), the query's phrases that named them, those
        of the documents it names by a name of their own (not only by a place), and the phrases that named
        each of them."""
        if not self.settings.scope.enabled:
            return (), (), (), {}
        found = self._catalog().names.named_in(query)
        named = found.all
        if filters is not None and filters.doc_ids:
            named = tuple(d for d in named if d in filters.doc_ids)
        named = named[: self.settings.scope.max_documents]
        named_by = {d: phrases for d, phrases in found.named_by if d in named}
        return named, found.phrases, tuple(d for d in found.strong if d in named), named_by

    def warm_up(self) -> None:
        """Load what translating questions needs (jieba, CC-CEDICT: a few seconds) when it will be used."""
        if self.settings.crosslingual.enabled and {"en", "zh"} <= self._catalog().languages:
            warm_up_translation()

    def translation(self, query: str) -> QueryTranslation | None:
        """The query in the other language's words (English <-> Chinese), when cross-lingual search is on and
        the index holds documents in that language."""
        settings = self.settings.crosslingual
        if not settings.enabled:
            return None
        target = "en" if language_of(query) == "zh" else "zh"
        if target not in self._catalog().languages:
            return None
        return QueryTranslator(
            self.index.lexical().index.document_count, settings.per_word, self.settings.bm25.stemmer
        ).translate(query)

    def _about_language(
        self, query: str, named: tuple[str, ...], language: str, translation: QueryTranslation | None = None
    ) -> bool:
        """Whether the question is about the documents in `language`: it names one; or it names a place that
        the title or issuer of one names ("China's", "Hong Kong"); or two of the glossary's translations of its
        words are in the title of one (国务院 and 人工智能+ for "the State Council's AI+ plan")."""
        view = self._catalog()
        documents = [d for d in view.names.documents if view.language.get(d.id) == language]
        if any(d.id in named for d in documents):
            return True
        if translation is not None:
            glossed = {g.target for g in translation.glosses if g.origin == "glossary" and len(g.target) >= 2}
            if any(sum(1 for word in glossed if word in d.title) >= 2 for d in documents):
                return True
        asked = places(query)
        return any(p.found_in(f"{d.title}\n{d.issuing_body or ''}") for p in asked for d in documents)

    def _catalog(self) -> CatalogView:
        """What retrieval reads of the catalog, rebuilt when its generation moves."""
        generation = self.index.catalog.generation
        if self._catalog_view is None or self._catalog_view.generation != generation:
            self._catalog_view = CatalogView.of(generation, self.index.catalog.documents())
        return self._catalog_view

    def _in_language(self, filters: Filters | None, language: str) -> Filters:
        """The filters, narrowed to the documents in `language` ('zh' or 'en')."""
        codes = list(self._catalog().codes.get(language, ()))
        if filters is not None and filters.language:
            wanted = {c.lower() for c in filters.language}
            codes = [c for c in codes if c.lower() in wanted] or ["\u2400"]  # none left: matches nothing
        return (filters or Filters()).model_copy(update={"language": codes or ["\u2400"]})

    def _rerank(
        self,
        query: str,
        head: list[tuple[str, float]],
        rows: dict[str, ChunkRow],
        scores: dict[str, PassageScores],
    ) -> list[tuple[str, float]]:
        """The fused candidates in `head`, reordered by the cross-encoder (ties keep the fused order)."""
        assert self.reranker is not None
        kept = [(chunk_id, fused) for chunk_id, fused in head if chunk_id in rows]
        texts = [passage_input(rows[chunk_id].title, rows[chunk_id].text) for chunk_id, _ in kept]
        rerank = self.reranker.score(query, texts)
        for (chunk_id, _), value in zip(kept, rerank, strict=True):
            scores[chunk_id].rerank = value
        keys = combine(rerank, [fused for _, fused in kept], self.settings.rerank.fusion_weight)
        order = sorted(range(len(kept)), key=lambda i: -keys[i])
        return [(kept[i][0], keys[i]) for i in order]

    def _diversify(self, fused: list[tuple[str, float]], top_k: int) -> list[tuple[str, float]]:
        stored = self.index.store.vectors([chunk_id for chunk_id, _ in fused])
        kept = [(chunk_id, score) for chunk_id, score in fused if chunk_id in stored]
        if not kept:
            return fused
        matrix = np.stack([stored[chunk_id] for chunk_id, _ in kept])
        order = mmr(matrix, [score for _, score in kept], top_k, self.settings.mmr.lambda_)
        return [kept[i] for i in order]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
