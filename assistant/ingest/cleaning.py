"""Find the noise in a document's text: page furniture, tables of contents, URLs, footnote marks, hyphenation.

The text itself is never changed (chunks and citations point into it); `noise_spans` returns where the
noise is, and the chunker leaves it out of what it embeds and indexes (`search_text`). Two sorts of noise:

- line noise (`BLOCKING_KINDS`): whole lines that are not body text — page markers and page numbers,
  running headers and footers, tables of contents, bare URL lines, cover pages. A sentence that overlaps
  one is never an answer candidate.
- inline noise: footnote reference numbers glued to words ("policy.12 The"), soft hyphenation at line ends
  ("regu-\\nlation"), "available at https://..." tails. Left out of the search text; the sentence around
  it is body text and stays a candidate.

Precision first: every rule needs corroboration (a page number must continue a numbering, a repeated line
must sit at page breaks, a footnote mark must have its footnote), because a false positive hides real text.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..language.numerals import roman_value
from .structure import TOC_LINE

BLOCKING_KINDS = frozenset({"page_marker", "page_number", "running_header", "toc", "url", "cover", "garbage"})


@dataclass(frozen=True, order=True)
class NoiseSpan:
    """A stretch of noise: `text[start:end]`, and what kind of noise it is."""

    start: int
    end: int
    kind: str

    @property
    def blocking(self) -> bool:
        """Line noise: a sentence overlapping it is not body text."""
        return self.kind in BLOCKING_KINDS


class NoiseIndex:
    """Fast overlap lookups over a document's noise spans."""

    def __init__(self, spans: Iterable[NoiseSpan]) -> None:
        self.spans = sorted(spans)
        self._starts = [s.start for s in self.spans]
        self._max_len = max((s.end - s.start for s in self.spans), default=0)

    def overlapping(self, start: int, end: int) -> list[NoiseSpan]:
        """The spans that share at least one character with text[start:end]."""
        lo = bisect.bisect_left(self._starts, start - self._max_len)
        hi = bisect.bisect_left(self._starts, end)
        return [s for s in self.spans[lo:hi] if s.end > start and s.start < end]

    def in_contents(self, offset: int) -> bool:
        """True when the character at `offset` is part of a table of contents or a cover page."""
        return any(s.kind in ("toc", "cover") for s in self.overlapping(offset, offset + 1))

    def line_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """The line noise inside text[start:end] (a page header, a page number), clipped to it."""
        return [(max(s.start, start), min(s.end, end)) for s in self.overlapping(start, end) if s.blocking]

    def is_noise(self, start: int, end: int) -> bool:
        """True when text[start:end] overlaps line noise (so it is not a body sentence)."""
        return any(s.blocking for s in self.overlapping(start, end))

    def covers(self, start: int, end: int, text: str) -> bool:
        """True when every non-space character of text[start:end] is noise."""
        spans = self.overlapping(start, end)
        cursor = start
        for span in spans:
            if text[cursor : max(cursor, span.start)].strip():
                return False
            cursor = max(cursor, span.end)
        return not text[cursor:end].strip()

    def search_text(self, text: str, start: int, end: int) -> str:
        """text[start:end] without its noise, hyphenated line breaks joined: what is embedded and indexed."""
        parts: list[str] = []
        cursor = start
        for span in self.overlapping(start, end):
            s, e = max(span.start, start), min(span.end, end)
            if s > cursor:
                parts.append(text[cursor:s])
            if span.blocking:
                parts.append("\n")  # inline noise (a footnote mark, a soft hyphen) just goes
            cursor = max(cursor, e)
        parts.append(text[cursor:end])
        out = "".join(parts)
        return re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", out).strip()


def cut_around(
    text: str, start: int, end: int, spans: Iterable[tuple[int, int]]
) -> list[tuple[int, int, bool]]:
    """text[start:end] cut around the sorted `spans` inside it: (start, end, is a span) pieces in order, the
    pieces between spans without their surrounding whitespace and left out when blank."""
    out: list[tuple[int, int, bool]] = []
    cursor = start

    def body(a: int, b: int) -> None:
        piece = text[a:b]
        if piece.strip():
            out.append((a + len(piece) - len(piece.lstrip()), a + len(piece.rstrip()), False))

    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        s, e = max(span_start, start), min(span_end, end)
        if s > cursor:
            body(cursor, s)
        if e > max(s, cursor):
            out.append((max(s, cursor), e, True))
        cursor = max(cursor, e)
    body(cursor, end)
    return out


