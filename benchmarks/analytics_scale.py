"""Adoption analytics at scale: rollups and metrics over a simulated organisation, beside
DuckDB computing the same figures straight from the raw events, in the same run.

Steps, in a scratch data directory under benchmarks/out/ (SQLite):

1. ``simulate_organisation``: PEOPLE people and about EVENTS usage events over DAYS days ending
   yesterday (the intensity is calibrated on a 2,000-person sample first);
2. the full rollup of every event (``rollups.catch_up`` from an empty cursor);
3. a new day (today) of NEW_DAY events - questions, runs and feedback, 5 % of it on earlier
   days' answers - then the catch-up that applies it (target: at most 10 s);
4. ``organisation_metrics`` for the last 28 days, and for each department (target: at most
   1 s each), each timed cold (first call) and warm (best of three);
5. the web pages, through the real app (``essor serve`` in its own process) with an
   administrator signed in: each page's first request and the best of three more, the CSV
   export and the executive PDF (a download, reported apart); then ``essor metrics --json``
   as a command (start-up included), the same way;
6. DuckDB: the raw events exported to CSV and loaded into a DuckDB table, then the same
   figures (active people per department, per-workflow runs and people, 8 weekly actives,
   minutes saved with the people's own figures, tickets, employees helped) from raw events.

    python benchmarks/analytics_scale.py                       # 100,000 people, 10M events
    python benchmarks/analytics_scale.py --events 2000000 --days 20   # same density, faster
    python benchmarks/analytics_scale.py --json --keep        # keeps the database in benchmarks/out
    python benchmarks/analytics_scale.py --reuse benchmarks/out/analytics-XXXX   # re-time it

The events per day are what the metric queries' cost follows (a 28-day window scans that
window's rows), so a smaller run at the same density (EVENTS / DAYS) times the same queries.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from common import OUT_DIR, machine, peak_rss_mib, print_table
from essor.analytics.metrics import organisation_metrics
from essor.analytics.models import UsageEvent
from essor.analytics.periods import default_period
from essor.analytics.rollup_models import UsagePersonDay
from essor.analytics.rollups import catch_up
from essor.analytics.simulate import insert_events, simulate_organisation
from essor.db import dispose_engines, read_session, write_session
from essor.migrate import upgrade
from essor.people.models import Department, Person
from essor.settings import Settings
from essor.workflows.registry import load_registry

SAMPLE = 2_000
# Every department starts on day one and 95 % of the people who would use it do: the volume
# then comes from many people each doing a few things a day, as in real use.
ADOPTION = (0.0, 0.95)
SEED = 11


def _settings(root: Path) -> Settings:
    s = Settings(data_dir=root, _env_file=None)
    upgrade(s)
    return s


def calibrate(people: int, events: int, days: int, end: date, activity: float) -> float:
    """The intensity that gives about ``events`` events: events per active day grow as
    1 + 1.4 × intensity (see simulate._rows), measured on a small sample at intensity 1."""
    root = Path(tempfile.mkdtemp(prefix="calibrate-", dir=OUT_DIR))
    try:
        s = _settings(root)
        sample = simulate_organisation(
            s, people=SAMPLE, days=days, seed=SEED, end=end, adoption=ADOPTION, activity=activity
        )
        per_person = sample.usage.events / SAMPLE
        wanted = events / people
        intensity = (wanted / per_person * 2.4 - 1) / 1.4
        return max(0.1, intensity)
    finally:
        dispose_engines()
        shutil.rmtree(root, ignore_errors=True)


def new_day(settings: Settings, n: int, day: date) -> int:
    """``n`` events on ``day``: 68 % questions and runs by random people of the directory,
    27 % feedback on them, 5 % feedback on answers of earlier days (already rolled up)."""
    rng = random.Random(SEED)
    with read_session(settings) as session:
        people = session.execute(
            select(Person.id, Person.department_id).where(Person.department_id.is_not(None))
        ).all()
        newest = session.scalar(select(func.max(UsageEvent.id))) or 0
        old = session.execute(
            select(UsageEvent.id, UsageEvent.person_id, UsageEvent.department_id)
            .where(UsageEvent.kind != "feedback", UsageEvent.id > newest - 500_000)
            .limit(n)
        ).all()
    workflows = [d.id for d in load_registry(settings).all()]
    fresh: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    at = datetime(day.year, day.month, day.day, 9)
    while len(fresh) + len(late) < n:
        if rng.random() < 0.05 and old:
            about_id, person, dept = rng.choice(old)
            late.append(
                {
                    "at": at,
                    "person_id": person,
                    "department_id": dept,
                    "helpful": rng.random() < 0.8,
                    "minutes_saved": rng.choice([None, 10]),
                    "about_event_id": about_id,
                }
            )
            continue
        person, dept = rng.choice(people)
        run = rng.random() < 0.55
        fresh.append(
            {
                "at": at + timedelta(seconds=rng.randint(0, 36_000)),
                "kind": "workflow_run" if run else "question",
                "person_id": person,
                "department_id": dept,
                "workflow_id": rng.choice(workflows) if run else None,
                "abstained": rng.random() < 0.06,
                "prompt_tokens": 1500,
                "completion_tokens": 300,
            }
        )
        if rng.random() < 0.4:
            fresh.append(
                {
                    "at": at + timedelta(hours=10),
                    "kind": "feedback",
                    "person_id": person,
                    "department_id": dept,
                    "helpful": rng.random() < 0.85,
                    "minutes_saved": rng.choice([None, None, 5, 20]),
                    "resolved_without_ticket": rng.choice([None, True]),
                    "_about": len(fresh) - 1,
                }
            )
    with write_session(settings) as session:
        insert_events(session, fresh)
    with write_session(settings) as session:
        session.add_all(
            UsageEvent(kind="feedback", mode="simulated", model="simulated", **e) for e in late
        )
    return len(fresh) + len(late)


def timed(fn: Any, repeat: int = 3) -> tuple[float, float, Any]:
    """(first call, best of ``repeat`` more, the result)."""
    t = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t)
    return cold, min(warm), result


DUCK_EVENT_COLUMNS = (
    "id",
    "at",
    "kind",
    "person_id",
    "department_id",
    "workflow_id",
    "abstained",
    "about_event_id",
    "helpful",
    "minutes_saved",
    "resolved_without_ticket",
)


def duckdb_figures(settings: Settings, workdir: Path, period: Any) -> dict[str, Any]:
    import duckdb  # dev extra

    db_path = settings.effective_database_url.split("///", 1)[-1]
    csv_path = workdir / "events.csv"
    t = time.perf_counter()
    if shutil.which("sqlite3"):
        with csv_path.open("w") as fh:
            import subprocess

            subprocess.run(
                [
                    "sqlite3",
                    "-csv",
                    db_path,
                    f"SELECT {', '.join(DUCK_EVENT_COLUMNS)} FROM usage_event",
                ],
                stdout=fh,
                check=True,
            )
    else:
        import sqlite3

        with sqlite3.connect(db_path) as src, csv_path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerows(
                src.execute(f"SELECT {', '.join(DUCK_EVENT_COLUMNS)} FROM usage_event")
            )
    export = time.perf_counter() - t
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(
        "CREATE TABLE ev AS SELECT * FROM read_csv(?, header=false, columns={"
        "'id':'BIGINT','ts':'TIMESTAMP','kind':'VARCHAR','person_id':'BIGINT',"
        "'department_id':'BIGINT','workflow_id':'VARCHAR','abstained':'BOOLEAN',"
        "'about_event_id':'BIGINT','helpful':'BOOLEAN','minutes_saved':'INTEGER',"
        "'resolved_without_ticket':'BOOLEAN'})",
        [str(csv_path)],
    )
    load = time.perf_counter() - t
    estimates = {d.id: d.minutes_saved for d in load_registry(settings).all()}
    con.execute("CREATE TABLE est(workflow_id VARCHAR, estimate INTEGER)")
    con.executemany("INSERT INTO est VALUES (?, ?)", list(estimates.items()))
    a, b = period.start, period.end
    w0 = b - timedelta(days=b.weekday() + 7 * 8)  # 8 complete weeks' first Monday

    def query() -> dict[str, Any]:
        value = "(kind = 'workflow_run' OR (kind = 'question' AND abstained = false))"
        out: dict[str, Any] = {}
        out["active_by_department"] = con.execute(
            f"SELECT department_id, count(DISTINCT person_id) FROM ev WHERE {value} "
            "AND ts::DATE BETWEEN ? AND ? GROUP BY ALL",
            [a, b],
        ).fetchall()
        out["active"] = con.execute(
            f"SELECT count(DISTINCT person_id) FROM ev WHERE {value} AND ts::DATE BETWEEN ? AND ?",
            [a, b],
        ).fetchone()
        out["workflows"] = con.execute(
            "SELECT workflow_id, count(*), count(DISTINCT person_id) FROM ev "
            "WHERE kind = 'workflow_run' AND ts::DATE BETWEEN ? AND ? GROUP BY ALL",
            [a, b],
        ).fetchall()
        out["weekly"] = con.execute(
            f"SELECT department_id, date_trunc('week', ts) w, count(DISTINCT person_id) FROM ev "
            f"WHERE {value} AND ts::DATE BETWEEN ? AND ? GROUP BY ALL",
            [w0, w0 + timedelta(days=55)],
        ).fetchall()
        out["impact"] = con.execute(
            f"""WITH fb AS (
                  SELECT about_event_id AS about,
                    arg_max(helpful, id) FILTER (WHERE helpful IS NOT NULL) AS fb_helpful,
                    arg_max(minutes_saved, id) FILTER (WHERE minutes_saved IS NOT NULL) AS own_min,
                    arg_max(resolved_without_ticket, id)
                      FILTER (WHERE resolved_without_ticket IS NOT NULL) AS fb_resolved
                  FROM ev WHERE kind = 'feedback' GROUP BY about_event_id)
                SELECT sum(coalesce(fb.own_min, CASE WHEN e.kind = 'workflow_run'
                         THEN est.estimate ELSE 0 END)),
                       count(*) FILTER (WHERE fb.fb_resolved),
                       count(DISTINCT e.person_id)
                         FILTER (WHERE fb.fb_helpful IS DISTINCT FROM false)
                FROM ev e LEFT JOIN fb ON fb.about = e.id
                LEFT JOIN est ON est.workflow_id = e.workflow_id
                WHERE {value.replace("kind", "e.kind").replace("abstained", "e.abstained")}
                  AND e.ts::DATE BETWEEN ? AND ?""",
            [a, b],
        ).fetchone()
        return out

    cold, warm, result = timed(query)
    return {
        "export_csv_s": round(export, 2),
        "load_s": round(load, 2),
        "metrics_cold_s": round(cold, 3),
        "metrics_warm_s": round(warm, 3),
        "active": result["active"][0],
        "minutes_saved": result["impact"][0],
        "tickets_avoided": result["impact"][1],
        "employees_helped": result["impact"][2],
    }


BENCH_ADMIN = "bench-admin@example.invalid"
BENCH_PASSWORD = "bench-admin-password-2026"
SIGNIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _admin(settings: Settings) -> None:
    """An administrator to sign in with (kept from an earlier run when reusing a database)."""
    from essor.governance.access import SYSTEM
    from essor.people.auth.actions import create_admin
    from essor.people.queries import find_person

    with write_session(settings) as session:
        if find_person(session, BENCH_ADMIN) is None:
            create_admin(session, BENCH_ADMIN, password=BENCH_PASSWORD, actor=SYSTEM, name="Bench")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(root: Path) -> list[str]:
    return [sys.executable, "-m", "essor.cli", "--data-dir", str(root)]


def _pages(settings: Settings, org: Any) -> list[tuple[str, str]]:
    """(label, path) of every page timed: a few departments (the largest, which the queries
    cost most, and two others), the most-run workflow, the executive report and its exports."""
    with read_session(settings) as session:
        by_size = (
            session.execute(
                select(Department.code)
                .join(Person, Person.department_id == Department.id)
                .group_by(Department.code)
                .order_by(func.count().desc(), Department.code)
            )
            .scalars()
            .all()
        )
    top = max(org.workflows, key=lambda w: w.runs or 0).workflow_id
    departments = [*by_size[:3], *by_size[len(by_size) // 2 : len(by_size) // 2 + 1], by_size[-1]]
    pages = [("/dashboards", "/dashboards")]
    pages += [(f"/dashboards/departments/{c}", f"/dashboards/departments/{c}") for c in departments]
    pages += [
        (f"/dashboards/workflows/{top}", f"/dashboards/workflows/{top}"),
        ("/reports/executive", "/reports/executive"),
        ("/budget", "/budget"),
        ("/cockpit", "/cockpit"),
        ("/reports/executive/departments.csv", "/reports/executive/departments.csv"),
        ("/reports/executive.pdf", "/reports/executive.pdf"),
    ]
    return pages


def web_figures(settings: Settings, root: Path, org: Any) -> dict[str, Any]:
    """The real web app (``essor serve`` in its own process, uvicorn on 127.0.0.1) over the
    database, an administrator signed in through the form, each page's first request and the
    best of three more; then ``essor metrics --json`` as a command, the same way."""
    import subprocess

    import httpx

    _admin(settings)
    pages = _pages(settings, org)
    port = _free_port()
    env = {**os.environ, "ESSOR_DATA_DIR": str(root), "ESSOR_ENVIRONMENT": "development"}
    server = subprocess.Popen(
        [*_cli(root), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=300) as client:
            form = client.get("/signin")
            token = SIGNIN_TOKEN.search(form.text)
            assert token is not None, form.text[:500]
            signed = client.post(
                "/signin",
                data={
                    "csrf_token": token.group(1),
                    "email": BENCH_ADMIN,
                    "password": BENCH_PASSWORD,
                    "next": "/",
                },
            )
            assert signed.status_code == 303, signed.text[:500]
            for label, path in pages:

                def get(path: str = path) -> httpx.Response:
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                    return response

                first, best, response = timed(get)
                out[label] = {
                    "first_s": round(first, 3),
                    "best_of_3_s": round(best, 3),
                    "bytes": len(response.content),
                    "load_average": round(os.getloadavg()[0], 2),
                }
                print(f"  {label}: {out[label]}", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    command = [*_cli(root), "metrics", "--json"]

    def metrics_command() -> None:
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)

    first, best, _ = timed(metrics_command)
    out["essor metrics --json"] = {
        "first_s": round(first, 3),
        "best_of_3_s": round(best, 3),
        "load_average": round(os.getloadavg()[0], 2),
    }
    version = [*_cli(root), "--version"]
    first, best, _ = timed(lambda: subprocess.run(version, check=True, stdout=subprocess.DEVNULL))
    out["essor --version (start-up alone)"] = {
        "first_s": round(first, 3),
        "best_of_3_s": round(best, 3),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--new-day", type=int, default=100_000)
    parser.add_argument(
        "--activity",
        type=float,
        default=2.2,
        help="scales each person's chance of an active day (simulate_usage's activity)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--no-web", action="store_true", help="skip timing the web pages")
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="time a database kept by an earlier --keep run (no simulation, no full rollup)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.reuse:
        root = args.reuse.resolve()
        args.keep = True
    else:
        root = Path(tempfile.mkdtemp(prefix="analytics-", dir=OUT_DIR))
    today = date.today()
    yesterday = today - timedelta(days=1)
    figures: dict[str, Any] = {"machine": machine(), "args": vars(args)}

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        say(f"data directory {root}")
        if args.reuse:
            settings = Settings(data_dir=root, _env_file=None)
            t = time.perf_counter()
            report = catch_up(settings)
            figures["catch_up_on_reuse"] = {
                "events": report.events,
                "seconds": round(time.perf_counter() - t, 2),
            }
        else:
            intensity = calibrate(args.people, args.events, args.days, yesterday, args.activity)
            say(f"intensity {intensity:.2f}")
            figures["intensity"] = round(intensity, 3)
            settings = _settings(root)
            t = time.perf_counter()
            sim = simulate_organisation(
                settings,
                people=args.people,
                days=args.days,
                seed=SEED,
                end=yesterday,
                intensity=intensity,
                activity=args.activity,
                adoption=ADOPTION,
                progress=lambda day, n: say(f"day {day}: {n:,} events") if day % 10 == 0 else None,
            )
            figures["simulate"] = {**sim.as_dict(), "seconds": round(time.perf_counter() - t, 1)}
            say(f"simulated {sim.usage.events:,} events")
            t = time.perf_counter()
            full = catch_up(
                settings,
                progress=lambda n, cursor: (
                    say(f"rolled up {n:,}") if n % 1_000_000 < 50_000 else None
                ),
            )
            figures["full_rollup"] = {
                "load_average": round(os.getloadavg()[0], 2),
                "events": full.events,
                "seconds": round(time.perf_counter() - t, 1),
                "events_per_s": round(full.events / (time.perf_counter() - t)),
            }
            say(f"full rollup {figures['full_rollup']}")
            added = new_day(settings, args.new_day, today)
            t = time.perf_counter()
            day = catch_up(settings)
            figures["catch_up_new_day"] = {
                # Other work on the machine slows every figure: the 1-minute load when measured.
                "load_average": round(os.getloadavg()[0], 2),
                "events": day.events,
                "written": added,
                "seconds": round(time.perf_counter() - t, 2),
                "target_s": 10,
            }
            say(f"catch-up {figures['catch_up_new_day']}")
        period = default_period(today)
        with read_session(settings) as session:
            cold, warm, org = timed(lambda: organisation_metrics(session, settings, period=period))
            figures["organisation_metrics"] = {
                "load_average": round(os.getloadavg()[0], 2),
                "cold_s": round(cold, 3),
                "warm_s": round(warm, 3),
                "target_s": 1,
                "active": org.active,
                "headcount": org.headcount,
                "minutes_saved": org.impact.minutes_saved if org.impact else None,
                "tickets_avoided": org.impact.tickets_avoided if org.impact else None,
                "employees_helped": org.impact.employees_helped if org.impact else None,
            }
            codes = session.scalars(select(Department.code).order_by(Department.code)).all()
            colds, warms = [], []
            for code in codes:
                c, w, _ = timed(
                    lambda code=code: organisation_metrics(
                        session, settings, period=period, department=code
                    ),
                    repeat=2,
                )
                colds.append(c)
                warms.append(w)
            figures["department_metrics"] = {
                "departments": len(codes),
                "cold_median_s": round(statistics.median(colds), 3),
                "cold_max_s": round(max(colds), 3),
                "warm_max_s": round(max(warms), 3),
                "target_s": 1,
            }
            rows = session.scalar(select(func.count()).select_from(UsageEvent))
            figures["events_in_database"] = rows
            # What the window's queries scan: people's active days in the last 28 days.
            upd = UsagePersonDay
            n, value = session.execute(
                select(func.count(), func.sum(upd.value_events)).where(
                    upd.department_id == 0, upd.day.between(period.first, period.last)
                )
            ).one()
            figures["window"] = {
                "active_person_days": n,
                "daily_active_people_mean": round(n / period.days),
                "value_events_per_active_day": round((value or 0) / max(1, n), 2),
                "person_day_rows": session.scalar(select(func.count()).select_from(upd)),
            }
        say(f"metrics {figures['organisation_metrics']} {figures['department_metrics']}")
        if not args.no_web:
            say("web pages and the metrics command")
            figures["web"] = web_figures(settings, root, org)
        if not args.no_duckdb:
            figures["duckdb"] = duck = duckdb_figures(settings, root, period)
            mine = figures["organisation_metrics"]
            keys = ("active", "minutes_saved", "tickets_avoided", "employees_helped")
            duck["same_figures_as_rollups"] = all(duck[k] == mine[k] for k in keys)
            say(f"duckdb {figures['duckdb']}")
        figures["database_mib"] = round(sum(p.stat().st_size for p in root.rglob("*.db*")) / 2**20)
        figures["peak_rss_mib"] = round(peak_rss_mib())
    finally:
        dispose_engines()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return
    table: list[list[object]] = []
    if "simulate" in figures:
        table += [
            ["events simulated", figures["simulate"]["events"]],
            ["simulate (s)", figures["simulate"]["seconds"]],
            ["full rollup (s)", figures["full_rollup"]["seconds"]],
            ["catch-up of a new day (s)", figures["catch_up_new_day"]["seconds"]],
        ]
    om = figures["organisation_metrics"]
    table += [
        ["organisation_metrics cold / warm (s)", f"{om['cold_s']} / {om['warm_s']}"],
        ["department metrics cold max (s)", figures["department_metrics"]["cold_max_s"]],
    ]
    for label, page in figures.get("web", {}).items():
        table.append(
            [f"{label} first / best of 3 (s)", f"{page['first_s']} / {page['best_of_3_s']}"]
        )
    if "duckdb" in figures:
        table += [
            ["DuckDB load from CSV (s)", figures["duckdb"]["load_s"]],
            ["DuckDB same figures from raw events (s)", figures["duckdb"]["metrics_cold_s"]],
        ]
    print_table(["step", "figure"], table)


if __name__ == "__main__":
    main()
