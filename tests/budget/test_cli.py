"""``essor budget``: the same report as the page, as JSON or tables; bad options refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from essor.analytics.models import UsageEvent
from essor.budget.actions import LineInput, add_cost_line
from essor.cli.main import app
from essor.db import dispose_engines, write_session
from essor.governance.access import SYSTEM
from essor.people.models import Department, Person
from essor.rollout.models import DepartmentRollout
from essor.settings import Settings, reset_settings_cache


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    yield CliRunner()
    dispose_engines()
    reset_settings_cache()


def _organisation(settings: Settings) -> None:
    """PIL in pilot: 5 people, each asking 2 answered questions (1,000 + 500 tokens each) on
    1 October 2026; OTH planned with 5 more people."""
    with write_session(settings) as s:
        for code, stage in (("PIL", "pilot"), ("OTH", "planned")):
            d = Department(code=code, name=code)
            s.add(d)
            s.flush()
            s.add(DepartmentRollout(department_id=d.id, stage=stage))
            for i in range(5):
                p = Person(
                    email=f"{code.lower()}{i}@x.example", name=f"{code}{i}", department_id=d.id
                )
                s.add(p)
                s.flush()
                if code == "PIL":
                    for _ in range(2):
                        s.add(
                            UsageEvent(
                                kind="question",
                                at=datetime(2026, 10, 1, 9, tzinfo=UTC),
                                person_id=p.id,
                                department_id=d.id,
                                abstained=False,
                                prompt_tokens=1_000,
                                completion_tokens=500,
                            )
                        )
        add_cost_line(
            s,
            LineInput(
                "IT", "llm_usage", "Model", price_input_per_million=4, price_output_per_million=8
            ),
            actor=SYSTEM,
        )


def test_essor_budget_json_and_tables(runner: CliRunner, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["budget", "--json"])  # migrates the database
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.stdout)["withheld"] is True
    _organisation(Settings(data_dir=tmp_path / "cli-data", _env_file=None))
    args = ["budget", "--from", "2026-10-01", "--to", "2026-10-30", "--seat-price", "3"]
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    p = data["projection"]
    # Per active person per month (30 days): 2 questions, 2,000 tokens in, 1,000 out,
    # costing 2,000 × 4 / 1e6 + 1,000 × 8 / 1e6 = 0.016.
    assert p["measured"]["active_people"] == 5 and p["measured"]["headcount"] == 5
    assert p["per_active_person_per_month"]["prompt_tokens"] == 2_000
    assert p["token_cost_per_active_person"] == 0.016
    # Depth 100 % of 10 people: 10 active, usage 0.16; seats 3 × 10 = 30.
    assert p["full"]["usage"]["total"] == 0.16 and p["full"]["per_seat"]["total"] == 30
    assert p["break_even"]["verdict"] == "usage_cheaper"
    assert data["budgets"][0]["name"] == "IT"
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "usage-based pricing costs less at any adoption" in text.stdout
    assert "5 active of 5" in text.stdout


def test_essor_budget_refuses_bad_options(runner: CliRunner) -> None:
    assert runner.invoke(app, ["budget", "--from", "2026-10-01"]).exit_code == 2
    assert runner.invoke(app, ["budget", "--from", "nope", "--to", "2026-10-01"]).exit_code == 2
    bad = runner.invoke(app, ["budget", "--from", "2026-10-05", "--to", "2026-10-01"])
    assert bad.exit_code == 2
    assert runner.invoke(app, ["budget", "--target-depth", "1.5"]).exit_code == 2
