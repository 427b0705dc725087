"""Fixed sentences the assistant says, in French and English."""

from __future__ import annotations

NOT_IN_SOURCES = {
    "en": "The available sources do not answer this question.",
    "fr": "Les sources disponibles ne permettent pas de répondre à cette question.",
}
NO_SOURCES = {
    "en": "There are no documents to search yet.",
    "fr": "Aucun document n'est encore disponible pour la recherche.",
}
EXTRACTIVE_MODE = {
    "en": "Extractive answer: sentences quoted from the sources, no language model.",
    "fr": "Réponse extractive : phrases citées des sources, sans modèle de langage.",
}


def say(table: dict[str, str], language: str) -> str:
    return table.get(language, table["en"])
