"""Synthesis tables on the hand-made coded folder tests/fixtures/synthesis (see its README.md:
every expected number below was counted by hand from the rows of make_fixture.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transitions_analysis.core import schema
from transitions_analysis import synthesis as syn
from transitions_analysis.core.io import read_coded
from transitions_analysis.core.errors import InputError

E, C, S, V = schema.PRINCIPLES


@pytest.fixture(scope="module")
def coded(fixtures_dir):
    return read_coded(fixtures_dir / "synthesis")


def shares_of(df, key, group):
    part = df[df[key] == group].set_index("code")
    return {code: (int(part.loc[code, "mentioning"]), int(part.loc[code, "respondents"])) for code in part.index}


def test_read_coded_types_and_missing_file(coded, tmp_path):
    assert len(coded.responses) == 40
    assert coded.codings["negated"].dtype == bool
    assert coded.codings["negated"].sum() == 1
    with pytest.raises(InputError, match="responses.csv"):
        read_coded(tmp_path)


def test_programme_indicators_by_year_and_total(coded):
    ind = syn.programme_indicators(coded.responses).set_index("year")
    assert list(ind.index) == ["2022", "2023", syn.UNKNOWN_YEAR, syn.TOTAL]
    assert ind.loc["2022", ["sessions", "territories", "participants", "responses"]].tolist() == [2, 4, 11, 28]
    assert ind.loc["2023", ["sessions", "territories", "participants", "responses"]].tolist() == [1, 2, 5, 10]
    assert ind.loc["inconnue", ["sessions", "territories", "participants", "responses"]].tolist() == [0, 0, 1, 2]
    assert ind.loc["total", ["sessions", "territories", "participants", "responses"]].tolist() == [3, 5, 17, 40]
    assert ind.loc["2022", "mean_participants_per_session"] == pytest.approx(5.5)  # (6 + 5) / 2
    assert ind.loc["total", "mean_participants_per_session"] == pytest.approx(16 / 3)  # (6 + 5 + 5) / 3
    assert np.isnan(ind.loc["inconnue", "mean_participants_per_session"])


def test_session_indicators(coded):
    s = syn.session_indicators(coded.responses).set_index("session")
    assert s.loc["2022-09-21", "participants"] == 6
    assert s.loc["2022-09-21", "roles"] == "elu:2;agent:2;socio_eco:1;etat:1"
    assert s.loc["", "year"] == syn.UNKNOWN_YEAR


def test_principle_shares_count_respondents_not_segments(coded):
    shares = syn.principle_shares(coded.responses, coded.codings, by="role")
    # A1 mentions the systemic approach in two answers: counted once; E5's only cooperation is negated.
    assert shares_of(shares, "role", "elu") == {E: (1, 5), C: (3, 5), S: (1, 5), V: (1, 5)}
    assert shares_of(shares, "role", "agent") == {E: (1, 5), C: (1, 5), S: (4, 5), V: (1, 5)}
    assert shares_of(shares, "role", "socio_eco") == {E: (2, 4), C: (0, 4), S: (0, 4), V: (2, 4)}
    assert shares_of(shares, "role", "etat") == {E: (0, 2), C: (2, 2), S: (1, 2), V: (0, 2)}
    assert shares_of(shares, "role", "inconnu") == {E: (1, 1), C: (0, 1), S: (0, 1), V: (0, 1)}
    assert shares_of(shares, "role", syn.ALL_RESPONDENTS) == {E: (5, 17), C: (6, 17), S: (6, 17), V: (4, 17)}
    row = shares[(shares["role"] == "elu") & (shares["code"] == C)].iloc[0]
    assert row["share"] == pytest.approx(0.6)
    assert row["label"] == "Coopération" and row["group_label"] == "Élu·es"


def test_negated_codings_count_when_asked(coded):
    shares = syn.principle_shares(coded.responses, coded.codings, by="role", include_negated=True)
    assert shares_of(shares, "role", "elu")[C] == (4, 5)  # E5's « pas de coopération »


def test_wilson_interval_matches_hand_value():
    # 3/5 at 95 %: centre (0.6 + z²/10) / (1 + z²/5), half-width z·sqrt(0.24/5 + z²/100) / (1 + z²/5), z = 1.959964
    z = 1.959964
    centre = (0.6 + z**2 / 10) / (1 + z**2 / 5)
    half = z * np.sqrt(0.24 / 5 + z**2 / 100) / (1 + z**2 / 5)
    low, high = syn.wilson_interval([3], [5])
    assert low[0] == pytest.approx(0.2307, abs=1e-4) and low[0] == pytest.approx(centre - half, abs=1e-6)
    assert high[0] == pytest.approx(0.8824, abs=1e-4) and high[0] == pytest.approx(centre + half, abs=1e-6)
    low0, _ = syn.wilson_interval([0], [0])
    assert np.isnan(low0[0])


def test_shares_carry_wilson_interval(coded):
    shares = syn.principle_shares(coded.responses, coded.codings, by="role")
    row = shares[(shares["role"] == "elu") & (shares["code"] == C)].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.2307, 0.8824), abs=1e-4)


def test_principle_shares_by_session_and_year(coded):
    by_session = syn.principle_shares(coded.responses, coded.codings, by="session", include_total=False)
    assert shares_of(by_session, "session", "2022-09-21") == {E: (1, 6), C: (4, 6), S: (2, 6), V: (1, 6)}
    assert shares_of(by_session, "session", "2022-11-16") == {E: (2, 5), C: (1, 5), S: (3, 5), V: (2, 5)}
    assert shares_of(by_session, "session", "2023-03-15") == {E: (1, 5), C: (1, 5), S: (1, 5), V: (1, 5)}
    by_year = syn.principle_shares(coded.responses, coded.codings, by="year", include_total=False)
    assert shares_of(by_year, "year", "2022") == {E: (3, 11), C: (5, 11), S: (5, 11), V: (3, 11)}
    assert list(dict.fromkeys(by_year["year"])) == ["2022", "2023", syn.UNKNOWN_YEAR]


def test_mention_table_and_chi_square_by_hand(coded):
    table = syn.mention_table(coded.responses, coded.codings)
    expected = pd.DataFrame([[1, 3, 1, 1], [1, 1, 4, 1], [2, 0, 0, 2], [0, 2, 1, 0]],
                            index=list(schema.ROLES), columns=list(schema.PRINCIPLES))
    pd.testing.assert_frame_equal(table, expected, check_names=False)
    obs = expected.to_numpy(dtype=float)
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    chi2 = ((obs - exp) ** 2 / exp).sum()
    v = np.sqrt(chi2 / (obs.sum() * (min(obs.shape) - 1)))
    tests = syn.role_principle_association(coded.responses, coded.codings)
    main = tests.iloc[0]
    assert main["test"] == syn.ROLES_X_PRINCIPLES
    assert main["n"] == 20 and main["dof"] == 9
    assert main["chi2"] == pytest.approx(chi2) and main["cramers_v"] == pytest.approx(v)
    assert main["min_expected"] == pytest.approx(exp.min())
    # every expected count is below 5 on 17 respondents: flagged, with the French sentence
    assert bool(main["small_expected"]) and "indicatif" in main["warning"]
    assert list(tests["test"][1:]) == ["Engagement", "Coopération", "Approche systémique", "Valeur créée"]
    coop = tests[tests["test"] == "Coopération"].iloc[0]
    assert coop["n"] == 16 and coop["dof"] == 3  # 16 respondents with a role; inconnu left out


def test_small_expected_warning_is_logged(coded, caplog):
    with caplog.at_level("WARNING", logger="transitions_analysis.synthesis"):
        syn.role_principle_association(coded.responses, coded.codings)
    assert any("khi-deux indicatif" in r.getMessage() for r in caplog.records)


def test_large_counts_are_not_flagged():
    rows, codings = [], []
    for i in range(200):
        role = schema.ROLES[i % 4]
        rid = f"R{i}"
        rows.append({"response_id": rid, "source_file": "f.csv", "source_row": i, "session": "2022-09-21",
                     "territory": "T", "respondent_id": f"P{i}", "role": role, "role_raw": role,
                     "question_id": "q", "question": "q", "text": "x"})
        code = schema.PRINCIPLES[(i // 4) % 4] if role != "etat" else schema.PRINCIPLES[1]
        codings.append({"segment_id": "", "response_id": rid, "code": code, "source": "human", "score": 1.0,
                        "start": 0, "end": 1, "evidence": "x", "negated": False, "coder": "a"})
    tests = syn.role_principle_association(pd.DataFrame(rows), pd.DataFrame(codings))
    assert not bool(tests.iloc[0]["small_expected"]) and tests.iloc[0]["warning"] == ""
    assert tests.iloc[0]["p_value"] < 0.001


def test_expectations_matrix_counts_and_withholding(coded):
    m = syn.expectations_matrix(coded.expectations, coded.responses, k=3).set_index(["from_role", "to_role"])
    # 12 off-diagonal cells of the 4 roles + the inconnu row (4 cells); no inconnu column (nobody is expected of)
    assert len(m) == 16
    assert ("elu", "elu") not in m.index
    assert m.loc[("elu", "etat"), ["respondents", "segments"]].tolist() == [3, 4]
    assert m.loc[("agent", "elu"), ["respondents", "segments"]].tolist() == [3, 3]
    assert m.loc[("socio_eco", "elu"), ["respondents", "segments"]].tolist() == [3, 3]
    assert m.loc[("etat", "elu"), ["respondents", "segments"]].tolist() == [2, 2]
    assert m.loc[("inconnu", "etat"), "respondents"] == 1
    assert m.loc[("elu", "socio_eco"), "respondents"] == 0
    assert m.loc[("elu", "etat"), "principles"] == C and m.loc[("elu", "etat"), "principles_fr"] == "Coopération (2)"
    # withheld: 0 < respondents < 3; quotes empty and replaced by the French note
    withheld = set(m.index[m["withheld"]])
    assert withheld == {("elu", "agent"), ("agent", "etat"), ("socio_eco", "agent"), ("etat", "elu"),
                        ("etat", "socio_eco"), ("inconnu", "etat")}
    for cell in withheld:
        assert (m.loc[cell, ["quote_1", "quote_2", "quote_3"]] == "").all()
        assert "moins de 3" in m.loc[cell, "note"]
    shown = m.loc[("elu", "etat")]
    quotes = [shown[f"quote_{i}"] for i in (1, 2, 3)]
    texts = set(coded.expectations["text"])
    assert all(q in texts for q in quotes) and len(set(quotes)) == 3
    # one quote per respondent: E1 has two segments in this cell, only one is quoted
    assert sum(q.startswith(("Que l'État", "Et qu'il")) for q in quotes) == 1


def test_expectations_matrix_k_is_a_parameter(coded):
    m = syn.expectations_matrix(coded.expectations, coded.responses, k=2).set_index(["from_role", "to_role"])
    assert not m.loc[("etat", "elu"), "withheld"] and m.loc[("etat", "elu"), "quote_1"] != ""
    m = syn.expectations_matrix(coded.expectations, coded.responses, k=4)
    assert m["withheld"].sum() == (m["respondents"] > 0).sum()
    assert (m["quote_1"] == "").all()


def test_expectations_matrix_self_cells_on_request(coded):
    m = syn.expectations_matrix(coded.expectations, coded.responses, include_self=True).set_index(["from_role", "to_role"])
    assert m.loc[("elu", "elu"), "respondents"] == 1


def test_quotes_closest_to_centroid_never_random():
    cand = pd.DataFrame({
        "segment_id": ["s1", "s2", "s3", "s4"],
        "respondent_id": ["p1", "p2", "p3", "p4"],
        "text": ["coopération entre communes voisines du territoire",
                 "coopération entre communes et intercommunalité du territoire",
                 "la coopération entre communes du territoire rural",
                 "financement des panneaux solaires sur les toits"],
    })
    chosen = syn.representative_quotes(cand, n_quotes=2)
    assert "s4" not in set(chosen["segment_id"])
    again = syn.representative_quotes(cand.iloc[::-1], n_quotes=2)
    assert chosen["segment_id"].tolist() == again["segment_id"].tolist()


def test_quotes_ties_broken_by_segment_id_and_placeholders_last():
    cand = pd.DataFrame({
        "segment_id": ["z1", "a1", "x1", "p1", "y1"], "respondent_id": ["p1", "p2", "p3", "p4", "p5"],
        "text": ["la coopération entre communes voisines du territoire",
                 "La coopération entre communes voisines, du territoire !",  # same words as z1: an exact tie
                 "coopération avec intercommunalité et communes du territoire rural",
                 "[PERSONNE_1] coopération entre communes voisines du territoire",
                 "des panneaux solaires sur les toits de la salle"],
    })
    chosen = syn.representative_quotes(cand, n_quotes=5)
    assert chosen["segment_id"].tolist() == ["a1", "z1", "x1", "y1", "p1"]
    sim = chosen.set_index("segment_id")["similarity"]
    assert sim["a1"] == sim["z1"]  # the tie, broken by segment_id although z1 comes first
    # p1 is closer to the centroid than x1 and y1: only the placeholder rule puts it last
    assert sim["p1"] > sim["x1"] > sim["y1"]
    short = cand.assign(text=cand["text"].where(cand["segment_id"] != "a1", "Coopération, voisines !"))
    assert syn.representative_quotes(short, n_quotes=5)["segment_id"].tolist()[-2:] == ["a1", "p1"]  # < 5 words: after the longer ones


def test_stakes_strategies(coded):
    assert syn.stakes_question_ids(coded.responses) == ["groupe_pairs", "q_enjeux_strategies"]
    st = syn.stakes_strategies(coded.responses, coded.segments, coded.codings, k=3).set_index("role")
    assert list(st.index) == ["elu", "agent", "socio_eco", "etat"]
    assert st.loc["elu", "respondents"] == 3 and st.loc["elu", "segments"] == 3
    assert st.loc["elu", "top_codes"] == C and st.loc["elu", "top_codes_fr"] == "Coopération (3)"
    assert not st.loc["elu", "withheld"] and st.loc["elu", "quote_3"] != ""
    assert st.loc["agent", "respondents"] == 2 and st.loc["agent", "withheld"] and st.loc["agent", "quote_1"] == ""
    # A3: systemic + value, A4: engagement: one respondent each, ties in codebook order
    assert st.loc["agent", "top_codes"].split(";") == [E, S, V]


def test_outcomes_by_role(coded):
    out = syn.outcomes_by_role(coded.responses, coded.codings)
    get = lambda role, code: int(out[(out["role"] == role) & (out["code"] == code)]["mentioning"].iloc[0])  # noqa: E731
    assert get("socio_eco", "outcome.understanding") == 1 and get("socio_eco", "outcome.key_actors") == 1
    assert get("agent", "outcome.understanding") == 1 and get("agent", "outcome.long_term_management") == 1
    assert get("elu", "outcome.financial") == 1 and get("etat", "outcome.understanding") == 0


def test_code_cooccurrence_within_responses(coded):
    co = syn.code_cooccurrence(coded.responses, coded.codings).set_index(["code_a", "code_b"])
    assert co.loc[(C, C), "n_both"] == 12  # R27 is negated: not counted
    assert co.loc[(E, E), "n_both"] == 6 and co.loc[(S, S), "n_both"] == 7 and co.loc[(V, V), "n_both"] == 4
    assert co.loc[(C, "actor.etat"), "n_both"] == 2 and co.loc[("actor.etat", C), "n_both"] == 2
    assert co.loc[(C, E), "n_both"] == 1 and co.loc[(S, V), "n_both"] == 1 and co.loc[(E, S), "n_both"] == 0
    assert co.loc[(C, "actor.etat"), "jaccard"] == pytest.approx(2 / 13)
    assert "expectation" not in set(co.reset_index()["code_a"])


def test_ingestion_tables(coded):
    by_session = syn.answers_by_session(coded.responses)
    assert by_session["answers"].tolist() == [17, 11, 10, 2]
    assert by_session["session_label"].iloc[-1] == syn.NO_SESSION_FR
    by_role = syn.answers_by_role(coded.responses).set_index("role")
    assert by_role.loc["elu", "answers"] == 14 and by_role.loc["inconnu", "answers"] == 2
    by_q = syn.answers_by_question(coded.responses)
    assert by_q.iloc[0][["question_id", "answers"]].tolist() == ["q_retenu", 12]
    rej = syn.rejections_by_reason(coded.rejected).set_index("reason")
    assert rej.loc["empty", "rejected"] == 2 and rej.loc["duplicate", "reason_fr"] == "doublon"
    unmapped = syn.unmapped_role_labels(coded.responses)
    assert unmapped.to_dict("records") == [{"role_raw": "retraité", "answers": 2, "respondents": 1}]


def test_select_sessions_by_date_and_year(coded):
    one = syn.select_sessions(coded, ["2022-11-16"])
    assert set(one.responses["session"]) == {"2022-11-16"}
    assert set(one.codings["response_id"]) <= set(one.responses["response_id"])
    year = syn.select_sessions(coded, ["2022"])
    assert len(year.responses) == 28
    with pytest.raises(InputError, match="aucune réponse"):
        syn.select_sessions(coded, ["2030"])


def test_synthesise_all_tables_and_titles(coded, tmp_path):
    tables = syn.synthesise(coded)
    assert list(tables) == list(syn.TABLE_TITLES_FR)
    assert all(len(t) <= 31 for t in syn.TABLE_TITLES_FR.values())
    paths = syn.write_tables(tables, tmp_path)
    again = syn.write_tables(syn.synthesise(coded), tmp_path / "again")
    for stem, path in paths.items():
        assert path.read_bytes() == again[stem].read_bytes(), stem


def test_same_question_in_two_exports_is_counted_once():
    responses = pd.DataFrame({
        "question_id": ["q_retenu", "qu-avez-vous-retenu", "q_effets", ""],
        "question": ["Qu'avez-vous retenu de cette journée ?", "qu'avez-vous retenu de cette journee", "Quels effets ?", ""],
        "respondent_id": ["P1", "P2", "P1", "P3"],
        "source_file": ["a.csv", "b.xlsx", "a.csv", "c.txt"],
    })
    table = syn.answers_by_question(responses)
    first = table.iloc[0]
    assert first["answers"] == 2 and first["question_id"] == "q_retenu;qu-avez-vous-retenu"
    assert first["question"] in {"Qu'avez-vous retenu de cette journée ?", "qu'avez-vous retenu de cette journee"}
    assert len(table) == 3
