"""Lifecycle over real HTTP: statuses in the document list, the relations view, the in_force_on filter."""

from __future__ import annotations

EO_QUESTION = "What does Executive Order 14110 require of developers of dual-use foundation models?"


def test_documents_list_status_identifiers_and_relations(http):
    body = http.get("/v1/documents").json()
    documents = {d["id"]: d for d in body["documents"]}
    assert documents["us-eo-14110-2023"]["status"] == "revoked"
    assert documents["us-eo-14110-2023"]["identifiers"] == ["EO 14110"]
    assert documents["us-eo-14179-ai-action-plan-2025"]["relations"]
    later = http.get("/v1/documents", params={"in_force_on": "2025-06-01"}).json()
    assert "us-eo-14110-2023" not in {d["id"] for d in later["documents"]}
    assert later["total"] < body["total"]  # also without the documents dated after that day
    earlier = http.get("/v1/documents", params={"in_force_on": "2024-06-01"}).json()
    assert "us-eo-14110-2023" in {d["id"] for d in earlier["documents"]}
    assert http.get("/v1/documents", params={"in_force_on": "June 2025"}).status_code == 422


def test_relations_view_with_evidence(http, corpus_assistant):
    response = http.get("/v1/documents/us-eo-14110-2023/relations")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked" and body["since"] == "2025-01-20"
    incoming = [r for r in body["relations"] if r["direction"] == "incoming"]
    (link,) = [r for r in incoming if r["other_doc_id"] == "us-eo-14179-ai-action-plan-2025"]
    evidence = link["evidence"]
    text = corpus_assistant.document(link["stated_in"]).text
    assert text[evidence["start"] : evidence["end"]] == evidence["quote"]
    assert http.get("/v1/documents/no-such-doc/relations").status_code == 404


def test_ask_with_in_force_on(http):
    now = http.post("/v1/ask", json={"question": EO_QUESTION}).json()
    assert [n["kind"] for n in now["notices"]] == ["revoked"]
    before = http.post(
        "/v1/ask", json={"question": EO_QUESTION, "filters": {"in_force_on": "2024-06-01"}}
    ).json()
    assert not before["abstained"] and before["notices"] == []
    after = http.post(
        "/v1/ask", json={"question": EO_QUESTION, "filters": {"in_force_on": "2025-06-01"}}
    ).json()
    assert "us-eo-14110-2023" not in {p["doc_id"] for p in after["passages"]}
    bad = http.post("/v1/ask", json={"question": EO_QUESTION, "filters": {"in_force_on": "soon"}})
    assert bad.status_code == 422
