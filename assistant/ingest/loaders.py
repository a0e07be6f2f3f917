"""Loaders: turn a file (Markdown, text, HTML, PDF) into a `Document` with plain text and metadata."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from ..errors import DecodeError, DocumentError, EmptyDocument, UnsupportedFileType
from ..language.chinese import cjk_ratio
from ..models import Document, DocumentMetadata

LOADER_VERSION = "1"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_PAGE_MARKER = re.compile(r"^-{2,}\s*Page\s+(\d+)\s*-{2,}[ \t]*\n?", re.MULTILINE | re.IGNORECASE)
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_KNOWN_FIELDS = {"title", "issuing_body", "date", "language", "source_url", "url", "source", "tags", "id"}


def document_id_for(path: Path) -> str:
    """A readable, stable id from the file name: lower-case letters, digits, '-' and '_'."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-")
    if not slug:
        slug = "doc-" + hashlib.sha1(path.name.encode("utf-8")).hexdigest()[:10]
    return slug[:120]


def load_document(path: Path, *, max_bytes: int | None = None, doc_id: str | None = None) -> Document:
    """Load one file into a Document, or raise a `DocumentError` that says what is wrong with it."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileType(f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentError(
            f"file is larger than the limit ({len(data) / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB)"
        )
    return load_bytes(data, path.name, source=str(path), doc_id=doc_id)


def load_bytes(
    data: bytes, filename: str, *, source: str | None = None, doc_id: str | None = None
) -> Document:
    """Load a document from bytes; the file name's extension picks the loader."""
    suffix = Path(filename).suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise UnsupportedFileType(f"unsupported file type {suffix or '(none)'!r}")
    if not data.strip():
        raise EmptyDocument("the file is empty")
    text, metadata, page_starts = loader(data)
    if not text.strip():
        raise EmptyDocument("the file contains no text")
    fallback_title = Path(filename).stem.replace("_", " ").replace("-", " ").strip() or filename
    meta = _build_metadata(metadata, text, fallback_title, first_line_title=suffix != ".pdf")
    document_id = doc_id or metadata.get("id") or document_id_for(Path(filename))
    document_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(document_id)).strip("-") or document_id_for(
        Path(filename)
    )
    return Document(
        id=document_id,
        source=source or filename,
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        metadata=meta,
        page_starts=page_starts,
    )


# --- decoding -------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else by detection; refuse binary data."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalise_newlines(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise DecodeError("invalid UTF-16 text") from exc
    sample = data[:8192]
    if b"\x00" in sample or _control_ratio(sample) > 0.1:
        raise DecodeError("this looks like a binary file, not text")
    try:
        return _normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError("the text encoding could not be detected")
    return _normalise_newlines(str(best))


def _control_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- formats --------------------------------------------------------------------------------------------

LoaderResult = tuple[str, dict[str, object], list[tuple[int, int]]]


def load_markdown(data: bytes) -> LoaderResult:
    text = decode_text(data)
    metadata: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise DocumentError(f"invalid YAML front matter: {exc}") from exc
        if parsed is not None and not isinstance(parsed, dict):
            raise DocumentError("front matter must be a mapping of fields")
        metadata = parsed or {}
        text = text[match.end() :]
    body, page_starts = _extract_page_markers(text)
    if "title" not in metadata:
        heading = _MD_HEADING.search(body)
        if heading:
            metadata["title"] = heading.group(1).strip()
    return body, metadata, page_starts


def load_plain_text(data: bytes) -> LoaderResult:
    text, page_starts = _extract_page_markers(decode_text(data))
    return text, {}, page_starts


