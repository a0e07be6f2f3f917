"""Caches bounded by entries and bytes, and the first-come-first-served lock around the encoder."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from assistant.caches import LRUCache, sequence_size
from assistant.config import EmbeddingSettings
from assistant.index.embedder import Embedder, VectorCache
from assistant.language.chinese import SEARCH_WORDS_CACHE, search_words
from assistant.locks import FairLock


def vector(seed: int, dim: int = 384) -> np.ndarray:
    return np.full(dim, seed, dtype=np.float32)


def entry_size(key: str, value: np.ndarray) -> int:
    return sys.getsizeof(key) + sys.getsizeof(value)


def test_the_byte_bound_evicts_the_least_recently_used():
    one = entry_size("k0", vector(0))
    cache = LRUCache[str, np.ndarray](capacity=1000, max_bytes=3 * one)
    for i in range(3):
        cache.put(f"k{i}", vector(i))
    assert len(cache) == 3 and cache.nbytes == 3 * one
    assert cache.get("k0") is not None  # k0 is now the most recently used, k1 the least
    cache.put("k3", vector(3))
    assert len(cache) == 3 and cache.nbytes == 3 * one
    assert cache.get("k1") is None
    assert [cache.get(k) is not None for k in ("k0", "k2", "k3")] == [True, True, True]
    stats = cache.stats()
    assert (stats.entries, stats.bytes, stats.max_bytes, stats.max_entries) == (3, 3 * one, 3 * one, 1000)


def test_bigger_vectors_take_more_of_the_byte_bound():
    small = entry_size("s0", vector(0, 8))
    big = entry_size("b", vector(0, 1024))
    cache = LRUCache[str, np.ndarray](capacity=1000, max_bytes=big + 2 * small)
    cache.put("s0", vector(0, 8))
    cache.put("s1", vector(1, 8))
    cache.put("b", vector(2, 1024))
    assert len(cache) == 3
    cache.put("s2", vector(3, 8))  # one small entry more than fits: the oldest goes
    assert cache.get("s0") is None and cache.get("b") is not None
    assert cache.nbytes <= cache.max_bytes


def test_the_entry_bound_still_holds_and_a_value_too_big_alone_is_not_kept():
    cache = LRUCache[str, np.ndarray](capacity=2, max_bytes=10_000)
    for i in range(5):
        cache.put(f"k{i}", vector(i, 4))
    assert len(cache) == 2 and cache.get("k4") is not None and cache.get("k2") is None
    cache.put("huge", vector(9, 10_000))
    assert cache.get("huge") is None and len(cache) == 2
    assert LRUCache(0, 10_000).stats().entries == 0
    nothing = LRUCache[str, np.ndarray](10, 0)
    nothing.put("k", vector(1, 4))
    assert len(nothing) == 0


def test_putting_a_key_again_replaces_its_size():
    cache = LRUCache[str, np.ndarray](capacity=10, max_bytes=1_000_000)
    cache.put("k", vector(1, 1000))
    cache.put("k", vector(2, 10))
    assert len(cache) == 1 and cache.nbytes == entry_size("k", vector(2, 10))
    assert cache.get("k")[0] == 2
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0


def test_a_cached_row_of_a_batch_does_not_keep_the_batch_alive():
    batch = np.ones((1000, 384), dtype=np.float32)
    cache = VectorCache(capacity=10, max_bytes=1_000_000)
    cache.put("row", batch[3])
    kept = cache.get("row")
    assert kept is not None and kept.base is None and kept.nbytes == 384 * 4
    assert cache.nbytes == entry_size("row", kept) < 2000  # not the 1.5 MB of the batch


def test_the_embedder_bounds_its_caches_by_the_byte_settings(embedder):
    settings = EmbeddingSettings(sentence_cache_bytes=20_000, query_cache_bytes=5_000)
    small = Embedder(settings)
    small._model = embedder.model  # the loaded model, shared: no second load
    small._tokenizer, small._special_tokens = embedder._tokenizer, embedder._special_tokens
    texts = [f"Sentence number {i} about the regulation of artificial intelligence." for i in range(40)]
    vectors = small.embed_sentences(texts)
    assert vectors.shape == (40, embedder.dimension)
    for text in ("first question", "second question", "third question", "fourth question"):
        small.embed_query(text)
    stats = {s.name: s for s in small.cache_stats()}
    sentences, queries = stats["sentence_vectors"], stats["query_vectors"]
    assert 0 < sentences.bytes <= 20_000 and sentences.entries < 40
    assert 0 < queries.bytes <= 5_000 and queries.entries < 4
    # what was evicted is encoded again, to the same vectors
    assert np.allclose(small.embed_sentences(texts[:3]), vectors[:3], atol=1e-5)


def test_the_chinese_words_cache_counts_words_and_keys():
    search_words("人工智能行动")
    found = SEARCH_WORDS_CACHE.get("人工智能行动")
    assert found is not None and "人工智能" in found
    assert SEARCH_WORDS_CACHE.nbytes >= sequence_size("人工智能行动", found)
    assert SEARCH_WORDS_CACHE.max_bytes == 32 * 1024 * 1024


def test_the_fair_lock_serves_waiters_in_arrival_order():
    lock = FairLock()
    order: list[int] = []
    lock.acquire()

    def worker(i: int) -> None:
        with lock:
            order.append(i)

    threads = []
    for i in range(8):
        thread = threading.Thread(target=worker, args=(i,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 10
        while lock.waiting < i + 1:  # the next one asks only after this one waits
            assert time.monotonic() < deadline
            time.sleep(0.001)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == list(range(8))
    assert not lock.locked() and lock.waiting == 0
    with pytest.raises(RuntimeError):
        lock.release()


def test_the_fair_lock_excludes():
    lock = FairLock()
    inside = 0
    most = 0
    guard = threading.Lock()

    def worker() -> None:
        nonlocal inside, most
        for _ in range(200):
            with lock:
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1 and not lock.locked()
