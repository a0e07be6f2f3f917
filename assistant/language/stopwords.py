"""Chinese stop words, from the stopwords-iso lists that the `stopwordsiso` package ships.

A Chinese question's function and question words (什么, 哪些, 如何, 多少, 的, 对 …) carry nothing to look for,
and their dictionary senses ("something", "which ones? who?", "what way") would be searched as if they did.

The list is read straight from the package's data file: importing `stopwordsiso` needs `pkg_resources`, which
current setuptools no longer ships, and finding the package's folder does not import it.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

_DATA_FILE = "stopwords-iso.json"


@lru_cache(maxsize=1)
def chinese_stopwords() -> frozenset[str]:
    """The stopwords-iso list for Chinese (about 800 words and characters)."""
    spec = importlib.util.find_spec("stopwordsiso")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the stopwordsiso package is not installed (pip install stopwordsiso)")
    path = Path(next(iter(spec.submodule_search_locations))) / _DATA_FILE
    return frozenset(json.loads(path.read_text(encoding="utf-8"))["zh"])