def _extract_page_markers(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove '---- Page N ----' lines (PDF text dumps) and remember where each page starts."""
    if not _PAGE_MARKER.search(text):
        return text, []
    parts: list[str] = []
    page_starts: list[tuple[int, int]] = []
    cursor = 0
    length = 0
    for match in _PAGE_MARKER.finditer(text):
        parts.append(text[cursor : match.start()])
        length += match.start() - cursor
        page_starts.append((length, int(match.group(1))))
        cursor = match.end()
    parts.append(text[cursor:])
    return "".join(parts), page_starts


def load_html(data: bytes) -> LoaderResult:
    from bs4 import BeautifulSoup
    from markdownify import markdownify

    soup = BeautifulSoup(decode_text(data), "html.parser")
    metadata: dict[str, object] = {}
    if soup.title and soup.title.string and soup.title.string.strip():
        metadata["title"] = soup.title.string.strip()
    html_tag = soup.find("html")
    if html_tag is not None and html_tag.get("lang"):
        metadata["language"] = str(html_tag.get("lang")).split("-")[0].lower()
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").lower()
        content = meta.get("content")
        if not content:
            continue
        if name in ("dc.date", "date", "article:published_time", "dcterms.date"):
            metadata.setdefault("date", str(content))
        elif name in ("dc.publisher", "publisher", "dcterms.publisher"):
            metadata.setdefault("issuing_body", str(content))
        elif name == "keywords":
            metadata.setdefault("tags", [t.strip() for t in str(content).split(",") if t.strip()])
    for tag in soup(
        ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg"]
    ):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = markdownify(str(root), heading_style="ATX", strip=["a", "img"], bullets="-")
    text = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    if "title" not in metadata:
        heading = _MD_HEADING.search(text)
        if heading:
            metadata["title"] = heading.group(1).strip()
    return text, metadata, []


def load_pdf(data: bytes) -> LoaderResult:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DecodeError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except DecodeError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise DecodeError(f"corrupt or unreadable PDF: {exc}") from exc
    metadata: dict[str, object] = {}
    if info is not None and info.title and str(info.title).strip():
        metadata["title"] = str(info.title).strip()
    parts: list[str] = []
    page_starts: list[tuple[int, int]] = []
    length = 0
    for number, page_text in enumerate(pages, start=1):
        page_text = _normalise_newlines(page_text).strip()
        if not page_text:
            continue
        if parts:
            parts.append("\n\n")
            length += 2
        page_starts.append((length, number))
        parts.append(page_text)
        length += len(page_text)
    text = "".join(parts)
    if not text.strip():
        raise EmptyDocument("the PDF has no extractable text (a scanned image?)")
    return text, metadata, page_starts


LOADERS: dict[str, Callable[[bytes], LoaderResult]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_plain_text,
    ".text": load_plain_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def _build_metadata(
    raw: dict[str, object], text: str, fallback_title: str, *, first_line_title: bool
) -> DocumentMetadata:
    title = _as_text(raw.get("title")) or (first_line_title and _first_line(text)) or fallback_title
    language = _as_text(raw.get("language")) or ("zh" if cjk_ratio(text[:20000]) > 0.3 else "en")
    tags_raw = raw.get("tags")
    if isinstance(tags_raw, str):
        tags = [t.strip() for t in tags_raw.split(",") if t.strip()]
    elif isinstance(tags_raw, list):
        tags = [str(t).strip() for t in tags_raw if str(t).strip()]
    else:
        tags = []
    extra = {str(k): _as_text(v) or "" for k, v in raw.items() if k not in _KNOWN_FIELDS and v is not None}
    return DocumentMetadata(
        title=title[:300],
        issuing_body=_as_text(raw.get("issuing_body")),
        date=_as_text(raw.get("date")),
        language=language.lower(),
        source_url=_as_text(raw.get("source_url") or raw.get("url") or raw.get("source")),
        tags=tags,
        extra=extra,
    )


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return ", ".join(map(str, value)) if isinstance(value, list) else yaml.safe_dump(value).strip()
    text = str(value).strip()
    return text or None


def _first_line(text: str) -> str | None:
    """The first line, when it is short enough to be a title."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= 150 else None
    return None
