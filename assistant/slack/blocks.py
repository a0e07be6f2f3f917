"""Block Kit rendering: answers with their sources and feedback buttons, within Slack's size limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..models import HEADING_SEPARATOR, Answer, Citation

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks): text per section block, blocks per
# message, text per context element; the message `text` is the notification and screen-reader fallback.
SECTION_TEXT_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
CONTEXT_TEXT_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 3000
# Our own budgets, so one source never crowds out the others.
QUOTE_LIMIT = 700
TITLE_LIMIT = 200
HEADING_LIMIT = 300

FEEDBACK_BLOCK = "feedback"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"

Block = dict[str, Any]


@dataclass
class SlackMessage:
    """One message to post: the fallback text and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?;])\s+"), re.compile(r"\s+"))


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split text into pieces of at most `limit` characters, at paragraphs, then lines, sentences, words."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for pattern in _BREAKS:
        cut = _last_break(text, pattern, limit)
        if cut is not None:
            return [text[:cut].rstrip(), *split_text(text[cut:], limit)]
    return [text[:limit], *split_text(text[limit:], limit)]


def _last_break(text: str, pattern: re.Pattern[str], limit: int) -> int | None:
    best = None
    for match in pattern.finditer(text, 0, limit + 1):
        if match.start() > 0 and match.start() <= limit:
            best = match.end()
    return best if best is not None and best > limit // 4 else None


def mrkdwn_section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_TEXT_LIMIT]}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": t[:CONTEXT_TEXT_LIMIT]} for t in texts[:10]],
    }


# --- answers --------------------------------------------------------------------------------------------


def passage_url(public_url: str | None, citation: Citation) -> str | None:
    """The link to a cited passage on the service's web page (which opens it with the quoted span
    highlighted, asking for an API key first when the service needs one), when its public URL is set."""
    if not public_url:
        return None
    query = urlencode({"passage": citation.passage_id, "start": citation.start, "end": citation.end})
    return f"{public_url.rstrip('/')}/?{query}"


def citation_block(citation: Citation, public_url: str | None) -> Block:
    """One source: the number, the document title (linked), heading path and page, and the quoted sentence."""
    title = escape(trim(citation.title, TITLE_LIMIT)) or escape(citation.doc_id)
    url = passage_url(public_url, citation)
    # In a link label only '>' would end the link; it is already escaped.
    head = f"*[{citation.n}]* " + (f"<{url}|{title}>" if url else f"*{title}*")
    where = []
    if citation.heading_path:
        heading = citation.heading_path.replace(HEADING_SEPARATOR, " › ")
        where.append(escape(trim(heading, HEADING_LIMIT)))
    if citation.page is not None:
        where.append(f"p. {citation.page}")
    if where:
        head += " — " + " · ".join(where)
    quoted = "\n".join(f">{line}" for line in escape(trim(citation.quote, QUOTE_LIMIT)).splitlines() if line)
    if citation.gloss:
        quoted += f"\n_Gloss (not the document's words): {escape(trim(citation.gloss, QUOTE_LIMIT))}_"
    return mrkdwn_section(f"{head}\n{quoted}")


def answer_context(answer: Answer, fallback_backend: str) -> Block:
    """Which backend answered (and whether it fell back), the size of the evidence and the time taken."""
    if answer.backend_fallback:
        reason = trim(answer.fallback_reason or "an error", 300)
        backend = (
            f":warning: The *{escape(answer.backend)}* backend failed ({escape(reason)}), "
            f"so *{escape(fallback_backend)}* answered instead"
        )
    else:
        backend = f"Answered by *{escape(answer.backend)}*"
    parts = [backend]
    if not answer.abstained:
        n = len(answer.citations)
        parts.append(f"{n} source{'s' if n != 1 else ''}")
    if answer.timings.total:
        parts.append(f"{answer.timings.total / 1000:.1f} s")
    texts = [" · ".join(parts)]
    if answer.standalone_question.strip() != answer.question.strip():
        texts.append(f"Understood as: _{escape(trim(answer.standalone_question, 500))}_")
    return context(*texts)


