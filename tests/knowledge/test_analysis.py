from essor.knowledge.analysis import analyse, detect_language, fold, query_terms, tokenize


def test_fold_strips_accents_and_ligatures() -> None:
    assert fold("Œuvre Été Çà") == "oeuvre ete ca"


def test_tokenize_splits_elisions_and_punctuation() -> None:
    assert tokenize("L’employeur d'un salarié—vraiment!") == [
        "l",
        "employeur",
        "d",
        "un",
        "salarié",
        "vraiment",
    ]


def test_french_stemming_meets_accented_and_plain_forms() -> None:
    assert analyse("congés payés", "fr") == analyse("conges payes", "fr")
    assert analyse("licenciements", "fr") == analyse("licenciement", "fr")


def test_stop_words_are_dropped_in_both_languages() -> None:
    assert analyse("le salarié et la salariée de l'entreprise", "fr") == analyse(
        "salarié salariée entreprise", "fr"
    )
    assert analyse("the leave of the employees", "en") == analyse("leave employees", "en")


def test_english_stemming() -> None:
    assert analyse("running policies", "en") == analyse("run policy", "en")


def test_language_detection() -> None:
    assert detect_language("Le salarié a droit à des congés payés chaque année.") == "fr"
    assert detect_language("The employee is entitled to paid holiday every year.") == "en"
    assert detect_language("", default="fr") == "fr"


def test_query_terms_match_either_language_when_unsure() -> None:
    # Two keywords say nothing about their language: both analyses are tried.
    terms = query_terms("maternity conges")
    assert "matern" in terms and "cong" in terms
    assert query_terms("Combien de jours de congés payés ?") == analyse(
        "Combien de jours de congés payés ?", "fr"
    )
