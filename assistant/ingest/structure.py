"""Find a document's own structure: headings (Markdown, Chapter/Section/Article/Annex, Chinese 第X条, 一、, （一）)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_ROMAN = r"[IVXLCDM]+"
_CN_NUM = r"[一二三四五六七八九十百零〇两]+"

# (pattern, level): a label, then optionally a title that starts with a separator or a capital.
_TITLE_REST = r"(?:\s*[-—–:.]\s*\S.*|\s+[A-Z0-9“\"'(].*)?$"
_HEADINGS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(rf"^(?:PART|Part|TITLE|Title)\s+(?:{_ROMAN}|\d+|[A-Z])\b{_TITLE_REST}"), 1),
    (re.compile(rf"^(?:ANNEX|Annex|APPENDIX|Appendix)\s+(?:{_ROMAN}|\d+|[A-Z])\b{_TITLE_REST}"), 1),
    (re.compile(rf"^(?:CHAPTER|Chapter)\s+(?:{_ROMAN}|\d+)\b{_TITLE_REST}"), 2),
    (re.compile(rf"^(?:SECTION|Section)\s+(?:\d+(?:\.\d+)*|{_ROMAN}|[A-Z])\b{_TITLE_REST}"), 3),
    (re.compile(rf"^(?:ARTICLE|Article)\s+\d+[a-z]?\b{_TITLE_REST}"), 4),
    (re.compile(rf"^第{_CN_NUM}编"), 1),
    (re.compile(rf"^第{_CN_NUM}章"), 2),
    (re.compile(rf"^第{_CN_NUM}节"), 3),
    (re.compile(rf"^第{_CN_NUM}条"), 4),
    (re.compile(rf"^{_CN_NUM}、"), 2),
    (re.compile(rf"^[（(]{_CN_NUM}[）)]"), 3),
]
_BARE_LABEL = re.compile(
    rf"^(?:(?:PART|Part|TITLE|Title|ANNEX|Annex|APPENDIX|Appendix|CHAPTER|Chapter|SECTION|Section|ARTICLE|Article)"
    rf"\s+(?:{_ROMAN}|\d+(?:\.\d+)*[a-z]?|[A-Z])|第{_CN_NUM}[编章节条])$"
)
_CN_ARTICLE = re.compile(rf"^(第{_CN_NUM}条)")
_EO_SECTION = re.compile(r"^(Sec\.\s+\d+[a-z]?\.(?:\s+[^.]{1,80}\.)?)")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_MAX_HEADING_CHARS = 160
_MAX_CN_HEADING_CHARS = 40


@dataclass(frozen=True)
class Heading:
    """A heading line: its level (1 is outermost), its display text, and where it starts."""

    level: int
    text: str
    start: int


@dataclass(frozen=True)
class Section:
    """A stretch of the document under one heading path, its heading line included."""

    start: int
    end: int
    path: tuple[str, ...]


def find_headings(text: str) -> list[Heading]:
    """Heading lines in document order."""
    lines = _lines_with_offsets(text)
    toc_titles = _table_of_contents(lines)
    headings: list[Heading] = []
    in_code = False
    for index, (start, line) in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not stripped or TOC_LINE.match(stripped):
            continue
        found = _classify(stripped)
        if found is None:
            key = _toc_key(stripped)
            if key not in toc_titles or toc_titles[key] >= start:
                continue
            found = (2, _clean(stripped))
        level, label = found
        if _BARE_LABEL.match(stripped):
            title = _title_after(lines, index)
            if title:
                label = f"{label} — {title}"
        headings.append(Heading(level=level, text=label, start=start + (len(line) - len(line.lstrip()))))
    return _drop_toc_entries(headings)


# A table-of-contents line: a title, dot leaders, perhaps a page number (cleaning.py uses it too).
TOC_LINE = re.compile(r"^(.{2,160}?)\s*(?:\.\s?){4,}\s*[\divxlc]*\s*$")
_TRAILING_PAGE = re.compile(r"^(.*\S)\s+\d{1,3}$")


def _table_of_contents(lines: list[tuple[int, str]]) -> dict[str, int]:
    """Titles listed in a dot-leader table of contents, with the offset of their TOC line."""
    titles: dict[str, int] = {}
    for start, line in lines:
        match = TOC_LINE.match(line.strip())
        if match:
            titles.setdefault(_toc_key(match.group(1)), start)
    return titles


def _toc_key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _drop_toc_entries(headings: list[Heading]) -> list[Heading]:
    """Drop 'Annex A: Method 63'-style lines when the same heading appears later without the page number."""
    later = {_toc_key(h.text) for h in headings}
    kept = []
    for heading in headings:
        match = _TRAILING_PAGE.match(heading.text)
        if match and _toc_key(match.group(1)) in later:
            continue
        kept.append(heading)
    return kept


def split_sections(text: str, skip: Callable[[int], bool] | None = None) -> list[Section]:
    """Cut the text into sections at its headings; each section carries its full heading path. A heading
    for which `skip(start)` holds (a line of the table of contents) opens no section: it would name the body
    text that follows the contents ("Annex D: Summary of impact assessment evidence 90" over a foreword)."""
    headings = find_headings(text)
    if skip is not None:
        headings = [h for h in headings if not skip(h.start)]
    sections: list[Section] = []
    stack: list[Heading] = []
    if not headings or headings[0].start > 0:
        first_end = headings[0].start if headings else len(text)
        if text[:first_end].strip():
            sections.append(Section(0, first_end, ()))
    for i, heading in enumerate(headings):
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        end = headings[i + 1].start if i + 1 < len(headings) else len(text)
        sections.append(Section(heading.start, end, tuple(h.text for h in stack)))
    return sections


def _classify(line: str) -> tuple[int, str] | None:
    md = _MD_HEADING.match(line)
    if md:
        return len(md.group(1)), _clean(md.group(2))
    sec = _EO_SECTION.match(line)
    if sec:
        return 4, _clean(sec.group(1).rstrip("."))
    if len(line) > _MAX_HEADING_CHARS:
        return None
    for pattern, level in _HEADINGS:
        if not pattern.match(line):
            continue
        if line[0] in "第一二三四五六七八九十（(":
            article = _CN_ARTICLE.match(line)
            if article:  # 第一条 is followed by the article's text on the same line
                return level, article.group(1)
            if len(line) > _MAX_CN_HEADING_CHARS or line.endswith(("。", "；", ";")):
                return None
            return level, line
        if line.endswith((".", ";", ",")) and not line.startswith("Sec."):
            return None  # a sentence that happens to start with "Article 5 ..."
        return level, _clean(line.rstrip("."))
    return None


def _title_after(lines: list[tuple[int, str]], index: int) -> str | None:
    """The short title line that often follows a bare 'Article 5' or 'CHAPTER II' line."""
    for _, line in lines[index + 1 : index + 4]:
        stripped = line.strip()
        if not stripped:
            continue
        if len(stripped) > 100 or stripped.endswith((".", ";", ",", ":")) or _classify(stripped) is not None:
            return None
        if stripped[0].isdigit() or stripped.startswith("("):
            return None
        return _clean(stripped.rstrip("`"))
    return None


def _clean(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out
