"""Documents and passages over HTTP: list, upload through the ingest pipeline, delete, evidence spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import FLAGSHIP
from tests.support import make_pdf

NOTE = """---
title: Harbour Lighting Ordinance
issuing_body: Port Authority of Examplia
date: 2024-03-01
language: en
---

# Harbour Lighting Ordinance

## Article 1 Scope

This ordinance governs the lighting of the northern harbour.

## Article 2 Curfew

All decorative harbour lights must be switched off by 23:00 every night from April to October.
"""


def test_documents_are_listed_with_counts_dates_and_language(http):
    body = http.get("/v1/documents").json()
    assert body["total"] == len(body["documents"]) >= 10
    assert body["chunks"] == sum(d["n_chunks"] for d in body["documents"])
    doc = next(d for d in body["documents"] if d["id"] == "eu-ai-act-risk-tiers")
    assert doc["n_chunks"] > 0 and doc["language"] == "en" and doc["date"] and doc["ingested_at"]
    assert http.get("/v1/documents/eu-ai-act-risk-tiers").json()["title"] == doc["title"]


def test_unknown_document_and_passage_are_404(http):
    for path in ("/v1/documents/no-such-doc", "/v1/passages/no-such-doc:0001"):
        response = http.get(path)
        assert response.status_code == 404
        assert "no-such-doc" in response.json()["error"]["message"]


def test_passage_locates_the_cited_span(http, corpus_assistant):
    answer = http.post("/v1/ask", json={"question": FLAGSHIP}).json()
    citation = answer["citations"][0]
    view = http.get(
        f"/v1/passages/{citation['passage_id']}", params={"start": citation["start"], "end": citation["end"]}
    ).json()
    passage = view["passage"]
    assert passage["id"] == citation["passage_id"] and passage["title"] == citation["title"]
    assert passage["heading_path"] == citation["heading_path"]
    assert view["highlighted"] == citation["quote"]
    assert passage["text"][view["highlight_start"] : view["highlight_end"]] == citation["quote"]
    plain = http.get(f"/v1/passages/{citation['passage_id']}").json()
    assert plain["highlight_start"] is None and plain["passage"]["text"] == passage["text"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": 5}, "both start and end"),
        ({"start": 9, "end": 3}, "greater than"),
        ({"start": 10**8, "end": 10**8 + 5}, "outside"),
    ],
)
def test_bad_spans_are_422(http, corpus_assistant, params, message):
    passage_id = corpus_assistant.retrieve(FLAGSHIP).passages[0].id
    response = http.get(f"/v1/passages/{passage_id}", params=params)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_upload_then_ask_then_delete(serve, make_assistant):
    live = serve(make_assistant())
    with live.client() as http:
        files = {"file": ("harbour-lighting.md", NOTE.encode(), "text/markdown")}
        added = http.post("/v1/documents", files=files)
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["status"] == "added" and body["summary"]["added"] == 1
        doc = body["document"]
        assert doc["id"] == "harbour-lighting" and doc["title"] == "Harbour Lighting Ordinance"
        assert doc["source"] == "upload:harbour-lighting.md" and doc["n_chunks"] >= 1

        again = http.post("/v1/documents", files=files)
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
        changed = NOTE.replace("23:00", "22:00").encode()
        updated = http.post("/v1/documents", files={"file": ("harbour-lighting.md", changed)})
        assert updated.status_code == 200 and updated.json()["status"] == "updated"

        answer = http.post(
            "/v1/ask", json={"question": "When must decorative harbour lights be switched off?"}
        )
        assert "22:00" in answer.json()["text"]

        deleted = http.delete("/v1/documents/harbour-lighting")
        assert deleted.status_code == 200 and deleted.json()["deleted"] == "harbour-lighting"
        assert http.get("/v1/documents").json()["total"] == 0
        assert http.delete("/v1/documents/harbour-lighting").status_code == 404
        after = http.post(
            "/v1/ask", json={"question": "When must decorative harbour lights be switched off?"}
        )
        assert after.json()["abstained"] is True


def test_pdf_upload_keeps_pages(serve, make_assistant):
    live = serve(make_assistant())
    pdf = make_pdf(
        [
            ["Harbour rules apply to every vessel that berths in the port of Kells."],
            ["All decorative harbour lights must be switched off by 23:00 every night."],
        ]
    )
    with live.client() as http:
        response = http.post("/v1/documents", files={"file": ("rules.pdf", pdf, "application/pdf")})
        assert response.status_code == 201, response.text
        answer = http.post(
            "/v1/ask", json={"question": "When must decorative harbour lights be switched off?"}
        ).json()
    assert "23:00" in answer["text"]
    # the two short pages make one passage that starts on page 1; the quoted sentence is on page 2
    citation = answer["citations"][0]
    assert "23:00" in citation["quote"] and citation["page"] == 2
    with live.client() as http:
        passage = http.get(f"/v1/passages/{citation['passage_id']}").json()["passage"]
    assert passage["page"] == 1 and [n for _, n in passage["page_breaks"]] == [2]


@pytest.mark.parametrize(
    ("filename", "content", "status", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", 415, "unsupported file type '.exe'"),
        ("no-extension", b"hello", 415, "unsupported file type"),
        ("empty.md", b"", 422, "empty"),
        ("binary.txt", bytes(range(256)) * 40, 422, "could not be ingested"),
        ("broken.pdf", b"%PDF-1.4 not really a pdf", 422, "could not be ingested"),
    ],
)
def test_bad_uploads_are_refused_clearly(serve, make_assistant, filename, content, status, message):
    live = serve(make_assistant())
    with live.client() as http:
        response = http.post("/v1/documents", files={"file": (filename, content)})
        assert response.status_code == status, response.text
        assert message in response.json()["error"]["message"]
        assert http.get("/v1/documents").json()["total"] == 0


def test_upload_file_names_never_reach_the_filesystem_unsanitised(serve, make_assistant, tmp_path):
    assistant = make_assistant()
    live = serve(assistant)
    hostile = "../../" + str(tmp_path / "escape") + "/..\\..\\evil\x00name\u202e.md"
    with live.client() as http:
        response = http.post("/v1/documents", files={"file": (hostile, NOTE.encode())})
    assert response.status_code == 201, response.text
    source = response.json()["document"]["source"]
    assert source.startswith("upload:") and "/" not in source and "\\" not in source and ".." not in source
    assert "\x00" not in source and "\u202e" not in source
    assert not (tmp_path / "escape").exists()
    assert not any(p.name.startswith("evil") for p in Path(assistant.settings.data_dir).rglob("*"))


def test_upload_larger_than_the_limit_is_413(serve, make_assistant):
    live = serve(make_assistant(), max_upload_mb=0.01)
    with live.client() as http:
        response = http.post("/v1/documents", files={"file": ("big.md", b"# Big\n\n" + b"word " * 20_000)})
        assert response.status_code == 413
        assert "MiB" in response.json()["error"]["message"]
        assert http.get("/v1/documents").json()["total"] == 0
