"""``essor workflow list|validate|run`` through Typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from essor.cli.workflow import app
from essor.db import dispose_engines
from essor.demo.seed import seed_demo
from essor.knowledge.index import reset_backends
from essor.settings import Settings, reset_settings_cache
from essor.workflows.registry import builtin_files

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("essor-workflow-cli")
    seed_demo(Settings(data_dir=path, _env_file=None))
    dispose_engines()
    yield path
    dispose_engines()
    reset_backends()


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(data_dir))
    reset_settings_cache()
    yield data_dir
    reset_settings_cache()
    dispose_engines()


def test_list_as_a_person_shows_their_department_and_everyone(env: Path) -> None:
    result = runner.invoke(app, ["list", "--as", "head.hr@essor-demo.example", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [w["id"] for w in data["workflows"]] == ["hr-policy-answer", "ask"]
    assert data["errors"] == []
    hr = data["workflows"][0]
    assert hr["title"] == {"fr": "Réponse à une question RH", "en": "HR policy answer"}
    assert hr["fallback_contact"] == "hr@essor-demo.example"


def test_list_as_the_operator_shows_all(env: Path) -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for f in builtin_files():
        assert f.stem in result.stdout


def test_list_as_an_unknown_person_fails(env: Path) -> None:
    result = runner.invoke(app, ["list", "--as", "nobody@example.org"])
    assert result.exit_code == 2


def test_validate_good_files(env: Path) -> None:
    result = runner.invoke(app, ["validate", *map(str, builtin_files())])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok: ") == 6


def test_validate_reports_file_line_reason(env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = builtin_files()[0].read_text(encoding="utf-8")
    bad.write_text(text.replace("status: production", "status: live"), encoding="utf-8")
    line = 1 + text.splitlines().index("status: production")
    result = runner.invoke(app, ["validate", str(bad), str(builtin_files()[0])])
    assert result.exit_code == 1
    assert f"{bad}:{line}: status must be one of draft, pilot, production, not 'live'" in (
        result.stdout
    )
    result = runner.invoke(app, ["validate", "--json", str(bad)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["files"][0]["errors"][0].startswith(f"{bad}:{line}: status")


def test_run_prints_sections_with_markers_and_sources(env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "operations-procedure",
            "--input",
            "task=Reset a forgotten password",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Find a procedure" in out and "Steps" in out
    assert "1. " in out and "[1]" in out
    assert "Sources" in out and "en/password-reset.md" in out


def test_run_json_in_french(env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "hr-policy-answer",
            "-i",
            "topic=leave",
            "-i",
            "question=Combien de jours de congés payés par an ?",
            "--lang",
            "fr",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["workflow"] == "hr-policy-answer" and data["language"] == "fr"
    assert data["mode"] == "extractive" and data["minutes_saved"] == 6
    assert data["sections"][0]["title"] == "Réponse"
    assert any("25 jours ouvrés" in s["text"] for s in data["sections"][0]["sentences"])
    assert [s["n"] for s in data["sources"]] == list(range(1, len(data["sources"]) + 1))


def test_run_a_workflow_of_another_department_is_unknown(env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "sales-proposal",
            "-i",
            "needs=x",
            "-i",
            "product=cadran",
            "--as",
            "head.hr@essor-demo.example",
        ],
    )
    assert result.exit_code == 2
    assert "unknown workflow: 'sales-proposal'" in result.output


def test_run_input_errors(env: Path) -> None:
    result = runner.invoke(app, ["run", "hr-policy-answer", "-i", "topic=pets"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "question (Your question) is required" in output
    assert "topic must be one of leave, remote-work, benefits" in output
    result = runner.invoke(app, ["run", "ask", "-i", "question"])
    assert result.exit_code == 2 and "name=value" in result.output
    result = runner.invoke(app, ["run", "ask", "-i", "question=x", "--lang", "de"])
    assert result.exit_code == 2
