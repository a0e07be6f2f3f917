"""Sentences and paragraphs as exact character spans: Western and Chinese sentence ends, abbreviations, list
items and enumerators (the chunker, the answerers and the citation checks all split text the same way)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .chinese import CJK_CHAR

Span = tuple[int, int]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# Western sentence ends: . ! ? (and …) with optional closing quotes/brackets, then whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
# CJK sentence ends need no whitespace after them.
_CJK_SENTENCE_END = re.compile(r"[。！？；]+[”’」』）)]*")
_LIST_ITEM_LINE = re.compile(
    r"\n(?=[ \t]*(?:[-*•·▪]\s|\(?[0-9]{1,3}[.)]\s|\([a-z]{1,4}\)\s|[a-z][.)]\s|\|))"  # list items, table rows
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪]\s|\(?[0-9]{1,3}[.)]\s|\([a-z]{1,4}\)|[a-z][.)]\s|[ivx]{1,5}[.)]\s)")
# A bullet drawn in a symbol font comes out of a PDF as a private-use character (U+F02D, U+F0B7, U+F0A7 ...).
_LEADING_ENUMERATOR = re.compile(
    r"^(?:\(?\d{1,3}[.)]|\([a-z]{1,4}\)|[a-z][.)]|[ivx]{1,5}[.)]|[-*•·▪\uf000-\uf0ff])\s+(?=\S)"
)


def without_enumerator(sentence: str) -> str:
    """The sentence, whitespace collapsed, without the list number or bullet that opens it ("1. The
    Commission may ..." -> "The Commission may ..."): quoted alone, the number would read as a claim."""
    return _LEADING_ENUMERATOR.sub("", " ".join(sentence.split()))


_LINE_AFTER_COLON = re.compile(r"(?<=[:;：；])[ \t]*\n")
_ENUMERATOR = re.compile(
    r"^\s*(?:\(?[0-9]{1,3}[.)]?|\(?[a-zA-Z]{1,2}[.)]|\([ivxlc]{1,6}\)|[ivxlc]{1,6}[.)]|[-*•·▪])\s*$"
)

ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "al",
        "cf",
        "vs",
        "viz",
        "approx",
        "no",
        "nos",
        "art",
        "arts",
        "para",
        "paras",
        "p",
        "pp",
        "ch",
        "chap",
        "sec",
        "secs",
        "fig",
        "figs",
        "vol",
        "vols",
        "ed",
        "eds",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "govt",
        "u.s",
        "u.k",
        "e.u",
        "u.n",
        "op",
        "ibid",
        "seq",
        "resp",
        "incl",
        "min",
        "max",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "reg",
        "regs",
        "sub",
        "subpara",
        "no.s",
        "ref",
        "refs",
    ]
)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of blank-line separated paragraphs in text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        _append_trimmed(text, cursor, match.start(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def is_enumerator(fragment: str) -> bool:
    """True for a bare list marker such as '(a)', '1.', 'iv)' or '-'."""
    return bool(_ENUMERATOR.match(fragment))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of the sentences in text[start:end]; together they cover every non-whitespace character."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        spans.extend(_sentences_in_paragraph(text, p_start, p_end))
    return _merge_enumerators(text, spans)


def _sentences_in_paragraph(text: str, start: int, end: int) -> Iterator[Span]:
    cuts = {end}
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _is_abbreviation(text, start, match.start(), match.group()):
            cuts.add(match.end())
    for match in _CJK_SENTENCE_END.finditer(text, start, end):
        cuts.add(match.end())
    for pattern in (_LIST_ITEM_LINE, _LINE_AFTER_COLON):
        for match in pattern.finditer(text, start, end):
            cuts.add(match.start())
    for match in _LINE_AFTER_URL.finditer(text, start, end):
        cuts.add(match.end())
    cuts.update(_heading_line_cuts(text, start, end))
    cuts.update(_fragment_stack_cuts(text, start, end))
    cursor = start
    for cut in sorted(cuts):
        if cut <= cursor:
            continue
        piece: list[Span] = []
        _append_trimmed(text, cursor, cut, piece)
        yield from piece
        cursor = cut


# A line that ends with an address ends a sentence when the next opens with a capital ("... available free of
# charge from: https://doi.org/10.6028/NIST.AI.100-1\nUpdate Schedule and Versions").
_LINE_AFTER_URL = re.compile(r"(?:https?://|www\.)\S+[ \t]*\n(?=[ \t]*[A-Z“\"‘'(])")


# A heading line glued to the sentence under it by a PDF's text ("HELPING THE PUBLIC UNDERSTAND AND EMBRACE AI\n
# In May 2024, ...", "Section 3 Coordination with Other Plans\nWe will ..."): a short line with no sentence end,
# in capitals or opened by a section number, between a sentence's end and a line that opens with a capital.
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:Section|Chapter|Part|Article|Annex|Appendix|Table|Figure|Box|Step|Pillar)\s+[0-9IVX]+[.:]?"
    r"|\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}\.|[A-H]\.)\s+[A-Z]"
)
_NOT_A_HEADING_END = re.compile(
    r"(?:[.!?;:,\-–—/(&]|\b(?:and|or|of|the|to|for|in|on|by|with|a|an))$", re.IGNORECASE
)
_OPENS_A_LINE = re.compile(r"[ \t]*[A-Z0-9“\"‘'(]")
_HEADING_MAX_WORDS = 12


