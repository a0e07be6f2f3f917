"""Prompts for LLM backends: versioned text files, and the passage block packed to a token budget.

The files beside this module are named `<role>.<version>.txt` (system, question, condense, judge); a
backend's `prompts` option names a version (`v1`) or a folder holding `system.txt`, `question.txt`,
`condense.txt` and `judge.txt` of your own. Templates are `str.format` strings: passage text is only ever a
value substituted into them, so braces or instructions inside a passage cannot reach the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ...errors import ConfigError
from ...language.sentences import sentence_spans
from ...models import ChatMessage, Passage
from ..tokens import TokenCounter

PROMPTS_DIR = Path(__file__).resolve().parent
ROLES = ("system", "question", "condense", "judge")
# The sentence the system prompt asks for when the passages do not answer; refusal detection knows it.
REFUSAL_SENTENCE = "The passages do not contain the answer to this question."
# Chat formats add a few tokens around each message; budgets reserve them.
MESSAGE_OVERHEAD_TOKENS = 8
_TAG = re.compile(r"<\s*(/?)\s*(passages?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PromptSet:
    """The four templates of one prompt version."""

    version: str
    system: str
    question: str
    condense: str
    judge: str


@lru_cache(maxsize=16)
def load_prompts(spec: str = "v1") -> PromptSet:
    """The built-in prompt version `spec`, or the prompts in folder `spec`."""
    folder = Path(spec).expanduser()
    if folder.is_dir():
        files = {role: folder / f"{role}.txt" for role in ROLES}
        version = str(folder)
    else:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", spec):
            raise ConfigError(f"prompts {spec!r}: neither a built-in version nor a folder")
        files = {role: PROMPTS_DIR / f"{role}.{spec}.txt" for role in ROLES}
        version = spec
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        known = sorted({p.name.split(".")[1] for p in PROMPTS_DIR.glob("system.*.txt")})
        raise ConfigError(
            f"prompts {spec!r}: missing {', '.join(missing)} (built-in versions: {', '.join(known)})"
        )
    texts = {role: path.read_text(encoding="utf-8").strip() for role, path in files.items()}
    return PromptSet(version=version, **texts)


def neutralise(text: str) -> str:
    """Passage text with anything that looks like our passage tags defused, so it cannot close its block."""
    return _TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)


def passage_header(number: int, passage: Passage) -> str:
    lines = [f'<passage number="{number}">', f"Title: {neutralise(passage.title)}"]
    if passage.heading_path:
        lines.append(f"Section: {neutralise(passage.heading_path)}")
    if passage.page is not None:
        lines.append(f"Page: {passage.page}")
    lines.append("Text:")
    return "\n".join(lines)


def format_passage(number: int, passage: Passage, text: str | None = None) -> str:
    """One passage as the model sees it: number, title, heading path, page, then the text."""
    body = neutralise(_tidy(text or passage.text))
    return f"{passage_header(number, passage)}\n{body}\n</passage>"


def _tidy(text: str) -> str:
    """Trailing spaces and runs of blank lines removed; line breaks (lists, tables) kept."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


@dataclass
class PackedPassages:
    """The passage block of a prompt and what went into it."""

    text: str
    numbers: list[int]  # passage numbers (1-based) included, in order
    truncated: list[int]  # of those, the ones cut at a sentence boundary
    tokens: int


def pack_passages(passages: list[Passage], budget: int, count: TokenCounter) -> PackedPassages:
    """Format passages most relevant first until `budget` tokens are used; a passage that does not fit is
    cut after its last whole sentence that does (never mid-sentence), or left out when not one fits."""
    blocks: list[str] = []
    numbers: list[int] = []
    truncated: list[int] = []
    used = 0
    for number, passage in enumerate(passages, start=1):
        separator = 1 if blocks else 0  # the blank line between blocks
        block = format_passage(number, passage)
        cost = count(block) + separator
        if used + cost <= budget:
            blocks.append(block)
            numbers.append(number)
            used += cost
            continue
        frame = count(format_passage(number, passage, "-")) + separator
        room = budget - used - frame
        if room <= 0:
            continue
        kept = _whole_sentences(passage.text, room, count)
        if kept:
            block = format_passage(number, passage, kept)
            blocks.append(block)
            numbers.append(number)
            truncated.append(number)
            used += count(block) + separator
    return PackedPassages("\n\n".join(blocks), numbers, truncated, used)


def _whole_sentences(text: str, room: int, count: TokenCounter) -> str:
    """The longest run of the text's first sentences that fits in `room` tokens ('' when none does)."""
    kept = ""
    for _, end in sentence_spans(text):
        candidate = text[:end].strip()
        if count(_tidy(candidate)) > room:
            break
        kept = candidate
    return kept


def answer_messages(
    prompts: PromptSet,
    question: str,
    passages: list[Passage],
    *,
    context_window: int,
    max_output_tokens: int,
    count: TokenCounter,
) -> tuple[list[dict[str, str]], PackedPassages]:
    """System and user messages for answering `question` from `passages`, within the context window."""
    system = prompts.system.format(refusal=REFUSAL_SENTENCE)
    frame = prompts.question.format(passages="", question=question)
    fixed = count(system) + count(frame) + 2 * MESSAGE_OVERHEAD_TOKENS
    budget = context_window - max_output_tokens - fixed
    if budget <= 0:
        raise ConfigError(
            f"context_window {context_window} leaves no room for passages after the prompt ({fixed} tokens) "
            f"and max_tokens {max_output_tokens}"
        )
    packed = pack_passages(passages, budget, count)
    user = prompts.question.format(passages=packed.text, question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], packed


_MARKERS = re.compile(r"\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")


def condense_messages(
    prompts: PromptSet, question: str, history: list[ChatMessage], *, max_turns: int = 6, max_chars: int = 600
) -> list[dict[str, str]]:
    """One user message asking for the standalone form of `question` given the last turns of `history`."""
    lines = []
    for message in [m for m in history if m.role in ("user", "assistant")][-max_turns:]:
        # Old answers' citation markers number other passages; they would only confuse the rewrite.
        content = " ".join(_MARKERS.sub("", message.content).split())
        if len(content) > max_chars:
            content = content[:max_chars].rsplit(" ", 1)[0] + " …"
        lines.append(f"{message.role.capitalize()}: {content}")
    text = prompts.condense.format(history="\n".join(lines), question=question)
    return [{"role": "user", "content": text}]


def judge_messages(prompts: PromptSet, items: list[tuple[str, str]]) -> list[dict[str, str]]:
    """One user message asking whether each (statement, evidence) pair is supported."""
    blocks = [
        f"Item {i}\nStatement: {neutralise(claim)}\nEvidence: <passage>{neutralise(evidence)}</passage>"
        for i, (claim, evidence) in enumerate(items, start=1)
    ]
    return [{"role": "user", "content": prompts.judge.format(items="\n\n".join(blocks))}]
