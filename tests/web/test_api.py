"""The JSON API, through HTTP against the seeded demo organisation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from essor.assistant.messages import NOT_IN_SOURCES
from essor.web.security import CONTENT_SECURITY_POLICY

PASSAGE_KEYS = {
    "chunk_id",
    "document_id",
    "document_ref",
    "collection",
    "title",
    "section",
    "passage_ref",
    "url",
    "start",
    "end",
    "text",
    "score",
    "language",
}
SOURCE_KEYS = {
    "n",
    "document_id",
    "document_ref",
    "chunk_id",
    "passage_ref",
    "collection",
    "title",
    "section",
    "url",
    "quote",
    "start",
    "end",
}


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


# --- /api/ask ------------------------------------------------------------------------------


def test_ask_returns_a_cited_answer(client: httpx.Client) -> None:
    response = client.post("/api/ask", json={"question": "How do I reset a forgotten password?"})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {
        "question",
        "language",
        "mode",
        "abstained",
        "answer",
        "sentences",
        "sources",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "fallback_reason",
        "event_id",
    }
    assert answer["model"] is None and answer["event_id"] is not None
    assert answer["abstained"] is False
    assert answer["language"] == "en" and answer["mode"] == "extractive"
    assert answer["sentences"] and answer["sources"]
    numbers = {s["n"] for s in answer["sources"]}
    for sentence in answer["sentences"]:
        assert sentence["text"] and set(sentence["citations"]) <= numbers
    first = answer["sources"][0]
    assert set(first) == SOURCE_KEYS
    assert first["document_ref"] == "en/password-reset.md"
    # The quote is exactly the cited span of the document's current text.
    doc = client.get(f"/api/documents/{first['document_id']}").json()
    assert doc["text"][first["start"] : first["end"]] == first["quote"]


def test_ask_within_collections(client: httpx.Client) -> None:
    response = client.post(
        "/api/ask", json={"question": "What does Cadran Business cost?", "collections": ["sales"]}
    )
    assert response.status_code == 200
    sources = response.json()["sources"]
    assert sources and {s["collection"] for s in sources} == {"sales"}


def test_ask_french_question_abstains_in_french(client: httpx.Client) -> None:
    question = "Quelle est la couleur préférée des licornes du comité de direction ?"
    answer = client.post("/api/ask", json={"question": question}).json()
    assert answer["abstained"] is True
    assert answer["language"] == "fr"
    assert answer["answer"] == NOT_IN_SOURCES["fr"]
    assert answer["sources"] == []


def test_ask_unknown_collection_is_404_naming_it(client: httpx.Client) -> None:
    response = client.post("/api/ask", json={"question": "leave", "collections": ["nope-x"]})
    assert_error(response, 404, "nope-x")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "question"),
        ({}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": 42}, "question"),
        ({"question": "leave", "collections": "hr"}, "collections"),
        ({"question": "leave", "colections": ["hr"]}, "colections"),
    ],
)
def test_ask_validation_errors_are_422(
    client: httpx.Client, payload: dict[str, Any], field: str
) -> None:
    body = assert_error(client.post("/api/ask", json=payload), 422, field)
    assert all(set(e) == {"field", "message", "where"} for e in body["errors"])
    assert "x" * 100 not in str(body)  # the over-long input is not echoed back


def test_ask_rejects_a_body_that_is_not_json(client: httpx.Client) -> None:
    response = client.post(
        "/api/ask", content=b"question=leave", headers={"content-type": "application/json"}
    )
    assert_error(response, 422)


def test_ask_accepts_exactly_2000_characters(client: httpx.Client) -> None:
    question = ("annual leave " * 200)[:2000]
    assert client.post("/api/ask", json={"question": question}).status_code == 200


# --- /api/search ---------------------------------------------------------------------------


def test_search_returns_passages(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "VPN certificate expired", "limit": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 0 < len(results) <= 3
    assert set(results[0]) == PASSAGE_KEYS
    assert results[0]["document_ref"] == "en/vpn-access.md"
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_search_filters_by_collection(client: httpx.Client) -> None:
    response = client.get(
        "/api/search", params=[("q", "délai remboursement"), ("collection", "customer-service")]
    )
    results = response.json()["results"]
    assert results and {r["collection"] for r in results} == {"customer-service"}


def test_search_several_collections(client: httpx.Client) -> None:
    params = httpx.QueryParams({"q": "euros", "collection": ["sales", "hr"], "limit": 50})
    results = client.get("/api/search", params=params).json()["results"]
    assert {r["collection"] for r in results} == {"sales", "hr"}


def test_search_unknown_collection_is_404(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "leave", "collection": "nope-y"})
    assert_error(response, 404, "nope-y")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 2001}, "q"),
        ({"q": "leave", "limit": "0"}, "limit"),
        ({"q": "leave", "limit": "101"}, "limit"),
        ({"q": "leave", "limit": "ten"}, "limit"),
    ],
)
def test_search_validation_errors_are_422(
    client: httpx.Client, params: dict[str, str], field: str
) -> None:
    assert_error(client.get("/api/search", params=params), 422, field)


# --- collections, documents, health --------------------------------------------------------


def test_collections(client: httpx.Client) -> None:
    collections = client.get("/api/collections").json()["collections"]
    by_name = {c["name"]: c for c in collections}
    assert {"hr", "customer-service", "sales", "operations", "training"} <= set(by_name)
    assert by_name["hr"]["documents"] == 10
    assert set(by_name["hr"]) == {"name", "description", "documents", "created_at"}


def test_collection_documents(client: httpx.Client) -> None:
    body = client.get("/api/collections/training").json()
    assert body["name"] == "training" and body["documents"] == 2
    refs = {d["external_id"] for d in body["items"]}
    assert refs == {"en/getting-started-with-the-assistant.md", "fr/prise-en-main-assistant.md"}
    assert_error(client.get("/api/collections/nope-z"), 404, "nope-z")


def test_document(client: httpx.Client) -> None:
    items = client.get("/api/collections/hr").json()["items"]
    doc_id = next(d["id"] for d in items if d["external_id"] == "fr/teletravail.md")
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["title"] == "Télétravail"
    assert doc["language"] == "fr" and doc["collection"] == "hr" and doc["format"] == "markdown"
    assert doc["sections"], "a markdown document has sections"
    for s in doc["sections"]:
        assert 0 <= s["start"] <= s["end"] <= len(doc["text"])
    assert any(s["path"][-1] == "Nombre de jours de télétravail" for s in doc["sections"])


def test_missing_document_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/api/documents/987654"), 404, "987654")
    assert_error(client.get("/api/documents/abc"), 422, "document_id")


def test_healthz(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_api_responses_carry_security_headers(client: httpx.Client) -> None:
    for response in (
        client.get("/api/collections"),
        client.post("/api/ask", json={"question": ""}),
        client.get("/api/documents/987654"),
    ):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


def test_openapi_description_is_served(client: httpx.Client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/ask" in spec["paths"] and "/api/search" in spec["paths"]
    assert "/" not in spec["paths"]  # pages are not API
