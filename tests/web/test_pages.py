"""The server-rendered pages, through HTTP against the seeded demo organisation."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from essor.assistant.messages import EXTRACTIVE_MODE, NOT_IN_SOURCES
from essor.demo.seed import DEMO_QUESTIONS
from essor.web.i18n import STRINGS, format_date, format_number, from_accept_language, negotiate
from essor.web.security import CONTENT_SECURITY_POLICY
from tests.web.conftest import HOSTILE_COLLECTION, IMG, SCRIPT, Browser

REMOTE_QUESTION = "How many days a week can I work remotely?"
UNANSWERABLE_FR = "Quelle est la couleur préférée des licornes du comité de direction ?"
CITATION = re.compile(r'<a class="cite" href="#source-(\d+)"')
PASSAGE_LINK = re.compile(r'href="(/documents/(\d+)\?start=(\d+)&amp;end=(\d+)#passage)"')
MARK = re.compile(r'<mark id="passage">(.*?)</mark>', re.DOTALL)


def document_id(client: httpx.Client, collection: str, external_id: str) -> int:
    items = client.get(f"/api/collections/{collection}").json()["items"]
    return next(int(d["id"]) for d in items if d["external_id"] == external_id)


# --- Ask -----------------------------------------------------------------------------------


def test_ask_page_cites_sources_and_the_link_highlights_the_passage(client: httpx.Client) -> None:
    page = client.get("/", params={"q": REMOTE_QUESTION})
    assert page.status_code == 200
    body = page.text
    assert "two days per week" in body
    cited = set(CITATION.findall(body))
    assert cited, "every sentence carries a citation marker"
    for n in cited:
        assert f'id="source-{n}"' in body  # each marker points at a listed source
    assert EXTRACTIVE_MODE["en"] in html.unescape(body)
    assert "Remote work policy" in body

    href, doc_id, start, end = PASSAGE_LINK.search(body).groups()  # type: ignore[union-attr]
    doc = client.get(html.unescape(href))
    assert doc.status_code == 200
    marked = MARK.search(doc.text)
    assert marked is not None, "the cited passage is highlighted and carries the anchor"
    text = client.get(f"/api/documents/{doc_id}").json()["text"]
    assert html.unescape(marked.group(1)) == text[int(start) : int(end)]
    assert "two days per week" in marked.group(1)


def test_unanswerable_french_question_abstains_in_french(client: httpx.Client) -> None:
    page = client.get("/", params={"q": UNANSWERABLE_FR}, headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert NOT_IN_SOURCES["fr"] in html.unescape(page.text)
    assert 'id="source-1"' not in page.text
    assert 'lang="fr"' in page.text


def test_home_page_suggests_demo_questions_in_the_page_language(client: httpx.Client) -> None:
    for lang in ("fr", "en"):
        body = client.get("/", headers={"Accept-Language": lang}).text
        for question in DEMO_QUESTIONS[lang]:
            assert question in html.unescape(body)
        assert body.count('<li><a href="/?q=') == len(DEMO_QUESTIONS[lang])
    # The question box is labelled and focused on arrival.
    assert '<label for="q">' in body and "autofocus" in body


def test_suggested_question_link_answers_it(client: httpx.Client) -> None:
    body = client.get("/", headers={"Accept-Language": "fr"}).text
    link = re.search(r'<li><a href="(/\?q=[^"]+)">', body)
    assert link is not None
    answered = client.get(html.unescape(link.group(1)))
    assert answered.status_code == 200
    assert CITATION.search(answered.text)


def test_over_long_question_is_refused_with_a_message(client: httpx.Client) -> None:
    page = client.get("/", params={"q": "leave " * 400})
    assert page.status_code == 422
    assert "too long" in page.text


# --- Search --------------------------------------------------------------------------------


def test_search_page_lists_passages_with_links(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "expense claim receipt"})
    assert page.status_code == 200
    assert "Business expenses policy" in page.text
    assert "score" in page.text
    href = PASSAGE_LINK.search(page.text)
    assert href is not None
    assert client.get(html.unescape(href.group(1))).status_code == 200


def test_search_page_filters_by_collection(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "price per month", "collection": "sales"})
    assert page.status_code == 200
    tags = re.findall(r'<span class="tag">([^<]+)</span>', page.text)
    assert tags and set(tags) == {"sales"}
    assert '<option value="sales" selected>' in page.text


def test_search_page_unknown_collection_is_404(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "leave", "collection": "no-such-thing"})
    assert page.status_code == 404
    assert "no-such-thing" in page.text


def test_search_page_without_query_shows_the_form(client: httpx.Client) -> None:
    page = client.get("/search")
    assert page.status_code == 200
    assert '<label for="q">' in page.text and '<label for="collection">' in page.text


# --- Collections and documents -------------------------------------------------------------


def test_collections_page_lists_demo_collections_with_counts(client: httpx.Client) -> None:
    body = client.get("/collections").text
    for name in ("hr", "customer-service", "sales", "operations", "training"):
        assert f'href="/collections/{name}"' in body
    assert "10 documents" in body  # hr: five policies in two languages


def test_collection_page_lists_its_documents(client: httpx.Client) -> None:
    page = client.get("/collections/hr")
    assert page.status_code == 200
    assert "Annual leave policy" in page.text
    assert "Congés payés et RTT" in page.text
    assert re.search(r'href="/documents/\d+"', page.text)


def test_unknown_collection_page_is_404_with_its_name(client: httpx.Client) -> None:
    page = client.get("/collections/no-such-thing")
    assert page.status_code == 404
    assert "no-such-thing" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_document_page_shows_sections(client: httpx.Client) -> None:
    doc_id = document_id(client, "hr", "en/annual-leave.md")
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200
    body = page.text
    assert "<h1>Annual leave policy</h1>" in body
    assert "<h2>Requesting leave</h2>" in body
    assert "25 working days of paid annual leave" in body
    assert '<a href="#section-' in body  # table of contents
    assert "<mark" not in body  # nothing highlighted without a passage


def test_document_page_ignores_an_invalid_highlight(client: httpx.Client) -> None:
    doc_id = document_id(client, "hr", "en/annual-leave.md")
    for params in ({"start": "50", "end": "10"}, {"start": "x", "end": "9"}, {"end": "10"}):
        page = client.get(f"/documents/{doc_id}", params=params)
        assert page.status_code == 200
        assert "<mark" not in page.text


@pytest.mark.parametrize("path", ["/documents/999999", "/documents/abc", "/nowhere"])
def test_missing_pages_are_404(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404
    assert "Page not found" in page.text or "No document" in page.text


# --- Headers, language, accessibility ------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/search?q=leave", "/collections", "/static/essor.css", "/nowhere", "/healthz"]
)
def test_security_headers_on_every_response(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_accept_language_french_gives_the_french_interface(client: httpx.Client) -> None:
    body = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).text
    assert '<html lang="fr">' in body
    assert STRINGS["fr"]["ask.label"] in body
    assert STRINGS["fr"]["skip"] in body


def test_lang_parameter_overrides_and_is_remembered(base_url: str, admin_browser: Browser) -> None:
    with httpx.Client(
        base_url=base_url,
        headers={"Accept-Language": "fr"},
        cookies={"essor_session": admin_browser.session},
    ) as browser:
        chosen = browser.get("/", params={"lang": "en"})
        assert '<html lang="en">' in chosen.text
        cookie = chosen.headers["set-cookie"]
        assert cookie.startswith("essor_lang=en")
        assert "samesite=lax" in cookie.lower()
        # The next page, without the parameter, stays in English despite Accept-Language.
        later = browser.get("/collections")
        assert '<html lang="en">' in later.text
        assert STRINGS["en"]["collections.title"] in later.text


def test_language_switch_link_keeps_the_page(client: httpx.Client) -> None:
    body = client.get("/search", params={"q": "VPN"}, headers={"Accept-Language": "en"}).text
    assert 'href="/search?q=VPN&amp;lang=fr"' in body


def test_dates_are_formatted_for_the_locale(client: httpx.Client) -> None:
    doc_id = document_id(client, "hr", "fr/conges-payes.md")
    fr = client.get(f"/documents/{doc_id}", params={"lang": "fr"}).text
    en = client.get(f"/documents/{doc_id}", params={"lang": "en"}).text
    fr_months = (
        "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    )
    assert re.search(rf"<dd>(1er|\d{{1,2}}) ({fr_months}) \d{{4}}</dd>", fr)
    assert re.search(r"<dd>\d{1,2} [A-Z][a-z]+ \d{4}</dd>", en)


def test_pages_have_landmarks_and_a_skip_link(client: httpx.Client) -> None:
    body = client.get("/").text
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<nav" in body
    assert 'name="viewport"' in body
    assert "style=" not in body and "<script" not in body  # the CSP allows neither


def test_negotiation_and_formatting_rules() -> None:
    assert from_accept_language("de-DE, en;q=0.4, fr;q=0.9") == "fr"
    assert from_accept_language("en-GB,en;q=0.9,fr;q=0.9") == "en"
    assert from_accept_language("de, *;q=0.1") is None
    assert negotiate("en", "fr", "fr") == "en"
    assert negotiate(None, "fr", "en") == "fr"
    assert negotiate("xx", None, None) == "en"
    assert format_number(1234.5, "fr", 1) == "1\u202f234,5"
    assert format_number(1234.5, "en", 1) == "1,234.5"
    from datetime import date

    assert format_date(date(2025, 3, 1), "fr") == "1er mars 2025"
    assert format_date(date(2025, 3, 1), "en") == "1 March 2025"


def test_both_languages_define_the_same_strings() -> None:
    assert STRINGS["fr"].keys() == STRINGS["en"].keys()


# --- Escaping of hostile documents ----------------------------------------------------------


def assert_inert(body: str) -> None:
    """No tag or attribute from a document survives: the page has no script or image at all."""
    lowered = body.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    for attribute in re.findall(r'(?:href|src|action)="([^"]*)"', lowered):
        assert not attribute.strip().startswith("javascript:")


def test_hostile_document_page_escapes_everything(client: httpx.Client) -> None:
    doc_id = document_id(client, HOSTILE_COLLECTION, "quokka.md")
    body = client.get(f"/documents/{doc_id}").text
    assert_inert(body)
    assert html.escape(SCRIPT, quote=False) in body  # shown as text, not dropped
    assert html.escape(IMG, quote=False) in body
    html_doc = document_id(client, HOSTILE_COLLECTION, "wombat.html")
    assert_inert(client.get(f"/documents/{html_doc}").text)


def test_hostile_text_is_escaped_in_answers_and_search(client: httpx.Client) -> None:
    answer = client.get("/", params={"q": "zanzibar quokka badge photo reception"})
    assert answer.status_code == 200
    assert "zanzibar" in answer.text and 'id="source-1"' in answer.text
    assert_inert(answer.text)
    for q in ("zanzibar quokka", "wombat warden burrow register"):
        results = client.get("/search", params={"q": q})
        assert results.status_code == 200 and "/documents/" in results.text
        assert_inert(results.text)


def test_hostile_question_is_escaped(client: httpx.Client) -> None:
    body = client.get("/", params={"q": f"{SCRIPT} {IMG} leave"}).text
    assert_inert(body)


def test_only_http_document_urls_become_links(client: httpx.Client) -> None:
    bad = document_id(client, HOSTILE_COLLECTION, "pangolin-js-url")
    good = document_id(client, HOSTILE_COLLECTION, "pangolin-https-url")
    assert "javascript:" not in client.get(f"/documents/{bad}").text
    assert 'href="https://intranet.essor-demo.example/pangolin-rota"' in (
        client.get(f"/documents/{good}").text
    )
    answer = client.get("/", params={"q": "pangolin scale counted registrar"}).text
    assert "Pangolin scale register" in answer
    assert "javascript:" not in answer
