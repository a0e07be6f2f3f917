"""The part of a question that asks about each document it names.

"How many key requirements do the HLEG guidelines set, and how many core functions make up the NIST AI RMF?"
asks two questions, one of each document. Searched and scored as a whole, each document's passages are held
to the other's words too ("functions" finds HLEG sentences, "requirements" NIST ones) and to one kind of fact;
searched and scored with its own clause, each document is asked what the question asks of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .scope import normalise

# Where one clause of a question ends and the next begins: a semicolon or question mark, ", and" (", but",
# ", while", ", whereas", ", compared with"), or "and" before a question word or auxiliary ("... and how many
# ...", "... and does ..."). "A and B" between two names, or a comma inside a list, begins none; nor does a
# parenthesis after a question mark (a condensed follow-up's subject: "How long was given to produce the plan?
# (EO 14179)").
_BOUNDARY = re.compile(
    r"\s*[;?]\s+(?!\()"
    r"|\s*,\s*(?:and|but|while|whereas|compared\s+(?:with|to))\s+"
    r"|\s+and\s+(?=(?:what|which|how|when|who|whom|whose|where|why|does|do|did|is|are|was|were|has|have|had"
    r"|can|could|must|should|will|would)\b)",
    re.IGNORECASE,
)

# The fewest words a clause holds besides the name of its document to ask something of it.
_MIN_WORDS = 3


def clauses(question: str) -> list[str]:
    """The question's clauses, in order (one when it has no boundary)."""
    return [part.strip(" ,;") for part in _BOUNDARY.split(question.strip()) if part.strip(" ,;")]


def document_questions(question: str, named_by: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Each named document's own clause of the question, given the (normalised) phrases that named each
    document; {} unless at least two documents are named, each in exactly one clause, and no two in the same
    one ("Do France's brochure and Japan's plan each refer to ..." asks one thing of both: it is not split)."""
    if len(named_by) < 2:
        return {}
    parts = clauses(question)
    if len(parts) < 2:
        return {}
    # A name is found as it named the document: in the clause's words, or in them without "AI" (see scope.py).
    texts = [(text, text.replace(" ai ", " ")) for text in map(normalise, parts)]
    out: dict[str, str] = {}
    for doc_id, phrases in named_by.items():
        wanted = [f" {phrase.strip()} " for phrase in phrases if phrase.strip()]
        where = {
            i
            for i, (text, without_ai) in enumerate(texts)
            if any(phrase in text or phrase.replace(" ai ", " ") in without_ai for phrase in wanted)
        }
        if len(where) != 1:
            return {}
        i = where.pop()
        rest = texts[i][0]
        for phrase in wanted:
            rest = rest.replace(phrase, " ")
        if len(rest.split()) < _MIN_WORDS:  # a name alone asks nothing
            return {}
        out[doc_id] = parts[i]
    if len(set(out.values())) < len(out):
        return {}
    return out
