"""Champions' feed, stories, training and tips over HTTP, on the seeded demo server: who may
read and post, escaping of hostile text, CSRF, track management, marking done, and the
display and dismissal counts of a tip."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role
from essor.governance.models import AuditEvent
from essor.people.models import Person
from essor.rollout.champions import ChampionPost
from essor.settings import Settings
from essor.training.models import Tip, TipDismissal, TrainingResource, TrainingTrack
from tests.web.conftest import Account, Browser, add_person, browser_client, open_session

CHAMPION = Account("champ.web@test.example", "champion-password-1234", "Chloé Champion")
OTHER_CHAMPION = Account("champ2.web@test.example", "champion-password-5678", "Omar Other")
DEPT_ADMIN = Account("deptadmin.web@test.example", "deptadmin-password-12", "Dora Deptadmin")
EXECUTIVE = Account("exec.web@test.example", "executive-password-12", "Eve Executive")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def people(base_url: str, web_settings: Settings) -> dict[str, Browser]:
    add_person(web_settings, CHAMPION, "TST-CH")
    add_person(web_settings, OTHER_CHAMPION, "TST-CH")
    add_person(web_settings, DEPT_ADMIN, "TST-DA")
    add_person(web_settings, EXECUTIVE, "TST-DA")
    with write_session(web_settings) as s:
        grant_role(s, CHAMPION.email, "champion", actor=SYSTEM, department="TST-CH")
        grant_role(s, OTHER_CHAMPION.email, "champion", actor=SYSTEM, department="TST-CH")
        grant_role(s, DEPT_ADMIN.email, "department_admin", actor=SYSTEM, department="TST-DA")
        grant_role(s, EXECUTIVE.email, "executive_viewer", actor=SYSTEM)
    return {
        "champion": open_session(base_url, CHAMPION),
        "other": open_session(base_url, OTHER_CHAMPION),
        "dept_admin": open_session(base_url, DEPT_ADMIN),
        "executive": open_session(base_url, EXECUTIVE),
    }


@pytest.fixture
def champion(base_url: str, people: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, people["champion"]) as c:
        yield c


@pytest.fixture
def other_champion(base_url: str, people: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, people["other"]) as c:
        yield c


@pytest.fixture
def dept_admin(base_url: str, people: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, people["dept_admin"]) as c:
        yield c


def post(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post("/champions/posts", data=fields, follow_redirects=False)


def post_id(settings: Settings, title: str) -> int:
    with read_session(settings) as s:
        found = s.scalar(select(ChampionPost.id).where(ChampionPost.title == title))
    assert found is not None
    return found


# -- the feed ---------------------------------------------------------------------------------
def test_a_member_can_neither_read_nor_post_to_the_feed(
    member_client: httpx.Client, web_settings: Settings
) -> None:
    assert member_client.get("/champions").status_code == 403
    refused = post(member_client, kind="question", title="Member question", body="Can I?")
    assert refused.status_code == 403
    with read_session(web_settings) as s:
        assert (
            s.scalar(select(ChampionPost.id).where(ChampionPost.title == "Member question")) is None
        )
        denied = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "champions.post", AuditEvent.outcome == "denied")
        )
    assert denied and denied >= 1


def test_the_demo_feed_roster_and_coverage(client: httpx.Client) -> None:
    page = client.get("/champions")
    assert page.status_code == 200
    assert "Réclamations colis : 45 minutes gagnées par semaine" in page.text
    # IT, CS and HR have demo champions; planned departments in a wave starting soon do not.
    cs = re.search(r'<tr data-department="CS">.*?</tr>', page.text, re.S)
    assert cs is not None and "Covered" in cs.group(0)
    assert re.search(r'data-department="SALES" class="flagged"', page.text)
    assert 'data-champion="admin@essor-demo.example"' in page.text


def test_a_champion_posts_a_story_that_every_member_reads(
    champion: httpx.Client, member_client: httpx.Client, web_settings: Settings
) -> None:
    answer = post(
        champion,
        kind="story",
        title="Refund replies in half the time",
        body="We start every refund reply from the workflow's draft.",
        workflow_id="customer-service-reply",
        impact_value="30",
        impact_unit="minutes saved per week",
    )
    assert answer.status_code == 303, answer.text
    stories = member_client.get("/stories")
    assert stories.status_code == 200
    assert "Refund replies in half the time" in stories.text
    assert "Impact: 30 minutes saved per week" in stories.text
    with read_session(web_settings) as s:
        pid = post_id(web_settings, "Refund replies in half the time")
        audit = s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "champions.post", AuditEvent.object_id == str(pid)
            )
        )
    assert audit is not None and audit.actor_email == CHAMPION.email
    # Stories in French too.
    assert "Réussites" in member_client.get("/stories?lang=fr").text


def test_hostile_post_text_is_escaped(champion: httpx.Client) -> None:
    title = f"Hostile {SCRIPT}"
    assert post(champion, kind="question", title=title, body=f"Body {SCRIPT}").status_code == 303
    page = champion.get("/champions")
    assert SCRIPT not in page.text
    assert "Hostile &lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_post_without_the_csrf_token_is_refused(
    base_url: str, people: dict[str, Browser], web_settings: Settings
) -> None:
    with browser_client(base_url, people["champion"], csrf=False) as c:
        refused = post(c, kind="question", title="No token question", body="Hello?")
    assert refused.status_code == 403
    with read_session(web_settings) as s:
        assert (
            s.scalar(select(ChampionPost.id).where(ChampionPost.title == "No token question"))
            is None
        )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"kind": "story", "title": "S", "body": "b", "impact_value": "abc", "impact_unit": "m"},
            "must be a number",
        ),
        ({"kind": "story", "title": "S", "body": "b", "impact_value": "12"}, "needs its unit"),
        (
            {"kind": "story", "title": "S", "body": "b", "workflow_id": "no-such-workflow"},
            "unknown workflow",
        ),
        ({"kind": "question", "title": "Q", "body": "x" * 4001}, "at most 4,000"),
        ({"kind": "answer", "body": "an answer", "parent_id": "999999"}, "replies to a question"),
    ],
)
def test_bad_posts_are_refused_with_the_reason(
    champion: httpx.Client, fields: dict[str, str], reason: str
) -> None:
    answer = post(champion, **fields)
    assert answer.status_code == 422
    assert reason in answer.text


def test_answers_deleting_and_hiding(
    champion: httpx.Client,
    other_champion: httpx.Client,
    client: httpx.Client,
    member_client: httpx.Client,
    web_settings: Settings,
) -> None:
    assert post(champion, kind="question", title="Which tone?", body="Formal?").status_code == 303
    question = post_id(web_settings, "Which tone?")
    reply = post(other_champion, kind="answer", parent_id=str(question), body="Formal, yes.")
    assert reply.status_code == 303
    assert "Formal, yes." in champion.get("/champions").text
    # Someone else's post: refused; a question with answers: kept.
    assert other_champion.post(f"/champions/posts/{question}/delete").status_code == 403
    assert champion.post(f"/champions/posts/{question}/delete").status_code == 422
    # An author deletes their own story.
    post(other_champion, kind="story", title="Short-lived story", body="Soon gone.")
    story = post_id(web_settings, "Short-lived story")
    assert other_champion.post(f"/champions/posts/{story}/delete").status_code == 303
    assert "Short-lived story" not in member_client.get("/stories").text
    # An administrator hides a story; champions cannot.
    post(champion, kind="story", title="Story to hide", body="Off-topic.")
    hidden = post_id(web_settings, "Story to hide")
    assert (
        other_champion.post(
            f"/champions/posts/{hidden}/visibility", data={"hidden": "1"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/champions/posts/{hidden}/visibility", data={"hidden": "1"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert "Story to hide" not in member_client.get("/stories").text
    assert "Story to hide" not in champion.get("/champions").text
    assert "Story to hide" in client.get("/champions").text  # the moderator still sees it


def test_a_department_admin_reads_the_feed_but_neither_posts_nor_manages_tracks(
    dept_admin: httpx.Client,
) -> None:
    page = dept_admin.get("/champions")
    assert page.status_code == 200
    assert "Post to the feed" not in page.text
    # Their roster and coverage show their own department only.
    assert 'data-department="TST-DA"' in page.text
    assert 'data-department="CS"' not in page.text
    assert post(dept_admin, kind="question", title="DA question", body="?").status_code == 403
    created = dept_admin.post(
        "/cockpit/training/tracks",
        data={"tier": "power", "title_en": "Mine"},
        follow_redirects=False,
    )
    assert created.status_code == 403
    cockpit = dept_admin.get("/cockpit/training")
    assert cockpit.status_code == 200
    assert 'data-department="TST-DA"' in cockpit.text
    assert 'data-department="IT"' not in cockpit.text
    assert "Tracks and resources" not in cockpit.text
    assert 'action="/cockpit/training/tier"' in cockpit.text  # their own people's tiers
    own = dept_admin.post(
        "/cockpit/training/tier",
        data={"email": EXECUTIVE.email, "tier": "everyone"},
        follow_redirects=False,
    )
    assert own.status_code == 303
    other = dept_admin.post(
        "/cockpit/training/tier", data={"email": CHAMPION.email, "tier": "everyone"}
    )
    assert other.status_code == 403
    assert dept_admin.get("/cockpit/tips").status_code == 403


def test_an_executive_viewer_sees_training_coverage_and_changes_nothing(
    base_url: str, people: dict[str, Browser]
) -> None:
    with browser_client(base_url, people["executive"]) as c:
        page = c.get("/cockpit/training")
        assert page.status_code == 200
        assert 'data-department="IT"' in page.text and 'data-department="TST-DA"' in page.text
        assert 'action="/cockpit/training/tier"' not in page.text
        assert "Tracks and resources" not in page.text
        refused = c.post(
            "/cockpit/training/tier", data={"email": DEPT_ADMIN.email, "tier": "power"}
        )
        assert refused.status_code == 403
        assert c.get("/champions").status_code == 403  # the feed is not for executives
        assert c.get("/stories").status_code == 200


def test_a_member_cannot_open_the_training_cockpit(member_client: httpx.Client) -> None:
    assert member_client.get("/cockpit/training").status_code == 403
    assert (
        member_client.post("/cockpit/tips", data={"target": "ask", "text_en": "x"}).status_code
        == 403
    )


# -- training ---------------------------------------------------------------------------------
def test_training_page_in_both_languages(member_client: httpx.Client) -> None:
    en = member_client.get("/training")
    assert en.status_code == 200
    assert "Quick start" in en.text and "Self-service library" in en.text
    assert "Champion track" not in en.text  # the member's tier is occasional
    fr = member_client.get("/training?lang=fr")
    assert "Prise en main" in fr.text and "Bibliothèque en libre-service" in fr.text


def test_admin_builds_a_track_and_a_member_marks_it_done(
    client: httpx.Client, member_client: httpx.Client, web_settings: Settings
) -> None:
    made = client.post(
        "/cockpit/training/tracks",
        data={"tier": "occasional", "title_en": "Web test track", "title_fr": "Parcours test"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    with read_session(web_settings) as s:
        track = s.scalar(select(TrainingTrack.id).where(TrainingTrack.title_en == "Web test track"))
    hostile = f"Hello {SCRIPT} <img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold**"
    added = client.post(
        "/cockpit/training/resources",
        data={
            "track_id": str(track),
            "kind": "guide",
            "title_en": "Hostile guide",
            "body_en": hostile,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    bad_link = client.post(
        "/cockpit/training/resources",
        data={
            "track_id": str(track),
            "kind": "recording",
            "title_en": "Bad",
            "url": "javascript:alert(1)",
        },
    )
    assert bad_link.status_code == 422 and "http(s)" in bad_link.text
    page = member_client.get("/training")
    assert "Hostile guide" in page.text
    assert SCRIPT not in page.text and "<img" not in page.text
    assert 'href="javascript' not in page.text
    assert "<strong>bold</strong>" in page.text
    with read_session(web_settings) as s:
        resource = s.scalar(
            select(TrainingResource.id).where(TrainingResource.title_en == "Hostile guide")
        )
    done = member_client.post(
        f"/training/resources/{resource}/done", data={"done": "1"}, follow_redirects=False
    )
    assert done.status_code == 303
    page = member_client.get("/training")
    item = re.search(rf'id="resource-{resource}".*?</li>', page.text, re.S)
    assert item and "Mark as not done" in item.group(0)
    # The track and its resource go away for everyone when deleted.
    assert (
        client.post(f"/cockpit/training/tracks/{track}/delete", follow_redirects=False).status_code
        == 303
    )
    assert "Hostile guide" not in member_client.get("/training").text


def test_training_cockpit_shows_coverage(client: httpx.Client) -> None:
    page = client.get("/cockpit/training")
    assert page.status_code == 200
    row = re.search(r'<tr data-department="IT">.*?</tr>', page.text, re.S)
    assert row is not None
    # The demo's two IT champions finished the power track.
    assert "2/2 (100%)" in row.group(0)
    # Tracks in tier order: the full track, the quick start, then the library.
    order = [page.text.index(t) for t in ("Champion track", "Quick start", "Self-service library")]
    assert order == sorted(order)
    french = client.get("/cockpit/training?lang=fr")
    assert "2/2 (100\u202f%)" in french.text
    assert "Tracks and resources" in page.text


# -- tips ---------------------------------------------------------------------------------------
def tip_counts(settings: Settings, text: str) -> tuple[int, int]:
    with read_session(settings) as s:
        tip = s.scalar(select(Tip).where(Tip.text_en == text))
        assert tip is not None
        dismissals = s.scalar(
            select(func.count()).select_from(TipDismissal).where(TipDismissal.tip_id == tip.id)
        )
        return tip.displays, dismissals or 0


def test_a_tip_is_shown_counted_and_dismissed_for_good(
    client: httpx.Client, member_client: httpx.Client, web_settings: Settings
) -> None:
    text = "Web test tip: narrow the search to one collection."
    made = client.post(
        "/cockpit/tips",
        data={"target": "search", "text_en": text, "active": "1"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    for _ in range(2):
        assert text in member_client.get("/search").text
    assert tip_counts(web_settings, text) == (2, 0)
    with read_session(web_settings) as s:
        tip_id = s.scalar(select(Tip.id).where(Tip.text_en == text))
    gone = member_client.post(
        f"/tips/{tip_id}/dismiss", data={"next": "/search"}, follow_redirects=False
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/search"
    assert text not in member_client.get("/search").text
    assert tip_counts(web_settings, text) == (2, 1)
    # The administrator still sees it, and the counts on the tips page.
    assert text in client.get("/search").text
    admin_page = client.get("/cockpit/tips")
    row = re.search(rf'<tr data-tip="{tip_id}">.*?</tr>', admin_page.text, re.S)
    assert row is not None
    assert '<td class="displays">3</td>' in row.group(0)
    assert '<td class="dismissals">1</td>' in row.group(0)


def test_a_dismissal_never_redirects_off_site(
    member_client: httpx.Client, web_settings: Settings
) -> None:
    with read_session(web_settings) as s:
        tip_id = s.scalar(select(Tip.id).where(Tip.target == "workflows"))
    answer = member_client.post(
        f"/tips/{tip_id}/dismiss", data={"next": "//evil.example/"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/"


def test_a_tip_for_another_tier_is_not_shown(
    client: httpx.Client, member_client: httpx.Client, champion: httpx.Client
) -> None:
    text = "Web test tip for power users on the training page."
    client.post(
        "/cockpit/tips",
        data={"target": "training", "tier": "power", "text_en": text, "active": "1"},
    )
    assert text not in member_client.get("/training").text  # occasional
    assert text in champion.get("/training").text  # champions are power users


def test_bad_tips_are_refused(client: httpx.Client) -> None:
    bad = client.post("/cockpit/tips", data={"target": "javascript:alert(1)", "text_en": "x"})
    assert bad.status_code == 422
    empty = client.post("/cockpit/tips", data={"target": "ask", "text_en": " "})
    assert empty.status_code == 422


@pytest.mark.parametrize(
    ("path", "french"),
    [
        ("/champions", "Réseau des champions"),
        ("/stories", "Réussites"),
        ("/training", "Bibliothèque en libre-service"),
        ("/cockpit/training", "Couverture de la formation"),
        ("/cockpit/tips", "Astuces en contexte"),
    ],
)
def test_pages_in_french(client: httpx.Client, path: str, french: str) -> None:
    page = client.get(f"{path}?lang=fr")
    assert page.status_code == 200
    assert french in page.text
    assert '<html lang="fr">' in page.text


def test_tips_on_the_workflow_library_and_a_workflow_page(
    client: httpx.Client, web_settings: Settings
) -> None:
    library = client.get("/workflows")
    assert "Start from an example: it fills the form" in library.text
    page = client.get("/workflows/customer-service-reply")
    assert page.status_code == 200
    assert "the draft cites the reply guidelines it used" in page.text
    # A tip aimed at one workflow is not shown on another.
    other = client.get("/workflows/hr-policy-answer")
    assert "the draft cites the reply guidelines it used" not in other.text
    with read_session(web_settings) as s:
        displays = s.scalar(
            select(Tip.displays).where(Tip.target == "workflow:customer-service-reply")
        )
    assert displays and displays >= 1


def test_dismissing_a_tip_and_marking_done_need_the_csrf_token(
    base_url: str, people: dict[str, Browser], web_settings: Settings
) -> None:
    with read_session(web_settings) as s:
        tip_id = s.scalar(select(Tip.id).where(Tip.target == "ask"))
        resource_id = s.scalar(select(TrainingResource.id).order_by(TrainingResource.id))
    with browser_client(base_url, people["other"], csrf=False) as c:
        assert c.post(f"/tips/{tip_id}/dismiss", data={"next": "/"}).status_code == 403
        assert (
            c.post(f"/training/resources/{resource_id}/done", data={"done": "1"}).status_code == 403
        )
    with read_session(web_settings) as s:
        dismissed = s.scalar(
            select(func.count())
            .select_from(TipDismissal)
            .join(Person, Person.id == TipDismissal.person_id)
            .where(TipDismissal.tip_id == tip_id, Person.email == OTHER_CHAMPION.email)
        )
    assert dismissed == 0
