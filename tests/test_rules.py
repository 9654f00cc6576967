"""Rule coder on hand-written French: lemma/prefix matching, accents, inclusive writing,
negation flags, actor overlaps, evidence spans, scores, determinism."""

from __future__ import annotations

import pytest

from transitions_analysis.core import schema
from transitions_analysis.core.codebook import parse_codebook
from transitions_analysis.core.nlp import parse_texts
from transitions_analysis.coding.cues import load_cues
from transitions_analysis.coding.rules import RuleCoder, rule_codings
from transitions_analysis.core.text import fold_word as fold_form
from transitions_analysis.segmentation import segment_responses

from conftest import _make_responses


@pytest.fixture(scope="module")
def coder():
    return RuleCoder()


def code(texts, nlp, coder):
    responses = _make_responses(texts, respondent_id="P1", role="agent")
    docs = parse_texts(texts, nlp=nlp, progress=False)
    segments = segment_responses(responses, docs)
    codings = rule_codings(responses, segments, docs, coder=coder)
    by_id = dict(zip(responses["response_id"], texts))
    for row in codings.itertuples():  # the evidence is exactly the text at its offsets
        assert row.evidence == by_id[row.response_id][row.start : row.end]
    return codings


def found(codings, i=0):
    rows = codings[codings["response_id"] == f"R{i:03d}"]
    return {r.code: (r.evidence, bool(r.negated)) for r in rows.itertuples()}


def test_fold_form():
    eq = load_cues().equivalents
    assert fold_form("Élu·es") == "elu"
    assert fold_form("agent(e)s") == "agent"
    assert fold_form("élu.e.s") == "elu"
    assert fold_form("co-construction") == "coconstruction"
    assert fold_form("L’", eq) == "le"
    assert fold_form("des", eq) == "de"


def test_principles_by_prefix_and_phrases(blank_nlp, coder):
    c = code(
        [
            "Les services coopèrent enfin.",
            "Il faut décloisonner et élargir pas à pas.",
            "Se donner des indicateurs pour suivre les effets dans la durée.",
            "Mobiliser les citoyens dès maintenant.",
            "On a appris à TRAVAILLER ENSEMBLE.",
        ],
        blank_nlp,
        coder,
    )
    assert found(c, 0)["principle.cooperation"] == ("coopèrent", False)
    assert found(c, 1)["principle.systemic"][1] is False
    assert found(c, 2)["principle.value"][0] in {"indicateurs", "dans la durée"}
    # an exact phrase (score 1.0) beats an earlier prefix match (0.8)
    assert found(c, 3)["principle.engagement"] == ("dès maintenant", False)
    assert found(c, 3)["actor.socio_eco"] == ("citoyens", False)
    assert found(c, 4)["principle.cooperation"] == ("TRAVAILLER ENSEMBLE", False)


@pytest.mark.parametrize(
    "text",
    [
        "Il n'y a pas de coopération entre nous.",
        "Aucune coopération avec la commune voisine.",
        "Chacun avance sans coopérer.",
        "Ils ne coopèrent jamais.",
        "Ils coopèrent pas du tout.",
        "Un vrai manque de coopération.",
        "Ni coopération ni dialogue.",
        "Ils ne coopèrent plus depuis deux ans.",
    ],
)
def test_negation_is_flagged_not_hidden(blank_nlp, coder, text):
    codings = code([text], blank_nlp, coder)
    evidence, negated = found(codings)["principle.cooperation"]
    assert negated is True
    assert evidence.lower().startswith("coop")


@pytest.mark.parametrize(
    "text",
    [
        "Pas seulement de la coopération : aussi de la confiance.",
        "On coopère beaucoup plus maintenant.",
        "Peu de moyens mais une vraie coopération.",
        "La transition ne marche pas. Heureusement, on coopère.",
    ],
)
def test_no_false_negation(blank_nlp, coder, text):
    assert found(code([text], blank_nlp, coder))["principle.cooperation"][1] is False


def test_pas_a_pas_is_not_a_negation(blank_nlp, coder):
    codings = code(["Élargir pas à pas le périmètre."], blank_nlp, coder)
    rows = codings[codings["code"] == "principle.systemic"]
    assert len(rows) == 1 and not rows["negated"].iloc[0]


def test_best_evidence_prefers_the_affirmative_mention(blank_nlp, coder):
    codings = code(["Pas de coopération avant, mais maintenant on coopère avec la CC."], blank_nlp, coder)
    assert found(codings)["principle.cooperation"] == ("coopère", False)
    assert (codings["code"] == "principle.cooperation").sum() == 1


