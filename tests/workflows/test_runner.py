"""Each prebuilt workflow, run end to end on the demo documents, in French and in English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from essor.db import dispose_engines, read_session
from essor.demo.people import ADMIN_EMAIL, MEMBER_EMAIL
from essor.demo.seed import seed_demo
from essor.governance.access import NOBODY, SYSTEM, Reader, identity_for
from essor.knowledge.index import reset_backends
from essor.settings import Settings
from essor.workflows.registry import Registry, load_registry, organisation_dir
from essor.workflows.runner import InputError, WorkflowResult, run_workflow
from essor.workflows.schema import WorkflowDefinition

# Realistic inputs per workflow and language, and the collections the sources must come from.
CASES: dict[str, tuple[set[str], dict[str, dict[str, str]]]] = {
    "customer-service-reply": (
        {"customer-service"},
        {
            "fr": {
                "message": "Bonjour, nous avons reçu trois capteurs de bureau il y a deux "
                "semaines mais nous n'en avons plus besoin. Pouvons-nous retourner le "
                "matériel et être remboursés ?",
                "product": "cadran",
            },
            "en": {
                "message": "Hello, we received three desk sensors two weeks ago but no longer "
                "need them. Can we return the unused hardware and get a refund?",
            },
        },
    ),
    "hr-policy-answer": (
        {"hr"},
        {
            "fr": {
                "topic": "remote-work",
                "question": "Combien de jours de télétravail par semaine ?",
            },
            "en": {"topic": "leave", "question": "How far in advance must I request annual leave?"},
        },
    ),
    "sales-proposal": (
        {"sales"},
        {
            "fr": {
                "needs": "Une entreprise de 800 salariés sur trois sites veut mieux accueillir "
                "ses visiteurs et imprimer des badges à l'accueil.",
                "product": "relais",
            },
            "en": {
                "needs": "A 1,200-person company moving to hybrid work wants people to book "
                "desks and wants to reduce its office space.",
                "product": "cadran",
            },
        },
    ),
    "training-course": (
        {"training"},
        {
            "fr": {"document": "Prise en main de l'assistant IA", "audience": "nouveaux arrivants"},
            "en": {"document": "Getting started with the AI assistant"},
        },
    ),
    "operations-procedure": (
        {"operations"},
        {
            "fr": {"task": "Demander un ordinateur portable pour un nouvel arrivant"},
            "en": {"task": "Reset a forgotten password"},
        },
    ),
    "ask": (
        {"hr"},
        {
            "fr": {"question": "Quel est le plafond de remboursement d'un repas en déplacement ?"},
            "en": {"question": "What is the hotel limit per night in London?"},
        },
    ),
}


@dataclass
class Demo:
    settings: Settings
    registry: Registry

    def run(
        self, workflow_id: str, inputs: dict[str, str], language: str, reader: Reader = SYSTEM
    ) -> WorkflowResult:
        definition = self.registry.get(workflow_id)
        assert definition is not None
        with read_session(self.settings) as session:
            return run_workflow(
                session,
                definition,
                inputs,
                reader=reader,
                language=language,
                settings=self.settings,
            )

    def reader(self, email: str) -> Reader:
        with read_session(self.settings) as session:
            identity = identity_for(session, email)
        assert identity is not None
        return Reader(identity=identity)

    def visible(self, reader: Reader) -> list[str]:
        with read_session(self.settings) as session:
            return [d.id for d in self.registry.visible_to(session, reader)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("essor-workflows"), _env_file=None)
    seed_demo(settings)
    yield Demo(settings, load_registry(settings))
    dispose_engines()
    reset_backends()


def check_numbering(result: WorkflowResult) -> None:
    assert [s.n for s in result.sources] == list(range(1, len(result.sources) + 1))
    cited = [n for sec in result.sections for s in sec.sentences for n in s.citations]
    assert set(cited) == {s.n for s in result.sources}  # every source cited, none invented
    # Numbers are given in order of first citation across the whole result.
    first_seen = list(dict.fromkeys(cited))
    assert first_seen == sorted(first_seen)
    chunks = [s.chunk_id for s in result.sources]
    assert len(chunks) == len(set(chunks))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("workflow_id", sorted(CASES))
def test_prebuilt_workflow_end_to_end(demo: Demo, workflow_id: str, language: str) -> None:
    collections, inputs = CASES[workflow_id]
    result = demo.run(workflow_id, inputs[language], language)
    definition = demo.registry.get(workflow_id)
    assert definition is not None
    assert result.mode == "extractive" and result.language == language
    assert result.minutes_saved == definition.minutes_saved > 0
    assert [s.id for s in result.sections] == [s.id for s in definition.sections]
    for section, spec in zip(result.sections, definition.sections, strict=True):
        assert section.title == spec.title.get(language)
        assert section.sentences, f"{workflow_id}/{section.id} ({language}): {section.message}"
        assert section.message is None
        assert len(section.sentences) <= spec.sentences
        for s in section.sentences:
            assert s.citations and s.text
            if spec.format == "quiz":
                assert s.question  # each quiz question is answered by its cited sentence
    check_numbering(result)
    assert {s.collection for s in result.sources} <= collections
    # No sentence is quoted twice in one result.
    texts = [s.text for sec in result.sections for s in sec.sentences]
    assert len(texts) == len(set(texts))
    data = result.as_dict()
    assert data["mode"] == "extractive" and not data["abstained"]
    assert len(data["sections"]) == len(definition.sections)


def test_a_french_run_quotes_french_policies(demo: Demo) -> None:
    _, inputs = CASES["hr-policy-answer"]
    result = demo.run("hr-policy-answer", inputs["fr"], "fr")
    assert result.sources[0].document_ref == "fr/teletravail.md"
    assert any("deux jours par semaine" in s.text for s in result.sections[0].sentences)


def test_the_training_course_stays_on_the_named_document(demo: Demo) -> None:
    result = demo.run(
        "training-course", {"document": "Getting started with the AI assistant"}, "en"
    )
    assert {s.document_ref for s in result.sources} == {"en/getting-started-with-the-assistant.md"}


def test_hr_points_to_the_contact_when_the_policies_are_silent(demo: Demo) -> None:
    inputs = {"topic": "benefits", "question": "Is there a crèche for astronauts' pets on Mars?"}
    for language, words in (("en", "For an answer, contact"), ("fr", "contactez")):
        result = demo.run("hr-policy-answer", inputs, language)
        assert result.abstained and result.sources == []
        for section in result.sections:
            assert section.message is not None
            assert words in section.message and "hr@essor-demo.example" in section.message


def test_a_reader_gets_nothing_from_collections_they_may_not_read(demo: Demo) -> None:
    head_hr = demo.reader("head.hr@essor-demo.example")
    _, inputs = CASES["sales-proposal"]
    result = demo.run("sales-proposal", inputs["en"], "en", reader=head_hr)
    assert result.abstained and result.sources == []
    assert all(
        s.message == "None of this workflow's sources are available to you."
        for s in result.sections
    )
    # Plain Ask searches what they may read, and sales is not part of it.
    result = demo.run("ask", {"question": "Combien coûte Relais Pro par site ?"}, "fr", head_hr)
    assert all(s.collection != "sales" for s in result.sources)
    # A sales person asking the same gets the product sheet.
    sales = demo.reader("head.sales@essor-demo.example")
    result = demo.run("ask", {"question": "Combien coûte Relais Pro par site ?"}, "fr", sales)
    assert result.sources[0].collection == "sales"


def test_no_reader_fails_closed(demo: Demo) -> None:
    result = demo.run("ask", {"question": "How many days of annual leave do I get?"}, "en", NOBODY)
    assert result.abstained and result.sources == []


@pytest.mark.parametrize(
    ("inputs", "language", "expected"),
    [
        ({}, "en", ["question (Your question) is required", "topic (Topic) is required"]),
        ({"topic": "leave", "question": "   "}, "fr", ["question (Votre question) is required"]),
        (
            {"topic": "pets", "question": "x"},
            "en",
            ["topic must be one of leave, remote-work, benefits, not 'pets'"],
        ),
        (
            {"topic": "leave", "question": "x" * 501},
            "en",
            ["question is too long (501 > 500 characters)"],
        ),
        ({"topic": "leave", "question": "x", "colour": "blue"}, "en", ["unknown input(s): colour"]),
        ({"topic": "leave", "question": "x"}, "de", ["language must be one of fr, en, not 'de'"]),
    ],
)
def test_input_validation(
    demo: Demo, inputs: dict[str, str], language: str, expected: list[str]
) -> None:
    with pytest.raises(InputError) as info:
        demo.run("hr-policy-answer", inputs, language)
    assert sorted(info.value.problems) == sorted(expected)


def test_optional_inputs_may_be_left_out(demo: Demo) -> None:
    result = demo.run("operations-procedure", {"task": "Reset a forgotten password"}, "en")
    assert not result.abstained
    result = demo.run("customer-service-reply", {"message": "Can I return unused hardware?"}, "en")
    assert not result.abstained


def test_visible_workflows_follow_the_department(demo: Demo) -> None:
    assert demo.visible(demo.reader("head.hr@essor-demo.example")) == ["hr-policy-answer", "ask"]
    assert demo.visible(demo.reader(MEMBER_EMAIL)) == ["customer-service-reply", "ask"]
    assert demo.visible(demo.reader("head.train@essor-demo.example")) == ["training-course", "ask"]
    assert len(demo.visible(demo.reader(ADMIN_EMAIL))) == 6
    assert len(demo.visible(SYSTEM)) == 6
    assert demo.visible(NOBODY) == []


def test_drafts_are_only_shown_to_those_who_manage_content(demo: Demo) -> None:
    hr = demo.registry.get("hr-policy-answer")
    assert hr is not None
    folder = organisation_dir(demo.settings)
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(hr.source).read_text(encoding="utf-8")
    draft = source.replace("id: hr-policy-answer", "id: hr-draft").replace(
        "status: production", "status: draft"
    )
    (folder / "hr-draft.yaml").write_text(draft, encoding="utf-8")
    try:
        registry = load_registry(demo.settings)
        assert registry.errors == []
        with read_session(demo.settings) as session:
            member = [
                d.id
                for d in registry.visible_to(session, demo.reader("head.hr@essor-demo.example"))
            ]
            admin = [d.id for d in registry.visible_to(session, demo.reader(ADMIN_EMAIL))]
        assert "hr-draft" not in member
        assert "hr-draft" in admin
    finally:
        (folder / "hr-draft.yaml").unlink()


def definition_of(demo: Demo, workflow_id: str) -> WorkflowDefinition:
    d = demo.registry.get(workflow_id)
    assert d is not None
    return d


def test_every_prebuilt_example_runs(demo: Demo) -> None:
    for d in demo.registry.all():
        for example in d.examples:
            for language in ("fr", "en"):
                result = demo.run(d.id, example[language], language)
                assert not result.abstained, (d.id, language)
                assert definition_of(demo, d.id).minutes_saved == result.minutes_saved
