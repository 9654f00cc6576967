"""Agreement stage: statistics against published and hand-computed values, edge cases, the
adjudication round-trip, machine vs reference, the figure, the CLI and the real AN 2016 crowd coding."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from transitions_analysis import agreement as agree
from transitions_analysis.agreement import adjudication, datasets, statistics
from transitions_analysis.cli import main
from transitions_analysis.plots import plot_alpha
from transitions_analysis.core.errors import InputError
from transitions_analysis.core.ids import make_response_id

A = "principle.cooperation"
E = "actor.elu"
G = "principle.engagement"
V = "principle.value"


@pytest.fixture()
def agree_dir(fixtures_dir):
    return fixtures_dir / "agree"


@pytest.fixture()
def two_coders(agree_dir):
    return agree.read_codings(agree_dir / "two_coders.csv")


def row(table: pd.DataFrame, code: str) -> pd.Series:
    return table.set_index("code").loc[code]


def frame(rows, unit="response_id"):
    return pd.DataFrame(rows, columns=[unit, "coder", "code"])


def from_counts(pairs: dict[tuple[int, int], int], code: str = "x") -> pd.DataFrame:
    """Two coders A, B; ``pairs[(a, b)]`` units where A gave a (1 = code present) and B gave b."""
    rows, i = [], 0
    for (a, b), n in pairs.items():
        for _ in range(n):
            unit = f"u{i:03d}"
            rows += [(unit, "A", code if a else ""), (unit, "B", code if b else "")]
            i += 1
    return frame(rows)


# --------------------------------------------------------------------------- published values


def test_krippendorff_2011_worked_example_nominal_alpha(agree_dir):
    codings = agree.read_codings(agree_dir / "krippendorff2011_nominal.csv")
    assert codings["coder"].nunique() == 4 and codings["response_id"].nunique() == 12
    table = agree.agreement_table(codings, exclusive=True, n_boot=200)
    overall = row(table, agree.ALL_CODES)
    assert overall["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    # unit 12 was seen by one observer only: it cannot be paired and does not count
    assert overall["n_units"] == 11
    assert overall["n_coders"] == 4
    assert overall["alpha_ci_low"] <= overall["krippendorff_alpha"] <= overall["alpha_ci_high"]
    # per-value rows are reported too (presence of each value)
    assert set(table["code"]) == {f"value{v}" for v in range(1, 6)} | {agree.ALL_CODES}


def test_fleiss_on_units_with_the_modal_number_of_raters(agree_dir):
    """In the worked example only units 2-9 have all four observers: Fleiss uses those 8 and
    agrees with statsmodels applied to them directly."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    codings = agree.read_codings(agree_dir / "krippendorff2011_nominal.csv")
    table = agree.agreement_table(codings, exclusive=True, n_boot=0)
    overall = row(table, agree.ALL_CODES)
    assert overall["fleiss_n_units"] == 8
    wide = codings.pivot(index="response_id", columns="coder", values="code").loc[[f"u{i:02d}" for i in range(2, 10)]]
    counts, _ = aggregate_raters(wide.to_numpy())
    assert overall["fleiss_kappa"] == pytest.approx(fleiss_kappa(counts))


def test_fleiss_textbook_example(agree_dir):
    """Fleiss' kappa worked example (10 subjects, 14 raters, 5 categories): kappa = 0.210."""
    counts = pd.read_csv(agree_dir / "fleiss_wikipedia_counts.csv")
    rows = []
    for _, r in counts.iterrows():
        rater = 0
        for cat in ["cat1", "cat2", "cat3", "cat4", "cat5"]:
            for _ in range(int(r[cat])):
                rows.append((f"s{r['subject']}", f"rater{rater:02d}", cat))
                rater += 1
    table = agree.agreement_table(frame(rows), exclusive=True, n_boot=0)
    overall = row(table, agree.ALL_CODES)
    assert overall["fleiss_kappa"] == pytest.approx(0.210, abs=5e-4)
    assert overall["fleiss_n_units"] == 10
    assert overall["percent_agreement"] == pytest.approx(0.378, abs=5e-4)  # P-bar = 3.780 / 10 in the example