def is_heading_text(line: str) -> bool:
    """A line that reads as a heading: at most twelve words, no sentence end, and either in capitals
    ("BUILDING TRUSTED AI") or opened by a section or list number ("1.2 Technical robustness and safety")."""
    line = line.strip()
    if not line or _NOT_A_HEADING_END.search(line):
        return False
    n_words = len(line.split())
    if n_words > _HEADING_MAX_WORDS:
        return False
    letters = [c for c in line if c.isalpha()]
    if n_words >= 2 and len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        return True
    return bool(_NUMBERED_HEADING.match(line))


def _heading_line_cuts(text: str, start: int, end: int) -> Iterator[int]:
    """Cuts before and after each heading line that opens a sentence in text[start:end]."""
    line_start = start
    after_sentence = True  # the paragraph's first line opens a sentence
    while line_start < end:
        newline = text.find("\n", line_start, end)
        if newline < 0:
            return
        line = text[line_start:newline]
        if after_sentence and is_heading_text(line) and _OPENS_A_LINE.match(text, newline + 1, end):
            yield line_start
            yield newline
            after_sentence = True
        else:
            after_sentence = _ends_sentence(line)
        line_start = newline + 1


def _ends_sentence(line: str) -> bool:
    """Whether a line ends with a sentence's (or a clause's) end, so that the next line opens a sentence."""
    stripped = line.rstrip()
    return bool(stripped) and stripped[-1] in '.!?:;。！？；："”’)'


# A stack of short lines opening a sentence, each ending without punctuation before a line that opens with a
# capital: a cover page ("[ Provisional translation]\nPlease refer to the original text for accuracy\nARTIFICIAL
# INTELLIGENCE BASIC PLAN\n...\nCabinet Decision"), a page's navigation ("Overview\nPriority areas\nExpectations
# for federal organizations\n..."). Each line is cut off as a piece of its own. Two such lines at least: a
# single short line before a capital is as often wrapped prose ("The European\nCommission shall ...").
_FRAGMENT_MAX_WORDS = 8


def _fragment_stack_cuts(text: str, start: int, end: int) -> Iterator[int]:
    """Cuts around each line of a stack of fragment lines that opens a sentence in text[start:end]. A short
    line that runs into a lower-case one ("mM" before "gagement and consultation", OCR's remains of a
    navigation line) belongs to the stack when a later line of the stack ends it before a capital."""
    line_start = start
    after_sentence = True
    stack: list[tuple[int, int]] = []  # fragment lines, each before a line that opens with a capital
    pending: list[tuple[int, int]] = []  # short lines before a lower-case line, not yet known to be fragments
    while line_start < end:
        newline = text.find("\n", line_start, end)
        if newline < 0:
            break
        line = text[line_start:newline].strip()
        short = (
            (after_sentence or stack)  # a pending line is only ever kept after a stack line
            and 0 < len(line.split()) <= _FRAGMENT_MAX_WORDS
            and not CJK_CHAR.search(line)
            and not LIST_ITEM.match(line)  # list items stay with the sentence that introduces them
            and not _NOT_A_HEADING_END.search(line)  # "The Department of\nCommerce shall ..." goes on
        )
        if short and _OPENS_A_LINE.match(text, newline + 1, end) is not None:
            stack += [*pending, (line_start, newline)]
            pending = []
        elif short and stack:
            pending.append((line_start, newline))
        else:
            yield from _stack_cuts(stack)
            stack, pending = [], []
            after_sentence = _ends_sentence(line)
        line_start = newline + 1
    yield from _stack_cuts(stack)


def _stack_cuts(stack: list[tuple[int, int]]) -> Iterator[int]:
    """Both ends of each line of a stack of two or more fragment lines (a single one is no stack)."""
    if len(stack) >= 2:
        for line_start, line_end in stack:
            yield line_start
            yield line_end


def _is_abbreviation(text: str, para_start: int, dot_pos: int, punct: str) -> bool:
    if not punct.startswith("."):
        return False
    word_start = dot_pos
    while (
        word_start > para_start
        and not text[word_start - 1].isspace()
        and text[word_start - 1] not in "([\"'“（【「『《‘"
    ):
        word_start -= 1
    word = text[word_start:dot_pos]
    if not word:
        return False
    lowered = word.lower().rstrip(".")
    if lowered in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial, as in "J. Smith"
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word):
        return True  # U.S, e.g
    # "1." or "3.2." at the very start of a paragraph is a list number, not a sentence.
    return bool(re.fullmatch(r"\(?\d+(?:\.\d+)*\)?", word) and not text[para_start:word_start].strip())


def _merge_enumerators(text: str, spans: list[Span]) -> list[Span]:
    """Join a bare list marker such as '(a)' to the sentence that follows it."""
    merged: list[Span] = []
    carry: int | None = None
    for span_start, span_end in spans:
        if carry is not None:
            span_start = carry
            carry = None
        if is_enumerator(text[span_start:span_end]):
            carry = span_start
            continue
        merged.append((span_start, span_end))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((carry, spans[-1][1]))
    return merged
