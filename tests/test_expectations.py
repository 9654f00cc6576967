"""Expectations: question-derived and text-derived, direction, inclusive writing, missing roles."""

from __future__ import annotations

import pytest

from transitions_analysis.core import schema
from transitions_analysis.coding import code_responses


def expectations(make_responses, rows, nlp):
    """Code answers given as (role, question_id, question, text) rows."""
    responses = make_responses([r[3] for r in rows], session="2023-01-18", role=[r[0] for r in rows],
                               question_id=[r[1] for r in rows], question=[r[2] for r in rows])
    result = code_responses(responses, nlp=nlp, cache_dir=None, progress=False)
    assert list(result.expectations.columns) == list(schema.EXPECTATIONS)
    return result


def pairs(result, i):
    e = result.expectations[result.expectations["response_id"] == f"R{i:03d}"]
    return {(r.from_role, r.to_role, r.basis) for r in e.itertuples()}


@pytest.mark.parametrize(
    ("text", "to_role"),
    [
        ("Il faudrait que l'État soit plus présent sur le terrain.", "etat"),
        ("On attend des élus qu'ils portent vraiment le projet.", "elu"),
        ("Besoin que les services de l'État viennent plus tôt.", "etat"),
        ("Les agents doivent être associés dès le début.", "agent"),
        ("Que la DDT soit un partenaire et pas seulement un contrôleur.", "etat"),
        ("On aimerait que les entreprises s'impliquent davantage.", "socio_eco"),
        ("J'espère que les élu·es oseront.", "elu"),
        ("Il faudrait que les agent(e)s aient du temps pour coopérer.", "agent"),
    ],
)
def test_text_expectations(blank_nlp, text, to_role, make_responses):
    result = expectations(make_responses, [("socio_eco", "q1", "Qu'avez-vous retenu de cette journée ?", text)], blank_nlp)
    assert pairs(result, 0) == {("socio_eco", to_role, "text")}
    coding = result.codings[result.codings["code"] == "expectation"]
    assert len(coding) == 1 and coding["evidence"].iloc[0] == text[coding["start"].iloc[0] : coding["end"].iloc[0]]


@pytest.mark.parametrize(
    "text",
    [
        "Les élus étaient présents et la journée était bien.",  # actor, no cue
        "Il faudrait plus de moyens.",  # cue, no actor
        "Il faudrait du temps. Les élus étaient là.",  # cue and actor in different sentences
    ],
)
def test_no_expectation_without_cue_and_actor_in_one_clause(blank_nlp, text, make_responses):
    result = expectations(make_responses, [("agent", "q1", "Qu'avez-vous retenu ?", text)], blank_nlp)
    assert pairs(result, 0) == set()
    assert "expectation" not in set(result.codings["code"])


def test_question_basis_from_text_or_id(blank_nlp, make_responses):
    rows = [
        ("agent", "q3", "Qu'attendez-vous des élus ?", "De la constance et du courage."),
        ("elu", "q_attentes_services_etat", "", "Plus de présence, moins de circulaires."),
        ("etat", "q5", "Qu'attendez-vous des acteurs socio-économiques ?", "Qu'ils prennent leur part."),
        ("elu", "q6", "Quels effets observez-vous sur votre territoire ?", "Les élus se parlent enfin."),
    ]
    result = expectations(make_responses, rows, blank_nlp)
    assert pairs(result, 0) == {("agent", "elu", "question")}
    assert pairs(result, 1) == {("elu", "etat", "question")}
    assert pairs(result, 2) == {("etat", "socio_eco", "question")}
    assert pairs(result, 3) == set()
    q = result.codings[(result.codings["code"] == "expectation") & (result.codings["response_id"] == "R000")]
    assert q["score"].iloc[0] == 1.0 and q["evidence"].iloc[0] == "De la constance et du courage."


