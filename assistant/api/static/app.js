// The web chat page: streams answers from POST /v1/chat (server-sent events) and opens cited passages.
// Plain JavaScript, no build step. Server text is only ever inserted as text, never as HTML.
"use strict";

(() => {
  const KEY_STORAGE = "policy-assistant-api-key";
  const $ = (id) => document.getElementById(id);
  const els = {
    conversation: $("conversation"),
    intro: $("intro"),
    form: $("ask-form"),
    question: $("question"),
    send: $("send"),
    stop: $("stop"),
    filter: $("doc-filter"),
    inForceOn: $("in-force-on"),
    newChat: $("new-chat"),
    keyPanel: $("key-panel"),
    keyForm: $("key-form"),
    keyInput: $("api-key"),
    keyStatus: $("key-status"),
    dialog: $("passage"),
    dialogTitle: $("passage-title"),
    dialogWhere: $("passage-where"),
    dialogText: $("passage-text"),
    dialogId: $("passage-id"),
    dialogSource: $("passage-source"),
    dialogClose: $("close-passage"),
  };

  const state = {
    history: [], // [{role, content}] sent with every question so follow-ups are understood
    apiKey: localStorage.getItem(KEY_STORAGE) || "",
    authRequired: false,
    maxQuestionChars: 2000,
    controller: null,
    returnFocus: null,
    linkedOpened: false,
    docStatus: new Map(), // document id -> lifecycle status, from GET /v1/documents
  };
  const OUT_OF_FORCE = new Set(["revoked", "superseded", "expired"]);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function headers(json = true) {
    const h = {};
    if (json) h["Content-Type"] = "application/json";
    if (state.apiKey) h["Authorization"] = `Bearer ${state.apiKey}`;
    return h;
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return `${response.status} ${response.statusText}`;
  }

  // --- start-up -------------------------------------------------------------------------------------

  async function init() {
    try {
      const response = await fetch("/ui/settings");
      if (response.ok) {
        const ui = await response.json();
        state.authRequired = ui.auth_required;
        state.maxQuestionChars = ui.max_question_chars;
        els.question.maxLength = ui.max_question_chars;
      }
    } catch (_) { /* the API calls below report the problem */ }
    if (state.authRequired) {
      els.keyPanel.hidden = false;
      els.keyInput.value = state.apiKey;
      if (!state.apiKey) els.keyStatus.textContent = "Enter a key to start.";
    }
    await loadDocuments();
    els.question.focus();
  }

  // A link to a cited passage (`/?passage=ID&start=S&end=E`, as the Slack bot sends): opened once the page
  // can read it, i.e. at start-up, or after the key is accepted when the service needs one.
  const linked = (() => {
    const params = new URLSearchParams(window.location.search);
    const id = params.get("passage");
    if (!id) return null;
    const offset = (name) => (/^\d+$/.test(params.get(name) || "") ? Number(params.get(name)) : 0);
    return { passage_id: id, start: offset("start"), end: offset("end"), title: "Cited passage" };
  })();

  function openLinkedPassage() {
    if (!linked || state.linkedOpened) return;
    state.linkedOpened = true;
    openPassage(linked, els.question);
  }

  async function loadDocuments() {
    let response;
    try {
      response = await fetch("/v1/documents", { headers: headers(false) });
    } catch (err) {
      return;
    }
    if (response.status === 401) {
      showKeyPanel(await errorMessage(response));
      return;
    }
    if (!response.ok) return;
    if (state.authRequired) els.keyStatus.textContent = "Key accepted.";
    openLinkedPassage();
    const body = await response.json();
    const current = els.filter.value;
    els.filter.replaceChildren(el("option", { value: "", text: `All documents (${body.total})` }));
    for (const doc of body.documents) {
      state.docStatus.set(doc.id, doc.status);
      const flagged = OUT_OF_FORCE.has(doc.status) ? ` (${doc.status})` : "";
      const option = el("option", { value: doc.id, text: doc.title + flagged });
      option.title = [doc.issuing_body, doc.date].filter(Boolean).join(", ");
      els.filter.append(option);
    }
    els.filter.value = current;
  }

  function showKeyPanel(message) {
    els.keyPanel.hidden = false;
    els.keyStatus.textContent = message;
    els.keyInput.focus();
  }

  // --- asking ---------------------------------------------------------------------------------------

  function addTurn(role, text) {
    els.intro.hidden = true;
    const bubble = el("div", { class: "bubble" });
    if (text !== undefined) bubble.textContent = text;
    const turn = el(
      "article",
      { class: `turn ${role}`, "aria-label": role === "user" ? "Question" : "Answer" },
      el("p", { class: "label", text: role === "user" ? "You" : "Assistant" }),
      bubble,
    );
    els.conversation.append(turn);
    turn.scrollIntoView({ block: "end", behavior: "smooth" });
    return { turn, bubble };
  }

  function setBusy(busy) {
    els.send.disabled = busy;
    els.stop.hidden = !busy;
    els.conversation.setAttribute("aria-busy", String(busy));
  }

  async function ask(question) {
    const messages = [...state.history, { role: "user", content: question }];
    const body = { messages, stream: true, keep_for_feedback: true };
    if (els.filter.value) body.filters = { doc_ids: [els.filter.value] };
    if (els.inForceOn && els.inForceOn.value) body.filters = { ...body.filters, in_force_on: els.inForceOn.value };

    addTurn("user", question);
    const { turn, bubble } = addTurn("assistant");
    const progress = el("p", { class: "progress", text: "Searching the documents…" });
    const text = el("div", { class: "answer-text" });
    bubble.append(progress, text);

    state.controller = new AbortController();
    setBusy(true);
    let final = null;
    let answerId = null;
    try {
      const response = await fetch("/v1/chat", {
        method: "POST",
        headers: headers(),
        body: JSON.stringify(body),
        signal: state.controller.signal,
      });
      if (!response.ok) {
        const message = await errorMessage(response);
        if (response.status === 401) showKeyPanel(message);
        const wait = response.headers.get("Retry-After");
        throw new Error(wait ? `${message} (try again in ${wait} s)` : message);
      }
      answerId = response.headers.get("X-Answer-ID");
      for await (const { event, data } of readEvents(response)) {
        if (event === "sources") {
          progress.textContent = data.passages.length
            ? `Found ${data.passages.length} passages; writing the answer…`
            : "No passage matched.";
          if (data.standalone_question && data.standalone_question !== question) {
            bubble.insertBefore(
              el("p", { class: "standalone", text: `Answering: ${data.standalone_question}` }),
              progress,
            );
          }
        } else if (event === "delta") {
          text.classList.add("streaming");
          // a reset delta starts the text over (the backend retried, or fell back to extractive answers)
          text.textContent = data.reset ? data.text : text.textContent + data.text;
        } else if (event === "final") {
          final = data;
        } else if (event === "error") {
          throw new Error(data.error ? data.error.message : "the answer failed");
        }
      }
      if (!final) throw new Error("the answer stopped before it was complete");
      progress.remove();
      renderAnswer(turn, text, final);
      renderFeedback(bubble, answerId);
      state.history.push({ role: "user", content: question }, { role: "assistant", content: final.text });
    } catch (err) {
      progress.remove();
      text.classList.remove("streaming");
      turn.classList.add("error");
      const stopped = err.name === "AbortError";
      bubble.append(el("p", { class: "error-text", text: stopped ? "Stopped." : `Error: ${err.message}` }));
    } finally {
      state.controller = null;
      setBusy(false);
      els.question.focus();
    }
  }

  // Server-sent events from a fetch() response (EventSource cannot POST a body).
  async function* readEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  function renderAnswer(turn, textNode, answer) {
    textNode.classList.remove("streaming");
    textNode.replaceChildren();
    if (answer.abstained) {
      turn.classList.add("abstained");
      textNode.textContent = answer.text;
      const why = answer.abstain_reason ? ` (${answer.abstain_reason})` : "";
      textNode.after(
        el("p", {
          class: "abstain-note",
          text: `No answer: nothing in the indexed documents supports one${why}. Try rephrasing, or search in all documents.`,
        }),
      );
      return;
    }
    const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
    const parts = answer.text.split(/(\[\d+\])/);
    for (const part of parts) {
      const match = /^\[(\d+)\]$/.exec(part);
      const citation = match && byNumber.get(Number(match[1]));
      if (citation) {
        const button = el("button", {
          type: "button",
          class: "cite",
          text: part,
          "aria-label": `Source ${citation.n}: ${citation.title}`,
          "data-n": String(citation.n),
        });
        button.addEventListener("click", () => openPassage(citation, button));
        textNode.append(button);
      } else if (part) {
        textNode.append(document.createTextNode(part));
      }
    }
    if (!answer.citations.length) return;
    const list = el("ol");
    for (const c of answer.citations) {
      const where = [c.heading_path, c.page != null ? `p. ${c.page}` : null].filter(Boolean).join(" · ");
      const button = el(
        "button",
        { type: "button", class: "source-button" },
        el("span", { class: "source-title", text: `[${c.n}] ${c.title}` }, statusBadge(c.doc_id)),
        where ? el("span", { class: "source-quote", text: where }) : null,
        el("span", { class: "source-quote", text: `“${c.quote.replace(/\s+/g, " ").trim()}”` }),
        c.gloss ? el("span", { class: "source-gloss", text: `Gloss (not the document's words): ${c.gloss}` }) : null,
      );
      button.addEventListener("click", () => openPassage(c, button));
      list.append(el("li", {}, button));
    }
    textNode.after(el("section", { class: "sources", "aria-label": "Sources" }, el("h3", { text: "Sources" }), list));
  }

  // --- feedback -------------------------------------------------------------------------------------

  // 👍/👎 under every answer, then an optional comment: kept with the Slack bot's feedback and exported
  // with it as candidate evaluation cases (`assistant slack export-feedback`).
  function renderFeedback(bubble, answerId) {
    if (!answerId) return;
    const rate = (value, label, symbol) =>
      el("button", { type: "button", class: "rate", "data-rating": value, "aria-pressed": "false", "aria-label": label, title: label, text: symbol });
    const up = rate("up", "Helpful answer", "👍");
    const down = rate("down", "Unhelpful answer", "👎");
    const status = el("span", { class: "feedback-status", role: "status" });
    const comment = el("textarea", {
      class: "feedback-comment",
      rows: "2",
      maxlength: "2000",
      "aria-label": "Comment on this answer (optional)",
      placeholder: "What was right or wrong? (optional)",
    });
    const sendComment = el("button", { type: "button", class: "secondary", text: "Send comment" });
    const more = el("div", { class: "feedback-more" }, comment, sendComment);
    more.hidden = true;
    let rating = null;

    async function save(withComment) {
      const body = { answer_id: answerId, rating };
      const note = comment.value.trim();
      if (withComment && note) body.comment = note;
      status.textContent = "Saving…";
      try {
        const response = await fetch("/v1/feedback", { method: "POST", headers: headers(), body: JSON.stringify(body) });
        if (!response.ok) throw new Error(await errorMessage(response));
        status.textContent = body.comment ? "Thanks, your comment was recorded." : "Thanks for the feedback.";
      } catch (err) {
        status.textContent = `Could not save the feedback: ${err.message}`;
      }
    }

    for (const button of [up, down]) {
      button.addEventListener("click", () => {
        rating = button.dataset.rating;
        up.setAttribute("aria-pressed", String(rating === "up"));
        down.setAttribute("aria-pressed", String(rating === "down"));
        more.hidden = false;
        save(false);
      });
    }
    sendComment.addEventListener("click", () => {
      if (rating) save(true);
    });
    bubble.append(
      el("div", { class: "feedback", role: "group", "aria-label": "Rate this answer" }, el("span", { text: "Was this helpful?" }), up, down, status),
      more,
    );
  }

  // --- passages -------------------------------------------------------------------------------------

  // A badge for a document that is out of force (its status comes with GET /v1/documents).
  function statusBadge(docId) {
    const status = state.docStatus.get(docId);
    if (!OUT_OF_FORCE.has(status)) return null;
    return el("span", { class: `status-badge status-${status}`, text: status, title: `This document is ${status}` });
  }

  async function openPassage(citation, opener) {
    state.returnFocus = opener;
    els.dialogTitle.textContent = citation.title;
    const badge = statusBadge(citation.doc_id);
    if (badge) els.dialogTitle.append(" ", badge);
    els.dialogWhere.textContent = "Loading the passage…";
    els.dialogText.replaceChildren();
    els.dialogId.textContent = "";
    els.dialogSource.hidden = true;
    if (!els.dialog.open) els.dialog.showModal();
    els.dialogClose.focus();
    const url = `/v1/passages/${encodeURIComponent(citation.passage_id)}?start=${citation.start}&end=${citation.end}`;
    try {
      const response = await fetch(url, { headers: headers(false) });
      if (!response.ok) throw new Error(await errorMessage(response));
      const view = await response.json();
      const p = view.passage;
      els.dialogTitle.textContent = p.title;
      const viewBadge = statusBadge(p.doc_id);
      if (viewBadge) els.dialogTitle.append(" ", viewBadge);
      const where = [p.heading_path || "(no section)", p.page != null ? `page ${p.page}` : null, p.issuing_body, p.date];
      els.dialogWhere.textContent = where.filter(Boolean).join(" · ");
      const start = view.highlight_start ?? 0;
      const end = view.highlight_end ?? 0;
      const mark = el("mark", { text: p.text.slice(start, end) });
      els.dialogText.replaceChildren(document.createTextNode(p.text.slice(0, start)), mark, document.createTextNode(p.text.slice(end)));
      els.dialogId.textContent = `${p.doc_id}, characters ${citation.start}–${citation.end}`;
      if (view.document_source_url) {
        els.dialogSource.href = view.document_source_url;
        els.dialogSource.hidden = false;
      }
      mark.scrollIntoView({ block: "center" });
    } catch (err) {
      els.dialogWhere.textContent = `Could not load the passage: ${err.message}`;
    }
  }

  els.dialogClose.addEventListener("click", () => els.dialog.close());
  els.dialog.addEventListener("close", () => {
    if (state.returnFocus) state.returnFocus.focus();
  });
  els.dialog.addEventListener("click", (event) => {
    if (event.target === els.dialog) els.dialog.close(); // a click on the backdrop
  });

  // --- controls -------------------------------------------------------------------------------------

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = els.question.value.trim();
    if (!question || state.controller) return;
    els.question.value = "";
    ask(question);
  });

  els.question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.form.requestSubmit();
    }
  });

  els.stop.addEventListener("click", () => state.controller && state.controller.abort());

  els.newChat.addEventListener("click", () => {
    if (state.controller) state.controller.abort();
    state.history = [];
    for (const turn of els.conversation.querySelectorAll(".turn")) turn.remove();
    els.intro.hidden = false;
    els.question.focus();
  });

  els.keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    state.apiKey = els.keyInput.value.trim();
    if (state.apiKey) localStorage.setItem(KEY_STORAGE, state.apiKey);
    else localStorage.removeItem(KEY_STORAGE);
    els.keyStatus.textContent = "Checking…";
    loadDocuments();
  });

  init();
})();
