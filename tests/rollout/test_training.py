"""Training at scale: tiers, tracks and resources, each person's completion, coverage per
department (hand-computed), who manages what, safe Markdown, and tips in context."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from essor.db import get_engine, read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.models import Base
from essor.people.models import Department, Person
from essor.settings import Settings
from essor.training.actions import (
    TrainingError,
    delete_resource,
    mark_done,
    save_resource,
    save_track,
    set_tier,
)
from essor.training.markdown import render_markdown
from essor.training.queries import department_coverage, effective_tier, tier_of, tracks
from essor.training.tips import (
    checked_target,
    count_displays,
    dismiss,
    save_tip,
    tip_stats,
    tips_to_show,
)

PEOPLE = [  # email, department, stored tier
    ("c1@x.example", "X", "everyone"),  # champion: power whatever is stored
    ("c2@x.example", "X", None),  # champion
    ("o1@x.example", "X", "occasional"),
    ("o2@x.example", "X", None),  # default: occasional
    ("e1@x.example", "X", "everyone"),  # the library only: not expected to train
    ("p1@x.example", "X", "power"),
    ("y1@x.example", "Y", "occasional"),
    ("lead@x.example", "Y", None),
    ("da@x.example", "Y", None),
]


@pytest.fixture
def org(settings: Settings) -> Settings:
    with write_session(settings) as s:
        depts = {c: Department(code=c, name=c) for c in ("X", "Y")}
        s.add_all(depts.values())
        s.flush()
        s.add_all(
            Person(email=e, name=e.split("@")[0], department_id=depts[d].id, training_tier=t)
            for e, d, t in PEOPLE
        )
        s.add(
            Person(
                email="gone@x.example",
                name="gone",
                department_id=depts["X"].id,
                training_tier="occasional",
                status="left",
                end_date=date.today() - timedelta(days=1),
            )
        )
    with write_session(settings) as s:
        grant_role(s, "c1@x.example", "champion", actor=SYSTEM, department="X")
        grant_role(s, "c2@x.example", "champion", actor=SYSTEM, department="X")
        grant_role(s, "lead@x.example", "programme_lead", actor=SYSTEM)
        grant_role(s, "da@x.example", "department_admin", actor=SYSTEM, department="Y")
    return settings


def reader(settings: Settings, email: str) -> Reader:
    with read_session(settings) as s:
        return Reader(identity=identity_for(s, email))


def build_tracks(settings: Settings) -> dict[str, list[int]]:
    """Power: 4 resources, occasional: 2, everyone: 3."""
    out: dict[str, list[int]] = {}
    with write_session(settings) as s:
        for tier, n in (("power", 4), ("occasional", 2), ("everyone", 3)):
            track = save_track(s, actor=SYSTEM, tier=tier, title_en=tier.title())
            out[tier] = [
                save_resource(
                    s, actor=SYSTEM, track_id=track.id, kind="guide", title_en=f"{tier} {i}"
                ).id
                for i in range(n)
            ]
    return out


def done(settings: Settings, email: str, ids: list[int]) -> None:
    actor = reader(settings, email)
    with write_session(settings) as s:
        for resource_id in ids:
            mark_done(s, resource_id, actor=actor)


def test_tiers() -> None:
    assert effective_tier("everyone", champion=True) == "power"
    assert effective_tier(None, champion=False) == "occasional"
    assert effective_tier("everyone", champion=False) == "everyone"


def test_completion_and_coverage_hand_computed(org: Settings) -> None:
    ids = build_tracks(org)
    done(org, "c1@x.example", ids["power"])  # 4/4: trained
    done(org, "c2@x.example", ids["power"][:2])  # 2/4
    done(org, "o1@x.example", ids["occasional"])  # 2/2: trained
    done(org, "o2@x.example", ids["occasional"][:1] + ids["power"])  # 1/2 of their own track
    done(org, "e1@x.example", ids["everyone"])  # not counted either way
    done(org, "p1@x.example", ids["power"])  # 4/4: trained
    with read_session(org) as s:
        c1 = s.scalar(select(Person.id).where(Person.email == "c1@x.example"))
        assert c1 is not None and tier_of(s, c1) == "power"
        c2 = s.scalar(select(Person.id).where(Person.email == "c2@x.example"))
        (power,) = tracks(s, tier="power", person_id=c2)
        assert (power.done, power.total, power.completion) == (2, 4, 0.5)
        rows = {c.code: c for c in department_coverage(s, min_group=5)}
        hidden = {c.code: c for c in department_coverage(s, min_group=6)}
    x = rows["X"]
    # Expected: c1, c2 (power), o1, o2 (occasional), p1 (power) = 5; e1 and "gone" left out.
    # Trained: c1, o1, p1 = 3 -> 3/5. Champions: c1 and c2, one trained -> 1/2.
    assert (x.expected, x.trained, x.ratio) == (5, 3, 0.6)
    assert (x.champions, x.champions_trained, x.champion_ratio) == (2, 1, 0.5)
    assert hidden["X"].suppressed and hidden["X"].ratio is None
    assert hidden["X"].as_dict()["trained"] is None
    assert hidden["X"].champion_ratio == 0.5  # champions are on the roster by name anyway
    # Y: y1, lead and da are occasional, nobody trained; no champion.
    assert (rows["Y"].expected, rows["Y"].trained, rows["Y"].champion_ratio) == (3, 0, None)


def test_a_tier_without_resources_expects_nobody(org: Settings) -> None:
    with read_session(org) as s:
        rows = {c.code: c for c in department_coverage(s, min_group=3)}
    assert rows["X"].expected == 0 and rows["X"].ratio is None


def test_marking_done_is_ones_own_and_idempotent(org: Settings) -> None:
    ids = build_tracks(org)
    o1 = reader(org, "o1@x.example")
    with write_session(org) as s:
        assert mark_done(s, ids["occasional"][0], actor=o1)
        assert not mark_done(s, ids["occasional"][0], actor=o1)
    with write_session(org) as s:
        assert mark_done(s, ids["occasional"][0], actor=o1, done=False)
    with pytest.raises(NotAllowed), write_session(org) as s:
        mark_done(s, ids["occasional"][0], actor=SYSTEM)
    with pytest.raises(TrainingError), write_session(org) as s:
        mark_done(s, 999_999, actor=o1)
    with write_session(org) as s:
        mark_done(s, ids["occasional"][1], actor=o1)
        delete_resource(s, ids["occasional"][1], actor=SYSTEM)  # its completions go with it
    with read_session(org) as s:
        person = s.scalar(select(Person.id).where(Person.email == "o1@x.example"))
        (quick,) = tracks(s, tier="occasional", person_id=person)
    assert (quick.done, quick.total) == (0, 1)


def test_only_programme_leads_and_administrators_manage_tracks(org: Settings) -> None:
    for email in ("da@x.example", "c1@x.example", "y1@x.example"):
        with pytest.raises(NotAllowed), write_session(org) as s:
            save_track(s, actor=reader(org, email), tier="power", title_en="Mine")
    with write_session(org) as s:
        track = save_track(s, actor=reader(org, "lead@x.example"), tier="power", title_en="Lead's")
        assert track.position == 1
    with read_session(org) as s:
        denied = s.scalars(
            select(AuditEvent.actor_email).where(
                AuditEvent.action == "training.track", AuditEvent.outcome == "denied"
            )
        ).all()
    assert sorted(denied) == ["c1@x.example", "da@x.example", "y1@x.example"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "recording", "title_en": "R"}, "needs its http"),
        ({"kind": "recording", "title_en": "R", "url": "javascript:alert(1)"}, "http"),
        ({"kind": "guide", "title_en": "G", "url": "data:text/html,hi"}, "http"),
        ({"kind": "video", "title_en": "V"}, "unknown kind"),
        ({"kind": "guide", "title_en": " ", "title_fr": ""}, "needs a title"),
        ({"kind": "guide", "title_en": "G", "body_en": "x" * 20_001}, "at most"),
    ],
)
def test_bad_resources_are_refused(org: Settings, fields: dict[str, str], message: str) -> None:
    with write_session(org) as s:
        track = save_track(s, actor=SYSTEM, tier="power", title_en="T")
        track_id = track.id
    with pytest.raises(TrainingError, match=message), write_session(org) as s:
        save_resource(s, actor=SYSTEM, track_id=track_id, **fields)  # type: ignore[arg-type]


def test_tiers_are_set_by_whoever_manages_the_department(org: Settings) -> None:
    da = reader(org, "da@x.example")
    with write_session(org) as s:
        set_tier(s, "y1@x.example", "power", actor=da)
    with pytest.raises(NotAllowed), write_session(org) as s:
        set_tier(s, "o1@x.example", "power", actor=da)  # department X is not theirs
    with pytest.raises(TrainingError), write_session(org) as s:
        set_tier(s, "y1@x.example", "expert", actor=da)
    with read_session(org) as s:
        y1 = s.scalar(select(Person).where(Person.email == "y1@x.example"))
        assert y1 is not None and y1.training_tier == "power"
        assert tier_of(s, y1.id) == "power"


def test_markdown_is_rendered_safely() -> None:
    html = str(
        render_markdown(
            "**Bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
            "[bad](javascript:alert(1)) [good](https://example.org) ![pic](https://x.example/p.png)"
        )
    )
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org">good</a>' in html


# -- tips -------------------------------------------------------------------------------------
def test_tip_targets() -> None:
    assert checked_target(" ask ") == "ask"
    assert checked_target("workflow:customer-service-reply") == "workflow:customer-service-reply"
    for bad in ("home", "workflow:", "workflow:Bad Id", "javascript:alert(1)"):
        with pytest.raises(TrainingError):
            checked_target(bad)


def test_tips_by_target_tier_and_dismissal_with_their_counts(org: Settings) -> None:
    with write_session(org) as s:
        everyone = save_tip(s, actor=SYSTEM, target="ask", text_en="For all", text_fr="Pour tous")
        power = save_tip(s, actor=SYSTEM, target="ask", tier="power", text_fr="Avancés seulement")
        save_tip(s, actor=SYSTEM, target="search", text_en="Elsewhere")
        off = save_tip(s, actor=SYSTEM, target="ask", text_en="Disabled", active=False)
        ids = everyone.id, power.id, off.id
    with pytest.raises(NotAllowed), write_session(org) as s:
        save_tip(s, actor=reader(org, "da@x.example"), target="ask", text_en="No")
    o1, c1 = reader(org, "o1@x.example"), reader(org, "c1@x.example")
    assert o1.identity and c1.identity

    def shown(who: Reader, language: str = "en") -> list[tuple[str, str]]:
        assert who.identity
        with read_session(org) as s:
            tier = tier_of(s, who.identity.person_id)
            tips = tips_to_show(
                s,
                person_id=who.identity.person_id,
                tier=tier,
                targets=("ask",),
                language=language,
            )
        with write_session(org) as s:
            count_displays(s, [t.id for t in tips])
        return [(t.text, t.language) for t in tips]

    assert shown(o1) == [("For all", "en")]
    # A champion is a power user; a tip written only in French is shown in French.
    assert shown(c1) == [("For all", "en"), ("Avancés seulement", "fr")]
    assert shown(c1, "fr") == [("Pour tous", "fr"), ("Avancés seulement", "fr")]
    with write_session(org) as s:
        assert dismiss(s, ids[0], actor=o1)
        assert not dismiss(s, ids[0], actor=o1)  # once is enough
    assert shown(o1) == []
    with read_session(org) as s:
        stats = {t.id: t for t in tip_stats(s)}
    assert (stats[ids[0]].displays, stats[ids[0]].dismissals) == (3, 1)
    assert (stats[ids[1]].displays, stats[ids[1]].dismissals) == (2, 0)
    assert (stats[ids[2]].displays, stats[ids[2]].active) == (0, False)
    assert stats[ids[0]].dismissal_rate == pytest.approx(1 / 3)
    # Re-enabling or editing a tip keeps its counts and dismissals.
    with write_session(org) as s:
        save_tip(s, actor=SYSTEM, target="ask", text_en="For all, edited", tip_id=ids[0])
    assert shown(o1) == []
    with read_session(org) as s:
        assert {t.id: t for t in tip_stats(s)}[ids[0]].displays == 3


def test_migration_0011_matches_the_models(settings: Settings) -> None:
    mine = {
        "champion_post",
        "training_track",
        "training_resource",
        "training_completion",
        "tip",
        "tip_dismissal",
    }
    assert mine <= set(Base.metadata.tables)
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if mine & set(str(d).replace('"', "'").split("'"))] == []
