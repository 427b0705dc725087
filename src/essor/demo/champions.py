"""The demo's champions network and training: the three tracks with real resources in French
and English, some progress, a few posts and success stories in the champions' feed, and tips
on the workspace pages.

The champions themselves are granted by ``essor.demo.rollout`` (two in IT, two in customer
service, one in HR). Seeded once: if any training track exists, everything here is left as
people made it since.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.demo.people import DOMAIN, MEMBER_EMAIL
from essor.governance.access import SYSTEM, Reader, identity_of
from essor.governance.models import RoleGrant
from essor.knowledge.models import utcnow
from essor.people.models import Department, Person
from essor.people.queries import find_person
from essor.rollout.champions import ChampionPost, create_post
from essor.settings import Settings
from essor.training.actions import mark_done, save_resource, save_track
from essor.training.models import TrainingTrack
from essor.training.tips import save_tip
from essor.workflows.registry import load_registry

RECORDINGS = f"https://intranet.{DOMAIN}/recordings"

# tier, (title en, title fr), (description en, description fr), resources
# resource: kind, (title en, title fr), (body en, body fr), url
TRACKS: list[tuple[str, tuple[str, str], tuple[str, str], list[tuple[str, ...]]]] = [
    (
        "power",
        ("Champion track", "Parcours champion"),
        (
            "The full track for champions and power users: how answers are built, how to "
            "coach colleagues, and how to report what goes wrong.",
            "Le parcours complet des champions et utilisateurs avancés : comment les réponses "
            "sont construites, comment accompagner ses collègues, comment signaler un problème.",
        ),
        [
            (
                "guide",
                "How an answer is built and checked",
                "Comment une réponse est construite et vérifiée",
                "Essor searches the documents you may read, picks the passages that answer "
                "the question and writes the answer **only from them**.\n\n"
                "- Every sentence carries its source number: open it to see the passage.\n"
                "- A sentence marked *not supported* was not found in its sources: do not "
                "pass it on.\n"
                "- When nothing answers the question, Essor says so instead of guessing.",
                "Essor cherche dans les documents que vous pouvez lire, choisit les passages "
                "qui répondent et rédige la réponse **uniquement à partir d'eux**.\n\n"
                "- Chaque phrase porte le numéro de sa source : ouvrez-la pour voir le passage.\n"
                "- Une phrase marquée *non étayée* n'a pas été trouvée dans ses sources : ne la "
                "transmettez pas.\n"
                "- Quand rien ne répond, Essor le dit au lieu de deviner.",
                "",
            ),
            (
                "recording",
                "Champions kick-off (recording, 40 min)",
                "Lancement des champions (enregistrement, 40 min)",
                "The programme lead presents the rollout plan, the champion's role and the "
                "first month's rituals.",
                "La responsable du programme présente le plan de déploiement, le rôle du "
                "champion et les rituels du premier mois.",
                f"{RECORDINGS}/champions-kick-off",
            ),
            (
                "guide",
                "Running a 20-minute lunch-and-learn",
                "Animer une pause-déjeuner de 20 minutes",
                "1. Pick **three real questions** from your team's week.\n"
                "2. Ask them live, open one source each time.\n"
                "3. Let a sceptic ask the last question.\n"
                "4. Finish with the team's workflow and its example.\n\n"
                "Post what worked in the champions' feed.",
                "1. Choisissez **trois vraies questions** de la semaine de l'équipe.\n"
                "2. Posez-les en direct, ouvrez une source à chaque fois.\n"
                "3. Laissez un sceptique poser la dernière question.\n"
                "4. Terminez par le workflow de l'équipe et son exemple.\n\n"
                "Racontez ce qui a marché dans le fil des champions.",
                "",
            ),
            (
                "example",
                "A customer reply drafted with its sources",
                "Une réponse client rédigée avec ses sources",
                "Open the *Customer service reply* workflow, choose its first example and "
                "run it. Check that each paragraph cites the reply guidelines, then change "
                "the tone before sending.",
                "Ouvrez le workflow *Brouillon de réponse client*, choisissez son premier "
                "exemple et lancez-le. Vérifiez que chaque paragraphe cite les consignes de "
                "réponse, puis ajustez le ton avant l'envoi.",
                "",
            ),
            (
                "guide",
                "When an answer is wrong: what to report",
                "Quand une réponse est fausse : que signaler",
                "Use *Was this useful? No* on the answer, then tell the content owner which "
                "document is out of date. A wrong answer almost always comes from an old or "
                "missing document.",
                "Répondez *Non* à « Cette réponse vous a-t-elle aidé ? », puis indiquez au "
                "responsable du contenu quel document est périmé. Une réponse fausse vient "
                "presque toujours d'un document ancien ou manquant.",
                "",
            ),
        ],
    ),
    (
        "occasional",
        ("Quick start", "Prise en main"),
        (
            "Three short steps to get a useful answer in your first week.",
            "Trois étapes courtes pour obtenir une réponse utile dès la première semaine.",
        ),
        [
            (
                "guide",
                "Ask your first question",
                "Poser sa première question",
                "Write the question as you would ask a colleague, with the details that "
                "matter: *How many days of leave do I get after five years?* works better "
                "than *leave*.",
                "Écrivez la question comme à un collègue, avec les détails utiles : *Combien "
                "de jours de congé après cinq ans d'ancienneté ?* marche mieux que *congés*.",
                "",
            ),
            (
                "guide",
                "Ask or search?",
                "Demander ou chercher ?",
                "**Ask** gives an answer with its sources. **Search** lists the passages "
                "that contain your words: use it to find a document.",
                "**Demander** donne une réponse avec ses sources. **Chercher** liste les "
                "passages qui contiennent vos mots : utilisez-le pour retrouver un document.",
                "",
            ),
            (
                "example",
                "Run your team's workflow in two minutes",
                "Lancer le workflow de votre équipe en deux minutes",
                "Open *Workflows*, pick the one for your department, click an example, then "
                "*Run*. Copy the result into your email.",
                "Ouvrez *Workflows*, choisissez celui de votre département, cliquez sur un "
                "exemple puis *Lancer*. Copiez le résultat dans votre e-mail.",
                "",
            ),
        ],
    ),
    (
        "everyone",
        ("Self-service library", "Bibliothèque en libre-service"),
        (
            "Guides and examples to read when you need them.",
            "Des guides et des exemples à lire au moment où vous en avez besoin.",
        ),
        [
            (
                "example",
                "Good questions, department by department",
                "De bonnes questions, département par département",
                "- HR: *Can I carry over unused leave to next year?*\n"
                "- Customer service: *What do we offer a customer whose parcel arrived "
                "damaged?*\n"
                "- IT: *How do I request a laptop for a new starter?*",
                "- RH : *Puis-je reporter mes congés non pris sur l'année suivante ?*\n"
                "- Service client : *Que propose-t-on à un client dont le colis est arrivé "
                "abîmé ?*\n"
                "- Informatique : *Comment demander un ordinateur pour un nouvel arrivant ?*",
                "",
            ),
            (
                "guide",
                "Where the answers come from",
                "D'où viennent les réponses",
                "Only from the document collections you may read. If a document is "
                "missing, ask your department's content owner to add it.",
                "Uniquement des collections de documents que vous pouvez lire. S'il manque "
                "un document, demandez au responsable du contenu de votre département de "
                "l'ajouter.",
                "",
            ),
            (
                "guide",
                "What Essor records about your use",
                "Ce qu'Essor enregistre de votre utilisation",
                "Each question or workflow run is counted for the adoption figures, which are "
                "shown per group of at least five people, never per person.",
                "Chaque question ou exécution de workflow est comptée pour les indicateurs "
                "d'adoption, affichés par groupe d'au moins cinq personnes, jamais par "
                "personne.",
                "",
            ),
        ],
    ),
]

TIPS: list[tuple[str, str | None, str, str]] = [  # target, tier (None: all), en, fr
    (
        "ask",
        None,
        "Ask a full question; every sentence of the answer shows its source.",
        "Posez une question complète ; chaque phrase de la réponse indique sa source.",
    ),
    (
        "search",
        None,
        "Looking for a document rather than an answer? Search lists the passages with your words.",
        "Vous cherchez un document plutôt qu'une réponse ? La recherche liste les passages "
        "qui contiennent vos mots.",
    ),
    (
        "workflows",
        "occasional",
        "Start from an example: it fills the form, then change what you need.",
        "Partez d'un exemple : il remplit le formulaire, modifiez ensuite ce qu'il faut.",
    ),
    (
        "workflow:customer-service-reply",
        None,
        "Paste the customer's message as it is; the draft cites the reply guidelines it used.",
        "Collez le message du client tel quel ; le brouillon cite les consignes utilisées.",
    ),
]


def _champions(session: Session) -> dict[str, list[Person]]:
    rows = session.execute(
        select(Department.code, Person)
        .join(RoleGrant, RoleGrant.department_id == Department.id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(RoleGrant.role == "champion")
        .order_by(Department.code, Person.email)
    ).all()
    out: dict[str, list[Person]] = {}
    for code, person in rows:
        out.setdefault(code, []).append(person)
    return out


def _as(session: Session, person: Person) -> Reader:
    return Reader(identity=identity_of(session, person))


def seed_champions(session: Session, settings: Settings) -> bool:
    """Returns whether it seeded (False when training tracks already exist)."""
    if session.execute(select(TrainingTrack.id).limit(1)).first() is not None:
        return False
    resources: dict[str, list[int]] = {}
    for tier, (title_en, title_fr), (desc_en, desc_fr), items in TRACKS:
        track = save_track(
            session,
            actor=SYSTEM,
            tier=tier,
            title_en=title_en,
            title_fr=title_fr,
            description_en=desc_en,
            description_fr=desc_fr,
        )
        for kind, r_en, r_fr, body_en, body_fr, url in items:
            resource = save_resource(
                session,
                actor=SYSTEM,
                track_id=track.id,
                kind=kind,
                title_en=r_en,
                title_fr=r_fr,
                body_en=body_en,
                body_fr=body_fr,
                url=url,
            )
            resources.setdefault(tier, []).append(resource.id)
    for target, tip_tier, en, fr in TIPS:
        save_tip(session, actor=SYSTEM, target=target, tier=tip_tier, text_en=en, text_fr=fr)

    champions = _champions(session)
    it, cs, hr = champions.get("IT", []), champions.get("CS", []), champions.get("HR", [])
    # IT's champions finished the power track; customer service is half-way; HR's champion
    # has just started, so the roster and the coverage show three different states.
    progress = [(p, resources["power"]) for p in it]
    progress += [(p, resources["power"][:3]) for p in cs[:1]]
    progress += [(p, resources["power"][:1]) for p in hr]
    member = find_person(session, MEMBER_EMAIL)
    if member is not None:
        progress.append((member, resources["occasional"][:1]))
    for person, done in progress:
        for resource_id in done:
            mark_done(session, resource_id, actor=_as(session, person))

    known = set(load_registry(settings).definitions)
    now = utcnow()
    posts: list[tuple[ChampionPost, timedelta]] = []
    if cs and it:
        question = create_post(
            session,
            actor=_as(session, cs[0]),
            kind="question",
            title="Réponses en anglais · Replies in English",
            body="Un client écrit en anglais : le brouillon de réponse peut-il être rédigé en "
            "anglais alors que nos consignes sont en français ?\n"
            "A customer writes in English: can the reply draft be in English when our "
            "guidelines are in French?",
        )
        posts.append((question, timedelta(days=9)))
        answer = create_post(
            session,
            actor=_as(session, it[0]),
            kind="answer",
            parent_id=question.id,
            body="Oui : choisissez l'anglais comme langue de la page ; les phrases citent "
            "toujours les consignes françaises.\n"
            "Yes: switch the page to English; the sentences still cite the French guidelines.",
        )
        posts.append((answer, timedelta(days=8)))
    if cs and "customer-service-reply" in known:
        story = create_post(
            session,
            actor=_as(session, cs[-1]),
            kind="story",
            title="Réclamations colis : 45 minutes gagnées par semaine",
            body="Pour les colis abîmés, l'équipe part du brouillon de réponse et vérifie les "
            "sources avant l'envoi. Les réponses sont plus homogènes et plus rapides.\n"
            "For damaged parcels the team starts from the reply draft and checks the sources "
            "before sending: replies are faster and more consistent.",
            workflow_id="customer-service-reply",
            impact_value=45,
            impact_unit="minutes gagnées par semaine · minutes saved per week",
            known_workflows=known,
        )
        posts.append((story, timedelta(days=5)))
    if it:
        story = create_post(
            session,
            actor=_as(session, it[-1]),
            kind="story",
            title="New starters find their own answers",
            body="New IT starters now ask Essor how to request a laptop and set up their "
            "accounts; the onboarding questions we used to answer by chat dropped by half.",
            impact_value=3,
            impact_unit="hours saved per new starter",
        )
        posts.append((story, timedelta(days=2)))
    if hr:
        question = create_post(
            session,
            actor=_as(session, hr[0]),
            kind="question",
            title="Convaincre les sceptiques",
            body="Dans le pilote RH, deux collègues sceptiques n'ont posé aucune question. "
            "Qu'est-ce qui a marché chez vous ?",
        )
        posts.append((question, timedelta(days=1)))
    for post, age in posts:
        post.created_at = now - age
    return True
