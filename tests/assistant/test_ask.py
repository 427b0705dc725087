"""Grounded extractive answers on real GOV.UK pages and French labour-law sheets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from essor.assistant.answer import ask
from essor.db import dispose_engines, read_session
from essor.governance.access import SYSTEM
from essor.knowledge.actions import ingest_path
from essor.knowledge.index import reset_backends
from essor.knowledge.models import Document, DocumentVersion
from essor.settings import Settings
from tests.conftest import corpus_sample, make_settings, shared_corpus


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp_path = tmp_path_factory.mktemp("kb")
    settings = make_settings(tmp_path)
    ingest_path(shared_corpus("conditionalqa-govuk"), "govuk", settings=settings)
    ingest_path(corpus_sample("cdtn-travail-fr", tmp_path, 400), "travail", settings=settings)
    yield settings
    dispose_engines()
    reset_backends()


def test_answer_quotes_sources_verbatim_with_citations(kb: Settings) -> None:
    with read_session(kb) as s:
        answer = ask(
            s,
            "Can a recruitment agency charge me a fee for finding work?",
            reader=SYSTEM,
            settings=kb,
        )
        assert not answer.abstained and answer.mode == "extractive" and answer.language == "en"
        assert answer.sentences and answer.sources
        numbers = {src.n for src in answer.sources}
        for sentence in answer.sentences:
            assert sentence.citations and set(sentence.citations) <= numbers
            src = answer.sources[sentence.citations[0] - 1]
            # Every sentence is a quote of the passage it cites, and the passage is the text
            # of the document version at the cited offsets.
            assert sentence.text in " ".join(src.quote.split())
            doc = s.get(Document, src.document_id)
            assert doc is not None
            version = s.get(DocumentVersion, doc.current_version_id)
            assert version is not None and version.text[src.start : src.end] == src.quote
        assert "[1]" in answer.text
        assert any("fee" in s_.text for s_ in answer.sentences)


def test_json_shape(kb: Settings) -> None:
    with read_session(kb) as s:
        data = ask(
            s, "How long is statutory maternity leave?", reader=SYSTEM, settings=kb
        ).as_dict()
    assert set(data) >= {"answer", "sentences", "sources", "abstained", "mode", "language"}
    assert data["abstained"] is False
    source = data["sources"][0]
    assert {"n", "document_id", "document_ref", "chunk_id", "passage_ref", "title"} <= set(source)
    assert {"section", "url", "quote", "start", "end"} <= set(source)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the capital of Mongolia?", "The available sources do not answer"),
        ("Quelle est la recette de la tarte tatin ?", "Les sources disponibles ne permettent"),
    ],
)
def test_abstains_in_the_question_language(kb: Settings, question: str, expected: str) -> None:
    with read_session(kb) as s:
        answer = ask(s, question, reader=SYSTEM, settings=kb)
    assert answer.abstained and answer.sources == [] and answer.sentences == []
    assert answer.text.startswith(expected)


def test_french_question_gets_a_french_cited_answer(kb: Settings) -> None:
    with read_session(kb) as s:
        answer = ask(s, "Quelle est la durée de la période d'essai ?", reader=SYSTEM, settings=kb)
        docs = {src.document_ref for src in answer.sources}
        langs = {
            s.execute(select(Document.language).where(Document.external_id == d)).scalar()
            for d in docs
        }
    assert not answer.abstained and answer.language == "fr"
    assert langs == {"fr"}
    assert any("essai" in sentence.text for sentence in answer.sentences)


def test_answer_restricted_to_a_collection(kb: Settings) -> None:
    with read_session(kb) as s:
        answer = ask(
            s, "statutory maternity pay", reader=SYSTEM, collections=["travail"], settings=kb
        )
    assert all(src.collection == "travail" for src in answer.sources)
