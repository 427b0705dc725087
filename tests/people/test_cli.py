"""``essor people import`` and ``essor people list`` as a person runs them, on a scratch data
directory (the sub-app is invoked directly; the lead registers it under ``essor people``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from essor.cli.people import app
from essor.db import dispose_engines
from essor.settings import reset_settings_cache

HEADER = "email,name,department,job_title,manager_email,status,start_date,end_date\n"
GOOD = (
    HEADER
    + "ann@x.org,Ann,HR,Head,,active,2020-01-01,\n"
    + "bob@x.org,Bob,HR,Clerk,ann@x.org,,,\n"
    + "cid@x.org,Cid,OPS,,ann@x.org,leave,,\n"
)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    yield CliRunner()
    dispose_engines()
    reset_settings_cache()


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_reimport_json(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = runner.invoke(app, ["import", str(path), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert (data["rows"], data["created"], data["departments_created"]) == (3, 3, 2)
    assert data["rejected"] == [] and data["warnings"] == []

    again = json.loads(runner.invoke(app, ["import", str(path), "--json"]).stdout)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_human_summary_lists_rejections_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "bad-email,Bad,HR,,,,,\ndan@x.org,Dan,HR,,ghost@x.org,,,\n")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    out = result.stdout
    assert "5 rows; 4 created, 0 updated, 0 unchanged, 0 marked left, 1 rejected" in out
    assert "Rejected rows" in out and "invalid email" in out and "bad-email" in out
    assert "Warnings" in out and "unknown manager_email ghost@x.org" in out


def test_full_export_marks_left(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(write(tmp_path, GOOD))])
    only_ann = write(tmp_path, HEADER + "ann@x.org,Ann,HR,Head,,active,2020-01-01,\n", "ann.csv")
    result = runner.invoke(app, ["import", str(only_ann), "--full-export", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["left"] == 2
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert listed["total"] == 3
    assert {p["email"]: p["status"] for p in listed["people"]} == {
        "ann@x.org": "active",
        "bob@x.org": "left",
        "cid@x.org": "left",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "empty"), ("name,department\nAnn,HR\n", "no email column")],
)
def test_bad_input_exits_2(runner: CliRunner, tmp_path: Path, content: str, message: str) -> None:
    result = runner.invoke(app, ["import", str(write(tmp_path, content))])
    assert result.exit_code == 2 and message in result.stderr


def test_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_list_by_department(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(write(tmp_path, GOOD))])
    data = json.loads(runner.invoke(app, ["list", "--department", "hr", "--json"]).stdout)
    assert data["total"] == 2
    assert data["people"][1] == {
        "email": "bob@x.org",
        "name": "Bob",
        "department": "HR",
        "job_title": "Clerk",
        "manager_email": "ann@x.org",
        "status": "active",
        "start_date": None,
        "end_date": None,
        "attitude": None,
        "training_tier": None,
    }
    table = runner.invoke(app, ["list", "--limit", "1"])
    assert table.exit_code == 0 and "ann@x.org" in table.stdout and "1 of 3 people" in table.stdout

    unknown = runner.invoke(app, ["list", "--department", "NOPE"])
    assert unknown.exit_code == 2 and "no department with code 'NOPE'" in unknown.stderr