def noise_spans(text: str, page_starts: Sequence[tuple[int, int]] = (), title: str = "") -> list[NoiseSpan]:
    """The noise of a document's text, sorted; `page_starts` are the loader's (offset, page) pairs, and a
    line repeating the `title` three times or more is a running header even where no page break shows."""
    lines = _Lines(text)
    found: dict[int, str] = {}  # line index -> kind (line noise)
    for i in lines.indexes_where(_is_page_marker):
        found[i] = "page_marker"
    for i in _page_number_lines(lines):
        found.setdefault(i, "page_number")
    for i in _toc_lines(lines):
        found.setdefault(i, "toc")
    boundaries = _page_boundaries(lines, page_starts, found)
    for i in _running_headers(lines, boundaries, found, title):
        found.setdefault(i, "running_header")
    for i in lines.indexes_where(_is_url_line):
        found.setdefault(i, "url")
    for i in lines.indexes_where(lambda s: bool(_GARBAGE.search(s))):
        found.setdefault(i, "garbage")
    for i in _cover_lines(lines, page_starts):
        found.setdefault(i, "cover")
    spans = [NoiseSpan(*lines.content_span(i), kind) for i, kind in found.items()]
    spans.extend(_footnote_refs(text))
    spans.extend(_soft_hyphens(text))
    spans.extend(_url_tails(text))
    blocked = NoiseIndex(s for s in spans if s.blocking)
    return sorted(s for s in spans if s.blocking or not blocked.overlapping(s.start, s.end))


# --- local tests, usable on a sentence alone -------------------------------------------------------------

_PAGE_MARKER = re.compile(
    r"^(?:-{2,}\s*Page\s+\d+\s*-{2,}|\[?Page\s+\d{1,4}(?:\s+of\s+\d{1,4})?\]?|-\s*\d{1,3}\s*-)$",
    re.IGNORECASE,
)
_URL = r"(?:https?://|www\.)[^\s<>\"]+"
_URL_LINE = re.compile(
    rf"^(?:[-*•·▪]\s*)?(?:(?:available\s+(?:at|from|online)|see|source|link|url|retrieved\s+from)\s*:?\s*)?"
    rf"[<(\[]?{_URL}[>)\]]?[.,;]?$",
    re.IGNORECASE,
)
_URL_TAIL = re.compile(
    rf"[,;(]?\s*\(?\b(?:available\s+(?:at|from|online(?:\s+at)?))\s*:?\s*{_URL}", re.IGNORECASE
)
_GARBAGE = re.compile(r"(?:\(cid:\d+\)){3,}")
_LONE_NUMBER = re.compile(r"^(?:\d{1,3}|[ivxlc]{1,6})$")


def _is_page_marker(line: str) -> bool:
    return bool(_PAGE_MARKER.match(line))


def _is_url_line(line: str) -> bool:
    return bool(_URL_LINE.match(line))


def is_noise_sentence(sentence: str) -> bool:
    """Whether a sentence, on its own, shows line noise: a page marker, a table-of-contents line, a bare URL,
    extraction garbage, or a lone page number on a line of its own (a page break inside the sentence)."""
    stripped = sentence.strip()
    if not stripped:
        return False
    lines = [line.strip() for line in stripped.split("\n")]
    for line in lines:
        if _is_page_marker(line) or _is_url_line(line) or TOC_LINE.match(line) or _GARBAGE.search(line):
            return True
        if len(lines) > 1 and re.fullmatch(r"\d{1,3}|[ivx]{1,4}", line):
            return True
    remainder = _URL_TAIL.sub("", stripped)
    return remainder != stripped and len(re.findall(r"[^\W\d_]{2,}", remainder)) <= 4


# --- lines -----------------------------------------------------------------------------------------------


