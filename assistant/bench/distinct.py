"""Distinct questions generated from the benchmark's corpus, so that HTTP load looks like real traffic.

A fixed list of questions is answered from warm caches after its first round; real users rarely repeat a
question and ask about passages no one asked about a minute ago. `DistinctQuestions` turns the body sentences
of the ingested chunks into questions in an analyst's words, each one at most once per run:

1. Every chunk's body sentences (no headings, page furniture, list fragments or tables: `is_noise_sentence`
   and a few shape checks), each sentence once even where chunks overlap.
2. The plan visits the chunks in a seeded order, one sentence per chunk per pass: the first pass asks about
   every chunk once before any chunk is asked about twice, so consecutive questions land on different
   passages (cold sentence vectors, as with real users).
3. A sentence becomes a question from its key phrases: for English, runs of content words that follow a
   determiner or a preposition (noun phrases, roughly), the rarest ones in the corpus first; for Chinese,
   runs of nouns (jieba's tags). A template puts them in a question, with the document's short title or
   without it: "What does the AI Playbook for the UK Government say about model behaviour and training data
   coverage?". A Chinese sentence whose phrases the project's glossary translates gives an English question
   (the cross-lingual path); otherwise a Chinese one.
4. When every sentence has been used, further passes use other templates and phrase pairs; a question text
   is never given twice (compared case- and space-insensitively). The iterator ends when nothing new is left.

Deterministic for a seed and a corpus: every choice comes from a `random.Random` seeded by strings.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from ..ingest.cleaning import is_noise_sentence
from ..language.chinese import CJK_CHAR, is_chinese
from ..language.sentences import sentence_spans
from ..language.terms import STOPWORDS

VARIANTS = 4  # passes over all sentences, each with other templates and phrase pairs


class ChunkLike(Protocol):
    """What a catalog chunk row offers (`Catalog.chunk_rows()`)."""

    id: str
    doc_id: str
    text: str
    title: str
    language: str | None


@dataclass(frozen=True)
class Question:
    """A generated question and where it came from."""

    text: str
    doc_id: str
    chunk_id: str
    sentence: str


@dataclass
class _Chunk:
    id: str
    doc_id: str
    language: str
    titles: tuple[str, ...]  # short titles to put in a question ("" = none)
    sentences: list[str] = field(default_factory=list)


class DistinctQuestions:
    """An iterator of distinct questions over a corpus's chunks (see the module's docstring)."""

    def __init__(self, chunks: Iterable[ChunkLike], seed: int = 13) -> None:
        self.seed = seed
        self._chunks = _collect(chunks, seed)
        self._lexicon = _Lexicon.of(s for c in self._chunks for s in c.sentences if c.language == "en")
        self._seen: set[str] = set()
        self._given: dict[str, Question] = {}  # by text: where each question given came from
        self.given = 0
        self.skipped = 0  # sentences with no usable key phrase, or whose question was given already
        self._plan = self._questions()

    @property
    def sentences(self) -> int:
        return sum(len(c.sentences) for c in self._chunks)

    @property
    def chunks(self) -> int:
        return len(self._chunks)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._plan).text

    def next_question(self) -> Question:
        """The next question with its source (raises StopIteration when nothing new is left)."""
        return next(self._plan)

    def take(self, n: int) -> list[str]:
        """Up to `n` more questions (fewer only when the corpus has no more)."""
        return list(islice(self, n))

    def stats(self, asked: Iterable[str] | None = None) -> dict[str, Any]:
        """How many questions were generated, and from how many of the corpus's chunks and documents the
        `asked` ones (default: all generated) came."""
        sources = (
            [self._given[q] for q in asked if q in self._given] if asked is not None else self._given.values()
        )
        return {
            "seed": self.seed,
            "questions_generated": self.given,
            "source_chunks": len({q.chunk_id for q in sources}),
            "source_documents": len({q.doc_id for q in sources}),
            "corpus_chunks_with_sentences": self.chunks,
            "corpus_sentences": self.sentences,
            "skipped_sentences": self.skipped,
        }

    def _questions(self) -> Iterator[Question]:
        for variant in range(VARIANTS):
            cursor = dict.fromkeys(range(len(self._chunks)), 0)  # each chunk's next sentence to try
            rounds = 0
            while cursor:
                order = sorted(cursor)
                random.Random(f"{self.seed}:order:{variant}:{rounds}").shuffle(order)
                rounds += 1
                for i in order:
                    chunk = self._chunks[i]
                    # One question per chunk per round: the chunk's next sentence that makes a new one.
                    while cursor[i] < len(chunk.sentences):
                        sentence = chunk.sentences[cursor[i]]
                        cursor[i] += 1
                        text = self._question(chunk, sentence, variant)
                        key = " ".join(text.lower().split()) if text else ""
                        if not text or key in self._seen:
                            self.skipped += 1
                            continue
                        self._seen.add(key)
                        self.given += 1
                        question = self._given[text] = Question(text, chunk.doc_id, chunk.id, sentence)
                        yield question
                        break
                    if cursor[i] >= len(chunk.sentences):
                        del cursor[i]

    def _question(self, chunk: _Chunk, sentence: str, variant: int) -> str | None:
        rng = random.Random(f"{self.seed}:{chunk.id}:{variant}:{sentence}")
        title = rng.choice(chunk.titles)
        if chunk.language == "zh":
            return _chinese_question(sentence, bool(title), chunk.titles, rng)
        phrases = _english_phrases(sentence, self._lexicon)
        if not phrases:
            return None
        # The rarest phrases first; later variants reach further down the list.
        pool = phrases[: 2 + variant]
        first = pool[variant % len(pool)] if variant else pool[0]
        rest = [p for p in pool if p is not first and not _overlaps(p, first)]
        second = rest[(variant // 2) % len(rest)] if rest else None
        return _fill(rng, title, first, second)


# --- the sentences --------------------------------------------------------------------------------------------

_LIST_MARK = re.compile(
    r"^\s*(?:[-*•·▪]+\s*|\(?[0-9]{1,3}[.)]\s*|\([a-z]{1,4}\)\s*|[a-z][.)]\s+|[ivx]{1,5}[.)]\s+)"
)
_CITATION = re.compile(r"\(OJ [LC]\b|\bOJ [LC] \d|^(?:Directive|Regulation|Decision) \(?(?:EU|EC|EEC)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*")


def _collect(rows: Iterable[ChunkLike], seed: int) -> list[_Chunk]:
    seen: set[str] = set()
    out: list[_Chunk] = []
    titles: dict[str, tuple[str, ...]] = {}
    for row in rows:
        language = row.language or ("zh" if is_chinese(row.text) else "en")
        language = "zh" if language.startswith("zh") else "en"
        if row.doc_id not in titles:
            titles[row.doc_id] = _short_titles(row.title or "", language)
        chunk = _Chunk(row.id, row.doc_id, language, titles[row.doc_id])
        for start, end in sentence_spans(row.text):
            raw = row.text[start:end]
            sentence = _body_sentence(raw, language)
            if sentence is None:
                continue
            key = sentence.lower()
            if key in seen:  # overlapping chunks repeat sentences: each belongs to its first chunk
                continue
            seen.add(key)
            chunk.sentences.append(sentence)
        if chunk.sentences:
            random.Random(f"{seed}:sentences:{chunk.id}").shuffle(chunk.sentences)
            out.append(chunk)
    out.sort(key=lambda c: c.id)  # the plan's order is seeded, not the catalog's
    return out


def _body_sentence(raw: str, language: str) -> str | None:
    """The sentence as one line without its list mark, or None for a heading, a fragment, a table or noise."""
    if is_noise_sentence(raw) or "|" in raw or raw.lstrip().startswith("#"):
        return None
    text = _LIST_MARK.sub("", " ".join(raw.split()))
    if language == "zh" or is_chinese(text):
        return text if len(CJK_CHAR.findall(text)) >= 12 and text[-1] in "。；！？;" else None
    words = _WORD.findall(text)
    letters = sum(ch.isalpha() for ch in text)
    if len(words) < 8 or letters < 0.7 * len(text.replace(" ", "")) or text[-1] not in ".;!?":
        return None
    if not text[0].isalpha() or not text[0].isupper():
        return None  # the tail of a sentence cut by a page break or a list
    if _CITATION.search(text):
        return None  # a reference ("Directive 2000/31/EC of ... (OJ L 178, 17.7.2000, p. 1)")
    return text


def _short_titles(title: str, language: str) -> tuple[str, ...]:
    """How an analyst names the document: its title without the edition notes, or no title at all."""
    head = " ".join(title.split()).split(" — ")[0].strip()
    if "), " in head:  # "Framework (AI RMF 1.0), NIST AI 100-1": what follows the bracket goes
        head = head[: head.index("), ") + 1]
    if head.startswith("Executive Order") and ":" in head:
        head = head.split(":")[0]  # what analysts call them
    english, native = head, ""
    bracket = _last_bracket(head)
    if bracket is not None:
        start, inner = bracket
        before = head[:start].strip()
        words = inner.split()
        if CJK_CHAR.search(before):
            native, english = before, inner  # "生成式人工智能服务管理暂行办法 (Interim Measures ...)"
        elif len(words) >= 2 and all(w[0].isupper() for w in words) and not re.search(r"\d", inner):
            english = inner  # "Regulation (EU) 2024/1689 (Artificial Intelligence Act)": the name
        else:
            english = before  # "(White Paper, CP 815)", "(English)" and the like go
    english = _with_article(english.strip(" ,;:"))
    if language == "zh":  # (the Chinese title, the English one, none): see _chinese_question
        return (native or english, english, "")
    return (english, english, "")  # named two times in three


def _last_bracket(text: str) -> tuple[int, str] | None:
    """Where the bracket that ends `text` opens, and what it holds (nested brackets included)."""
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return i, text[i + 1 : -1]
    return None


def _with_article(title: str) -> str:
    if not title:
        return ""
    first = title.split()[0]
    if first.lower() in ("executive", "regulation", "winning", "make") or re.match(r"^[A-Z]+\d", first):
        return title
    if first.lower() in ("a", "an", "the"):
        return "the " + title.split(" ", 1)[1] if " " in title else title
    return "the " + title


# --- English key phrases ------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end a noun phrase: function words, and the verbs and adverbs policy sentences are made of.
_BREAK = STOPWORDS | _words(
    "also however therefore thus hence including include includes included ensure ensures ensuring "
    "provide provides provided providing support supports supported promote promotes make makes made take "
    "takes taken set sets apply applies applied need needs help helps enable enables allow allows used "
    "using use uses based well like e.g i.e etc among across along around toward towards beyond whose "
    "whereas although though because since unless referred pursuant accordance particular relevant "
    "respective appropriate necessary certain specific various different new many much several one two "
    "three first second third article articles paragraph paragraphs point points annex section chapter "
    "recital recitals oj"
)
_LEAD = _words(
    "the a an of for on in to with by about their its our his her such any all each this these those "
    "from into regarding concerning between through against"
)
_DETERMINERS = _words("the a an this these its their our")
_MODALS = _words("to shall will should must may can cannot could would not")
_VERBISH = re.compile(r"(?:ed|ing|ise|ize|ises|izes)$")


@dataclass
class _Lexicon:
    """Word statistics of the corpus's sentences: rarity, and how often a word follows a determiner (a noun)
    or a modal verb or "to" (a verb) — a part-of-speech guess without a tagger."""

    idf: dict[str, float]
    nouns: Counter[str]
    verbs: Counter[str]

    @classmethod
    def of(cls, sentences: Iterable[str]) -> _Lexicon:
        df: Counter[str] = Counter()
        nouns: Counter[str] = Counter()
        verbs: Counter[str] = Counter()
        n = 0
        for sentence in sentences:
            n += 1
            words = [w.lower() for w in _WORD.findall(sentence)]
            df.update(set(words))
            for before, word in zip(words, words[1:], strict=False):
                if before in _DETERMINERS:
                    nouns[word] += 1
                elif before in _MODALS:
                    verbs[word] += 1
        idf = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
        return cls(idf, nouns, verbs)

    def verbish(self, word: str) -> bool:
        w = word.lower()
        forms = {w, w[:-1] if w.endswith("s") else w, w[:-2] if w.endswith("es") else w}
        as_verb = sum(self.verbs[f] for f in forms)
        as_noun = sum(self.nouns[f] for f in forms)
        return as_verb > as_noun or (bool(_VERBISH.search(w)) and as_noun == 0)


def _english_phrases(sentence: str, lexicon: _Lexicon) -> list[tuple[str, ...]]:
    """Noun-phrase-like runs of content words, best (rarest, two to four words) first."""
    tokens = _WORD.findall(sentence)
    phrases: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].lower() not in _LEAD or i + 1 >= len(tokens) or _breaks(tokens[i + 1]):
            i += 1
            continue
        j = i + 1
        run: list[str] = []
        while j < len(tokens) and not _breaks(tokens[j]) and len(run) < 4:
            run.append(tokens[j])
            j += 1
        # "allocation of liability": one "of" joins two runs.
        if j + 1 < len(tokens) and tokens[j].lower() == "of" and not _breaks(tokens[j + 1]) and len(run) < 3:
            run.append("of")
            j += 1
            while j < len(tokens) and not _breaks(tokens[j]) and len(run) < 5:
                run.append(tokens[j])
                j += 1
        while run and (run[0] == "of" or lexicon.verbish(run[0])):
            run.pop(0)
        while run and (run[-1] == "of" or lexicon.verbish(run[-1])):
            run.pop()
        content = [w for w in run if w != "of"]
        if len(content) == 1 and (len(content[0]) < 6 or lexicon.nouns[content[0].lower()] < 2):
            content = []  # one word: only a noun of some length ("interoperability", not "become")
        if content and any(len(w) >= 5 for w in content) and "of" not in (run[0], run[-1]):
            phrases.append(tuple(run))
        i = max(j, i + 1)
    unique = list(dict.fromkeys(phrases))
    return sorted(unique, key=lambda p: -_phrase_score(p, lexicon.idf))


def _breaks(token: str) -> bool:
    return token.lower() in _BREAK or token[0].isdigit() or len(token) < 2


def _phrase_score(phrase: tuple[str, ...], idf: dict[str, float]) -> float:
    content = [w for w in phrase if w != "of"]
    rarity = sum(idf.get(w.lower(), 0.0) for w in content) / len(content)
    length = {1: 0.6, 2: 1.0, 3: 1.05, 4: 0.95}.get(len(content), 0.85)
    return rarity * length


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return bool({w.lower() for w in a if w != "of"} & {w.lower() for w in b if w != "of"})


_TWO = (
    "What does {t} say about {p} and {q}?",
    "How does {t} address {p} and {q}?",
    "What are the requirements for {p} in relation to {q} under {t}?",
    "In {t}, what is said about {p} and {q}?",
    "What are the provisions on {p} and {q}?",
    "How are {p} and {q} dealt with?",
    "What does {t} require concerning {p} and {q}?",
)
_ONE = (
    "What does {t} say about {p}?",
    "What are the requirements for {p} under {t}?",
    "How does {t} address {p}?",
    "What is the role of {p} according to {t}?",
    "What measures concern {p}?",
    "What are the obligations regarding {p}?",
)


def _fill(rng: random.Random, title: str, first: tuple[str, ...], second: tuple[str, ...] | None) -> str:
    templates = _TWO if second else _ONE
    if not title:
        templates = tuple(t for t in templates if "{t}" not in t) or templates
        title = "the document"
    else:
        templates = tuple(t for t in templates if "{t}" in t)
    template = rng.choice(templates)
    text = template.format(t=title, p=" ".join(first), q=" ".join(second) if second else "")
    return text[0].upper() + text[1:]


# --- Chinese ----------------------------------------------------------------------------------------------

_NOUN_TAGS = frozenset({"n", "nz", "nt", "ns", "nr", "vn", "an", "l", "eng"})


def _chinese_phrases(sentence: str) -> list[str]:
    """Runs of nouns (jieba's part-of-speech tags), two words or four characters at least, longest first."""
    from ..language.chinese import segmenter

    tagger = _tagger(segmenter())
    runs: list[list[str]] = [[]]
    for pair in tagger.cut(sentence, HMM=False):
        if pair.flag in _NOUN_TAGS and CJK_CHAR.search(pair.word):
            runs[-1].append(pair.word)
        elif runs[-1]:
            runs.append([])
    phrases = ["".join(r[-4:]) for r in runs if r and (len(r) >= 2 or len(r[0]) >= 4)]
    return sorted(dict.fromkeys(phrases), key=lambda p: -len(p))


_TAGGERS: dict[int, Any] = {}


def _tagger(tokenizer: Any) -> Any:
    tagger = _TAGGERS.get(id(tokenizer))
    if tagger is None:
        import jieba.posseg

        tagger = _TAGGERS[id(tokenizer)] = jieba.posseg.POSTokenizer(tokenizer)
    return tagger


def _gloss(phrase: str) -> str | None:
    """The phrase in English when the glossary translates the whole of it, word by word."""
    from ..language.chinese import words
    from ..language.glossary import glossary

    whole = glossary().english_for(phrase)
    if whole:
        return whole
    parts = [glossary().english_for(w) for w in words(phrase)]
    return " ".join(p for p in parts if p) if parts and all(parts) else None


def _chinese_question(sentence: str, named: bool, titles: tuple[str, ...], rng: random.Random) -> str | None:
    """A question about a Chinese sentence: in English when the glossary translates its phrases (half of
    those), otherwise in Chinese; `titles` are (the Chinese title, the English one, none)."""
    phrases = _chinese_phrases(sentence)
    if not phrases:
        return None
    pool = phrases[:3]
    rng.shuffle(pool)
    english = list(dict.fromkeys(g for g in (_gloss(p) for p in pool) if g))
    if english and rng.random() < 0.5:
        second = tuple(english[1].split()) if len(english) > 1 else None
        return _fill(rng, titles[1] if named else "", tuple(english[0].split()), second)
    name = titles[0] if named else ""
    p, q = pool[0], pool[1] if len(pool) > 1 else None
    if name and q:
        return rng.choice((f"《{name}》对{p}和{q}有哪些规定？", f"关于{p}和{q}，《{name}》提出了哪些要求？"))
    if name:
        return rng.choice((f"《{name}》对{p}有哪些规定？", f"《{name}》中关于{p}的内容是什么？"))
    if q:
        return rng.choice((f"关于{p}和{q}有哪些要求？", f"{p}与{q}方面有哪些举措？"))
    return rng.choice((f"关于{p}有哪些规定？", f"如何推进{p}？"))


__all__ = ["DistinctQuestions", "Question"]
