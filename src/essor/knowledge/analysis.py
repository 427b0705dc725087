"""Text analysis for French and English: tokens, stop words, Snowball stems, folded accents.

Accents are folded before stemming: people type "conges payes" as often as "congés payés",
and both must meet on the same terms (stemming accented text alone would not give that).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from essor.knowledge.stopwords import ENGLISH, FRENCH, STOPWORDS

LANGUAGES = ("fr", "en")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_FRENCH_HINTS = frozenset("éèêàçùûôîœ")


def fold(text: str) -> str:
    """Lower-case and strip diacritics ("Œuvre Été" -> "oeuvre ete")."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens, split on apostrophes and punctuation, accents kept."""
    # Chained replace is ~25x faster than str.translate with a mapping on long texts.
    text = text.lower().replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("_", " ")
    return _TOKEN.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """``fr`` or ``en`` from stop-word counts (and accents as a tie-breaker)."""
    lang, _confidence = detect_language_with_confidence(text, default)
    return lang


def detect_language_with_confidence(text: str, default: str = "en") -> tuple[str, float]:
    tokens = [fold(t) for t in tokenize(text[:20_000])]
    fr = sum(1 for t in tokens if t in FRENCH and t not in ENGLISH)
    en = sum(1 for t in tokens if t in ENGLISH and t not in FRENCH)
    accents = sum(1 for c in text[:20_000].lower() if c in _FRENCH_HINTS)
    fr_score = fr + min(accents, 10) * 0.3
    total = fr_score + en
    if total == 0:
        return default, 0.0
    if fr_score > en:
        return "fr", fr_score / total
    if en > fr_score:
        return "en", en / total
    return default, 0.5


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french" if language == "fr" else "english")


class Analyzer:
    """Turns text into index terms for one language; caches stems of frequent words."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self._stopwords = STOPWORDS[language]
        self._stemmer = _stemmer(language)
        self._cache: dict[str, str] = {}

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        stop = self._stopwords
        for token in tokenize(text):
            term = cache.get(token)
            if term is None:
                folded = fold(token)
                if folded in stop or (len(folded) == 1 and not folded.isdigit()):
                    term = ""
                else:
                    term = self._stemmer.stemWord(folded)
                if len(cache) < 500_000:
                    cache[token] = term
            if term:
                out.append(term)
        return out


@lru_cache(maxsize=4)
def analyzer(language: str) -> Analyzer:
    return Analyzer(language if language in LANGUAGES else "en")


def analyse(text: str, language: str) -> list[str]:
    return analyzer(language).terms(text)


def query_terms(text: str) -> list[str]:
    """Terms for a query whose language is uncertain (a few words say little about it).

    A confidently detected language gives its stems alone; otherwise the stems of both
    languages are used, deduplicated, so "congés payés" and "annual leave" both match.
    """
    lang, confidence = detect_language_with_confidence(text)
    if confidence >= 0.75:
        return analyse(text, lang)
    merged: list[str] = []
    seen: set[str] = set()
    for language in LANGUAGES:
        for term in analyse(text, language):
            if term not in seen:
                seen.add(term)
                merged.append(term)
    return merged