def test_question_and_text_bases_combine_without_duplicates(blank_nlp, make_responses):
    text = ("Qu'ils coopèrent avec nous sur tous les sujets. "
            "Il faudrait aussi que l'État les aide vraiment et que les élus décident ensemble.")
    result = expectations(make_responses, [("agent", "q2", "Qu'attendez-vous des élus ?", text)], blank_nlp)
    e = result.expectations
    # elu from the question on every segment; etat from the text; no (segment, elu) twice
    assert not e.duplicated(["segment_id", "to_role"]).any()
    assert ("agent", "etat", "text") in pairs(result, 0)
    assert set(e.loc[e["to_role"] == "elu", "basis"]) == {"question"}
    first = e[e["text"] == "Qu'ils coopèrent avec nous sur tous les sujets."]
    assert first["principles"].tolist() == ["principle.cooperation"]


def test_missing_role_and_self_expectation(blank_nlp, make_responses):
    rows = [
        ("", "q1", "", "Il faudrait que les élus s'engagent."),
        ("elu", "q1", "", "Nous, les élus, devons montrer l'exemple."),
        (None, "q1", "", "Les agents doivent évaluer et coopérer."),
    ]
    result = expectations(make_responses, rows, blank_nlp)
    assert pairs(result, 0) == {("inconnu", "elu", "text")}
    assert pairs(result, 1) == {("elu", "elu", "text")}  # kept as found, not re-targeted
    e = result.expectations
    assert e.loc[e["response_id"] == "R000", "principles"].tolist() == ["principle.engagement"]
    assert e.loc[e["response_id"] == "R002", "principles"].tolist() == ["principle.cooperation;principle.value"]


def test_question_names_the_actor_the_answer_speaks_of(blank_nlp, make_responses):
    rows = [
        ("agent", "q3", "Qu'attendez-vous des élus ?", "De la constance et du courage."),
        ("elu", "q4", "Qu'attendez-vous des élus ?", "Que les élus tiennent le cap."),
        ("elu", "q6", "Quels effets observez-vous sur votre territoire ?", "Plus de réunions."),
    ]
    c = expectations(make_responses, rows, blank_nlp).codings
    first = c[(c["response_id"] == "R000") & (c["code"] == "actor.elu")]
    assert len(first) == 1 and first["evidence"].iloc[0] == "De la constance et du courage."
    assert first["score"].iloc[0] == 0.9  # from the question, not found in the text
    second = c[(c["response_id"] == "R001") & (c["code"] == "actor.elu")]
    assert len(second) == 1 and second["evidence"].iloc[0] != "Que les élus tiennent le cap."  # the rules' own span wins
    assert c[(c["response_id"] == "R002") & c["code"].str.startswith("actor.")].empty


# --- direction from the dependency parse (trained French model) ------------------------------
RETAINED = "Qu'avez-vous retenu de cette journée ?"
PROPOSALS = "Que faudrait-il faire pour avancer ?"


@pytest.fixture(scope="module")
def coding_nlp():
    from transitions_analysis.core.nlp import load_nlp

    return load_nlp()


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "text", "to_roles"),
    [
        # the agent of the wished action, not its object or beneficiary
        (RETAINED, "Il faudrait que l'État aide davantage les habitants.", {"etat"}),
        (RETAINED, "Les entreprises doivent réduire leurs emballages.", {"socio_eco"}),
        (RETAINED, "On attend des élus qu'ils tranchent enfin.", {"elu"}),
        (RETAINED, "Que la mairie ouvre une piste cyclable.", {"elu"}),
        (RETAINED, "Plus d'implication des entreprises.", {"socio_eco"}),
        (RETAINED, "C'est à l'État de montrer l'exemple.", {"etat"}),
        (RETAINED, "L'État ne doit plus subventionner le kérosène.", {"etat"}),
        (RETAINED, "Je souhaite que les associations et les entreprises travaillent ensemble.", {"socio_eco"}),
        (RETAINED, "Les petites choses sont faites, mais que le gouvernement commence par lui-même.", {"etat"}),
        (RETAINED, "C'est les dirigeants qui doivent changer, pas les citoyens.", {"elu"}),
        # objects, beneficiaries, wishers, patients: nobody named is expected to act
        (RETAINED, "Il faut arrêter de céder aux lobbys industriels.", set()),
        (RETAINED, "Il faut encourager les citoyens à covoiturer.", set()),
        (RETAINED, "Il faudrait former les agents.", set()),
        (RETAINED, "Les agents devraient être formés.", set()),
        (RETAINED, "Les habitants attendent des aides.", set()),
        (RETAINED, "Je n'ai pas attendu que le gouvernement agisse pour trier mes déchets.", set()),
        (RETAINED, "Je pense que les entreprises polluent beaucoup.", set()),
        # an answer to a proposal question is a wish: the agent named for its action is expected
        (PROPOSALS, "Des aides de l'État pour isoler les logements.", {"etat"}),
        (RETAINED, "Des aides de l'État pour isoler les logements.", set()),
        (PROPOSALS, "Des pistes cyclables financées par la région.", {"elu"}),
        (PROPOSALS, "Mieux informer les citoyens.", set()),
        (PROPOSALS, "Une meilleure information des consommateurs.", set()),
        (PROPOSALS, "La France émet peu de gaz à effet de serre.", set()),
        (PROPOSALS, "Les aides de l'État m'ont permis d'isoler ma maison.", set()),
        (PROPOSALS, "Ne plus être obligé de passer par un artisan agréé.", set()),
        (PROPOSALS, "Ne pas se laisser influencer par les lobbies.", set()),
    ],
)
def test_the_category_expected_is_the_one_expected_to_act(coding_nlp, make_responses, question, text, to_roles):
    result = expectations(make_responses, [("elu", "q1", question, text)], coding_nlp)
    assert {to for _, to, _ in pairs(result, 0)} == to_roles


