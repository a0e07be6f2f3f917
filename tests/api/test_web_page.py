"""The web chat page, end to end in Debian's headless Chromium driven by playwright."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator

import pytest

from assistant.api.security import hash_key
from tests.api.conftest import FLAGSHIP

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records whether the answer was ever shown while still streaming (deltas before the final event).
WATCH_STREAMING = """
window.__sawStreaming = false;
new MutationObserver((records) => {
  for (const r of records) {
    const t = r.target;
    if (t.classList && t.classList.contains('answer-text') && t.classList.contains('streaming') && t.textContent) {
      window.__sawStreaming = true;
    }
  }
}).observe(document, {subtree: true, attributes: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium is not installed at {CHROMIUM} (make test installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(WATCH_STREAMING)
    yield page
    context.close()


def test_ask_see_the_streamed_answer_and_open_a_citation(page, corpus_server):
    page.goto(corpus_server.url + "/")
    question = page.get_by_role("textbox", name="Your question")
    question.fill(FLAGSHIP)
    question.press("Enter")

    answer = page.locator(".turn.assistant").last
    first_marker = answer.locator("button.cite").first
    first_marker.wait_for()
    assert "70%" in answer.locator(".answer-text").inner_text()
    assert page.evaluate("window.__sawStreaming"), "the answer never appeared while streaming"
    assert answer.locator(".sources li").count() >= 1

    quote = answer.locator(".sources li").first.locator(".source-quote").last.inner_text().strip("“”")
    first_marker.click()
    dialog = page.locator("dialog#passage")
    highlighted = dialog.locator("mark")
    highlighted.wait_for()
    assert dialog.is_visible()
    assert " ".join(highlighted.inner_text().split()) == " ".join(quote.split())
    assert dialog.locator("#passage-title").inner_text().strip()
    assert "Loading" not in dialog.locator("#passage-where").inner_text()

    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('cite')"), "focus did not return"


def test_follow_up_shows_the_standalone_question_and_abstention_is_clear(page, corpus_server):
    page.goto(corpus_server.url + "/")
    question = page.get_by_role("textbox", name="Your question")
    question.fill(FLAGSHIP)
    question.press("Enter")
    page.locator(".turn.assistant button.cite").first.wait_for()

    question.fill("And by 2030?")
    question.press("Enter")
    second = page.locator(".turn.assistant").nth(1)
    second.locator("button.cite").first.wait_for()
    assert re.search(r"Answering: .*2030", second.locator(".standalone").inner_text())
    assert "90%" in second.locator(".answer-text").inner_text()

    question.fill("How do I bake sourdough bread at home?")
    question.press("Enter")
    abstained = page.locator(".turn.assistant.abstained")
    abstained.wait_for()
    assert "do not answer this question" in abstained.inner_text()
    assert abstained.locator("button.cite").count() == 0


def test_document_filter_restricts_the_sources(page, corpus_server):
    page.goto(corpus_server.url + "/")
    select = page.locator("#doc-filter")
    select.locator("option[value='eu-ai-act-risk-tiers']").wait_for(state="attached")
    select.select_option("eu-ai-act-risk-tiers")
    question = page.get_by_role("textbox", name="Your question")
    question.fill("Which AI practices are prohibited?")
    question.press("Enter")
    answer = page.locator(".turn.assistant").last
    answer.locator("button.cite").first.wait_for()
    titles = answer.locator(".sources .source-title").all_inner_texts()
    assert titles and all("EU AI Act" in t or "AI Act" in t for t in titles), titles


def test_readable_on_a_narrow_screen(browser, corpus_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(corpus_server.url + "/")
        question = page.get_by_role("textbox", name="Your question")
        question.fill(FLAGSHIP)
        question.press("Enter")
        page.locator(".turn.assistant button.cite").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways ({width}px wide)"
        page.locator(".turn.assistant button.cite").first.click()
        box = page.locator("dialog#passage").bounding_box()
        assert box and box["width"] <= 360
    finally:
        context.close()


def test_api_key_field_when_keys_are_on(page, serve, corpus_assistant):
    key = "pa-browser-test-key-0123456789"
    live = serve(
        corpus_assistant, api_keys=[{"name": "browser", "sha256": hash_key(key), "scopes": ["read"]}]
    )
    page.goto(live.url + "/")
    key_field = page.get_by_label("This service needs an API key", exact=False)
    key_field.wait_for()
    question = page.get_by_role("textbox", name="Your question")
    question.fill(FLAGSHIP)
    question.press("Enter")
    page.locator(".turn.assistant.error").wait_for()
    assert "API" in page.locator(".turn.assistant.error").inner_text()

    key_field.fill(key)
    key_field.press("Enter")
    page.locator("#key-status", has_text="Key accepted").wait_for()
    assert page.locator("#doc-filter option").count() > 1
    question.fill(FLAGSHIP)
    question.press("Enter")
    page.locator(".turn.assistant").last.locator("button.cite").first.wait_for()


def test_a_link_to_a_cited_passage_opens_it_after_the_key_is_given(page, serve, corpus_assistant):
    """The Slack bot's source links (`/?passage=…&start=…&end=…`) open the passage on this page."""
    from assistant.slack.blocks import passage_url

    key = "pa-browser-test-key-0123456789"
    live = serve(
        corpus_assistant, api_keys=[{"name": "browser", "sha256": hash_key(key), "scopes": ["read"]}]
    )
    citation = corpus_assistant.ask(FLAGSHIP).citations[0]
    page.goto(passage_url(live.url, citation))
    key_field = page.get_by_label("This service needs an API key", exact=False)
    key_field.wait_for()
    assert not page.locator("dialog#passage").is_visible()  # nothing to show before the key
    key_field.fill(key)
    key_field.press("Enter")
    highlighted = page.locator("dialog#passage mark")
    highlighted.wait_for()
    assert " ".join(highlighted.inner_text().split()) == " ".join(citation.quote.split())
    assert citation.title in page.locator("#passage-title").inner_text()


def test_every_answer_can_be_rated_with_a_comment_and_the_vote_is_stored(page, serve, corpus_assistant):
    from assistant.feedback.store import FeedbackStore, feedback_store_path

    live = serve(corpus_assistant)
    page.goto(live.url + "/")
    question = page.get_by_role("textbox", name="Your question")
    question.fill(FLAGSHIP)
    question.press("Enter")
    answer = page.locator(".turn.assistant").last
    answer.locator("button.cite").first.wait_for()

    rating = answer.get_by_role("group", name="Rate this answer")
    rating.get_by_role("button", name="Unhelpful answer").click()
    answer.locator(".feedback-status", has_text="Thanks for the feedback").wait_for()
    assert rating.get_by_role("button", name="Unhelpful answer").get_attribute("aria-pressed") == "true"
    answer.get_by_label("Comment on this answer (optional)").fill("The 2030 target is missing.")
    answer.get_by_role("button", name="Send comment").click()
    answer.locator(".feedback-status", has_text="comment was recorded").wait_for()

    question.fill("How do I bake sourdough bread at home?")
    question.press("Enter")
    abstained = page.locator(".turn.assistant.abstained")
    abstained.wait_for()
    abstained.get_by_role("button", name="Helpful answer", exact=True).click()
    abstained.locator(".feedback-status", has_text="Thanks for the feedback").wait_for()

    store = FeedbackStore(feedback_store_path(live.app.state.settings))
    try:
        votes = {v.answer.question: v for v in store.feedback()}
    finally:
        store.close()
    assert set(votes) == {FLAGSHIP, "How do I bake sourdough bread at home?"}
    flagship = votes[FLAGSHIP]
    assert (flagship.rating, flagship.comment) == ("down", "The 2030 target is missing.")
    assert flagship.answer.origin == "web" and flagship.answer.answer.citations
    bread = votes["How do I bake sourdough bread at home?"]
    assert bread.rating == "up" and bread.answer.answer.abstained
    assert bread.answer.history and bread.answer.history[0].content == FLAGSHIP  # the conversation so far