# --------------------------------------------------------------------------- hand computations


def test_cohen_alpha_fleiss_hand_computed_two_coders():
    """50 units: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5 -> Cohen 0.4;
    alpha: n_yes = 55, n_no = 45, o_yes,no = 15 -> 1 - 99*15/(55*45) = 0.4;
    Fleiss: P_e = 0.55^2 + 0.45^2 = 0.505 -> (0.7 - 0.505)/0.495."""
    codings = from_counts({(1, 1): 20, (1, 0): 5, (0, 1): 10, (0, 0): 15})
    r = row(agree.agreement_table(codings, n_boot=0), "x")
    assert r["percent_agreement"] == pytest.approx(0.7)
    assert r["cohen_kappa"] == {"A|B": pytest.approx(0.4)}
    assert r["krippendorff_alpha"] == pytest.approx(0.4)
    assert r["fleiss_kappa"] == pytest.approx(0.195 / 0.495)
    assert r["n_units"] == 50 and r["n_present"] == 55


def test_per_code_and_pooled_values_on_the_small_fixture(two_coders):
    table = agree.agreement_table(two_coders, n_boot=0)
    assert list(table["code"]) == [E, A, G, V, agree.ALL_CODES]
    assert (table["n_units"] == 5).all()  # r6 was seen by alice only
    elu, coop, eng, val, overall = (row(table, c) for c in [E, A, G, V, agree.ALL_CODES])
    # actor.elu: r1 (1,0), r5 (0,1), three units (0,0)
    assert elu["percent_agreement"] == pytest.approx(0.6)
    assert elu["cohen_kappa"]["alice|bruno"] == pytest.approx(-0.25)  # (0.6-0.68)/0.32
    assert elu["krippendorff_alpha"] == pytest.approx(1 - 9 * 2 / (2 * 8))
    # principle.engagement: only bruno gave it (r3, where alice saw the unit and gave no code)
    assert eng["krippendorff_alpha"] == pytest.approx(0.0)
    assert eng["cohen_kappa"]["alice|bruno"] == pytest.approx(0.0)
    # perfect agreement with variation
    for r in (coop, val):
        assert r["krippendorff_alpha"] == pytest.approx(1.0)
        assert r["cohen_kappa"]["alice|bruno"] == pytest.approx(1.0)
        assert r["fleiss_kappa"] == pytest.approx(1.0)
        assert r["percent_agreement"] == 1.0
    # pooled: 20 (unit, code) items, 3 disagreements, 9 presences / 31 absences
    assert overall["percent_agreement"] == pytest.approx(17 / 20)
    assert overall["krippendorff_alpha"] == pytest.approx(1 - 39 * 3 / (9 * 31))
    assert overall["cohen_kappa"]["alice|bruno"] == pytest.approx(0.2 / 0.35)
    assert overall["fleiss_n_units"] == 5


def test_seen_without_code_is_not_the_same_as_never_seen(two_coders):
    """alice saw r3 and gave it no code: r3 counts (bruno's engagement is a disagreement). If alice
    had never seen r3, r3 drops out and nobody disagrees on engagement any more."""
    seen = row(agree.agreement_table(two_coders, n_boot=0), G)
    unseen_codings = two_coders[~((two_coders["response_id"] == "r3") & (two_coders["coder"] == "alice"))]
    unseen = row(agree.agreement_table(unseen_codings, n_boot=0), G)
    assert seen["n_units"] == 5 and unseen["n_units"] == 4
    assert seen["krippendorff_alpha"] == pytest.approx(0.0)
    assert math.isnan(unseen["krippendorff_alpha"])  # engagement is absent everywhere now
    assert unseen["percent_agreement"] == 1.0 and seen["percent_agreement"] == pytest.approx(0.8)