class _Lines:
    """The document's lines with their offsets, stripped."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.stripped: list[str] = []
        offset = 0
        for line in text.split("\n"):
            self.starts.append(offset)
            self.stripped.append(line.strip())
            offset += len(line) + 1

    def __len__(self) -> int:
        return len(self.stripped)

    def indexes_where(self, test) -> list[int]:  # type: ignore[no-untyped-def]
        return [i for i, s in enumerate(self.stripped) if s and test(s)]

    def content_span(self, index: int) -> tuple[int, int]:
        """Offsets of the line's text without its surrounding whitespace."""
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        line = self.text[start:end]
        lead = len(line) - len(line.lstrip())
        return start + lead, start + len(line.rstrip())

    def line_at(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def neighbours(self, index: int, reach: int) -> list[int]:
        """Up to `reach` non-blank lines before and after `index`."""
        out: list[int] = []
        for step in (-1, 1):
            j, seen = index + step, 0
            while 0 <= j < len(self) and seen < reach:
                if self.stripped[j]:
                    out.append(j)
                    seen += 1
                j += step
        return out


def _page_number_lines(lines: _Lines) -> list[int]:
    """Lone numbers that continue a page numbering: each has a neighbour in the sequence one to three pages
    away, at least a few hundred characters apart (table cells and list numbers sit closer together)."""
    candidates: list[tuple[int, int, bool]] = []  # (line, value, roman)
    for i, s in enumerate(lines.stripped):
        token = s.lower()
        if s and _LONE_NUMBER.match(token) and (s.isdigit() or s.islower()):
            value = int(token) if token.isdigit() else roman_value(token)
            if value is not None:
                candidates.append((i, value, not s.isdigit()))
    keep: set[int] = set()
    for roman in (False, True):
        seq = [(i, v) for i, v, r in candidates if r == roman]
        for (i, v), (j, w) in zip(seq, seq[1:], strict=False):
            gap = lines.starts[j] - lines.starts[i]
            if 1 <= w - v <= 3 and 300 <= gap <= 12000 * (w - v):
                keep.update((i, j))
    return sorted(keep)


def _page_boundaries(
    lines: _Lines, page_starts: Sequence[tuple[int, int]], found: dict[int, str]
) -> set[int]:
    """Lines where a page starts or ends: the loader's page starts, page markers and page numbers."""
    out = {i for i, kind in found.items() if kind in ("page_marker", "page_number")}
    for offset, _ in page_starts:
        i = lines.line_at(offset)
        out.add(i)
        if i > 0:
            out.add(i - 1)
    return out


def _header_key(line: str) -> str:
    key = line.lower()
    key = re.sub(r"^(?:page\s+)?\d{1,3}\s*[|·•\-–]?\s+|\s+[|·•\-–]?\s*(?:page\s+)?\d{1,3}$", "", key)
    return re.sub(r"\s+", " ", key).strip()


# A line that is nothing but a bracketed phrase: "[Provisional translation]", "{ Provisional translation]", "(DRAFT)".
_BANNER = re.compile(r"^[\[{(<]\s*[^\[\]{}()<>]{3,60}?\s*[\]})>]$")


def _running_headers(
    lines: _Lines, boundaries: set[int], found: dict[int, str], title: str = ""
) -> list[int]:
    """Lines repeated at page breaks (running headers and footers), lines repeating the document's title,
    and lines always printed beside them."""
    title_key = re.sub(r"\W+", " ", title.lower()).strip()
    by_key: dict[str, list[int]] = defaultdict(list)
    banners: dict[str, list[int]] = defaultdict(list)  # bracketed lines, by their letters alone
    for i, s in enumerate(lines.stripped):
        sentence = s.endswith(".") and len(s.split()) >= 8  # body text that happens to end a page
        if s and i not in found and len(s) <= 150 and not s.startswith("#") and not sentence:
            key = _header_key(s)
            if len(re.findall(r"[^\W\d_]", key)) >= 3:
                by_key[key].append(i)
            if _BANNER.match(s):
                banners[re.sub(r"[^a-z]", "", s.lower())].append(i)
    near = set()
    for b in boundaries:
        near.update(lines.neighbours(b, 2))
        near.add(b)
    headers: set[int] = set()
    for key, occurrences in by_key.items():
        if len(occurrences) < 3:
            continue
        words = re.sub(r"\W+", " ", key).strip()
        if sum(i in near for i in occurrences) >= 0.6 * len(occurrences) or (
            len(words.split()) >= 3 and f" {words} " in f" {title_key} "
        ):
            headers.update(occurrences)
    # A bracketed banner repeated through the document is a page header even where no page break is known
    # ("[Provisional translation]" atop each page of Japan's AI Basic Plan, its brackets misread as "{" or "[ ").
    for key, occurrences in banners.items():
        # On five pages at least: a label the document repeats per section ("[Specific Initiatives]", 4 times
        # there) is no banner.
        if len(occurrences) >= 5 and len(key) >= 4:
            headers.update(occurrences)
    # A line printed beside a running header on (almost) every page is part of it ("Issued by State Council").
    marked = headers | boundaries
    for occurrences in by_key.values():
        if len(occurrences) >= 3 and not headers.issuperset(occurrences):
            beside = sum(any(j in marked for j in lines.neighbours(i, 1)) for i in occurrences)
            if beside >= 0.8 * len(occurrences):
                headers.update(occurrences)
    return sorted(headers)


_TOC_TITLE = re.compile(r"^(?:table\s+of\s+contents?|contents?|index)\s*:?$", re.IGNORECASE)
_ENDS_WITH_PAGE = re.compile(r"^.{2,160}?\S\s+(?:\d{1,3}|[ivxlc]{1,6})$")


def _toc_lines(lines: _Lines) -> list[int]:
    """Table-of-contents blocks: a title such as 'Contents' or a dot-leader line, then entries that end in
    page numbers (or, under a 'Contents' title, headings that the body repeats as lines of their own: a table
    without page numbers), their wrapped first lines and the page furniture between them."""
    out: set[int] = set()
    n = len(lines)
    last_start: dict[str, int] | None = None
    i = 0
    while i < n:
        s = lines.stripped[i]
        if not s or not (_TOC_TITLE.match(s) or TOC_LINE.match(s)):
            i += 1
            continue
        block = [i]
        entries = 1 if TOC_LINE.match(s) else 0
        titled = bool(_TOC_TITLE.match(s))
        if titled and last_start is None:
            last_start = _line_starts(lines)
        j = i + 1
        while j < n:
            t = lines.stripped[j]
            if not t or _LONE_NUMBER.match(t.lower()) or _TOC_TITLE.match(t) or _is_page_marker(t):
                block.append(j)
            elif TOC_LINE.match(t) or (
                _ENDS_WITH_PAGE.match(t) and not t.endswith((".", ";")) and (entries or titled)
            ):
                block.append(j)
                entries += 1
            elif _wraps_into_entry(lines, j):
                block.append(j)
            elif titled and last_start is not None and _repeated_later(t, j, last_start):
                block.append(j)
                entries += 1
            elif titled and entries and _wraps_a_repeated_entry(lines, j, last_start):
                block.append(j)
            else:
                break
            j += 1
        if entries >= 3:
            out.update(k for k in block if lines.stripped[k])
        i = max(j, i + 1)
    return sorted(out)


_START_CHARS = 40


def _start_key(line: str) -> str:
    return " ".join(line.lower().split())[:_START_CHARS]


def _line_starts(lines: _Lines) -> dict[str, int]:
    """Each line's opening characters (normalised) -> the last line that opens with them."""
    return {_start_key(t): k for k, t in enumerate(lines.stripped) if len(t) >= 8}


def _repeated_later(line: str, index: int, last_start: dict[str, int]) -> bool:
    """Whether a later line opens as this one does: a table-of-contents entry that the body repeats as its
    heading ("Section 2 Revisions to the AI Basic Plan"), however either wraps."""
    return (
        len(line) >= 8 and not line.endswith((".", ";")) and last_start.get(_start_key(line), -1) > index + 1
    )


def _wraps_a_repeated_entry(lines: _Lines, index: int, last_start: dict[str, int] | None) -> bool:
    """Lines without a full stop before a repeated entry within three more: a wrapped heading's tail, or an
    entry the body words differently."""
    if last_start is None:
        return False
    for j in range(index, min(index + 4, len(lines))):
        line = lines.stripped[j]
        if len(line) > 120 or line.endswith((".", ";", ":")):
            return False
        if j > index and _repeated_later(line, j, last_start):
            return True
    return False


def _wraps_into_entry(lines: _Lines, index: int) -> bool:
    """Short lines without a full stop whose entry ends, with its page number, within three lines."""
    j = index
    for _ in range(3):
        line = lines.stripped[j]
        if len(line) > 120 or line.endswith((".", ";", ":")):
            return False
        following = [k for k in lines.neighbours(j, 1) if k > j]
        if not following:
            return False
        j = following[0]
        if TOC_LINE.match(lines.stripped[j]) or _ENDS_WITH_PAGE.match(lines.stripped[j]):
            return True
    return False


def _cover_lines(lines: _Lines, page_starts: Sequence[tuple[int, int]]) -> list[int]:
    """The first page, when it is a cover: a few short lines (title, date, copyright) and no sentence."""
    if len(page_starts) < 2:
        return []
    end_line = lines.line_at(page_starts[1][0])
    start_line = lines.line_at(page_starts[0][0]) if page_starts[0][0] > 0 else 0
    body = [i for i in range(start_line, end_line) if lines.stripped[i]]
    text = " ".join(lines.stripped[i] for i in body)
    if not body or len(text.split()) > 60 or re.search(r"[a-z]{2}[.!?](?:\s|$)", text):
        return []
    return body


# --- inline noise ----------------------------------------------------------------------------------------

_FOOTNOTE_REF = re.compile(
    r"(?:(?<=[a-z]{3})|(?<=[a-z][.,;:)”’\"]))(\d{1,3}(?:,[ ]?\d{1,3})*)(?=[.,;:]?(?:\s|$))"
)
_FOOTNOTE_BODY = re.compile(r"^[ \t]*(\d{1,3})[ \t]+(?=\S)", re.MULTILINE)
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")


def _footnote_refs(text: str) -> list[NoiseSpan]:
    """Footnote numbers glued to a lower-case word ('policy.12 The', 'year8.'), when each footnote is in the
    document; 'Data4' or 'G7' are names, not footnote marks."""
    notes = {m.group(1) for m in _FOOTNOTE_BODY.finditer(text)}
    out = []
    for match in _FOOTNOTE_REF.finditer(text):
        numbers = re.split(r",[ ]?", match.group(1))
        word = _WORD_BEFORE.search(
            text, max(0, match.start() - 40), match.start(1) - (not text[match.start(1) - 1].isalpha())
        )
        if word is None or not word.group().islower():
            continue
        if all(n in notes and not n.startswith("0") for n in numbers):
            out.append(NoiseSpan(match.start(1), match.end(1), "footnote_ref"))
    return out


_SOFT_HYPHEN = re.compile(r"(?<=[a-z]{2})-[ \t]*\n[ \t]*(?=[a-z]{2})")
_WORD_AROUND = re.compile(r"[A-Za-z]+$")


def _soft_hyphens(text: str) -> list[NoiseSpan]:
    """'regu-\\nlation': a word broken at a line end, when the document spells it whole elsewhere."""
    out = []
    vocabulary: Counter[str] | None = None
    for match in _SOFT_HYPHEN.finditer(text):
        before = _WORD_AROUND.search(text, max(0, match.start() - 40), match.start())
        after = re.match(r"[a-z]+", text[match.end() :])
        if before is None or after is None:
            continue
        if vocabulary is None:
            vocabulary = Counter(re.findall(r"[a-z]+(?:-[a-z]+)?", text.lower()))
        whole = (before.group() + after.group()).lower()
        hyphenated = f"{before.group()}-{after.group()}".lower()
        if vocabulary[whole] > vocabulary[hyphenated]:
            out.append(NoiseSpan(match.start(), match.end(), "hyphenation"))
    return out


def _url_tails(text: str) -> list[NoiseSpan]:
    """'..., available at https://...' inside a sentence."""
    return [NoiseSpan(m.start(), m.end(), "url_tail") for m in _URL_TAIL.finditer(text)]