def feedback_actions(answer_id: str) -> Block:
    def button(action_id: str, label: str) -> Block:
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": answer_id,
        }

    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [button(FEEDBACK_UP, ":+1: Helpful"), button(FEEDBACK_DOWN, ":-1: Not helpful")],
    }


def render_answer(
    answer: Answer,
    *,
    answer_id: str,
    public_url: str | None = None,
    fallback_backend: str = "extractive",
    asked_by: str | None = None,
) -> list[SlackMessage]:
    """The messages that show an answer: text, sources, context line and feedback buttons, ≤ 50 blocks each."""
    body: list[Block] = []
    if asked_by:  # slash-command answers do not sit under the question, so repeat it
        body.append(mrkdwn_section(f"<@{asked_by}> asked:\n>{escape(trim(answer.question, 2500))}"))
    if answer.abstained:
        body.append(
            mrkdwn_section(
                f":mag: *{escape(answer.text)}*\n"
                "I only answer from the indexed policy documents, and none of them covers this. "
                "Try rephrasing, naming the policy or document you mean, or asking about a narrower point."
            )
        )
    else:
        body.extend(mrkdwn_section(piece) for piece in split_text(escape(answer.text)))
        if answer.citations:
            body.append({"type": "divider"})
            body.append(mrkdwn_section("*Sources*"))
            # A cited document out of force (or not yet applicable) is flagged where the sources are read.
            body.extend(context(f":warning: {escape(notice.text)}") for notice in answer.notices)
            body.extend(citation_block(c, public_url) for c in answer.citations)
    footer = [answer_context(answer, fallback_backend), feedback_actions(answer_id)]

    pages = [body[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(body), BLOCKS_PER_MESSAGE)] or [[]]
    if len(pages[-1]) + len(footer) <= BLOCKS_PER_MESSAGE:
        pages[-1].extend(footer)
    else:
        pages.append(footer)
    first_text = trim(answer.text, FALLBACK_TEXT_LIMIT)
    messages = [SlackMessage(text=first_text, blocks=pages[0])]
    for number, blocks in enumerate(pages[1:], start=2):
        messages.append(
            SlackMessage(text=f"(answer continued, part {number} of {len(pages)})", blocks=blocks)
        )
    return messages


# --- short messages -------------------------------------------------------------------------------------


def short(text: str) -> SlackMessage:
    return SlackMessage(text=text, blocks=[mrkdwn_section(text)])


def thinking_message() -> SlackMessage:
    return short(":hourglass_flowing_sand: Looking through the policy documents…")


def apology_message(request_id: str) -> SlackMessage:
    return short(
        ":warning: Sorry, something went wrong while I was answering, and I could not finish. "
        f"Please try again in a moment; if it keeps happening, give your admin this reference: `{request_id}`."
    )


def invalid_question_message(reason: str) -> SlackMessage:
    return short(f":pencil2: I can't answer that as asked: {escape(reason)}.")


def help_message(command: str) -> SlackMessage:
    return short(
        "Ask me about the indexed policy documents and I'll answer with the passages I used.\n"
        f"• Mention me in a channel, message me directly, or use `{command} your question`.\n"
        f"• `{command} --public …` shares the answer with the channel; `{command} --private …` shows it "
        "only to you.\n"
        "• Follow-ups in the same thread keep the conversation, so “And when does that apply?” works."
    )


def rate_limited_message(limit: int, window_seconds: float, retry_after: float) -> SlackMessage:
    window = f"{window_seconds:g} seconds" if window_seconds < 120 else f"{window_seconds / 60:g} minutes"
    wait = max(1, round(retry_after))
    return short(
        f":hourglass: You've asked {limit} questions in the last {window}, which is as many as I can take. "
        f"Please try again in about {wait} second{'s' if wait != 1 else ''}."
    )


def not_enabled_message(where: str) -> SlackMessage:
    """`where`: "this workspace", "this channel" or "direct messages"."""
    return short(f":no_entry: I'm not enabled in {where}. Ask your Slack admin if you need me there.")


def feedback_thanks_message(rating: str) -> SlackMessage:
    if rating == "up":
        return short(":pray: Thanks! Glad it helped.")
    return short(":pray: Thanks for telling me. Your feedback goes to the people who improve these answers.")
