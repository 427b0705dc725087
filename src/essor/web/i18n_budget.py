"""UI strings of the budget and privacy pages, in English and French (merged into
i18n.STRINGS). Each usage-event column has a ``privacy.field.<column>`` description; a test
checks that every column of the table has one in both languages."""

from __future__ import annotations

from essor.web.i18n import STRINGS

BUDGET_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "nav.budget": "Budget",
        "nav.privacy": "What Essor collects",
        "budget.title": "Budget",
        "budget.hint": "Cost lines by the budget that absorbs them, usage measured in the pilot "
        "departments, and what it would cost for everyone, per seat and usage-based, side by "
        "side.",
        "budget.saved": "The cost lines were saved.",
        "budget.inputs": "Projection inputs",
        "budget.inputs.invalid": "These inputs cannot be used:",
        "budget.inputs.from": "First day measured",
        "budget.inputs.to": "Last day measured",
        "budget.inputs.seat_price": "Per-seat price per person per month ({currency})",
        "budget.inputs.hourly_value": "Cost of an hour of an employee's time ({currency})",
        "budget.inputs.target_depth": "Adoption at full scale (% of people active)",
        "budget.inputs.measured": "measured",
        "budget.inputs.months": "Months one-off costs are spread over",
        "budget.inputs.recalculate": "Recalculate",
        "budget.lines": "Cost lines",
        "budget.lines.none": "No cost line yet.",
        "budget.group.department": "Department {code}.",
        "budget.group.owner": "Budget owner: {owner}.",
        "budget.group.no_owner": "No budget owner named for this department yet.",
        "budget.group.total": "Per month",
        "budget.group.one_off": "one-off {amount}",
        "budget.col.cost": "Cost",
        "budget.col.monthly": "Per month",
        "budget.col.actions": "Actions",
        "budget.col.per_month": "Per month",
        "budget.col.pilot_seat": "Pilot, per seat",
        "budget.col.pilot_usage": "Pilot, usage-based",
        "budget.col.full_seat": "Everyone, per seat",
        "budget.col.full_usage": "Everyone, usage-based",
        "budget.cost.tokens": "{input} per million input tokens, {output} per million output "
        "tokens",
        "budget.cost.hours": "{hours} hours a week at {rate} an hour",
        "budget.cost.follows_usage": "follows usage",
        "budget.category.platform_hosting": "Platform and hosting",
        "budget.category.llm_usage": "Language-model usage",
        "budget.category.support_hours": "Support hours",
        "budget.category.training": "Training",
        "budget.category.other": "Other",
        "budget.period.monthly": "monthly",
        "budget.period.one_off": "one-off",
        "budget.period.usage": "per token",
        "budget.period.weekly": "weekly hours",
        "budget.edit": "Edit",
        "budget.delete": "Delete",
        "budget.add": "Add a cost line",
        "budget.add.submit": "Add the line",
        "budget.edit.title": "Edit a cost line",
        "budget.form.hint": "Language-model usage takes the two token prices; support hours take "
        "hours per week and an hourly rate; every other category takes an amount, monthly or "
        "one-off.",
        "budget.form.budget": "Budget that absorbs it",
        "budget.form.department": "Department (its budget owner owns this budget)",
        "budget.form.no_department": "— none —",
        "budget.form.category": "Category",
        "budget.form.label": "Label",
        "budget.form.period": "Period",
        "budget.form.amount": "Amount",
        "budget.form.price_input": "Price per million input tokens",
        "budget.form.price_output": "Price per million output tokens",
        "budget.form.hours": "Hours per week",
        "budget.form.hours_hint": "The support model's owners give {hours} hours a week in all.",
        "budget.form.rate": "Hourly rate",
        "budget.form.save": "Save",
        "budget.form.not_saved": "The cost line was not saved:",
        "budget.measured": "Measured usage in the pilot departments",
        "budget.measured.departments": "Pilot departments (stage pilot, rolling out or adopted):",
        "budget.measured.none": "none yet",
        "budget.withheld": "Measured usage is not shown: the pilot departments have fewer than "
        "{n} people, or fewer than {n} active people, in this period (privacy minimum). Nothing "
        "is projected from it.",
        "budget.measured.period": "Period",
        "budget.measured.days": "{n} days",
        "budget.measured.active": "Active people",
        "budget.measured.active_of": "{active} of {headcount} people ({depth} %)",
        "budget.measured.events": "Answered questions and workflow runs",
        "budget.measured.tokens": "Language-model tokens",
        "budget.measured.minutes": "Minutes saved",
        "budget.tokens": "{input} in, {output} out",
        "budget.per_active": "Per active person per month",
        "budget.projection": "Projection",
        "budget.projection.depth_measured": "At full scale, the measured adoption of {depth} % "
        "of {headcount} people: {active} active people.",
        "budget.projection.depth_target": "At full scale, the target adoption of {depth} % of "
        "{headcount} people: {active} active people.",
        "budget.row.active": "Active people",
        "budget.row.hours": "Hours saved",
        "budget.row.seats": "Seats",
        "budget.row.hosting": "Platform and hosting",
        "budget.row.tokens": "Language-model tokens",
        "budget.row.shared": "Support, training and other",
        "budget.row.total": "Total",
        "budget.row.per_active": "Per active person",
        "budget.row.per_hour": "Per hour saved",
        "budget.row.break_even_minutes": "Minutes saved per person for the time to pay",
        "budget.chart.title": "Cost per month",
        "budget.break_even": "Break-even",
        "budget.break_even.crosses": "Usage-based pricing costs less than per-seat pricing up "
        "to {people} active people ({depth} % of everyone), and more beyond.",
        "budget.break_even.usage_cheaper": "Usage-based pricing costs less than per-seat "
        "pricing at any adoption, up to everyone.",
        "budget.break_even.at": "The two would meet only at {people} active people.",
        "budget.break_even.per_seat_cheaper": "Per-seat pricing costs less than usage-based "
        "pricing at any adoption.",
        "budget.break_even.minutes": "At {value} an hour, the time saved pays for usage-based "
        "pricing from {usage} minutes saved per active person per month, and for per-seat "
        "pricing from {seat}; the pilot departments save {measured}.",
        "budget.one_off_note": "One-off costs of {amount} are spread over {months} months in "
        "these totals.",
        "budget.method": "Usage is scaled to 30-day months; support hours count 52 weeks over 12 "
        "months; a per-seat licence replaces platform, hosting and model lines, while support, "
        "training and other lines are paid under both. The method and a worked example are in "
        "docs/budget.md.",
        # -- privacy ------------------------------------------------------------------------
        "privacy.title": "What Essor collects and keeps",
        "privacy.intro": "This page lists exactly what Essor stores when people use it, how "
        "long it keeps it and who can see what, for works councils and data-protection "
        "officers. The list of usage-event fields is read from the code, so it cannot drift "
        "from what is stored.",
        "privacy.events": "Usage events",
        "privacy.events.hint": "One row per question asked by a signed-in person, per workflow "
        "run and per piece of feedback. Questions asked by the operator of the installation "
        "(the command line without --as, evaluation runs) are not recorded. Answers themselves "
        "are not stored.",
        "privacy.col.field": "Field",
        "privacy.col.type": "Type",
        "privacy.col.written": "Written for",
        "privacy.col.meaning": "Content",
        "privacy.kind.question": "question",
        "privacy.kind.workflow_run": "workflow run",
        "privacy.kind.feedback": "feedback",
        "privacy.undescribed": "(not described yet)",
        "privacy.field.id": "Row number.",
        "privacy.field.at": "Date and time (UTC).",
        "privacy.field.kind": "question, workflow_run or feedback.",
        "privacy.field.person_id": "Who: needed to count active people. No page shows a person's "
        "own figures to anyone else and there is no individual leaderboard.",
        "privacy.field.department_id": "The person's department at that moment.",
        "privacy.field.workflow_id": "The workflow, for runs and their feedback.",
        "privacy.field.mode": "Extractive or generated answer.",
        "privacy.field.model": "The language model's name, when one wrote the answer.",
        "privacy.field.latency_ms": "Time taken to answer, in milliseconds.",
        "privacy.field.prompt_tokens": "Language-model input tokens (cost).",
        "privacy.field.completion_tokens": "Language-model output tokens (cost).",
        "privacy.field.citations": "How many sources the answer cited.",
        "privacy.field.abstained": "Whether Essor said the sources do not answer.",
        "privacy.field.language": "fr or en.",
        "privacy.field.question_text": "The question as typed: empty unless question text "
        "storage is switched on (see below).",
        "privacy.field.about_event_id": "Feedback: the answer or run it is about.",
        "privacy.field.helpful": "Feedback: helpful or not.",
        "privacy.field.minutes_saved": "Feedback: the person's own estimate of minutes saved.",
        "privacy.field.resolved_without_ticket": "Feedback: the case was resolved without a "
        "ticket.",
        "privacy.text": "Question text",
        "privacy.text.off": "Question text is not kept on this installation "
        "(ESSOR_STORE_QUESTION_TEXT is off, the default): only counts are stored.",
        "privacy.text.on": "Question text is kept on this installation "
        "(ESSOR_STORE_QUESTION_TEXT is on), at most 2,000 characters per question, for {days} "
        "days; the daily purge then blanks it. No page shows it.",
        "privacy.retention": "How long it is kept",
        "privacy.retention.events": "Usage events: {days} days (ESSOR_EVENT_RETENTION_DAYS), "
        "then deleted with the feedback about them.",
        "privacy.retention.text": "Question text, when kept: {days} days "
        "(ESSOR_QUESTION_TEXT_RETENTION_DAYS), then blanked.",
        "privacy.retention.rollups": "Dashboards read rollups, kept in their own tables: "
        "counts per day, department and workflow, and, so that distinct people can be counted, "
        "the days each person was active (person, day, number of answers and runs). They hold "
        "no question text and no page shows a person's own rows. The purge leaves them as they "
        "are, so the adoption history outlives the raw events.",
        "privacy.retention.purge": "The purge runs with the essor purge command, which the "
        "operator schedules daily; each run is written to the audit log with its counts.",
        "privacy.retention.sessions": "Web sign-ins: {days} days (ESSOR_SESSION_DAYS), then the "
        "session is deleted.",
        "privacy.retention.attempts": "Sign-in attempts: {hours} hours, for throttling.",
        "privacy.retention.audit": "The audit log is kept without limit: it cannot be edited or "
        "deleted through the database.",
        "privacy.figures": "Figures about groups, never about individuals",
        "privacy.figures.min": "A group (department, workflow, cohort, the pilot departments of "
        "the budget) with fewer than {n} people shows no figures (ESSOR_PRIVACY_MIN_GROUP_SIZE, "
        "never below 3).",
        "privacy.figures.no_leaderboard": "There is no individual leaderboard: no page ranks or "
        "lists people by their use of Essor.",
        "privacy.audit": "Audit log",
        "privacy.audit.text": "Sign-ins (successful and failed), sign-outs, account and token "
        "changes, administrative changes (collections, visibility, roles, people imports, "
        "rollout, budget), retention purges and denied accesses: the actor's email, the action, "
        "the object, the outcome and a short detail. Passwords, tokens and session cookies are "
        "never written.",
        "privacy.signin": "Sign-in data",
        "privacy.signin.text": "Password hashes (Argon2id), sessions (a hash of the cookie, "
        "creation and last-use times, address and browser when known), API tokens (a hash and a "
        "short prefix) and recent sign-in attempts (email, address, time, success).",
        "privacy.directory": "The people directory",
        "privacy.directory.text": "What the HR export provides: email, name, department, job "
        "title, manager, employment status and dates, and optionally the attitude (enthusiast, "
        "neutral, sceptic, for pilot cohorts) and training tier. The rollout also records who "
        "owns checklist items, sponsors, budget owners, champions and support owners.",
        "privacy.who": "Who can see what",
        "privacy.who.col.who": "Who",
        "privacy.who.col.what": "Sees",
        "privacy.who.member": "Everyone signed in",
        "privacy.who.member.what": "Their own answers as they get them, and this page. Nobody's "
        "individual usage.",
        "privacy.who.department_admin": "Department administrators",
        "privacy.who.department_admin.what": "Their department's people and rollout; adoption "
        "figures for groups of at least {n} people.",
        "privacy.who.leads": "Programme leads and executive viewers",
        "privacy.who.leads.what": "The rollout cockpit, adoption figures and reports for groups "
        "of at least {n} people, the budget.",
        "privacy.who.budget_owner": "Departments' budget owners",
        "privacy.who.budget_owner.what": "The budget page.",
        "privacy.who.admin": "Administrators",
        "privacy.who.admin.what": "All of the above, and the audit log. Raw usage events are "
        "shown on no page; only the operator with access to the database can read them.",
    },
    "fr": {
        "nav.budget": "Budget",
        "nav.privacy": "Ce qu'Essor collecte",
        "budget.title": "Budget",
        "budget.hint": "Les lignes de coût par budget qui les absorbe, l'usage mesuré dans les "
        "services pilotes, et ce que coûterait l'outil pour tous, au siège et à l'usage, côte à "
        "côte.",
        "budget.saved": "Les lignes de coût ont été enregistrées.",
        "budget.inputs": "Hypothèses de la projection",
        "budget.inputs.invalid": "Ces hypothèses ne sont pas utilisables :",
        "budget.inputs.from": "Premier jour mesuré",
        "budget.inputs.to": "Dernier jour mesuré",
        "budget.inputs.seat_price": "Prix par siège, par personne et par mois ({currency})",
        "budget.inputs.hourly_value": "Coût d'une heure de travail d'un salarié ({currency})",
        "budget.inputs.target_depth": "Adoption à pleine échelle (% de personnes actives)",
        "budget.inputs.measured": "mesurée",
        "budget.inputs.months": "Mois sur lesquels répartir les coûts ponctuels",
        "budget.inputs.recalculate": "Recalculer",
        "budget.lines": "Lignes de coût",
        "budget.lines.none": "Aucune ligne de coût pour l'instant.",
        "budget.group.department": "Service {code}.",
        "budget.group.owner": "Responsable budgétaire : {owner}.",
        "budget.group.no_owner": "Aucun responsable budgétaire désigné pour ce service.",
        "budget.group.total": "Par mois",
        "budget.group.one_off": "ponctuel {amount}",
        "budget.col.cost": "Coût",
        "budget.col.monthly": "Par mois",
        "budget.col.actions": "Actions",
        "budget.col.per_month": "Par mois",
        "budget.col.pilot_seat": "Pilote, au siège",
        "budget.col.pilot_usage": "Pilote, à l'usage",
        "budget.col.full_seat": "Tous, au siège",
        "budget.col.full_usage": "Tous, à l'usage",
        "budget.cost.tokens": "{input} par million de jetons en entrée, {output} par million "
        "de jetons en sortie",
        "budget.cost.hours": "{hours} heures par semaine à {rate} de l'heure",
        "budget.cost.follows_usage": "suit l'usage",
        "budget.category.platform_hosting": "Plateforme et hébergement",
        "budget.category.llm_usage": "Usage du modèle de langage",
        "budget.category.support_hours": "Heures de support",
        "budget.category.training": "Formation",
        "budget.category.other": "Autre",
        "budget.period.monthly": "mensuel",
        "budget.period.one_off": "ponctuel",
        "budget.period.usage": "au jeton",
        "budget.period.weekly": "heures par semaine",
        "budget.edit": "Modifier",
        "budget.delete": "Supprimer",
        "budget.add": "Ajouter une ligne de coût",
        "budget.add.submit": "Ajouter la ligne",
        "budget.edit.title": "Modifier une ligne de coût",
        "budget.form.hint": "L'usage du modèle de langage prend les deux prix au jeton ; les "
        "heures de support, des heures par semaine et un taux horaire ; les autres catégories, "
        "un montant mensuel ou ponctuel.",
        "budget.form.budget": "Budget qui l'absorbe",
        "budget.form.department": "Service (son responsable budgétaire porte ce budget)",
        "budget.form.no_department": "— aucun —",
        "budget.form.category": "Catégorie",
        "budget.form.label": "Libellé",
        "budget.form.period": "Période",
        "budget.form.amount": "Montant",
        "budget.form.price_input": "Prix par million de jetons en entrée",
        "budget.form.price_output": "Prix par million de jetons en sortie",
        "budget.form.hours": "Heures par semaine",
        "budget.form.hours_hint": "Les responsables du modèle de support y consacrent {hours} "
        "heures par semaine au total.",
        "budget.form.rate": "Taux horaire",
        "budget.form.save": "Enregistrer",
        "budget.form.not_saved": "La ligne de coût n'a pas été enregistrée :",
        "budget.measured": "Usage mesuré dans les services pilotes",
        "budget.measured.departments": "Services pilotes (en pilote, en déploiement ou adoptés) :",
        "budget.measured.none": "aucun pour l'instant",
        "budget.withheld": "L'usage mesuré n'est pas affiché : les services pilotes comptent "
        "moins de {n} personnes, ou moins de {n} personnes actives, sur cette période (seuil de "
        "confidentialité). Rien n'en est projeté.",
        "budget.measured.period": "Période",
        "budget.measured.days": "{n} jours",
        "budget.measured.active": "Personnes actives",
        "budget.measured.active_of": "{active} sur {headcount} personnes ({depth} %)",
        "budget.measured.events": "Questions répondues et workflows exécutés",
        "budget.measured.tokens": "Jetons du modèle de langage",
        "budget.measured.minutes": "Minutes gagnées",
        "budget.tokens": "{input} en entrée, {output} en sortie",
        "budget.per_active": "Par personne active et par mois",
        "budget.projection": "Projection",
        "budget.projection.depth_measured": "À pleine échelle, l'adoption mesurée de {depth} % "
        "de {headcount} personnes : {active} personnes actives.",
        "budget.projection.depth_target": "À pleine échelle, l'adoption visée de {depth} % de "
        "{headcount} personnes : {active} personnes actives.",
        "budget.row.active": "Personnes actives",
        "budget.row.hours": "Heures gagnées",
        "budget.row.seats": "Sièges",
        "budget.row.hosting": "Plateforme et hébergement",
        "budget.row.tokens": "Jetons du modèle de langage",
        "budget.row.shared": "Support, formation et autres",
        "budget.row.total": "Total",
        "budget.row.per_active": "Par personne active",
        "budget.row.per_hour": "Par heure gagnée",
        "budget.row.break_even_minutes": "Minutes gagnées par personne pour que le temps paie",
        "budget.chart.title": "Coût par mois",
        "budget.break_even": "Point d'équilibre",
        "budget.break_even.crosses": "La tarification à l'usage coûte moins que la tarification "
        "au siège jusqu'à {people} personnes actives ({depth} % de l'effectif), et plus au-delà.",
        "budget.break_even.usage_cheaper": "La tarification à l'usage coûte moins que la "
        "tarification au siège quelle que soit l'adoption, jusqu'à l'effectif entier.",
        "budget.break_even.at": "Les deux ne se rejoindraient qu'à {people} personnes actives.",
        "budget.break_even.per_seat_cheaper": "La tarification au siège coûte moins que la "
        "tarification à l'usage quelle que soit l'adoption.",
        "budget.break_even.minutes": "À {value} de l'heure, le temps gagné paie la tarification "
        "à l'usage à partir de {usage} minutes gagnées par personne active et par mois, et la "
        "tarification au siège à partir de {seat} ; les services pilotes en gagnent {measured}.",
        "budget.one_off_note": "Les coûts ponctuels de {amount} sont répartis sur {months} mois "
        "dans ces totaux.",
        "budget.method": "L'usage est ramené à des mois de 30 jours ; les heures de support "
        "comptent 52 semaines sur 12 mois ; une licence au siège remplace les lignes plateforme, "
        "hébergement et modèle, tandis que le support, la formation et les autres lignes sont "
        "payés dans les deux cas. La méthode et un exemple chiffré sont dans docs/budget.md.",
        # -- privacy ------------------------------------------------------------------------
        "privacy.title": "Ce qu'Essor collecte et conserve",
        "privacy.intro": "Cette page liste exactement ce qu'Essor enregistre quand on l'utilise, "
        "combien de temps il le garde et qui voit quoi, pour les comités sociaux et économiques "
        "et les délégués à la protection des données. La liste des champs des événements "
        "d'usage est lue dans le code : elle ne peut pas s'écarter de ce qui est enregistré.",
        "privacy.events": "Événements d'usage",
        "privacy.events.hint": "Une ligne par question posée par une personne connectée, par "
        "workflow exécuté et par retour. Les questions posées par l'exploitant de l'installation "
        "(la ligne de commande sans --as, les évaluations) ne sont pas enregistrées. Les "
        "réponses elles-mêmes ne sont pas conservées.",
        "privacy.col.field": "Champ",
        "privacy.col.type": "Type",
        "privacy.col.written": "Écrit pour",
        "privacy.col.meaning": "Contenu",
        "privacy.kind.question": "question",
        "privacy.kind.workflow_run": "workflow exécuté",
        "privacy.kind.feedback": "retour",
        "privacy.undescribed": "(pas encore décrit)",
        "privacy.field.id": "Numéro de ligne.",
        "privacy.field.at": "Date et heure (UTC).",
        "privacy.field.kind": "question, workflow_run ou feedback.",
        "privacy.field.person_id": "Qui : nécessaire pour compter les personnes actives. Aucune "
        "page ne montre les chiffres d'une personne à quelqu'un d'autre et il n'y a pas de "
        "classement individuel.",
        "privacy.field.department_id": "Le service de la personne à ce moment-là.",
        "privacy.field.workflow_id": "Le workflow, pour les exécutions et leurs retours.",
        "privacy.field.mode": "Réponse extractive ou générée.",
        "privacy.field.model": "Le nom du modèle de langage, quand un modèle a rédigé la réponse.",
        "privacy.field.latency_ms": "Temps de réponse, en millisecondes.",
        "privacy.field.prompt_tokens": "Jetons en entrée du modèle de langage (coût).",
        "privacy.field.completion_tokens": "Jetons en sortie du modèle de langage (coût).",
        "privacy.field.citations": "Le nombre de sources citées par la réponse.",
        "privacy.field.abstained": "Si Essor a indiqué que les sources ne répondent pas.",
        "privacy.field.language": "fr ou en.",
        "privacy.field.question_text": "La question telle que saisie : vide sauf si la "
        "conservation du texte des questions est activée (voir plus bas).",
        "privacy.field.about_event_id": "Retour : la réponse ou l'exécution concernée.",
        "privacy.field.helpful": "Retour : utile ou non.",
        "privacy.field.minutes_saved": "Retour : l'estimation par la personne des minutes gagnées.",
        "privacy.field.resolved_without_ticket": "Retour : le cas a été résolu sans ticket.",
        "privacy.text": "Texte des questions",
        "privacy.text.off": "Le texte des questions n'est pas conservé sur cette installation "
        "(ESSOR_STORE_QUESTION_TEXT désactivé, par défaut) : seuls des comptages sont enregistrés.",
        "privacy.text.on": "Le texte des questions est conservé sur cette installation "
        "(ESSOR_STORE_QUESTION_TEXT activé), 2 000 caractères au plus par question, pendant "
        "{days} jours ; la purge quotidienne l'efface ensuite. Aucune page ne l'affiche.",
        "privacy.retention": "Durées de conservation",
        "privacy.retention.events": "Événements d'usage : {days} jours "
        "(ESSOR_EVENT_RETENTION_DAYS), puis supprimés avec les retours qui les concernent.",
        "privacy.retention.text": "Texte des questions, s'il est conservé : {days} jours "
        "(ESSOR_QUESTION_TEXT_RETENTION_DAYS), puis effacé.",
        "privacy.retention.rollups": "Les tableaux de bord lisent des agrégats, dans leurs "
        "propres tables : des comptages par jour, service et workflow et, pour compter les "
        "personnes distinctes, les jours où chaque personne a été active (personne, jour, "
        "nombre de réponses et d'exécutions). Ils ne contiennent aucun texte de question et "
        "aucune page n'affiche les lignes d'une personne. La purge ne les modifie pas : "
        "l'historique de l'adoption survit aux événements bruts.",
        "privacy.retention.purge": "La purge s'exécute avec la commande essor purge, que "
        "l'exploitant programme chaque jour ; chaque exécution est inscrite au journal d'audit "
        "avec ses comptages.",
        "privacy.retention.sessions": "Connexions web : {days} jours (ESSOR_SESSION_DAYS), puis "
        "la session est supprimée.",
        "privacy.retention.attempts": "Tentatives de connexion : {hours} heures, pour limiter "
        "les essais.",
        "privacy.retention.audit": "Le journal d'audit est conservé sans limite : il ne peut être "
        "ni modifié ni supprimé par la base de données.",
        "privacy.figures": "Des chiffres sur des groupes, jamais sur des personnes",
        "privacy.figures.min": "Un groupe (service, workflow, cohorte, services pilotes du "
        "budget) de moins de {n} personnes n'affiche aucun chiffre "
        "(ESSOR_PRIVACY_MIN_GROUP_SIZE, jamais moins de 3).",
        "privacy.figures.no_leaderboard": "Il n'y a pas de classement individuel : aucune page ne "
        "classe ni ne liste les personnes selon leur usage d'Essor.",
        "privacy.audit": "Journal d'audit",
        "privacy.audit.text": "Connexions (réussies et échouées), déconnexions, changements de "
        "comptes et de jetons, changements d'administration (collections, visibilité, rôles, "
        "imports de personnes, déploiement, budget), purges de conservation et accès refusés : "
        "l'adresse de l'auteur, l'action, l'objet, le résultat et un court détail. Les mots de "
        "passe, jetons et cookies de session ne sont jamais écrits.",
        "privacy.signin": "Données de connexion",
        "privacy.signin.text": "Empreintes des mots de passe (Argon2id), sessions (une empreinte "
        "du cookie, dates de création et de dernière utilisation, adresse et navigateur quand "
        "ils sont connus), jetons d'API (une empreinte et un court préfixe) et tentatives de "
        "connexion récentes (adresse électronique, adresse IP, heure, succès).",
        "privacy.directory": "L'annuaire",
        "privacy.directory.text": "Ce que fournit l'export RH : adresse électronique, nom, "
        "service, poste, responsable, statut et dates d'emploi, et en option l'attitude "
        "(enthousiaste, neutre, sceptique, pour les cohortes pilotes) et le niveau de formation. "
        "Le déploiement enregistre aussi les responsables des points de la liste de contrôle, "
        "les parrains, les responsables budgétaires, les champions et les responsables du "
        "support.",
        "privacy.who": "Qui voit quoi",
        "privacy.who.col.who": "Qui",
        "privacy.who.col.what": "Voit",
        "privacy.who.member": "Toute personne connectée",
        "privacy.who.member.what": "Ses propres réponses quand elle les reçoit, et cette page. "
        "L'usage individuel de personne.",
        "privacy.who.department_admin": "Administrateurs de service",
        "privacy.who.department_admin.what": "Les personnes et le déploiement de leur service ; "
        "les chiffres d'adoption des groupes d'au moins {n} personnes.",
        "privacy.who.leads": "Responsables du programme et direction (lecture)",
        "privacy.who.leads.what": "Le cockpit de déploiement, les chiffres d'adoption et les "
        "rapports pour des groupes d'au moins {n} personnes, le budget.",
        "privacy.who.budget_owner": "Responsables budgétaires des services",
        "privacy.who.budget_owner.what": "La page budget.",
        "privacy.who.admin": "Administrateurs",
        "privacy.who.admin.what": "Tout ce qui précède, et le journal d'audit. Les événements "
        "d'usage bruts ne sont affichés sur aucune page ; seul l'exploitant ayant accès à la "
        "base de données peut les lire.",
    },
}


def merge() -> None:
    """Add these strings to the shared table; idempotent, called when the routers load."""
    for code, strings in BUDGET_STRINGS.items():
        STRINGS[code].update(strings)


merge()