def test_actors_inclusive_writing_and_overlaps(blank_nlp, coder):
    c = code(
        [
            "Les élu·es et les agent(e)s étaient là.",
            "Merci aux élu.e.s de la CC.",
            "Les agents de l'État sont venus.",
            "On a fait un état des lieux avec la DDTM et la préfecture.",
            "La sous-préfète, le maire et les associations.",
        ],
        blank_nlp,
        coder,
    )
    assert found(c, 0)["actor.elu"] == ("élu·es", False)
    assert found(c, 0)["actor.agent"] == ("agent(e)s", False)
    assert found(c, 1)["actor.elu"] == ("élu.e.s", False)
    assert set(found(c, 2)) == {"actor.etat"}  # the longest actor wins: not actor.agent
    assert found(c, 2)["actor.etat"][0] == "agents de l'État"
    assert found(c, 3)["actor.etat"][0] in {"DDTM", "préfecture"}
    assert "état des lieux" not in {e for e, _ in found(c, 3).values()}
    assert {"actor.etat", "actor.elu", "actor.socio_eco"} <= set(found(c, 4))


def test_actor_negation_only_right_before(blank_nlp, coder):
    c = code(["Aucun élu n'est venu.", "Les élus ne viennent pas."], blank_nlp, coder)
    assert found(c, 0)["actor.elu"][1] is True
    assert found(c, 1)["actor.elu"][1] is False


def test_outcomes_and_scores(blank_nlp, coder):
    c = code(
        [
            "Nous avons obtenu une belle subvention de l'ADEME.",
            "Un comité de suivi se réunit chaque trimestre.",
            "Les élus ont mieux compris le rôle de la DDT.",
            "On a identifié les acteurs clés du bassin.",
            "Il manque des financements.",
        ],
        blank_nlp,
        coder,
    )
    fin = c[(c["response_id"] == "R000") & (c["code"] == "outcome.financial")].iloc[0]
    assert fin["evidence"] == "obtenu une belle subvention" and fin["score"] == pytest.approx(0.8)
    follow = c[(c["response_id"] == "R001") & (c["code"] == "outcome.long_term_management")].iloc[0]
    assert follow["score"] == pytest.approx(0.9)
    assert "outcome.understanding" in found(c, 2)
    assert "outcome.key_actors" in found(c, 3)
    assert "outcome.financial" not in found(c, 4)  # a lack of funding is not an outcome


def test_one_coding_per_segment_and_code_and_determinism(blank_nlp, coder):
    texts = ["Coopérer, coopérer, toujours coopérer avec les élus et les élus."] * 2
    a = code(texts, blank_nlp, coder)
    b = code(texts, blank_nlp, RuleCoder())
    assert not a.duplicated(["segment_id", "code"]).any()
    assert a.to_csv(index=False) == b.to_csv(index=False)
    assert list(a.columns) == list(schema.CODINGS)
    assert set(a["source"]) == {"rule"} and set(a["coder"]) == {"rules"}


def test_custom_codebook_with_spacy_token_pattern(blank_nlp):
    cb = parse_codebook(
        "name: t\ncodes:\n  - id: x\n    label: X\n  - id: x.y\n    label: Y\n"
        "    patterns:\n      - [{LOWER: \"prendre\"}, {LOWER: \"le\"}, {LOWER: \"temps\"}]\n"
    )
    codings = code(["Il faut prendre le temps.", "Prendre son temps."], blank_nlp, RuleCoder(cb))
    assert found(codings, 0) == {"x.y": ("prendre le temps", False)}
    assert found(codings, 1) == {}


@pytest.mark.model
def test_lemmas_from_the_trained_model(fr_nlp, coder):
    from transitions_analysis.core.nlp import load_nlp

    nlp = load_nlp()
    c = code(["Nous coopérons avec les élues.", "Il faudrait que les services de l'État décloisonnent."], nlp, coder)
    assert found(c, 0)["principle.cooperation"] == ("coopérons", False)
    assert found(c, 0)["actor.elu"] == ("élues", False)
    assert found(c, 1)["principle.systemic"] == ("décloisonnent", False)
    assert found(c, 1)["actor.etat"][0] == "services de l'État"


