"""Chinese text as words: jieba's segmenter with its own packaged dictionary, plus the glossary's policy terms
(人工智能+, 智能终端, 智能体 …) so that they stay whole.

Index terms use jieba's search mode, which adds the shorter words inside a long one (人工智能 -> 人工, 智能,
人工智能), so a question's word matches a passage's compound and the other way round.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from ..caches import LRUCache, sequence_size

# CJK Unified Ideographs (with extension A and compatibility ideographs).
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
_PUNCTUATION = re.compile(r"^[\W_]+$", re.UNICODE)

_lock = threading.Lock()
_segmenter: Any = None


def has_cjk(text: str) -> bool:
    return bool(CJK_CHAR.search(text))


def cjk_ratio(text: str) -> float:
    """Share of letters that are CJK ideographs."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if CJK_CHAR.match(c)) / len(letters)


def is_chinese(text: str, threshold: float = 0.3) -> bool:
    """Whether a text is mostly Chinese (a question, a sentence)."""
    return cjk_ratio(text) > threshold


def language_of(text: str) -> str:
    """'zh' for a mostly Chinese text, else 'en' (the two languages cross-lingual search tells apart)."""
    return "zh" if is_chinese(text) else "en"


def segmenter() -> Any:
    """The shared jieba tokenizer (its own instance: the module-level one is left alone), built on first use."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import jieba

                from .glossary import glossary

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for term in glossary().chinese_terms():
                    tokenizer.add_word(term, freq=max(tokenizer.suggest_freq(term, tune=False), 2000))
                _segmenter = tokenizer
    return _segmenter


# Runs seen before (indexing and questions meet the same ones) are not segmented again. Bounded in bytes as
# well as entries: a run can be as long as a question (answer.max_question_chars), and 65,536 such entries
# would be gigabytes; document runs average ~640 bytes with their words, so 32 MiB holds ~50,000 of them.
SEARCH_WORDS_CACHE = LRUCache[str, tuple[str, ...]](
    65536, 32 * 1024 * 1024, sizeof=sequence_size, name="cjk_search_words"
)


def search_words(run: str) -> tuple[str, ...]:
    """A run of CJK characters as index words: every dictionary word jieba finds in it, the long ones with
    the shorter words inside them."""
    found = SEARCH_WORDS_CACHE.get(run)
    if found is None:
        found = tuple(
            w for w in segmenter().cut_for_search(run, HMM=False) if w.strip() and not _PUNCTUATION.match(w)
        )
        SEARCH_WORDS_CACHE.put(run, found)
    return found


def words(text: str) -> list[str]:
    """A Chinese text as words, each once where it stands (the segmentation a reader would make)."""
    return [w for w in segmenter().cut(text, HMM=False) if w.strip() and not _PUNCTUATION.match(w)]


def word_frequency(word: str) -> int:
    """How common a word is in jieba's dictionary (0 when it is not in it)."""
    return int(segmenter().FREQ.get(word, 0) or 0)
