"""Structure-aware chunking: sections from the document's headings, packed by whole sentences to a token budget.

Every chunk is a contiguous slice `document.text[start:end]`; consecutive chunks of one section overlap by
whole sentences; the text the model embeds (title and heading path prepended) never exceeds its
`max_seq_length`, counted with the model's own tokenizer. Noise (page furniture, tables of contents, URL
lines, footnote marks: see `cleaning.py`) stays in the slice but not in what is embedded and indexed
(`Chunk.search_text`); page breaks count as paragraph breaks, so chunks tend to end at them, and a stretch
that is nothing but noise becomes no chunk at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..config import ChunkingSettings
from ..language.sentences import paragraph_spans, sentence_spans
from ..models import HEADING_SEPARATOR, Chunk, Document
from .cleaning import NoiseIndex, cut_around, noise_spans
from .structure import Section, split_sections


class TokenCounter(Protocol):
    """What the chunker needs from a tokenizer."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    @property
    def special_tokens(self) -> int: ...

    @property
    def max_seq_length(self) -> int: ...


@dataclass
class _Atom:
    """A sentence (or a piece of an over-long one) with its token count."""

    start: int
    end: int
    tokens: int
    paragraph_start: bool
    noise: bool = False  # nothing but line noise: embedded as nothing, never the start of a chunk


@dataclass
class _Piece:
    start: int
    end: int
    path: tuple[str, ...]
    tokens: int


def embedding_prefix(title: str, heading_path: Sequence[str]) -> str:
    """The context put in front of a chunk's text before it is embedded."""
    heading = HEADING_SEPARATOR.join(heading_path)
    return f"{title}\n{heading}\n" if heading else f"{title}\n"