def test_exclude_patterns_cancel_the_matches_they_cover(blank_nlp):
    cb = parse_codebook(
        "name: t\ncodes:\n  - id: actor\n    label: A\n  - id: actor.etat\n    label: État\n"
        "    patterns:\n      - \"état\"\n    exclude_patterns:\n      - \"état de\"\n      - \"en ~2 état\"\n"
        "      - [{NORM: etat, POS: ADJ}]\n"
    )
    codings = code(["Que l'état aide les communes.", "Un état des lieux complet.", "La route est en très mauvais état.",
                    "L'état, enfin."], blank_nlp, RuleCoder(cb))
    assert found(codings, 0) == {"actor.etat": ("état", False)}
    assert found(codings, 1) == {} and found(codings, 2) == {}
    # without part-of-speech tags (spacy.blank) an exclusion that needs them is not applied
    assert found(codings, 3) == {"actor.etat": ("état", False)}


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Il faudrait que l'état montre l'exemple.", "actor.etat"),
        ("L'ETAT doit financer la rénovation.", "actor.etat"),
        ("Les pouvoirs publics tardent toujours.", "actor.etat"),
        ("Le gouvernement n'écoute personne.", "actor.etat"),
        ("La France doit convaincre ses voisins.", "actor.etat"),
        ("Les politiques ne tiennent jamais leurs promesses.", "actor.elu"),
        ("Nos députés votent des lois inutiles.", "actor.elu"),
        ("La mairie a fermé la piscine l'hiver.", "actor.elu"),
        ("Les grandes surfaces gaspillent énormément.", "actor.socio_eco"),
        ("Les sociétés d'autoroute font des profits.", "actor.socio_eco"),
        ("L'industrie pollue les rivières.", "actor.socio_eco"),
        ("Il faut aider les particuliers à isoler.", "actor.socio_eco"),
        ("Les lobbies bloquent tout.", "actor.socio_eco"),
    ],
)
def test_ordinary_french_names_each_category(text, code, coder):
    from transitions_analysis.core.nlp import load_nlp

    assert code in found(globals()["code"]([text], load_nlp(), coder))


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Il faut d'abord faire un état des lieux.", "actor.etat"),
        ("La route est en mauvais état depuis des années.", "actor.etat"),
        ("Les États-Unis polluent plus que nous.", "actor.etat"),
        ("Les politiques publiques manquent de suivi.", "actor.elu"),
        ("Habitant en ville, je prends le bus.", "actor.socio_eco"),
        ("Nous vivons dans un village de 300 habitants.", "actor.socio_eco"),
        ("J'achète des produits artisanaux.", "actor.socio_eco"),
        ("Je circule à vélo, en particulier le matin.", "actor.socio_eco"),
        ("Il pleut beaucoup dans ma commune.", "actor.elu"),
    ],
)
def test_words_that_only_look_like_a_category(text, code, coder):
    from transitions_analysis.core.nlp import load_nlp

    assert code not in found(globals()["code"]([text], load_nlp(), coder))


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Il faut harmoniser les règles entre pays voisins.", "principle.cooperation"),
        ("Nous avons trouvé un accord entre les deux communes.", "principle.cooperation"),
        ("Réfléchissons ensemble avant de décider.", "principle.cooperation"),
        ("Le collectif a porté le projet jusqu'au bout.", "principle.cooperation"),
        ("Mettre en commun nos moyens de transport.", "principle.cooperation"),
        ("Une stratégie régionale commune serait utile.", "principle.cooperation"),
        ("Les élus doivent montrer l'exemple.", "principle.engagement"),
        ("L'éducation des jeunes à l'écologie est essentielle.", "principle.engagement"),
        ("Il faut changer les mentalités.", "principle.engagement"),
        ("Une vision d'ensemble manque cruellement.", "principle.systemic"),
        ("Attention à ne pas simplement déplacer le problème.", "principle.systemic"),
        ("Il faut prouver que ces aides servent à quelque chose.", "principle.value"),
        ("Quantifier les économies vraiment réalisées.", "principle.value"),
    ],
)
def test_ordinary_paraphrases_of_each_principle(text, code, coder):
    from transitions_analysis.core.nlp import load_nlp

    assert code in found(globals()["code"]([text], load_nlp(), coder))


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Je prends les transports en commun tous les jours.", "principle.cooperation"),
        ("Le chauffage de notre immeuble est collectif.", "principle.cooperation"),
        ("La coopérative agricole vend ses légumes au marché.", "principle.cooperation"),
        ("Les engagements financiers ont été tenus.", "principle.engagement"),
        ("Ces éoliennes ont un impact sur le paysage.", "principle.value"),
    ],
)
def test_words_that_only_look_like_a_principle(text, code, coder):
    from transitions_analysis.core.nlp import load_nlp

    assert code not in found(globals()["code"]([text], load_nlp(), coder))


def test_one_coder_on_docs_of_two_vocabularies():
    """A coder that has seen one pipeline's docs codes another's (a fresh vocabulary, as a worker
    process or a reloaded model has): its per-word cache must not point at strings the new
    vocabulary never stored (spaCy E018)."""
    import spacy

    coder = RuleCoder()
    text = "Coopérer avec les élus et les services de l'État."
    first = code([text], spacy.blank("fr"), coder)
    second = code([text], spacy.blank("fr"), coder)
    assert {"principle.cooperation", "actor.elu", "actor.etat"} <= set(first["code"])
    assert first.to_csv(index=False) == second.to_csv(index=False)
