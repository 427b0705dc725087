"""Workflow definitions: valid files load, invalid ones fail with file:line: reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from essor.settings import Settings
from essor.workflows.loader import MAX_FILE_BYTES, DefinitionError, load_file, load_text
from essor.workflows.registry import builtin_files, load_registry, organisation_dir

VALID = """\
id: leave-helper
department: HR
title:
  fr: Aide congés
  en: Leave helper
description:
  fr: Répond sur les congés.
  en: Answers about leave.
inputs:
  - name: question
    type: text
    label:
      fr: Question
      en: Question
scope:
  collections: [hr]
sections:
  - id: answer
    title: {fr: Réponse, en: Answer}
    query: "{question} leave"
minutes_saved: 5
owner: hr@example.org
status: production
"""


def write(tmp_path: Path, text: str, name: str = "wf.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    return [line.removeprefix(f"{path}:") for line in info.value.lines]


def test_a_valid_file_loads(tmp_path: Path) -> None:
    d = load_file(write(tmp_path, VALID))
    assert d.id == "leave-helper"
    assert d.title.get("fr") == "Aide congés"
    assert d.inputs[0].required is True
    assert d.inputs[0].max_length == 500  # the default for a text input
    assert d.sections[0].query.fr == d.sections[0].query.en == "{question} leave"
    assert d.version == 1 and d.tips == {} and d.examples == ()


def test_every_builtin_definition_is_valid() -> None:
    files = builtin_files()
    assert len(files) == 6
    ids = {load_file(f).id for f in files}
    assert ids == {
        "customer-service-reply",
        "hr-policy-answer",
        "sales-proposal",
        "training-course",
        "operations-procedure",
        "ask",
    }
    for f in files:
        d = load_file(f)
        assert d.status in ("pilot", "production")
        assert 2 <= len(d.tips["fr"]) <= 3 and 2 <= len(d.tips["en"]) <= 3
        assert 1 <= len(d.examples) <= 2


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    text = VALID.replace("minutes_saved: 5", "minutes_saved: [5")
    [problem] = problems(tmp_path, text)
    assert problem.startswith("21: invalid YAML") or problem.startswith("22: invalid YAML")


def test_missing_language_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace("  en: Leave helper\n", "")
    assert problems(tmp_path, text) == ["4: title: missing the en text"]


def test_single_language_text_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("    title: {fr: Réponse, en: Answer}", "    title: Answer")
    assert problems(tmp_path, text) == [
        "19: title of section 'answer' needs both languages: {fr: ..., en: ...}"
    ]


def test_unknown_key_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace("status: production", "status: production\ncolour: blue")
    [problem] = problems(tmp_path, text)
    assert problem.startswith("24: unknown key 'colour' in the definition")


def test_unknown_key_in_an_input(tmp_path: Path) -> None:
    text = VALID.replace("    type: text\n", "    type: text\n    placeholder: x\n")
    [problem] = problems(tmp_path, text)
    assert problem.startswith("12: unknown key 'placeholder' in an input")


def test_bad_status(tmp_path: Path) -> None:
    text = VALID.replace("status: production", "status: live")
    assert problems(tmp_path, text) == [
        "23: status must be one of draft, pilot, production, not 'live'"
    ]


def test_bad_input_type(tmp_path: Path) -> None:
    text = VALID.replace("type: text", "type: number")
    assert problems(tmp_path, text) == [
        "11: type of input 'question' must be one of text, long_text, choice, document, "
        "not 'number'"
    ]


def test_choice_without_choices(tmp_path: Path) -> None:
    text = VALID.replace("type: text", "type: choice")
    assert problems(tmp_path, text) == ["10: input 'question' is a choice but has no choices"]


def test_template_naming_an_unknown_input(tmp_path: Path) -> None:
    text = VALID.replace('"{question} leave"', '"{topic} leave"')
    assert problems(tmp_path, text) == ["20: query template uses {topic}, which is not an input"]


def test_template_cannot_reach_into_attributes(tmp_path: Path) -> None:
    text = VALID.replace('"{question} leave"', '"{question.__class__}"')
    [problem] = problems(tmp_path, text)
    assert problem.startswith("20: query template uses")


def test_minutes_saved_must_be_positive(tmp_path: Path) -> None:
    text = VALID.replace("minutes_saved: 5", "minutes_saved: 0")
    assert problems(tmp_path, text) == ["21: minutes_saved must be between 1 and 480, not 0"]


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = VALID.replace("status: production", "status: live").replace(
        "owner: hr@example.org", "owner: nobody"
    )
    assert [p.split(":")[0] for p in problems(tmp_path, text)] == ["22", "23"]


def test_missing_required_keys(tmp_path: Path) -> None:
    text = VALID.replace("owner: hr@example.org\n", "")
    assert problems(tmp_path, text) == ["1: the definition: missing owner"]


def test_duplicate_key_is_rejected(tmp_path: Path) -> None:
    text = VALID + "minutes_saved: 7\n"
    assert problems(tmp_path, text) == ["24: duplicate key 'minutes_saved' in the definition"]


def test_too_big_file_is_refused(tmp_path: Path) -> None:
    text = VALID + "# " + "x" * MAX_FILE_BYTES + "\n"
    [problem] = problems(tmp_path, text)
    assert problem.startswith("1: file too big")


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    assert problems(tmp_path, "") == ["1: the file is empty"]
    assert problems(tmp_path, "- a\n- b\n") == [
        "1: the definition must be a mapping of keys to values"
    ]


def test_python_tags_are_refused() -> None:
    with pytest.raises(DefinitionError, match=r"1: invalid YAML: the tag .* is not allowed"):
        load_text("id: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(DefinitionError):
        load_text("\n".join(lines) + "\n", "bomb.yaml")


def test_duplicate_id_in_the_organisation_folder_is_left_out(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    folder = organisation_dir(settings)
    folder.mkdir(parents=True)
    write(folder, VALID, "a.yaml")
    write(folder, VALID, "b.yaml")
    write(folder, VALID.replace("id: leave-helper", "id: ask"), "c.yaml")
    write(folder, "id: [broken\n", "d.yaml")
    registry = load_registry(settings)
    assert registry.get("leave-helper") is not None
    assert registry.get("leave-helper").source.endswith("a.yaml")  # type: ignore[union-attr]
    assert registry.get("ask").source.endswith("builtin/ask.yaml")  # type: ignore[union-attr]
    reasons = sorted(line for e in registry.errors for line in e.lines)
    assert len(reasons) == 3
    assert "duplicate id 'leave-helper'" in reasons[0] and reasons[0].startswith(str(folder / "b"))
    assert "duplicate id 'ask'" in reasons[1]
    assert "invalid YAML" in reasons[2]


def test_the_documented_example_is_valid() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    definition = load_text(example, "docs/workflows.md")
    assert definition.id == "leave-helper"
    assert [s.format for s in definition.sections] == ["sentences", "steps"]