def test_nan_code_from_a_dataframe_means_seen_without_code():
    with_nan = frame([("u1", "A", "x"), ("u1", "B", None), ("u2", "A", "x"), ("u2", "B", "x"), ("u3", "A", None), ("u3", "B", None)])
    with_empty = with_nan.fillna("")
    t1 = agree.agreement_table(with_nan, n_boot=0)
    t2 = agree.agreement_table(with_empty, n_boot=0)
    assert row(t1, "x")["krippendorff_alpha"] == row(t2, "x")["krippendorff_alpha"]
    assert row(t1, "x")["n_units"] == 3


# --------------------------------------------------------------------------- edge cases


def test_one_coder_gives_undefined_statistics():
    table = agree.agreement_table(frame([("u1", "A", "x"), ("u2", "A", "")]), n_boot=50)
    for _, r in table.iterrows():
        assert r["n_units"] == 0 and r["n_coders"] == 0
        assert math.isnan(r["krippendorff_alpha"]) and math.isnan(r["percent_agreement"])
        assert math.isnan(r["fleiss_kappa"]) and math.isnan(r["alpha_ci_low"])
        assert r["cohen_kappa"] == {}


def test_code_nobody_used_is_listed_with_undefined_alpha(two_coders):
    table = agree.agreement_table(two_coders, n_boot=100, codes=[A, "outcome.financial"])
    assert list(table["code"])[:2] == [A, "outcome.financial"]  # given order first, then the rest
    unused = row(table, "outcome.financial")
    assert unused["n_present"] == 0
    assert unused["percent_agreement"] == 1.0
    assert math.isnan(unused["krippendorff_alpha"]) and math.isnan(unused["alpha_ci_low"])
    assert math.isnan(unused["fleiss_kappa"]) and math.isnan(unused["cohen_kappa"]["alice|bruno"])
    # an unused code adds only absences to the pooled matrix: it changes the pooled alpha
    pooled = agree.agreement_table(two_coders, n_boot=0)
    assert row(table, agree.ALL_CODES)["krippendorff_alpha"] != row(pooled, agree.ALL_CODES)["krippendorff_alpha"]


def test_perfect_agreement_gives_one_and_a_degenerate_interval():
    codings = frame([(f"u{i}", c, "x" if i % 2 else "") for i in range(10) for c in "ABC"])
    r = row(agree.agreement_table(codings, n_boot=200), "x")
    assert r["krippendorff_alpha"] == pytest.approx(1.0)
    assert r["fleiss_kappa"] == pytest.approx(1.0)
    assert r["alpha_ci_low"] == pytest.approx(1.0) and r["alpha_ci_high"] == pytest.approx(1.0)
    assert sorted(r["cohen_kappa"]) == ["A|B", "A|C", "B|C"]
    assert all(v == pytest.approx(1.0) for v in r["cohen_kappa"].values())


def test_unit_seen_by_one_coder_only_changes_nothing(two_coders):
    base = agree.agreement_table(two_coders, n_boot=100, random_state=3)
    extra = pd.concat([two_coders, frame([("r9", "bruno", E), ("r9", "bruno", V)])], ignore_index=True)
    more = agree.agreement_table(extra, n_boot=100, random_state=3)
    pd.testing.assert_frame_equal(base, more)


def test_all_units_identical_has_undefined_alpha():
    codings = frame([(f"u{i}", c, "x") for i in range(6) for c in "AB"])
    r = row(agree.agreement_table(codings, n_boot=50), "x")
    assert r["percent_agreement"] == 1.0
    assert math.isnan(r["krippendorff_alpha"]) and math.isnan(r["fleiss_kappa"])
    assert math.isnan(r["cohen_kappa"]["A|B"])


def test_exclusive_refuses_two_codes_for_one_unit_and_coder(two_coders):
    with pytest.raises(InputError, match="non exclusifs"):
        agree.agreement_table(two_coders, exclusive=True, n_boot=0)


