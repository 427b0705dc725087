"""``essor simulate``, ``essor rollup`` and ``essor metrics`` end to end: the JSON printed is
exactly what organisation_metrics returns over the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from essor.analytics.metrics import organisation_metrics
from essor.analytics.periods import Period
from essor.db import dispose_engines, read_session
from essor.settings import Settings


def essor(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESSOR_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "essor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"essor {args} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def test_metrics_json_equals_the_python_function(tmp_path: Path) -> None:
    data = tmp_path / "data"
    simulated = json.loads(
        essor(data, "simulate", "--people", "400", "--days", "70", "--seed", "3", "--json").stdout
    )
    assert simulated["events"] > 0 and simulated["departments"] >= 3
    printed = json.loads(essor(data, "metrics", "--json").stdout)
    assert printed["rollup_last_event_id"] == simulated["events"]
    settings = Settings(data_dir=data, _env_file=None)
    try:
        with read_session(settings) as session:
            expected = organisation_metrics(session, settings)
            assert printed == json.loads(json.dumps(expected.as_dict()))
            assert printed["active"] > 0 and printed["departments"]
            code = printed["departments"][0]["code"]
            end = date.today() - timedelta(days=7)
            start = end - timedelta(days=13)
            one = json.loads(
                essor(
                    data,
                    "metrics",
                    "--department",
                    code.lower(),
                    "--from",
                    start.isoformat(),
                    "--to",
                    end.isoformat(),
                    "--json",
                ).stdout
            )
            expected_one = organisation_metrics(
                session, settings, period=Period(start, end), department=code
            )
            assert one == json.loads(json.dumps(expected_one.as_dict()))
            assert one["department"] == code and one["period"]["days"] == 14
    finally:
        dispose_engines()
    table = essor(data, "metrics").stdout
    assert "breadth" in table and "sustainability" in table and code in table


def test_rollup_and_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    essor(data, "simulate", "--people", "60", "--days", "20", "--seed", "1", "--json")
    first = json.loads(essor(data, "rollup", "--json").stdout)
    assert first["events"] > 0 and first["last_event_id"] == first["events"]
    assert json.loads(essor(data, "rollup", "--json").stdout)["events"] == 0
    rebuilt = json.loads(essor(data, "rollup", "--rebuild", "--json").stdout)
    assert rebuilt["events"] == first["events"]
    bad = essor(data, "metrics", "--from", "31/01/2026", check=False)
    assert bad.returncode == 2 and "--from must be a date" in bad.stderr
    backwards = essor(data, "metrics", "--from", "2026-02-01", "--to", "2026-01-01", check=False)
    assert backwards.returncode == 2 and "before it starts" in backwards.stderr
    unknown = essor(data, "metrics", "--department", "NOPE", check=False)
    assert unknown.returncode == 2 and "unknown department" in unknown.stderr
