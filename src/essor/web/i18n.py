"""UI strings in French and English, language negotiation, and locale-aware formatting.

A dict per language is enough for a UI of this size and keeps translators away from a gettext
toolchain; a test checks both languages define the same keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from essor.web.i18n_admin import ADMIN_STRINGS

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
COOKIE = "essor_lang"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "site.name": "Essor",
        "site.tagline": "Answers from your organisation's documents",
        "skip": "Skip to content",
        "nav.label": "Main",
        "nav.ask": "Ask",
        "nav.search": "Search",
        "nav.collections": "Collections",
        "lang.label": "Language",
        "lang.self": "English",
        "ask.title": "Ask a question",
        "ask.label": "Your question",
        "ask.hint": "Ask a full question, in French or English.",
        "ask.submit": "Ask",
        "ask.suggested": "Try one of these questions",
        "ask.answer": "Answer",
        "ask.sources": "Sources",
        "ask.source": "Source {n}",
        "ask.open_passage": "Open the passage in the document",
        "ask.original": "Original document",
        "ask.abstained_hint": "Try other words, or look through the documents with search.",
        "ask.search_instead": "Search the documents for “{q}”",
        "mode.other": "Answer mode: {mode}.",
        "search.title": "Search",
        "search.label": "Search the documents",
        "search.collection": "Collection",
        "search.all": "All collections",
        "search.submit": "Search",
        "search.results": "{n} passages found",
        "search.none": "No passage matches these words.",
        "search.score": "score {score}",
        "collections.title": "Collections",
        "collections.none": "There are no collections yet.",
        "collections.documents": "{n} documents",
        "collection.title": "Collection {name}",
        "collection.none": "This collection has no documents yet.",
        "collection.updated": "updated {date}",
        "document.collection": "Collection",
        "document.language": "Language",
        "document.updated": "Updated",
        "document.format": "Format",
        "document.contents": "Contents",
        "document.passage": "Cited passage:",
        "language.en": "English",
        "language.fr": "French",
        "error.title": "Something went wrong",
        "error.not_found": "Page not found",
        "error.home": "Back to the Ask page",
        "error.too_long": "The text is too long: at most {n} characters.",
        "error.unknown_collection": "Unknown collection: {name}",
        "error.no_document": "No document with id {id}",
        "error.csrf": "This form had expired or did not come from Essor. Reload the page and "
        "try again.",
        "error.no_token": "No such token.",
        "nav.signed_in_as": "Signed in as {name}",
        "nav.tokens": "API tokens",
        "nav.signout": "Sign out",
        "signin.title": "Sign in",
        "signin.intro": "Sign in with your work email address.",
        "signin.email": "Email address",
        "signin.password": "Password",
        "signin.submit": "Sign in",
        "signin.failed": "Wrong email or password.",
        "signin.throttled": "Too many failed sign-ins. Wait {minutes} min, then try again.",
        "signin.expired": "The sign-in form had expired. Please try again.",
        "signin.oidc": "Sign in with {provider}",
        "signin.oidc_or": "Or with your Essor password:",
        "signin.oidc_not_found": "Your sign-in provider vouched for an address that is not an "
        "active person of Essor's directory. Ask an administrator if this is a mistake.",
        "signin.oidc_unverified": "Your sign-in provider did not give a verified email address, "
        "so Essor cannot tell who you are.",
        "signin.oidc_failed": "The single sign-on did not complete. Please try again; if it "
        "keeps failing, ask an administrator.",
        "tokens.title": "API tokens",
        "tokens.intro": "A token lets a script use the Essor API as you, with your rights at "
        "the time of each call. Send it in the header Authorization: Bearer followed by the "
        "token. Revoke a token you no longer use.",
        "tokens.name": "Token name",
        "tokens.name_hint": "For example, the script or tool that will use it.",
        "tokens.create": "Create a token",
        "tokens.created_title": "Your new token",
        "tokens.created": "Copy it now: it will not be shown again.",
        "tokens.yours": "Your tokens",
        "tokens.none": "You have no tokens.",
        "tokens.col_name": "Name",
        "tokens.col_prefix": "Token",
        "tokens.col_created": "Created",
        "tokens.col_last_used": "Last used",
        "tokens.col_status": "Status",
        "tokens.never": "never",
        "tokens.revoke": "Revoke",
        "tokens.revoke_label": "Revoke the token {name}",
        "tokens.revoked": "revoked on {date}",
        "tokens.error.name_missing": "Give the token a name.",
        "tokens.error.name_too_long": "A token name has at most 100 characters.",
        "tokens.error.too_many": "You have too many active tokens: revoke one first.",
    },
    "fr": {
        "site.name": "Essor",
        "site.tagline": "Des réponses tirées des documents de votre organisation",
        "skip": "Aller au contenu",
        "nav.label": "Principale",
        "nav.ask": "Poser une question",
        "nav.search": "Rechercher",
        "nav.collections": "Collections",
        "lang.label": "Langue",
        "lang.self": "Français",
        "ask.title": "Poser une question",
        "ask.label": "Votre question",
        "ask.hint": "Posez une vraie question, en français ou en anglais.",
        "ask.submit": "Demander",
        "ask.suggested": "Essayez l'une de ces questions",
        "ask.answer": "Réponse",
        "ask.sources": "Sources",
        "ask.source": "Source {n}",
        "ask.open_passage": "Ouvrir le passage dans le document",
        "ask.original": "Document d'origine",
        "ask.abstained_hint": "Essayez d'autres mots, ou parcourez les documents.",
        "ask.search_instead": "Rechercher « {q} » dans les documents",
        "mode.other": "Mode de réponse : {mode}.",
        "search.title": "Rechercher",
        "search.label": "Rechercher dans les documents",
        "search.collection": "Collection",
        "search.all": "Toutes les collections",
        "search.submit": "Rechercher",
        "search.results": "{n} passages trouvés",
        "search.none": "Aucun passage ne contient ces mots.",
        "search.score": "score {score}",
        "collections.title": "Collections",
        "collections.none": "Il n'y a pas encore de collection.",
        "collections.documents": "{n} documents",
        "collection.title": "Collection {name}",
        "collection.none": "Cette collection ne contient pas encore de document.",
        "collection.updated": "mis à jour le {date}",
        "document.collection": "Collection",
        "document.language": "Langue",
        "document.updated": "Mis à jour",
        "document.format": "Format",
        "document.contents": "Sommaire",
        "document.passage": "Passage cité :",
        "language.en": "anglais",
        "language.fr": "français",
        "error.title": "Une erreur est survenue",
        "error.not_found": "Page introuvable",
        "error.home": "Revenir à la page des questions",
        "error.too_long": "Le texte est trop long : {n} caractères au maximum.",
        "error.unknown_collection": "Collection inconnue : {name}",
        "error.no_document": "Aucun document avec l'identifiant {id}",
        "error.csrf": "Ce formulaire avait expiré ou ne venait pas d'Essor. Rechargez la page "
        "et réessayez.",
        "error.no_token": "Jeton introuvable.",
        "nav.signed_in_as": "Connecté en tant que {name}",
        "nav.tokens": "Jetons d'API",
        "nav.signout": "Se déconnecter",
        "signin.title": "Connexion",
        "signin.intro": "Connectez-vous avec votre adresse e-mail professionnelle.",
        "signin.email": "Adresse e-mail",
        "signin.password": "Mot de passe",
        "signin.submit": "Se connecter",
        "signin.failed": "Adresse e-mail ou mot de passe incorrect.",
        "signin.throttled": "Trop de tentatives de connexion échouées. Patientez {minutes} min, "
        "puis réessayez.",
        "signin.expired": "Le formulaire de connexion avait expiré. Veuillez réessayer.",
        "signin.oidc": "Se connecter avec {provider}",
        "signin.oidc_or": "Ou avec votre mot de passe Essor :",
        "signin.oidc_not_found": "Votre fournisseur d'identité a confirmé une adresse qui n'est "
        "celle d'aucune personne active de l'annuaire d'Essor. Adressez-vous à un "
        "administrateur s'il s'agit d'une erreur.",
        "signin.oidc_unverified": "Votre fournisseur d'identité n'a pas fourni d'adresse e-mail "
        "vérifiée : Essor ne peut pas savoir qui vous êtes.",
        "signin.oidc_failed": "La connexion unique n'a pas abouti. Veuillez réessayer ; si cela "
        "se reproduit, adressez-vous à un administrateur.",
        "tokens.title": "Jetons d'API",
        "tokens.intro": "Un jeton permet à un script d'utiliser l'API d'Essor en votre nom, avec "
        "vos droits au moment de chaque appel. Envoyez-le dans l'en-tête Authorization: Bearer "
        "suivi du jeton. Révoquez un jeton dont vous ne vous servez plus.",
        "tokens.name": "Nom du jeton",
        "tokens.name_hint": "Par exemple, le script ou l'outil qui l'utilisera.",
        "tokens.create": "Créer un jeton",
        "tokens.created_title": "Votre nouveau jeton",
        "tokens.created": "Copiez-le maintenant : il ne sera plus affiché.",
        "tokens.yours": "Vos jetons",
        "tokens.none": "Vous n'avez aucun jeton.",
        "tokens.col_name": "Nom",
        "tokens.col_prefix": "Jeton",
        "tokens.col_created": "Créé le",
        "tokens.col_last_used": "Dernière utilisation",
        "tokens.col_status": "État",
        "tokens.never": "jamais",
        "tokens.revoke": "Révoquer",
        "tokens.revoke_label": "Révoquer le jeton {name}",
        "tokens.revoked": "révoqué le {date}",
        "tokens.error.name_missing": "Donnez un nom au jeton.",
        "tokens.error.name_too_long": "Le nom d'un jeton compte au plus 100 caractères.",
        "tokens.error.too_many": "Vous avez trop de jetons actifs : révoquez-en un d'abord.",
    },
}

# The administration pages keep their strings in their own module, merged here.
for _code, _strings in ADMIN_STRINGS.items():
    STRINGS[_code].update(_strings)

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}


def translate(language: str, key: str, **values: object) -> str:
    table = STRINGS.get(language, STRINGS[DEFAULT_LANGUAGE])
    text = table.get(key) or STRINGS[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text


def translator(language: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return translate(language, key, **values)

    return t


def supported(value: str | None) -> str | None:
    """``value`` as a supported language code, or None ("fr-CA" -> "fr")."""
    if not value:
        return None
    code = value.strip().lower().split("-", 1)[0].split("_", 1)[0]
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        code = supported(tag)
        if code and quality > 0:
            # Equal q-values keep the header's order, as RFC 9110 intends.
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """An explicit choice (query) wins over a remembered one (cookie) over the browser's."""
    return (
        supported(query)
        or supported(cookie)
        or from_accept_language(accept_language)
        or DEFAULT_LANGUAGE
    )


def format_number(value: float | int, language: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if language == "fr":
        # French groups digits with a narrow no-break space and uses a decimal comma.
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def format_date(value: date | datetime | None, language: str) -> str:
    if value is None:
        return ""
    month = _MONTHS.get(language, _MONTHS["en"])[value.month - 1]
    if language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    return f"{value.day} {month} {value.year}"