def test_exclusive_counts_no_code_as_its_own_value():
    codings = frame([("u1", "A", "a"), ("u1", "B", ""), ("u2", "A", "b"), ("u2", "B", "b"), ("u3", "A", ""), ("u3", "B", "")])
    r = row(agree.agreement_table(codings, exclusive=True, n_boot=0), agree.ALL_CODES)
    # values a, (none) x3... : u1 (a, none), u2 (b, b), u3 (none, none): n_a=1, n_b=2, n_none=3
    assert r["krippendorff_alpha"] == pytest.approx(1 - 5 * 2 / (36 - 1 - 4 - 9))
    # Cohen by hand: A = (a, b, none), B = (none, b, none); p_o = 2/3;
    # p_e = P(none) 1/3 * 2/3 + P(a) 1/3 * 0 + P(b) 1/3 * 1/3 = 1/3; kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5
    assert r["cohen_kappa"]["A|B"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- bootstrap


def test_vectorised_alpha_matches_the_krippendorff_package():
    import krippendorff

    rng = np.random.default_rng(1)
    counts = rng.integers(0, 4, size=(40, 3, 2)).astype(float)
    counts = counts[(counts.sum(axis=2) >= 2).all(axis=1)]
    ones = np.ones((1, counts.shape[0]))
    got = statistics._alpha_batch(ones, statistics._unit_terms(counts), counts)[0]
    for k in range(3):
        assert got[k] == pytest.approx(krippendorff.alpha(value_counts=counts[:, k, :], level_of_measurement="nominal"))
    # one draw of the bootstrap equals alpha on the explicitly resampled units
    draw = rng.multinomial(counts.shape[0], np.full(counts.shape[0], 1 / counts.shape[0]))
    resampled = np.repeat(counts, draw, axis=0)
    got = statistics._alpha_batch(draw[None, :].astype(float), statistics._unit_terms(counts), counts)[0]
    assert got[0] == pytest.approx(krippendorff.alpha(value_counts=resampled[:, 0, :], level_of_measurement="nominal"))
    # pooled variable: per-unit terms summed over codes == alpha over the (unit, code) items
    pooled = statistics._alpha_batch(ones, statistics._unit_terms(counts).sum(axis=1)[:, None], counts.sum(axis=1)[:, None, :])[0, 0]
    assert pooled == pytest.approx(krippendorff.alpha(value_counts=counts.reshape(-1, 2), level_of_measurement="nominal"))


def test_bootstrap_is_seeded_and_brackets_the_estimate(agree_dir):
    codings = agree.read_codings(agree_dir / "krippendorff2011_nominal.csv")
    t1 = agree.agreement_table(codings, exclusive=True, n_boot=300, random_state=7)
    t2 = agree.agreement_table(codings, exclusive=True, n_boot=300, random_state=7)
    t3 = agree.agreement_table(codings, exclusive=True, n_boot=300, random_state=8)
    pd.testing.assert_frame_equal(t1, t2)
    assert not t1[["alpha_ci_low", "alpha_ci_high"]].equals(t3[["alpha_ci_low", "alpha_ci_high"]])
    none = agree.agreement_table(codings, exclusive=True, n_boot=0)
    assert none["alpha_ci_low"].isna().all() and none["alpha_ci_high"].isna().all()


def test_bootstrap_interval_narrows_with_more_units():
    rng = np.random.default_rng(0)

    def simulate(n_units):
        rows = []
        for u in range(n_units):
            truth = rng.random() < 0.4
            for c in "ABC":
                rows.append((f"u{u}", c, "x" if (truth if rng.random() < 0.85 else not truth) else ""))
        return frame(rows)

    small = row(agree.agreement_table(simulate(30), n_boot=400), "x")
    large = row(agree.agreement_table(simulate(600), n_boot=400), "x")
    assert large["alpha_ci_high"] - large["alpha_ci_low"] < small["alpha_ci_high"] - small["alpha_ci_low"]
    assert large["alpha_ci_low"] < large["krippendorff_alpha"] < large["alpha_ci_high"]


# --------------------------------------------------------------------------- reading


def test_read_codings_keeps_empty_codes_and_sorts(two_coders):
    assert list(two_coders.columns) == ["response_id", "coder", "code"]
    assert ((two_coders["response_id"] == "r4") & (two_coders["code"] == "")).sum() == 2
    assert two_coders.equals(two_coders.sort_values(["response_id", "coder", "code"]).reset_index(drop=True))


def test_read_machine_codings_uses_the_responses_beside_them(agree_dir):
    machine = agree.read_codings(agree_dir / "machine" / "codings.csv")
    assert set(machine["coder"]) == {"rules", "model"}  # empty coder falls back on the source
    # one row per (response, coder, code) although rules found cooperation in two segments of r1
    assert ((machine["response_id"] == "r1") & (machine["code"] == A)).sum() == 1
    # every response of responses.csv is seen by both machine coders (empty code when nothing found)
    seen = machine.groupby("coder")["response_id"].nunique()
    assert seen.to_dict() == {"model": 5, "rules": 5}
    assert ((machine["coder"] == "model") & (machine["response_id"] == "r4") & (machine["code"] == "")).any()
    by_segment = agree.read_codings(agree_dir / "machine" / "codings.csv", unit="segment")
    assert set(by_segment["segment_id"]) == {"r1-0-10", "r1-11-20", "r2-0-12", "r5-0-8"}


def test_read_codings_errors_name_file_row_and_column(tmp_path, agree_dir):
    bad = tmp_path / "bad.csv"
    bad.write_text("response_id,coder,code\nr1,alice,x\n,bruno,y\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        agree.read_codings(bad)
    assert err.value.row == 3 and err.value.column == "response_id" and "bad.csv" in str(err.value)
    no_coder = tmp_path / "nocoder.csv"
    no_coder.write_text("response_id,code\nr1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="coder"):
        agree.read_codings(no_coder)
    with pytest.raises(InputError, match="segment_id"):
        agree.read_codings(agree_dir / "two_coders.csv", unit="segment")
    with pytest.raises(InputError, match="introuvable"):
        agree.read_codings(tmp_path / "absent.csv")
    other = tmp_path / "codings.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="format"):
        agree.read_codings(other)


def test_qdpx_project_gives_its_codings_and_every_source_as_seen(tmp_path):
    """A real .qdpx (exported by the exchange stage): its codings, and the answers nobody coded
    counted as seen without a code."""
    from transitions_analysis.exchange import export_qdpx

    folder = tmp_path / "coded"
    folder.mkdir()
    r1, r2, r3 = (make_response_id("f.csv", row, "q1") for row in (2, 3, 4))
    texts = {r1: "coopérer ensemble", r2: "valeur créée", r3: "rien"}
    pd.DataFrame({
        "response_id": list(texts), "source_file": "f.csv", "source_row": [2, 3, 4], "session": "", "territory": "",
        "respondent_id": ["P1", "P2", "P3"], "role": "elu", "role_raw": "", "question_id": "q1", "question": "",
        "text": list(texts.values()),
    }).to_csv(folder / "responses.csv", index=False)
    pd.DataFrame({
        "segment_id": ["", ""], "response_id": [r1, r2], "code": [A, V], "source": "human", "score": 1.0,
        "start": [0, 0], "end": [len(texts[r1]), len(texts[r2])], "evidence": [texts[r1], texts[r2]],
        "negated": False, "coder": ["ana", "ana"],
    }).to_csv(folder / "codings.csv", index=False)
    project = export_qdpx(folder, tmp_path / "p.qdpx")
    codings = agree.read_codings(project)
    assert set(codings["response_id"]) == {r1, r2, r3}
    assert codings.loc[codings["response_id"] == r1, "code"].tolist() == [A]
    assert codings.loc[codings["response_id"] == r3, "code"].tolist() == [""]
    assert set(codings["coder"]) == {"ana"}


# --------------------------------------------------------------------------- adjudication


def test_disagreement_table_lists_units_where_coders_differ(two_coders):
    texts = {"r1": "coopérer avec les élus", "r3": "s'engager"}
    df = agree.disagreements(two_coders, texts)
    assert list(df.columns) == ["unité", "texte", "codeurs", "codes en désaccord", "alice", "bruno", "décision"]
    assert list(df["unité"]) == ["r1", "r3", "r5"]  # r2/r4 agreed, r6 seen by one coder
    r1 = df.set_index("unité").loc["r1"]
    assert r1["texte"] == "coopérer avec les élus"
    assert r1["codes en désaccord"] == f"{E} (1/2)"
    assert r1["alice"] == f"{E}; {A}" and r1["bruno"] == A
    assert df.set_index("unité").loc["r3", "alice"] == adjudication.NO_CODE_LABEL
    assert (df["décision"] == "").all()
    crowd = agree.disagreements(two_coders, max_coder_columns=1)
    assert "codages par codeur" in crowd.columns and "alice" not in crowd.columns


def test_adjudication_round_trip_through_xlsx(two_coders, tmp_path):
    from openpyxl import load_workbook

    path = agree.write_disagreements_xlsx(agree.disagreements(two_coders), tmp_path / "desaccords.xlsx")
    wb = load_workbook(path)
    sheet = wb["désaccords"]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "unité" and headers[-1] == "décision"
    decision_col = headers.index("décision") + 1
    units = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    sheet.cell(row=units.index("r1") + 2, column=decision_col, value=f"{A} ; {E}")
    sheet.cell(row=units.index("r3") + 2, column=decision_col, value="aucun")
    wb.save(path)

    adjudication = agree.read_adjudication(path, codes=[A, E, G, V])
    assert set(adjudication["coder"]) == {"adjudication"}
    assert adjudication[["response_id", "code"]].values.tolist() == [["r1", E], ["r1", A], ["r3", ""]]

    ref = agree.reference_codings(two_coders, adjudication)
    got = {(u, c, k) for u, c, k in ref[["response_id", "coder", "code"]].itertuples(index=False)}
    assert got == {
        ("r1", "adjudication", E), ("r1", "adjudication", A), ("r2", "consensus", V),
        ("r3", "adjudication", ""), ("r4", "consensus", ""),
    }  # r5 (disagreement, not adjudicated) and r6 (one coder) are left out


def test_disagreements_xlsx_keeps_formula_looking_text_as_text(tmp_path):
    from openpyxl import load_workbook

    table = pd.DataFrame({"unité": ["r1"], "texte": ['=HYPERLINK("http://x","clic")'], "décision": [""]})
    path = agree.write_disagreements_xlsx(table, tmp_path / "desaccords.xlsx")
    cell = load_workbook(path)["désaccords"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","clic")' and cell.data_type == "s"


def test_read_adjudication_rejects_unknown_codes(tmp_path):
    path = tmp_path / "adj.csv"
    path.write_text("unité,décision\nr1,principle.cooperation\nr2,principle.cooperaton\nr3,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        agree.read_adjudication(path, codes=[A])
    assert err.value.row == 3
    assert len(agree.read_adjudication(path)) == 2  # r3: no decision yet


def test_compare_machine_against_the_reference(two_coders, agree_dir):
    adjudication = frame([("r1", "adjudication", A), ("r1", "adjudication", E), ("r3", "adjudication", "")])
    ref = agree.reference_codings(two_coders, adjudication)
    machine = agree.read_codings(agree_dir / "machine" / "codings.csv")
    table = agree.compare_machine(ref, machine)
    rules = table[table["coder"] == "rules"].set_index("code")
    assert (rules["n_units"] == 4).all()  # r1-r4 are in the reference
    assert rules.loc[A, ["precision", "recall", "f1"]].tolist() == [1.0, 1.0, 1.0]
    assert math.isnan(rules.loc[E, "precision"]) and rules.loc[E, "recall"] == 0.0
    overall = rules.loc[agree.ALL_CODES]
    assert overall["precision"] == 1.0 and overall["recall"] == pytest.approx(1 / 3) and overall["f1"] == pytest.approx(0.5)
    model = table[table["coder"] == "model"].set_index("code")
    assert model.loc[V, "recall"] == 1.0 and model.loc[V, "krippendorff_alpha"] == pytest.approx(1.0)
    # a reference unit the machine frame never mentions: absent by default, or left out
    partial = machine[machine["response_id"] != "r4"]
    kept = agree.compare_machine(ref, partial, missing_as_absent=True)
    dropped = agree.compare_machine(ref, partial, missing_as_absent=False)
    assert kept["n_units"].max() == 4 and dropped["n_units"].max() == 3


# --------------------------------------------------------------------------- figure and CLI


def test_plot_alpha_draws_intervals_thresholds_and_french_labels(two_coders):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = agree.agreement_table(two_coders, n_boot=100, codes=[A, "outcome.financial"])
    fig = plot_alpha(table)
    ax = fig.axes[0]
    assert "α de Krippendorff" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "Ensemble" in ticks and "Coopération" in ticks and len(ticks) == len(table)
    xs = {round(line.get_xdata()[0], 3) for line in ax.get_lines() if len(set(line.get_xdata())) == 1}
    assert {0.667, 0.8} <= xs
    assert any("non défini" in t.get_text() for t in ax.texts)  # the unused code
    plt.close(fig)


def test_cli_json_has_exactly_the_contract_keys(agree_dir, capsys):
    status = main(["agree", str(agree_dir / "krippendorff2011_nominal.csv"), "--exclusive", "--json", "--bootstrap", "50"])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in data][-1] == "__all__"
    for d in data:
        assert list(d) == list(agree.JSON_KEYS)
        assert sorted(d["cohen_kappa"]) == ["A|B", "A|C", "A|D", "B|C", "B|D", "C|D"]
    overall = data[-1]
    assert overall["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    assert overall["n_units"] == 11 and overall["n_coders"] == 4
    v5 = next(d for d in data if d["code"] == "value5")
    assert v5["fleiss_kappa"] is None  # NaN -> null (nobody used value5 on the 8 complete units)


def test_cli_table_and_disagreements_file(agree_dir, tmp_path, capsys):
    out_xlsx = tmp_path / "a_arbitrer.xlsx"
    status = main(["agree", str(agree_dir / "two_coders.csv"), "--bootstrap", "20", "--disagreements", str(out_xlsx)])
    assert status == 0
    text = capsys.readouterr().out
    for header in ("code", "unités", "accord %", "alpha", "IC 95 %", "kappa Fleiss", "kappa Cohen", "ensemble"):
        assert header in text
    assert "alice|bruno" in text
    assert len(pd.read_excel(out_xlsx)) == 3


def test_cli_bad_unit_is_one_french_line(agree_dir, capsys):
    status = main(["agree", str(agree_dir / "two_coders.csv"), "--unit", "segment"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("erreur : ") and "segment_id" in err and "Traceback" not in err


# --------------------------------------------------------------------------- real data (AN 2016)


@pytest.fixture(scope="module")
def an2016(request):
    shared = request.getfixturevalue("shared_dir")
    return shared / "data" / "an2016_egalite_fh_crowdcoded"


@pytest.mark.shared
def test_an2016_loader_counts(an2016):
    raw = pd.read_csv(an2016 / datasets.AN2016_CODINGS_FILE, dtype=str, keep_default_na=False)
    n_blank = int((raw["affirmations_raw"] == "0").sum())
    absent = datasets.load_an2016_codings(an2016, blank="absent")
    missing = datasets.load_an2016_codings(an2016, blank="missing")
    assert absent["coder"].nunique() == len(raw) and absent["response_id"].nunique() == raw["document_id"].nunique()
    assert missing["coder"].nunique() == len(raw) - n_blank
    # every tick of the source is one coding row
    ticks = raw[list(datasets.AN2016_CODES)].astype(int).to_numpy().sum()
    assert (absent["code"] != "").sum() == ticks
    texts = datasets.load_an2016_texts(an2016)
    assert set(absent["response_id"]) <= set(texts["response_id"])


@pytest.mark.shared
def test_an2016_per_code_alpha_and_blank_forms(an2016):
    import krippendorff

    content = list(datasets.AN2016_CONTENT_CODES)
    tables = {}
    for blank in ("missing", "absent"):
        codings = datasets.load_an2016_codings(an2016, blank=blank, codes=content)
        tables[blank] = agree.agreement_table(codings, n_boot=200, codes=content).set_index("code")
    for table in tables.values():
        alpha = table["krippendorff_alpha"].dropna()
        assert ((alpha >= -1) & (alpha <= 1)).all()
        assert (table["alpha_ci_low"].dropna() <= table["alpha_ci_high"].dropna()).all()
    raw = pd.read_csv(an2016 / datasets.AN2016_CODINGS_FILE, dtype=str, keep_default_na=False)
    per_doc = raw.groupby("document_id").size()
    assert tables["absent"]["n_units"].iloc[0] == (per_doc >= 2).sum()
    assert tables["missing"]["n_units"].iloc[0] < tables["absent"]["n_units"].iloc[0]
    # a code no volunteer ticked has an undefined alpha
    unused = [c for c in content if raw[c].astype(int).sum() == 0]
    for code in unused:
        assert math.isnan(tables["missing"].loc[code, "krippendorff_alpha"])
    # blank forms counted as « all absent » add spurious absences: more disagreement on codes others
    # gave, so chance-corrected agreement drops overall and for most content codes
    m, a = tables["missing"]["krippendorff_alpha"], tables["absent"]["krippendorff_alpha"]
    assert m[agree.ALL_CODES] > a[agree.ALL_CODES]
    used = [c for c in content if c not in unused]
    assert sum(m[c] > a[c] for c in used) > len(used) / 2
    # independent route for one code: the package on a coders x units reliability matrix
    kept = raw[raw["affirmations_raw"] != "0"]
    matrix = kept.pivot(index="coding_id", columns="document_id", values="C_nouvelles_mesures").astype(float)
    expected = krippendorff.alpha(reliability_data=matrix.to_numpy(), level_of_measurement="nominal")
    assert m["C_nouvelles_mesures"] == pytest.approx(expected)


def test_cli_disagreements_take_texts_from_the_responses_beside(tmp_path, agree_dir, capsys):
    import shutil

    shutil.copy(agree_dir / "two_coders.csv", tmp_path / "codings.csv")
    shutil.copy(agree_dir / "machine" / "responses.csv", tmp_path / "responses.csv")
    out = tmp_path / "d.xlsx"
    assert main(["agree", str(tmp_path / "codings.csv"), "--bootstrap", "0", "--disagreements", str(out)]) == 0
    df = pd.read_excel(out, dtype=str, keep_default_na=False).set_index("unité")
    assert df.loc["r1", "texte"] == "coopérer ensemble"


def test_read_codings_from_xlsx_keeps_empty_codes(agree_dir, tmp_path):
    raw = pd.read_csv(agree_dir / "two_coders.csv", dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / "codages.xlsx", index=False)
    from_xlsx = agree.read_codings(tmp_path / "codages.xlsx")
    pd.testing.assert_frame_equal(from_xlsx, agree.read_codings(agree_dir / "two_coders.csv"))
    assert (from_xlsx["code"] == "").sum() == 3
