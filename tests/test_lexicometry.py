"""Lexicometry: lemmas, Lafon specificities, Reinert classification, CA, concordances, figures.

Reference values come from hand computations written out here and from published outputs:
- Lafon's (1980) Robespierre table and the specificity scores printed by the *textometry* R
  package (TXM's specificities code) in its own tests (``tests/specificities.Rout``, v0.1.x);
- Greenacre's smoking table (``data(smoke)`` of the R package ``ca``; Greenacre 2007,
  *Correspondence Analysis in Practice*): principal inertias and standard coordinates.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from transitions_analysis import lexicometry as lx
from transitions_analysis import plots
from transitions_analysis.lexicometry import chd
from transitions_analysis.lexicometry.specificities import COLUMNS

# ----------------------------------------------------------------------------------------------
# lemmas
# ----------------------------------------------------------------------------------------------


def test_lemmatise_blank_pipeline_lowercases_words_and_drops_stop_words_and_placeholders(blank_nlp):
    texts = [
        "Aujourd'hui, [PERSONNE_1] prend le Vélo : 2 fois plus écologique !",
        "L'État et les élus doivent coopérer.",
        None,
    ]
    out = lx.lemmatise(texts, nlp=blank_nlp)
    # no lemmatiser, no tagger: lower-case words, no POS filter; « le », « et », « les »... are stop words
    assert out == [
        ["aujourd'hui", "prend", "vélo", "fois", "écologique"],
        ["état", "élus", "coopérer"],  # « doivent » is in spaCy's French stop list
        [],
    ]


def test_lemmatise_keeps_accents_and_custom_stop_words(blank_nlp):
    out = lx.lemmatise(["Forêt forêt FORÊT arbre"], nlp=blank_nlp, stop_words={"arbre"})
    assert out == [["forêt", "forêt", "forêt"]]


@pytest.mark.model
def test_lemmatise_trained_model_gives_lemmas_and_filters_pos(fr_nlp):
    out = lx.lemmatise(["Les vélos électriques roulent vite."], nlp=fr_nlp)
    assert out == [["vélo", "électrique", "rouler", "vite"]]


def test_document_term_matrix_binary_min_docfreq_sorted_terms():
    segs = [["vélo", "vélo", "bus"], ["bus", "train"], ["train", "bus"], ["rare"], []]
    dtm = lx.document_term_matrix(segs, min_docfreq=2)
    assert list(dtm.terms) == ["bus", "train"]  # « vélo » is in one segment only
    assert dtm.shape == (5, 2)
    np.testing.assert_array_equal(dtm.matrix.toarray(), [[1, 0], [1, 1], [1, 1], [0, 0], [0, 0]])
    counts = lx.document_term_matrix(segs, min_docfreq=1, binary=False)
    assert list(counts.terms) == ["bus", "rare", "train", "vélo"]
    assert counts.matrix[0, 3] == 2
    fixed = lx.document_term_matrix(segs, vocabulary=["vélo", "absent"])
    np.testing.assert_array_equal(fixed.matrix.toarray()[:, 0], [1, 0, 0, 0, 0])
    assert fixed.matrix[:, 1].nnz == 0


def test_lexical_table_counts_occurrences_by_part():
    frame = pd.DataFrame({"role": ["elu", "agent", "elu", None], "lemmas": [["vélo", "bus"], ["vélo"], ["vélo"], ["bus"]]})
    tab = lx.lexical_table(frame, by="role")
    assert tab.to_dict() == {"agent": {"bus": 0, "vélo": 1}, "elu": {"bus": 1, "vélo": 2}}


# ----------------------------------------------------------------------------------------------
# specificities
# ----------------------------------------------------------------------------------------------


def _hypergeom_pmf(k: int, T: int, F: int, t: int) -> Fraction:
    """P(X = k) = C(F, k) C(T - F, t - k) / C(T, t), exactly."""
    return Fraction(math.comb(F, k) * math.comb(T - F, t - k), math.comb(T, t))


def test_specificity_matches_hand_computed_hypergeometric_on_2x2():
    # part A has 10 occurrences, part B 20; « vélo » occurs 3 times in A and once in B.
    table = pd.DataFrame({"A": [3, 7], "B": [1, 19]}, index=["vélo", "autres"])
    T, F = 30, 4
    spec = lx.specificities(table)
    got = spec.set_index(["lemma", "part"])["specificity"]
    # A: expected 4 * 10 / 30 = 1.33 < 3 -> over-use, score = -log10 P(X >= 3)
    p_a = sum(_hypergeom_pmf(k, T, F, 10) for k in range(3, 5))
    # by hand: C(4,3) C(26,7) = 4 x 657 800, C(4,4) C(26,6) = 230 230, C(30,10) = 30 045 015
    assert p_a == Fraction(4 * 657_800 + 230_230, 30_045_015) == Fraction(2, 21)
    assert got["vélo", "A"] == pytest.approx(-math.log10(p_a), rel=1e-10)
    assert got["vélo", "A"] > 0
    # B: expected 4 * 20 / 30 = 2.67 > 1 -> under-use, score = +log10 P(X <= 1)
    p_b = sum(_hypergeom_pmf(k, T, F, 20) for k in range(2))
    assert got["vélo", "B"] == pytest.approx(math.log10(p_b), rel=1e-10)
    assert got["vélo", "B"] < 0
    # with two parts, the tail of A's over-use is the tail of B's under-use: same probability
    assert p_a == p_b
    row = spec.loc[(spec["lemma"] == "vélo") & (spec["part"] == "A")].iloc[0]
    assert (row["frequency"], row["total_frequency"], row["part_size"]) == (3, 4, 10)
    assert row["expected"] == pytest.approx(4 * 10 / 30)


def test_specificity_sign_at_expected_frequency_is_non_negative():
    # f equal to its expectation: TXM's rule (f >= expected) gives -log10 P(X >= f) >= 0
    table = pd.DataFrame({"A": [2, 8], "B": [2, 8]}, index=["x", "autres"])
    spec = lx.specificities(table, wide=True)
    assert (spec.loc["x"] >= 0).all()
    assert spec.loc["x", "A"] == pytest.approx(-math.log10(float(sum(_hypergeom_pmf(k, 20, 4, 10) for k in range(2, 5)))))


def test_specificity_extreme_tail_is_exact_not_infinite():
    # 200 occurrences, all in a part of 200 out of 10**6: P = 1 / C(10**6, 200) ~ 1e-1 000
    f = F = t = 200
    T = 10**6
    score = lx.specificity_scores(np.array([f]), np.array([F]), np.array([t]), T)[0]
    exact = math.log10(math.comb(T, t))  # -log10 P(X >= 200) = log10 C(T, t)
    assert np.isfinite(score)
    assert score == pytest.approx(exact, rel=1e-9)
    # and the under-use side of the same extreme: none of 500 in a part of 99 % of the corpus
    neg = lx.specificity_scores(np.array([0]), np.array([500]), np.array([990_000]), T)[0]
    exact_neg = math.log10(math.comb(T - 500, 990_000)) - math.log10(math.comb(T, 990_000))
    assert neg == pytest.approx(exact_neg, rel=1e-9) and neg < -900


# Lafon (1980): frequencies of 5 forms (+ all others) in 10 discourses of Robespierre, as shipped
# in the textometry R package (data(robespierre)); scores printed by textometry's own tests.
ROBESPIERRE = pd.DataFrame(
    np.array([
        [464, 45, 35, 30, 6, 7815], [165, 18, 10, 13, 5, 2347], [194, 15, 16, 11, 16, 3668],
        [392, 14, 29, 19, 8, 6441], [398, 53, 29, 22, 23, 7371], [235, 30, 9, 10, 10, 4261],
        [509, 42, 21, 16, 35, 9519], [96, 16, 14, 7, 8, 1922], [58, 4, 2, 2, 3, 1015],
        [662, 59, 42, 35, 39, 13096],
    ]).T,
    index=["de", "peuple", "republique", "ennemi", "patrie", "others"],
    columns=[f"D{i}" for i in range(1, 11)],
)
ROBESPIERRE_TXM = np.array([
    [1.2477, 2.6891, -0.5534, 1.6471, -0.5096, -0.2909, -0.6132, -0.8098, 0.3884, -2.2050],
    [0.6161, 1.1466, -0.6709, -4.1743, 2.1122, 1.2906, -0.7980, 1.3632, -0.3977, -0.8410],
    [0.9753, 0.4424, 0.6038, 0.9023, 0.4706, -1.2797, -2.2003, 1.9736, -0.5366, -0.6335],
    [1.2133, 1.6778, 0.3146, 0.3091, 0.3364, -0.5024, -2.0550, 0.4965, -0.3552, -0.4359],
    [-4.2432, -0.4160, 1.4491, -2.0903, 0.6178, -0.3834, 1.5961, 0.8409, 0.2942, 0.6414],
    [-1.2657, -3.6429, 0.3542, -0.5984, -0.5387, 0.3333, 1.2439, -0.5569, 0.3377, 2.4355],
])


def test_specificities_reproduce_txm_on_lafon_robespierre_table():
    wide = lx.specificities(ROBESPIERRE, wide=True)
    np.testing.assert_allclose(wide.round(4).to_numpy(), ROBESPIERRE_TXM, atol=1e-4)


def test_specificities_reproduce_txm_lexicon_example():
    # textometry's tests/specificities.lexicon.new.Rout: a sublexicon against its complement
    lexicon = dict(zip("ABCDEFGHIJKLM", [1, 2, 1, 3, 2, 1, 2, 2, 2, 4, 1, 3, 4]))
    sub = {"A": 1, "D": 2, "G": 1, "J": 3, "B": 2, "C": 1}
    table = pd.DataFrame({"sublexicon": [sub.get(k, 0) for k in lexicon]}, index=list(lexicon))
    table["complementary"] = [lexicon[k] - sub.get(k, 0) for k in lexicon]
    wide = lx.specificities(table, wide=True).round(4)
    expected = [0.4472, 0.9243, 0.4472, 0.5469, -0.3928, -0.1919, 0.2253, -0.3928, -0.3928, 0.9365, -0.1919, -0.6037, -0.8255]
    np.testing.assert_allclose(wide["sublexicon"], expected, atol=1e-4)
    np.testing.assert_allclose(wide["complementary"], -np.array(expected), atol=1e-4)


def test_specificities_by_long_frame_tidy_columns_and_order():
    frame = pd.DataFrame(
        {"role": ["elu"] * 3 + ["agent"] * 3,
         "lemmas": [["budget", "vote"], ["budget"], ["vote", "projet"], ["dossier", "projet"], ["dossier"], ["dossier", "budget"]]}
    )
    spec = lx.specificities_by(frame, by="role")
    assert list(spec.columns) == list(COLUMNS)
    assert list(spec["part"].unique()) == ["agent", "elu"]
    agent = spec.loc[spec["part"] == "agent"]
    assert agent["lemma"].tolist() == ["dossier", "projet", "budget", "vote"]  # decreasing specificity
    # « dossier »: 3 of 3 in a part of 5 among 10 occurrences: P(X >= 3) = C(7,2) / C(10,5) = 21/252
    assert agent.iloc[0]["specificity"] == pytest.approx(-math.log10(21 / 252))
    assert agent.iloc[0][["frequency", "total_frequency", "part_size", "expected"]].tolist() == [3, 3, 5, 1.5]
    # « projet » is exactly at its expected frequency in both parts: non-negative in both (TXM's rule)
    assert (spec.loc[spec["lemma"] == "projet", "specificity"] > 0).all()
    top = lx.top_specificities(spec, part="agent", n=1, threshold=0.5)
    assert top["lemma"].tolist() == ["dossier", "vote"]


# ----------------------------------------------------------------------------------------------
# correspondence analysis
# ----------------------------------------------------------------------------------------------

SMOKE = pd.DataFrame(
    [[4, 2, 3, 2], [4, 3, 7, 4], [25, 10, 12, 4], [18, 24, 33, 13], [10, 6, 7, 2]],
    index=["SM", "JM", "SE", "JE", "SC"], columns=["none", "light", "medium", "heavy"],
)


def test_ca_reproduces_greenacre_smoking_example():
    res = lx.correspondence_analysis(SMOKE, n_components=3)
    np.testing.assert_allclose(res.eigenvalues, [0.074759, 0.010017, 0.000414], atol=1e-6)
    assert res.total_inertia == pytest.approx(0.085190, abs=1e-6)
    assert res.explained_inertia[:2] == pytest.approx([0.8776, 0.1176], abs=1e-4)
    # standard coordinates (principal / sqrt(eigenvalue)) printed by R's ca::ca(smoke), up to sign
    std_rows = res.row_coordinates.iloc[:, :2] / np.sqrt(res.eigenvalues[:2])
    ca_rows = np.array([[-0.240539, -1.935708], [0.947105, -2.430958], [-1.391973, -0.106508],
                        [0.851989, 0.576944], [-0.735456, 0.788435]])
    std_cols = res.column_coordinates.iloc[:, :1] / np.sqrt(res.eigenvalues[:1])
    ca_cols = np.array([[-1.438471], [0.363746], [0.718017], [1.074445]])
    for got, ref in ((std_rows.to_numpy(), ca_rows), (std_cols.to_numpy(), ca_cols)):
        signs = np.sign(np.sum(got * ref, axis=0))
        np.testing.assert_allclose(got * signs, ref, atol=1e-5)
    # principal coordinate of senior employees on axis 1: -0.381 in Greenacre's book (up to sign)
    assert abs(res.row_coordinates.loc["SE", "Dim 1"]) == pytest.approx(0.3806, abs=1e-4)
    np.testing.assert_allclose(res.row_contributions.sum(), 1.0)
    np.testing.assert_allclose(res.column_contributions.sum(), 1.0)
    np.testing.assert_allclose(res.row_cos2.sum(axis=1), 1.0)  # all 3 axes kept
    assert res.row_masses["JE"] == pytest.approx(88 / 193)
    assert list(res.summary().columns) == ["valeur propre", "% d'inertie", "% cumulé"]


# ----------------------------------------------------------------------------------------------
# Reinert classification
# ----------------------------------------------------------------------------------------------

TRANSPORT = ["vélo", "bus", "train", "voiture", "covoiturage", "trajet", "piste", "gare"]
HEATING = ["chauffage", "isolation", "pompe", "chaleur", "radiateur", "fioul", "bois", "chaudière"]


def _two_worlds(n: int = 60, seed: int = 3) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for i in range(n):
        world = i % 2
        words = list(rng.choice(TRANSPORT if world == 0 else HEATING, size=4, replace=False))
        words.append(str(rng.choice(["mieux", "aider", "prix"])))  # shared words
        texts.append(" ".join(words))
        truth.append(world)
    return texts, np.array(truth)


@pytest.fixture(scope="module")
def worlds(blank_nlp):
    texts, truth = _two_worlds()
    lemmas = lx.lemmatise(texts, nlp=blank_nlp)
    dtm = lx.document_term_matrix(lemmas, min_docfreq=2)
    return texts, truth, lemmas, dtm


def test_chd_recovers_two_separated_lexical_worlds(worlds):
    _texts, truth, _, dtm = worlds
    res = lx.reinert_classes(dtm, k=2)
    assert res.k == 2 and len(res.splits) == 1
    table = pd.crosstab(res.classes, truth)
    assert sorted(table.to_numpy().ravel().tolist()) == [0, 0, 30, 30]  # a perfect split
    # the split's chi-square is the chi-square of the 2 x lemmas table it produces
    x = dtm.matrix.toarray()
    two_rows = np.vstack([x[res.classes == 1].sum(0), x[res.classes == 2].sum(0)])
    assert res.splits[0].chi2 == pytest.approx(stats.chi2_contingency(two_rows, correction=False)[0], rel=1e-9)
    ch = lx.characteristic_lemmas(dtm, res.classes)
    transport_class = int(pd.Series(res.classes[truth == 0]).mode()[0])
    top = ch.loc[ch["class"] == transport_class]
    assert set(top.head(8)["lemma"]) == set(TRANSPORT)
    assert (top.loc[top["lemma"].isin(HEATING), "chi2"] < 0).all()


def test_chd_is_deterministic_and_levels_are_nested(worlds):
    _, _, _, dtm = worlds
    a = lx.reinert_classes(dtm, k=4, min_split_members=5)
    b = lx.reinert_classes(dtm, k=4, min_split_members=5)
    np.testing.assert_array_equal(a.classes, b.classes)
    assert [s.chi2 for s in a.splits] == [s.chi2 for s in b.splits]
    for m in range(2, a.k + 1):  # each level refines the previous one
        ct = pd.crosstab(a.levels[m], a.levels[m - 1])
        assert ((ct > 0).sum(axis=1) == 1).all()
    assert set(a.classes_at(1).tolist()) == {1}


def test_closed_form_chi2_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 20, size=12).astype(float)
    s = a + rng.integers(1, 20, size=12)
    expected = stats.chi2_contingency(np.vstack([a, s - a]), correction=False)[0]
    assert chd.table_chi2(a, s) == pytest.approx(expected, rel=1e-12)


def test_first_axis_is_the_first_ca_axis():
    rng = np.random.default_rng(5)
    x = (rng.random((40, 12)) < 0.3).astype(float)
    x[x.sum(axis=1) == 0, 0] = 1
    coord = chd.first_axis(sparse.csr_matrix(x), random_state=0)
    dense = lx.correspondence_analysis(pd.DataFrame(x), n_components=1).row_coordinates["Dim 1"].to_numpy()
    assert abs(np.corrcoef(coord, dense)[0, 1]) == pytest.approx(1.0, abs=1e-9)


def test_split_ends_at_a_local_maximum_of_chi2():
    rng = np.random.default_rng(11)
    x = sparse.csr_matrix((rng.random((50, 15)) < 0.25).astype(float))
    res = chd._split(x, np.arange(15), cc_test=0.3, tsj=3, random_state=0, max_switches=None)
    dense = x.toarray()
    kept = np.concatenate([res.left, res.right])
    cols = dense[kept].sum(axis=0) > 0

    def chi2_of(left_rows):
        a = dense[left_rows][:, cols].sum(axis=0)
        return chd.table_chi2(a, dense[kept][:, cols].sum(axis=0))

    assert res.chi2 == pytest.approx(chi2_of(res.left), rel=1e-9)
    for row in kept:  # no single move raises the chi-square
        moved = np.setdiff1d(res.left, [row]) if row in res.left else np.append(res.left, row)
        if 0 < moved.size < kept.size:
            assert chi2_of(moved) <= res.chi2 * (1 + 1e-9)


def test_segments_without_lemma_are_unclassified(worlds):
    _, _, lemmas, _ = worlds
    dtm = lx.document_term_matrix(lemmas + [[], ["inconnu"]], min_docfreq=2)
    res = lx.reinert_classes(dtm, k=2)
    assert res.classes[-2] == 0 and res.classes[-1] == 0
    assert (res.classes[:-2] > 0).all()


def test_group_segments_follows_rainette_merging_rule():
    # source a: sizes 1,1,3 -> unit 0 (5 lemmas); then 1 -> too short, end of source: back to unit 0
    # source b: 1,5 -> unit 1 (6); 1 -> short tail merged into unit 1
    units = lx.group_segments([1, 1, 3, 1, 1, 5, 1], ["a", "a", "a", "a", "b", "b", "b"], min_size=3)
    assert units.tolist() == [0, 0, 0, 0, 1, 1, 1]
    units = lx.group_segments([4, 1, 3, 2, 9], ["a", "a", "a", "b", "c"], min_size=3)
    assert units.tolist() == [0, 1, 1, 2, 3]  # never across sources; a lone short source stays alone
    assert lx.group_segments([1, 1], None, min_size=5).tolist() == [0, 1]


def test_grouped_units_share_their_class(worlds):
    _, truth, lemmas, _ = worlds
    # split every text in two halves: segments of one source, consecutive
    halves, sources = [], []
    for i, lem in enumerate(lemmas):
        halves += [lem[:2], lem[2:]]
        sources += [i, i]
    dtm = lx.document_term_matrix(halves, min_docfreq=2)
    res = lx.reinert_classes(dtm, k=2, min_segment_size=4, segment_groups=sources)
    assert res.units.max() + 1 == len(lemmas)
    np.testing.assert_array_equal(res.classes[0::2], res.classes[1::2])
    assert sorted(pd.crosstab(res.classes[0::2], truth).to_numpy().ravel().tolist()) == [0, 0, 30, 30]


def test_double_classification_of_a_classification_with_itself(worlds):
    _, _truth, _, dtm = worlds
    res = lx.reinert_classes(dtm, k=3, min_split_members=5)
    double = lx.double_classification(res, res, max_k=2, min_members=5)
    np.testing.assert_array_equal(double.classes(2) > 0, res.classes_at(2) > 0)
    assert pd.crosstab(double.classes(2), res.classes_at(2)).gt(0).sum().tolist() == [1, 1]
    assert double.partitions.loc[double.partitions["k"] == 2, "n"].iloc[0] == 60


def test_double_classes_are_intersections_of_both_runs(worlds):
    _, _, lemmas, _ = worlds
    halves, sources = [], []
    for i, lem in enumerate(lemmas):
        halves += [lem[:2], lem[2:]]
        sources += [i, i]
    dtm = lx.document_term_matrix(halves, min_docfreq=2)
    double, first, second = lx.reinert_double(dtm, k=4, max_k=3, min_segment_size1=0, min_segment_size2=4,
                                             segment_groups=sources, min_members=3, min_split_members=5)
    assert double.max_k >= 2
    for k in double.memberships:
        cl = double.classes(k)
        part = double.partitions.loc[double.partitions["k"] == k].iloc[0]
        assert (cl > 0).sum() == part["n"]
        for pos, row_id in enumerate(part["crossed"], start=1):
            row = double.crossed.iloc[row_id]
            members = np.flatnonzero(cl == pos)
            assert members.size == row["n"]
            assert (first.levels[row["level1"]][members] == row["class1"]).all()
            assert (second.levels[row["level2"]][members] == row["class2"]).all()


def test_association_chi2_uses_yates_like_r_and_is_signed():
    n_both, n1, n2, n = np.array([30, 2]), np.array([40, 40]), np.array([35, 35]), 100
    got = chd._yates_chi2(n_both, n1, n2, n)
    for g, nb in zip(got, n_both):
        tab = np.array([[nb, 40 - nb], [35 - nb, 100 - 40 - 35 + nb]])
        assert abs(g) == pytest.approx(stats.chi2_contingency(tab, correction=True)[0], rel=1e-12)
    assert got[0] > 0 > got[1]


def test_characteristic_lemmas_chi2_matches_scipy_and_frequencies():
    x = sparse.csr_matrix(np.array([[1, 0], [1, 1], [1, 0], [0, 1], [0, 1], [1, 1]]))
    classes = np.array([1, 1, 1, 2, 2, 0])  # the last segment is unclassified: left out
    ch = lx.characteristic_lemmas(x, classes, terms=["vélo", "pompe"])
    row = ch.loc[(ch["class"] == 1) & (ch["lemma"] == "vélo")].iloc[0]
    assert (row["n_class"], row["n_total"], row["class_size"]) == (3, 3, 3)
    assert row["chi2"] == pytest.approx(stats.chi2_contingency([[3, 0], [0, 2]], correction=False)[0])
    assert row["pct_of_lemma"] == 100.0
    neg = ch.loc[(ch["class"] == 2) & (ch["lemma"] == "vélo")].iloc[0]
    assert neg["chi2"] == pytest.approx(-row["chi2"])


def test_typical_segments_rank_by_sum_of_chi2(worlds):
    texts, _, _, dtm = worlds
    res = lx.reinert_classes(dtm, k=2)
    ch = lx.characteristic_lemmas(dtm, res.classes)
    typ = lx.typical_segments(dtm, res.classes, ch, texts=texts, n=3)
    assert typ.groupby("class").size().tolist() == [3, 3]
    first = typ.iloc[0]
    weights = ch.loc[(ch["class"] == first["class"]) & (ch["chi2"] >= 3.84)].set_index("lemma")["chi2"]
    present = [t for t, v in zip(dtm.terms, dtm.matrix[first["segment"]].toarray().ravel()) if v]
    assert first["score"] == pytest.approx(weights.reindex(present).fillna(0).sum())
    assert typ.loc[typ["class"] == first["class"], "score"].is_monotonic_decreasing


def test_crosstab_classes_with_single_and_multi_valued_attributes():
    classes = [1, 1, 2, 2, 2, 0]
    roles = ["elu", "agent", "agent", "agent", "elu", "elu"]
    ct = lx.crosstab_classes(classes, roles)
    assert ct.observed.loc[2].to_dict() == {"agent": 2, "elu": 1}
    chi2, p, dof, expected = stats.chi2_contingency(ct.observed.to_numpy(), correction=False)
    assert ct.chi2 == pytest.approx(chi2) and ct.dof == dof and ct.p_value == pytest.approx(p)
    np.testing.assert_allclose(ct.residuals.to_numpy(), (ct.observed - expected) / np.sqrt(expected))
    codes = [["coop"], ["coop", "engagement"], [], ["engagement"], ["coop"], ["coop"]]
    multi = lx.crosstab_classes(classes, codes)
    assert multi.observed.to_dict() == {"coop": {1: 2, 2: 1}, "engagement": {1: 1, 2: 1}}


# ----------------------------------------------------------------------------------------------
# concordances
# ----------------------------------------------------------------------------------------------

SEGMENTS = pd.DataFrame(
    {
        "segment_id": ["s1", "s2", "s3"],
        "role": ["elu", "agent", "elu"],
        "text": [
            "La coopération entre élus et agents, c'est la clé.\nCoopérer demande du temps.",
            "Il faut coopérer davantage avec l'État.",
            "Rien à voir ; coopérative agricole.",
        ],
    }
)


def _reconstitutes(kw: pd.DataFrame, segments: pd.DataFrame) -> None:
    texts = segments.set_index("segment_id")["text"]
    for row in kw.itertuples():
        text = texts[row.segment_id]
        assert text[row.start : row.end] == row.match
        assert row.left + row.match + row.right == text[row.start - len(row.left) : row.end + len(row.right)]


def test_concordance_wildcard_offsets_and_char_window():
    kw = lx.concordance(SEGMENTS, "coopér*", window=10)
    assert kw[["segment_id", "start", "end", "match"]].values.tolist() == [
        ["s1", 3, 14, "coopération"], ["s1", 51, 59, "Coopérer"], ["s2", 8, 16, "coopérer"], ["s3", 14, 25, "coopérative"],
    ]
    assert kw.loc[0, "left"] == "La " and kw.loc[0, "right"] == " entre élu"
    assert kw.loc[1, "left"] == "t la clé.\n"
    assert list(kw.columns) == ["segment_id", "start", "end", "left", "match", "right", "role"]
    _reconstitutes(kw, SEGMENTS)


def test_concordance_words_window_filters_expression_and_regex():
    kw = lx.concordance(SEGMENTS, "coopér*", window=2, unit="words", filters={"role": ["elu"]})
    assert kw["segment_id"].tolist() == ["s1", "s1", "s3"]
    assert kw.loc[1, "left"] == "la clé.\n" and kw.loc[1, "right"] == " demande du"
    _reconstitutes(kw, SEGMENTS)
    expr = lx.concordance(SEGMENTS, "avec l'état", window=5)
    assert expr[["match", "left", "right"]].values.tolist() == [["avec l'État", "tage ", "."]]
    assert lx.concordance(SEGMENTS, "coopérer", case_sensitive=True)["segment_id"].tolist() == ["s2"]
    rx = lx.concordance(SEGMENTS, r"\bcoop\w+\s+\w+", regex=True, window=0)
    assert rx["match"].tolist() == ["coopération entre", "Coopérer demande", "coopérer davantage", "coopérative agricole"]
    assert (rx["left"] == "").all() and (rx["right"] == "").all()


def test_concordance_by_lemma_uses_the_pipeline(blank_nlp):
    # blank pipeline: the lemma is the lower-case word
    kw = lx.concordance(SEGMENTS, "coopérer", nlp=blank_nlp, window=8)
    assert kw[["segment_id", "match"]].values.tolist() == [["s1", "Coopérer"], ["s2", "coopérer"]]
    _reconstitutes(kw, SEGMENTS)
    with pytest.raises(KeyError):
        lx.concordance(SEGMENTS, "x", filters={"territoire": "nord"})


# ----------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------


def test_figures_have_french_labels_and_label_only_top_contributors(worlds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _texts, truth, lemmas, dtm = worlds
    frame = pd.DataFrame({"lemmas": lemmas, "monde": np.where(truth == 0, "transport", "chauffage")})
    spec = lx.specificities_by(frame, by="monde")
    fig = plots.plot_specificities(spec, part="transport", n=5, threshold=1.0)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Spécificité")
    assert len(ax.patches) == 10  # 5 over- and 5 under-represented lemmas
    plt.close(fig)

    table = lx.lexical_table(frame.assign(g=np.arange(len(frame)) % 3), by="g")
    ca = lx.correspondence_analysis(table)
    fig = plots.plot_ca_biplot(ca, n_row_labels=4, column_name="groupes")
    ax = fig.axes[0]
    assert "% de l'inertie" in ax.get_xlabel() and ax.get_xlabel().startswith("Axe 1 (")
    row_labels = [t for t in ax.texts if (t.get_gid() or "").startswith("row:")]
    assert len(row_labels) == 4
    plt.close(fig)
    fig = plots.plot_ca_biplot(ca, n_row_labels=4, column_labels={0: "Groupe zéro", 1: "Groupe un"})
    shown = {t.get_text() for t in fig.axes[0].texts if not (t.get_gid() or "").startswith("row:")}
    assert {"Groupe zéro", "Groupe un", "2"} <= shown  # named where a label is given, the id otherwise
    plt.close(fig)

    res = lx.reinert_classes(dtm, k=2)
    ch = lx.characteristic_lemmas(dtm, res.classes)
    fig = plots.plot_class_profiles(ch, sizes=res.sizes(), n=4)
    assert [a.get_title(loc="left") or a.get_title() for a in fig.axes[:2]] == ["Classe 1 (50,0 %)", "Classe 2 (50,0 %)"]
    plt.close(fig)
    fig, own = plt.subplots(1, 2)
    assert plots.plot_class_profiles(ch, axes=own, n=3) is fig
    assert [len(a.patches) for a in own] == [3, 3]
    plt.close(fig)
    fig = plots.plot_dendrogram(res)
    assert fig.axes[0].get_xlabel() == "Classe (segments)"
    plt.close(fig)


def test_specificities_by_multi_valued_codes_compare_each_code_with_the_rest():
    frame = pd.DataFrame({
        "codes": [["coop"], ["coop", "engagement"], [], ["engagement"]],
        "lemmas": [["réseau", "partage"], ["réseau"], ["budget"], ["élu", "budget"]],
    })
    spec = lx.specificities_by(frame, by="codes")
    assert list(spec["part"].unique()) == ["coop", "engagement"]
    row = spec.loc[(spec["part"] == "coop") & (spec["lemma"] == "réseau")].iloc[0]
    # « coop » segments hold 3 of the 6 occurrences; « réseau » has 2, both there: P(X >= 2)
    assert row[["frequency", "total_frequency", "part_size"]].tolist() == [2, 2, 3]
    p = float(sum(_hypergeom_pmf(k, 6, 2, 3) for k in range(2, 3)))
    assert row["specificity"] == pytest.approx(-math.log10(p))


def test_min_class_size_sets_small_satellites_aside(worlds):
    _, truth, lemmas, _ = worlds
    # four copies of a meta-answer whose lemmas nobody else uses: a perfect, tiny, first split
    satellites = [["voir", "réponse", "précédente"]] * 4
    dtm = lx.document_term_matrix(lemmas + satellites, min_docfreq=2)
    plain = lx.reinert_classes(dtm, k=2)
    assert sorted(plain.splits[0].sizes) == [4, 60]  # the satellites take the only division
    trimmed = lx.reinert_classes(dtm, k=2, min_class_size=10)
    assert trimmed.set_aside == [(4, pytest.approx(plain.splits[0].chi2))]
    assert (trimmed.classes[-4:] == 0).all()
    table = pd.crosstab(trimmed.classes[:-4], truth)
    assert sorted(table.to_numpy().ravel().tolist()) == [0, 0, 30, 30]


# --------------------------------------------------------------------------- the report's tables


def _coded_two_worlds(make_responses):
    """Élu·es speak of buses and bikes, agent·es of waste and sorting; one État voice alone."""
    transport = ["bus vélo train covoiturage transport gare", "vélo bus piste train transport trajet",
                 "train bus covoiturage gare trajet vélo"]
    dechets = ["déchet tri compost recyclage poubelle benne", "compost tri déchet poubelle recyclage collecte",
               "tri déchet benne collecte compost recyclage"]
    texts = [transport[i % 3] for i in range(12)] + [dechets[i % 3] for i in range(12)] + ["préfet arrêté préfecture"]
    roles = ["elu"] * 12 + ["agent"] * 12 + ["etat"]
    responses = make_responses(texts, role=roles)
    segments = pd.DataFrame({"segment_id": [f"{r}-0-{len(t)}" for r, t in zip(responses["response_id"], texts)],
                             "response_id": responses["response_id"], "start": 0, "end": [len(t) for t in texts],
                             "text": texts})
    codings = pd.DataFrame({"segment_id": segments["segment_id"][:12], "response_id": responses["response_id"][:12],
                            "code": "principle.cooperation", "source": "rule", "score": 1.0, "start": 0,
                            "end": segments["end"][:12], "evidence": texts[:12], "negated": False, "coder": "rules"})
    return responses, segments, codings, [t.split() for t in texts]


def test_lexical_synthesis_finds_the_two_worlds_and_withholds_small_classes(make_responses):
    from transitions_analysis.lexicometry.synthesis import TABLE_TITLES_FR, lexical_synthesis

    responses, segments, codings, lemmas = _coded_two_worlds(make_responses)
    res = lexical_synthesis(responses, segments, codings, lemmas, k=3, n_classes=2, min_docfreq=3,
                            min_unit_lemmas=0, min_class_share=0)
    assert list(res.tables) == list(TABLE_TITLES_FR)
    classes = res.tables["classes_lexicales"].set_index("class")
    assert len(classes) == 2 and set(classes["segments"]) == {12}
    by_world = pd.Series(res.reinert.classes[:24]).groupby([0] * 12 + [1] * 12).nunique()
    assert (by_world == 1).all()  # each world is one class
    assert "vélo" in classes.loc[res.reinert.classes[0], "lemmas"] and "tri" in classes.loc[res.reinert.classes[12], "lemmas"]
    assert classes["quote_1"].str.len().gt(0).all() and not classes["withheld"].any()
    spec = res.tables["specificites_par_role"]
    elu = spec[spec["role"] == "elu"].set_index("lemma")["specificity"]
    assert elu["vélo"] > 2 and elu["déchet"] < -2  # over- and under-represented
    cross = res.tables["classes_par_role"]
    transport_class = res.reinert.classes[0]
    cell = cross[(cross["class"] == transport_class) & (cross["role"] == "elu")].iloc[0]
    assert cell["observed"] == 12 and cell["residual"] > 0
    principle = res.tables["classes_par_principe"]
    assert principle[principle["class"] == transport_class]["observed"].sum() == 12
    # the same corpus asked for k = 13 respondents: the classes (12 each) keep their counts, not their quotes
    strict = lexical_synthesis(responses, segments, codings, lemmas, k=13, n_classes=2, min_docfreq=3,
                               min_unit_lemmas=0, min_class_share=0).tables["classes_lexicales"]
    assert strict["withheld"].all() and (strict["quote_1"] == "").all() and strict["note"].str.contains("13").all()