@pytest.mark.model
def test_proposal_questions_are_read_from_their_wording(coding_nlp):
    from transitions_analysis.coding.expectations import proposal_questions
    from transitions_analysis.coding.rules import RuleCoder

    questions = [("q1", "Que faudrait-il faire ?"), ("q2", "Quelles solutions proposez-vous ?"),
                 ("q3", "Que pourriez-vous faire vous-même ?"), ("q4", RETAINED),
                 ("q5", "Que pourrait faire la France ?")]
    found = proposal_questions(questions, nlp=coding_nlp, coder=RuleCoder())
    assert found == {("q1", "Que faudrait-il faire ?"), ("q2", "Quelles solutions proposez-vous ?"),
                     ("q5", "Que pourrait faire la France ?")}


def test_without_a_parser_the_neighbourhood_rule_applies(blank_nlp):
    from transitions_analysis.coding.expectations import load_parser

    assert load_parser(blank_nlp) is None


@pytest.mark.model
def test_direction_is_the_same_on_docs_read_back_from_the_parse_cache(tmp_path):
    """A re-run after a codebook edit recodes from cached parses (no tok2vec output on them): the
    direction must be what a fresh parse gives. The first answer parsed as several sentences when
    the senter's boundaries were not carried over (« le technicien rivière » then read as the subject)."""
    from transitions_analysis.coding.expectations import analyse_expectations, load_parser
    from transitions_analysis.coding.rules import RuleCoder
    from transitions_analysis.core.nlp import load_nlp, parse_texts

    texts = [
        "Contact pris avec [PERSONNE_16] le technicien rivière, on doit se revoir avant l'été. "
        "Si d'autres loueurs veulent se joindre à nous je suis joignable au [TELEPHONE]",
        "Il faudrait que l'État soit plus présent sur le terrain, et que les élus suivent.",
        "Les entreprises doivent former leurs salariés ; la région devrait aider les associations.",
    ]
    nlp = load_nlp(purpose="coding")
    coder, parser = RuleCoder(), load_parser(nlp)
    assert parser is not None

    def directions(docs):
        analyses = [coder.analyse(doc, [(0, len(doc.text))]) for doc in docs]
        return analyse_expectations(docs, analyses, coder, parser=parser)

    fresh = parse_texts(texts, nlp=nlp, cache_dir=tmp_path, progress=False)
    cached = parse_texts(texts, nlp=nlp, cache_dir=tmp_path, progress=False)
    assert all(doc.tensor.size for doc in fresh) and not any(doc.tensor.size for doc in cached)
    found = directions(fresh)
    assert found == directions(cached)
    assert any(cue for cue, _ in found)  # the answers do hold expectations to compare