class Chunker:
    """Cuts documents into chunks that fit the embedding model."""

    def __init__(self, settings: ChunkingSettings, counter: TokenCounter) -> None:
        self.settings = settings
        self.counter = counter

    @property
    def max_tokens(self) -> int:
        return min(self.settings.max_tokens, self.counter.max_seq_length)

    def embedding_text(self, title: str, chunk: Chunk) -> str:
        if not self.settings.embed_prefix:
            return chunk.index_text
        return self._fit_prefix(title, chunk.heading_path) + chunk.index_text

    def chunk(self, document: Document) -> list[Chunk]:
        """The chunks of one document, in order."""
        text = document.text
        title = document.metadata.title
        pieces: list[_Piece] = []
        carried: list[_Atom] = []
        carried_path: tuple[str, ...] = ()
        noise = NoiseIndex(noise_spans(text, document.page_starts, title))
        sections = _without_noise_blocks(split_sections(text, skip=noise.in_contents), noise, text)
        for index, section in enumerate(sections):
            atoms = carried + self._atoms(text, section.start, section.end, noise)
            path = section.path if len(atoms) > len(carried) else carried_path
            carried = []
            if not atoms:
                continue
            total = sum(a.tokens for a in atoms)
            if total < self.settings.min_tokens and index < len(sections) - 1:
                carried, carried_path = atoms, path  # a heading with (almost) nothing under it joins the next
                continue
            pieces.extend(self._pack(text, atoms, self._budget(title, path), path))
        if carried:
            pieces.extend(self._pack(text, carried, self._budget(title, carried_path), carried_path))
        pieces = [p for p in pieces if not noise.covers(p.start, p.end, text)]
        chunks = self._verified(document, pieces, noise)
        return _with_ids(document, chunks)

    # --- atoms ------------------------------------------------------------------------------------------

    def _atoms(self, text: str, start: int, end: int, noise: NoiseIndex) -> list[_Atom]:
        spans: list[tuple[int, int, bool, bool]] = []  # start, end, paragraph start, noise
        for p_start, p_end in paragraph_spans(text, start, end):
            for i, (s, e) in enumerate(sentence_spans(text, p_start, p_end)):
                spans.extend(_split_at_noise(text, s, e, i == 0, noise))
        counts = self.counter.count_tokens(
            [noise.search_text(text, s, e) if not is_noise else "" for s, e, _, is_noise in spans]
        )
        # The prefix takes at most a third of the budget, so an atom this size fits under any prefix.
        limit = (self.max_tokens - self.counter.special_tokens) * 2 // 3 - 2
        atoms: list[_Atom] = []
        for (s, e, para, is_noise), tokens in zip(spans, counts, strict=True):
            if is_noise:
                atoms.append(_Atom(s, e, 0, para, noise=True))
            elif tokens <= limit:
                atoms.append(_Atom(s, e, tokens, para))
            else:
                atoms.extend(self._split_long(text, s, e, limit, para))
        return atoms

    def _split_long(self, text: str, start: int, end: int, budget: int, para: bool) -> list[_Atom]:
        """Cut an over-long sentence at clause, then word, then character boundaries."""
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=0,
            length_function=lambda s: self.counter.count_tokens([s])[0],
            separators=["\n", "；", "; ", "，", ", ", " ", ""],
            keep_separator="end",
            add_start_index=True,
            strip_whitespace=True,
        )
        atoms: list[_Atom] = []
        cursor = start
        for piece in splitter.create_documents([text[start:end]]):
            p_start = start + int(piece.metadata["start_index"])
            p_end = p_start + len(piece.page_content)
            p_start = max(p_start, cursor)
            if p_end <= p_start:
                continue
            atoms.append(_Atom(p_start, p_end, 0, para and not atoms))
            cursor = p_end
        if atoms:  # close any whitespace gaps so that together the atoms still cover the sentence
            atoms[0].start = start
            atoms[-1].end = end
            for left, right in zip(atoms, atoms[1:], strict=False):
                left.end = right.start
        counts = self.counter.count_tokens([text[a.start : a.end] for a in atoms])
        for atom, tokens in zip(atoms, counts, strict=True):
            atom.tokens = tokens
        return atoms

    # --- packing ----------------------------------------------------------------------------------------

    def _budget(self, title: str, path: tuple[str, ...]) -> int:
        prefix = self._fit_prefix(title, path) if self.settings.embed_prefix else ""
        prefix_tokens = self.counter.count_tokens([prefix])[0] if prefix else 0
        return self.max_tokens - self.counter.special_tokens - prefix_tokens - 1

    def _fit_prefix(self, title: str, path: Sequence[str]) -> str:
        """The embedding prefix, shortened until it takes at most a third of the token budget."""
        cap = self.max_tokens // 3
        prefix = embedding_prefix(title, path)
        while len(prefix) > 8 and self.counter.count_tokens([prefix])[0] > cap:
            title = title[: max(8, int(len(title) * 0.7))]
            path = [p[: max(8, int(len(p) * 0.7))] for p in path]
            prefix = embedding_prefix(title, path)
            if len(title) <= 8 and all(len(p) <= 8 for p in path):
                break
        return prefix

    def _pack(self, text: str, atoms: list[_Atom], budget: int, path: tuple[str, ...]) -> list[_Piece]:
        pieces: list[_Piece] = []
        current: list[_Atom] = []
        tokens = 0
        paragraph_sizes = _paragraph_sizes(atoms)
        for i, atom in enumerate(atoms):
            fits = tokens + atom.tokens <= budget
            # Prefer to break before a paragraph that would not fit whole, if the chunk is half full.
            if fits and atom.paragraph_start and current and tokens >= budget // 2:
                fits = tokens + paragraph_sizes[i] <= budget
            if fits or not current:
                current.append(atom)
                tokens += atom.tokens
                continue
            pieces.append(_Piece(current[0].start, current[-1].end, path, tokens))
            current = self._overlap(current, atom, budget)
            while current and current[0].noise:  # a chunk starts with body text, not a page header
                current.pop(0)
            current.append(atom)
            tokens = sum(a.tokens for a in current)
        if current:
            last = _Piece(current[0].start, current[-1].end, path, tokens)
            previous = pieces[-1] if pieces else None
            if previous is not None and tokens < self.settings.min_tokens:
                merged_tokens = previous.tokens + sum(a.tokens for a in current if a.start >= previous.end)
                if merged_tokens <= budget:
                    pieces[-1] = _Piece(previous.start, last.end, path, merged_tokens)
                    return pieces
            pieces.append(last)
        return pieces

    def _overlap(self, closed: list[_Atom], upcoming: _Atom, budget: int) -> list[_Atom]:
        """Trailing whole sentences of the closed chunk to repeat at the start of the next one."""
        kept: list[_Atom] = []
        total = 0
        for atom in reversed(closed[1:]):  # never repeat the whole chunk
            if total + atom.tokens > self.settings.overlap_tokens:
                break
            if total + atom.tokens + upcoming.tokens > budget:
                break
            kept.insert(0, atom)
            total += atom.tokens
        return kept

    # --- verification -----------------------------------------------------------------------------------

    def _verified(self, document: Document, pieces: list[_Piece], noise: NoiseIndex) -> list[Chunk]:
        """Count each chunk exactly as the model will see it, and cut any that is still too long."""
        title = document.metadata.title
        out: list[Chunk] = []
        queue = list(pieces)
        while queue:
            batch, queue = queue, []
            chunks = [_as_chunk(document, p, noise) for p in batch]
            counts = self.counter.count_tokens([self.embedding_text(title, c) for c in chunks])
            for piece, chunk, count in zip(batch, chunks, counts, strict=True):
                if count + self.counter.special_tokens <= self.max_tokens:
                    chunk.n_tokens = count + self.counter.special_tokens
                    out.append(chunk)
                else:
                    queue.extend(self._halve(document.text, piece))
        out.sort(key=lambda c: (c.start, c.end))
        return out

    def _halve(self, text: str, piece: _Piece) -> list[_Piece]:
        spans = sentence_spans(text, piece.start, piece.end)
        if len(spans) < 2:
            middle = text.rfind(" ", piece.start, (piece.start + piece.end) // 2)
            if middle <= piece.start:
                middle = (piece.start + piece.end) // 2
            spans = [(piece.start, middle), (middle, piece.end)]
        half = len(spans) // 2
        left = _Piece(piece.start, spans[half - 1][1], piece.path, 0)
        right = _Piece(spans[half][0], piece.end, piece.path, 0)
        return [p for p in (left, right) if text[p.start : p.end].strip()]


def _paragraph_sizes(atoms: list[_Atom]) -> list[int]:
    """For each atom, the tokens of its paragraph from this atom to the paragraph's end."""
    sizes = [0] * len(atoms)
    running = 0
    for i in range(len(atoms) - 1, -1, -1):
        running += atoms[i].tokens
        sizes[i] = running
        if atoms[i].paragraph_start:
            running = 0
    return sizes


def _without_noise_blocks(sections: list[Section], noise: NoiseIndex, text: str) -> list[Section]:
    """The sections with tables of contents and cover pages cut out, so that they join no body text."""
    blocks = [(s.start, s.end) for s in noise.spans if s.kind in ("toc", "cover")]
    merged: list[list[int]] = []
    for start, end in blocks:
        if merged and noise.covers(merged[-1][1], start, text):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return sections
    out: list[Section] = []
    for section in sections:
        cursor = section.start
        for start, end in merged:
            if end <= cursor or start >= section.end:
                continue
            if start > cursor:
                out.append(Section(cursor, start, section.path))
            cursor = max(cursor, min(end, section.end))
        if cursor < section.end:
            out.append(Section(cursor, section.end, section.path))
    return [s for s in out if text[s.start : s.end].strip()]


def _split_at_noise(
    text: str, start: int, end: int, paragraph_start: bool, noise: NoiseIndex
) -> list[tuple[int, int, bool, bool]]:
    """A sentence cut around the line noise inside it (a page header in mid-sentence): (start, end,
    paragraph start, noise) pieces; body text after a page break counts as a new paragraph."""
    out: list[tuple[int, int, bool, bool]] = []
    after_noise = paragraph_start
    for s, e, is_noise in cut_around(text, start, end, noise.line_spans(start, end)):
        out.append((s, e, after_noise and not is_noise, is_noise))
        after_noise = after_noise or is_noise
    return out


def _as_chunk(document: Document, piece: _Piece, noise: NoiseIndex | None = None) -> Chunk:
    text = document.text[piece.start : piece.end]
    return Chunk(
        id="",
        doc_id=document.id,
        ordinal=0,
        text=text,
        start=piece.start,
        end=piece.end,
        heading_path=list(piece.path),
        page=document.page_at(piece.start),
        page_end=document.page_at(max(piece.start, piece.end - 1)),
        search_text=noise.search_text(document.text, piece.start, piece.end) if noise else None,
        noise=noise.line_spans(piece.start, piece.end) if noise else [],
    )


def _with_ids(document: Document, chunks: list[Chunk]) -> list[Chunk]:
    """Stable ids: document id plus a hash of the chunk's content (and its position among equal twins)."""
    seen: dict[str, int] = {}
    for ordinal, chunk in enumerate(chunks):
        digest = hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()[:16]
        base = f"{document.id}:{digest}"
        seen[base] = seen.get(base, 0) + 1
        chunk.id = base if seen[base] == 1 else f"{base}-{seen[base]}"
        chunk.ordinal = ordinal
    return chunks
