"""Glosses for quotes in the other language: a Chinese sentence quoted for an English question carries the
English of its key terms (from the glossary and CC-CEDICT, as the question was translated), marked as a gloss,
never presented as the document's words."""

from __future__ import annotations

from ..language.chinese import has_cjk, language_of
from ..language.translation import Gloss, QueryTranslation
from ..models import Citation


def gloss_text(glosses: list[Gloss]) -> str | None:
    """'普及率: adoption rate; 智能终端: intelligent terminals (glossary)'."""
    if not glosses:
        return None
    pairs = []
    for gloss in glosses:
        chinese, english = (
            (gloss.target, gloss.source) if has_cjk(gloss.target) else (gloss.source, gloss.target)
        )
        pairs.append(f"{chinese}: {english}")
    origins = ", ".join(dict.fromkeys(g.origin for g in glosses))
    return f"{'; '.join(dict.fromkeys(pairs))} ({origins})"


def with_glosses(
    citations: list[Citation], question: str, translation: QueryTranslation | None
) -> list[Citation]:
    """The citations, each quote in another language than the question's glossed."""
    if translation is None:
        return citations
    asked = language_of(question)
    return [
        c.model_copy(update={"gloss": gloss_text(translation.glosses_in(c.quote))})
        if language_of(c.quote) != asked
        else c
        for c in citations
    ]
