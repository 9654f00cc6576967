"""Over-masking, the other side of privacy: person masks on real text (issue 10).

The gold set (tests/fixtures/names_gold, 500 real answers read one by one) measures precision
and recall of the ``[PERSONNE_n]`` masks; the branch's base masked 65 spans of which 32 were
names (precision 0.49, recall 0.84) text by text, and 73 of which 33 in one batch. The other
tests pin each structural rule on the shapes that made the Grand Débat lose « aides
financières », « de vie », « Limiter »... in hundreds of answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from transitions_analysis.anonymisation import Anonymised, anonymise_documents, anonymise_texts, find_personal_data
from transitions_analysis.anonymisation.words import CommonWordRule, WordStats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import eval_names_gold as gold_eval  # noqa: E402

# Levels measured on this version (scripts/eval_names_gold.py): a change that loses names or
# masks more common words makes these fail.
MIN_PRECISION_ONE_BY_ONE = 0.72  # measured 34/46 = 0.739 (base 32/65 = 0.49)
MIN_PRECISION_BATCH = 0.74  # measured 34/45 = 0.756 (base 33/73 = 0.45)
MIN_RECALL = 34 / 38  # measured 34/38 = 0.895 in both settings (base 32/38 and 33/38)


@pytest.fixture(scope="module")
def gold(fr_ner):
    sample, names = gold_eval.load_gold()
    texts = sample.text.tolist()
    one = {tid: gold_eval.person_spans(anonymise_documents([t], nlp=fr_ner)[0]) for tid, t in zip(sample.text_id, texts)}
    batch = {tid: gold_eval.person_spans(a) for tid, a in zip(sample.text_id, anonymise_documents(texts, nlp=fr_ner))}
    return sample, names, one, batch


@pytest.fixture(scope="module")
def fr_ner():
    from transitions_analysis.anonymisation import load_ner_pipeline

    return load_ner_pipeline()


@pytest.mark.model
def test_gold_set_precision_and_recall_text_by_text(gold):
    sample, names, one, _ = gold
    counts, false_pos, misses = gold_eval.score(sample, names, one)
    assert counts.gold == 38
    assert counts.found / counts.gold >= MIN_RECALL, misses
    assert counts.correct / counts.predicted >= MIN_PRECISION_ONE_BY_ONE, false_pos


@pytest.mark.model
def test_gold_set_precision_and_recall_in_one_batch(gold):
    sample, names, _, batch = gold
    counts, false_pos, misses = gold_eval.score(sample, names, batch)
    assert counts.found / counts.gold >= MIN_RECALL, misses
    assert counts.correct / counts.predicted >= MIN_PRECISION_BATCH, false_pos
    # the names masked are masked whole: the boundaries are the gold ones
    assert counts.exact == counts.found


@pytest.mark.model
def test_a_capitalised_phrase_does_not_hide_the_same_words_elsewhere(fr_ner):
    texts = ["Aides Financières pour les chaudières", "Il faudrait des aides financières et des conseils.",
             "Magasin de Proximité, Cycles de Vie", "Changer notre mode de vie, les commerces de proximité",
             "ME DONNER LES MOYENS FINANCIERS", "donner l'exemple"]
    out = anonymise_texts(texts, nlp=fr_ner)
    assert out[1] == texts[1] and out[3] == texts[3] and out[5] == texts[5]
    assert "[PERSONNE" not in " ".join(out)


@pytest.mark.model
def test_a_name_found_once_is_searched_as_written(fr_ner):
    out = anonymise_texts(["Le dispositif de Nicolas Hulot était bien.", "Hulot avait raison.", "NICOLAS HULOT"],
                          nlp=fr_ner)
    assert out == ["Le dispositif de [PERSONNE_1] était bien.", "[PERSONNE_1] avait raison.", "[PERSONNE_1]"]


@pytest.mark.model
def test_a_surname_the_model_calls_a_place_elsewhere_is_not_searched_alone(fr_ner):
    texts = ["Les choix faits sous François Hollande.", "Voir le système de trains en Hollande.",
             "Des pistes cyclables comme en Hollande ou au Danemark."]
    out = anonymise_texts(texts, nlp=fr_ner)
    assert "[PERSONNE_1]" in out[0]
    assert out[1:] == texts[1:]


def test_a_name_stops_at_the_end_of_its_sentence():
    for text, name in [("Ce n'est pas suffisant M. MACRON. Il faut sortir du nucléaire.", "MACRON"),
                       ("Je cite M. Bartolone. \nIl avait raison.", "Bartolone"),
                       ("des gens comme Monsieur Michel Barnier. Mais je fais confiance", "Michel Barnier")]:
        assert [p.value for p in find_personal_data(text) if p.kind == "PER"] == [name]


def test_titles_are_cues_and_a_title_ending_a_sentence_is_not():
    assert [p.value for p in find_personal_data("J'ai écrit au Président CHIRAC pour la réserve.")] == ["CHIRAC"]
    assert [p.value for p in find_personal_data("des écolos ont applaudi Miss Merkel hier")] == ["Merkel"]
    assert [p.value for p in find_personal_data("le président Macron a dit non")] == ["Macron"]
    assert find_personal_data("Je n'ai pas le choix du Roi. Je reste dans mon village.") == []
    assert find_personal_data("Le président de la République décide.") == []


def test_a_weak_cue_does_not_make_a_common_word_a_name():
    # « Me » (Maître) is also the pronoun; « ME » in a text written in capitals
    assert find_personal_data("Me Limiter aux déplacements utiles") == []
    # « chauffe » is rare enough in French (wordfreq 3.9) to pass alone: the answers of the same
    # batch tell it is a word
    out = anonymise_texts(["JE ME CHAUFFE AU BOIS"] + [f"on chauffe la maison à {t} degrés" for t in range(17, 22)])
    assert out[0] == "JE ME CHAUFFE AU BOIS"
    assert [p.value for p in find_personal_data("Voir avec Me Dupont-Moretti")] == ["Dupont-Moretti"]
    assert [p.value for p in find_personal_data("Adjointe de M. Blanc, maire de Mirmande")] == ["Blanc"]


def test_common_words_follow_the_corpus_then_the_language():
    rule = CommonWordRule(min_lower=5, min_evidence=20, zipf=4.0)
    small = WordStats.of(["Limiter les déchets"], rule)
    assert small.is_common("Limiter") and small.is_common("Diminution")  # French frequency
    assert not small.is_common("Jancovici") and not small.is_common("Barnier")
    # a word the corpus writes in lower case five times is common whatever its frequency
    assert WordStats.of([f"il faut trier {i}" for i in range(5)], rule).is_common("Trier")
    # a word the corpus writes often inside sentences, capitalised: a name, frequent as it may be
    big = WordStats.of([f"voir ce que dit Macron {i}" for i in range(20)], rule)
    assert not big.is_common("Macron") and small.is_common("Macron")
    # a capitalised word opening lines is no evidence of a name
    assert WordStats.of([f"Réduire la facture {i}" for i in range(30)], rule).is_common("Réduire")
    # a capital often loses its accent: « étudier » written elsewhere says « Etudier » is a word
    assert WordStats.of([f"il faut étudier {i}" for i in range(5)], rule).is_common("Etudier")


def test_replacements_are_reported_and_positions_move_with_them():
    [a] = anonymise_documents(["Merci à M. Dupont (06 12 34 56 78) pour la coopération."])
    assert isinstance(a, Anonymised)
    assert a.text == "Merci à M. [PERSONNE_1] ([TELEPHONE]) pour la coopération."
    assert [(r.kind, a.original[r.start:r.end], a.text[r.new_start:r.new_end]) for r in a.replacements] == [
        ("PER", "Dupont", "[PERSONNE_1]"), ("PHONE", "06 12 34 56 78", "[TELEPHONE]")]
    start = a.original.index("coopération")
    assert a.text[a.position(start):a.position(start + len("coopération"), end=True)] == "coopération"
    # a selection cutting a name covers its placeholder
    cut = a.original.index("Dupont") + 2
    assert a.text[a.position(0):a.position(cut, end=True)] == "Merci à M. [PERSONNE_1]"
