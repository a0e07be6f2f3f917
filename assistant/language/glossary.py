"""The project's English–Chinese glossary of policy terms (glossary.tsv beside this file).

Policy phrases have settled translations that a word-by-word dictionary lookup misses or scatters
(智能终端 is "intelligent terminal", not 智慧 + 接头): the glossary is looked up first, longest phrase first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class GlossaryEntry:
    english: tuple[str, ...]  # lower-case forms; the first is the one glosses use
    chinese: tuple[str, ...]  # the first is the one glosses use


class Glossary:
    def __init__(self, entries: list[GlossaryEntry]) -> None:
        self.entries = entries
        self._by_english: dict[str, GlossaryEntry] = {}
        self._by_chinese: dict[str, GlossaryEntry] = {}
        for entry in entries:
            for form in entry.english:
                self._by_english.setdefault(form, entry)
            for form in entry.chinese:
                self._by_chinese.setdefault(form, entry)
        self.longest_english = max((len(f.split()) for f in self._by_english), default=1)

    def chinese_for(self, english: str) -> tuple[str, ...]:
        entry = self._by_english.get(english.lower())
        return entry.chinese if entry else ()

    def english_for(self, chinese: str) -> str | None:
        entry = self._by_chinese.get(chinese)
        return entry.english[0] if entry else None

    def chinese_terms(self) -> list[str]:
        return sorted(self._by_chinese)


def parse(text: str) -> Glossary:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        english, sep, chinese = line.partition("\t")
        if not sep or not english.strip() or not chinese.strip():
            raise ValueError(f"glossary line {number}: expected 'english forms<TAB>chinese forms': {line!r}")
        entries.append(
            GlossaryEntry(
                english=tuple(f.strip().lower() for f in english.split("|") if f.strip()),
                chinese=tuple(f.strip() for f in chinese.split("|") if f.strip()),
            )
        )
    return Glossary(entries)


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    return parse(resources.files(__package__).joinpath("glossary.tsv").read_text(encoding="utf-8"))
