"""The report on the hand-made coded fixture (fast), and on the sample corpus (slow, model)."""

from __future__ import annotations

import re
import shutil
from html import unescape
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from transitions_analysis import config, pipeline
from transitions_analysis import reporting as report  # noqa: E402
from transitions_analysis import synthesis as syn  # noqa: E402
from transitions_analysis.core.io import read_coded  # noqa: E402
from transitions_analysis.cli import main  # noqa: E402
from transitions_analysis.lexicometry.synthesis import TABLE_TITLES_FR as LEXICAL_TITLES_FR  # noqa: E402


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.ids, self.imgs = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img" and attrs.get("src", "").startswith("data:image/png;base64,"):
            self.imgs += 1

    def handle_data(self, data):
        self.parts.append(data)


def parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def built(fixtures_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("rapport")
    tables = read_coded(fixtures_dir / "synthesis")
    return report.build_report(tables, out, k=3, n_boot=50), tables


def test_report_writes_every_output(built):
    result, _ = built
    out = result.out_dir
    assert result.html == out / "synthese.html" and result.xlsx == out / "synthese.xlsx"
    stems = [*syn.TABLE_TITLES_FR, *LEXICAL_TITLES_FR]
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == sorted(f"{s}.csv" for s in stems)
    assert sorted(p.name for p in (out / "tableur").glob("*.csv")) == sorted(f"{s}.csv" for s in stems)
    assert result.french_tables["matrice_attentes"] == out / "tableur" / "matrice_attentes.csv"
    for name in ("principes_par_role", "attentes_diagramme", "attentes_matrice", "principes_par_session",
                 "programme_chronologie", "cooccurrences", "reponses_par_session", "reponses_par_role",
                 "reponses_par_question", "lexique_specificites", "lexique_classes", "lexique_afc"):
        for fmt in ("svg", "pdf", "png"):
            assert (out / "figures" / f"{name}.{fmt}").is_file(), (name, fmt)


def test_html_sections_figures_and_quotes(built):
    result, _ = built
    html = unescape(result.html.read_text(encoding="utf-8"))
    page = parse(html)
    assert page.ids[:10] == ["chiffres", "retient", "attentes", "enjeux", "effets", "sessions", "accord", "donnees",
                             "lexique", "methode"]
    text = " ".join(page.parts)
    for heading in ("Chiffres clés", "Ce que chaque catégorie retient", "Ce que chaque catégorie attend des autres",
                    "Enjeux et stratégies", "Effets observés", "Les données : ce qui a été lu"):
        assert heading in text
    assert page.imgs >= 9  # figures embedded: the page stands alone
    assert "«\u00a0Que l'État coopère avec nous.\u00a0»" in html  # a shown quote (élus -> État, 3 people)
    assert "Des élus disponibles pour les réunions de suivi." not in html  # withheld (État -> élus, 2 people)
    assert "Citations masquées : moins de 3 répondant·es" in text
    assert "seulement indicatif" in text  # the small-count warning, in French
    assert "retraité" in text  # unmapped role label
    assert "Pas de double codage humain" in text
    assert "envers leur propre catégorie" in text  # the élu -> élus expectation, out of the matrix
    assert "<script" not in html.lower()


def test_html_key_figures(built):
    result, _ = built
    text = " ".join(parse(result.html.read_text(encoding="utf-8")).parts)
    kpis = re.findall(r"(\d[\d,]*)\s+(sessions datées|territoires|participant·es \(répondant·es distinct·es\)|réponses analysées)", text)
    assert dict((label, value) for value, label in kpis) == {
        "sessions datées": "3", "territoires": "5", "participant·es (répondant·es distinct·es)": "17", "réponses analysées": "40"}


def test_xlsx_one_sheet_per_table_in_french(built):
    result, _ = built
    sheets = pd.read_excel(result.xlsx, sheet_name=None)
    assert list(sheets) == [t[:31] for t in (*syn.TABLE_TITLES_FR.values(), *LEXICAL_TITLES_FR.values())]
    matrix = sheets["Matrice des attentes"]
    assert {"Qui attend", "De qui", "Répondant·es", "Citation 1"} <= set(matrix.columns)
    assert int(matrix["Répondant·es"].sum()) == 17  # 3+1 élus, 3+2 agents, 3+1 socio, 2+1 État, 1 inconnu
    assert list(sheets["Réponses par session"].columns[:2]) == ["Date de session", "Session"]


def test_every_table_has_distinct_french_headers(built):
    """No English column name reaches a researcher: every column of every table has a French label,
    and no two columns of a sheet share one."""
    from transitions_analysis.core.labels import COLUMN_LABELS_FR

    result, _ = built
    for stem, table in result.synthesis.items():
        assert not [c for c in table.columns if c not in COLUMN_LABELS_FR], stem
        view, _ = report.spreadsheet_view(table)
        assert len(set(view.columns)) == len(view.columns), stem
    for name, sheet in pd.read_excel(result.xlsx, sheet_name=None).items():
        assert not [c for c in sheet.columns if str(c).endswith(".1")], name  # pandas renames a repeated header


def test_xlsx_formats_numbers_headers_and_quotes_and_never_writes_a_formula(built):
    from openpyxl import load_workbook

    result, _ = built
    book = load_workbook(result.xlsx)
    shares = book["Principes retenus par rôle"]
    headers = {c.value: c for c in shares[1]}
    assert all(c.font.b for c in shares[1]) and shares.freeze_panes == "A2" and shares.auto_filter.ref
    assert shares.cell(row=2, column=headers["Part"].column).number_format == "0.0 %"
    assert shares.cell(row=2, column=headers["Répondant·es"].column).number_format == "#,##0"
    test = book["Test rôle × principe"]
    p_col = next(c.column for c in test[1] if c.value == "p")
    assert test.cell(row=2, column=p_col).number_format.startswith('[<0.001]"< 0,001"')
    matrix = book["Matrice des attentes"]
    # booleans read oui/non, not True/False
    assert {c.value for c in matrix[next(c.column_letter for c in matrix[1] if c.value == "Citations masquées")][1:]} <= {"oui", "non"}


def test_xlsx_stores_formula_looking_text_as_text_and_cohen_kappa_one_column_per_pair(tmp_path):
    import zipfile

    from openpyxl import load_workbook

    table = pd.DataFrame({
        "code": ["principle.value", "__all__"], "n_units": [10, 10], "percent_agreement": [0.9, 0.8],
        "cohen_kappa": [{"A|B": 0.5, "A|C": 0.25, "B|C": 1.0}, {"A|B": 0.75}],
        "note": ["=HYPERLINK(\"http://x\")", "+33 6 12 34 56 78"],
        "quote_1": ["court", "On attend des élus qu'ils tiennent la ligne quand ça devient difficile, pas seulement "
                             "au moment des élections, et que les agents soient associés dès le diagnostic."],
    })
    path = report.write_xlsx({"accord": table}, tmp_path / "t.xlsx", titles={"accord": "Accord"})
    sheet = load_workbook(path)["Accord"]
    assert [c.value for c in sheet[1]] == ["Code", "Unités", "Accord observé", "κ de Cohen (A / B)",
                                          "κ de Cohen (A / C)", "κ de Cohen (B / C)", "Note", "Citation 1"]
    # a long quote: column 60 wide, wrapped, its row high enough for its lines (spreadsheets do not compute it)
    assert sheet.column_dimensions["H"].width == 60 and sheet["H3"].alignment.wrap_text and sheet["H3"].alignment.vertical == "top"
    assert sheet.row_dimensions[3].height >= 30 and sheet.row_dimensions[2].height is None
    assert sheet["C2"].number_format == "0.0 %"
    assert [c.value for c in sheet[2]][3:6] == [0.5, 0.25, 1.0] and [c.value for c in sheet[3]][3:6] == [0.75, None, None]
    assert sheet["D2"].number_format == "0.00"
    assert sheet["G2"].value == "=HYPERLINK(\"http://x\")" and sheet["G2"].data_type == "s"
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode("utf-8")  # no live formula anywhere
    with pytest.raises(ValueError, match="en-tête « Réponses » en double"):
        report.spreadsheet_view(pd.DataFrame({"answers": [1], "responses": [2]}))


def test_french_csvs_open_in_a_french_spreadsheet_and_hold_the_same_tables(built):
    result, _ = built
    for stem, table in result.synthesis.items():
        path = result.out_dir / "tableur" / f"{stem}.csv"
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data, stem
        french = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        view, _ = report.spreadsheet_view(table)
        assert list(french.columns) == list(view.columns) and len(french) == len(table), stem
    shares = pd.read_csv(result.out_dir / "tableur" / "principes_par_role.csv", sep=";", decimal=",", encoding="utf-8-sig")
    machine = pd.read_csv(result.out_dir / "tables" / "principes_par_role.csv")
    assert shares["Part"].tolist() == pytest.approx(machine["share"].tolist(), abs=1e-4)  # numbers, decimal comma
    assert "," in (result.out_dir / "tables" / "principes_par_role.csv").read_text(encoding="utf-8").splitlines()[0]


PII_EXPORT = """nom;prenom;role;territoire;session;question;text
Chevalier;Odile;adjointe au maire;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Coopérer avec les agents, écrivez-moi : odile.chevalier@mairie-crest.fr
Garnier;Paul;maire;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Il faudrait coopérer davantage, M. Garnier l'a dit, appelez le 06 12 34 56 78
Roux;Anne;conseillère municipale;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Merci à Odile Chevalier : coopérer entre communes voisines
Morel;Luc;DGS;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Coopérer entre services, contact +33 6 98 76 54 32 ou luc.morel@cc-crest.fr
Petit;Nina;chargée de mission;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Coopérer avec Paul Garnier et les élus du territoire
Fabre;Yves;technicien;CC du Crestois;2023-03-15;Qu'avez-vous retenu ?;Coopérer, Anne Roux nous a montré comment
"""
PII = ["Chevalier", "Garnier", "Roux", "Morel", "Odile", "odile.chevalier@mairie-crest.fr", "06 12 34 56 78",
       "+33 6 98 76 54 32", "luc.morel@cc-crest.fr", "Anne", "Nina", "Fabre"]


@pytest.mark.model
def test_personal_data_of_a_raw_export_reaches_no_output(tmp_path):
    export = tmp_path / "exports" / "atelier.csv"
    export.parent.mkdir()
    export.write_text(PII_EXPORT, encoding="utf-8")
    raw = export.read_text(encoding="utf-8")
    assert all(p in raw for p in PII)  # the check below can fail: every item is in the input
    out = tmp_path / "rapport"
    result = pipeline.report_inputs([export.parent], out, use_model=False, cache=False)
    written = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".csv", ".json")]
    assert result.html in written and (out / "data" / "code" / "codings.csv") in written
    blob = "\n".join(p.read_text(encoding="utf-8") for p in written)
    blob += "\n".join(pd.read_excel(result.xlsx, sheet_name=None, dtype=str).__repr__() for _ in [0])
    found = [p for p in PII if re.search(rf"(?<![\w@.+]){re.escape(p)}(?![\w@])", blob)]
    assert not found, found
    assert "[EMAIL]" in blob and "[TELEPHONE]" in blob and "[PERSONNE_" in blob


def test_agreement_section_when_double_coding_exists(fixtures_dir, tmp_path):
    tables = read_coded(fixtures_dir / "synthesis")
    rows = []
    for rid in tables.responses["response_id"]:
        for coder in ("codeuse_A", "codeur_B"):
            code = "principle.cooperation" if (rid in ("R01", "R03", "R04") or (coder == "codeur_B" and rid == "R05")) else ""
            rows.append({"response_id": rid, "coder": coder, "code": code})
    human = pd.DataFrame(rows)
    result = report.build_report(tables, tmp_path, k=3, human_codings=human, n_boot=20, figure_formats=("png",))
    text = " ".join(parse(result.html.read_text(encoding="utf-8")).parts)
    assert "α de Krippendorff" in text and "40 réponses codées par 2" in text
    assert (tmp_path / "tables" / "accord_codeurs.csv").is_file()
    assert (tmp_path / "figures" / "accord_codeurs.png").is_file()
    assert "Accord entre codeurs" in pd.ExcelFile(result.xlsx).sheet_names
    sheet = pd.read_excel(result.xlsx, sheet_name="Accord entre codeurs")
    assert sheet["Code"].iloc[-1] == "Ensemble des codes" and "κ de Cohen (codeur_B / codeuse_A)" in sheet.columns
    assert {"Unités (κ de Fleiss)", "Codages portant le code"} <= set(sheet.columns)
    assert pd.read_csv(tmp_path / "tables" / "accord_codeurs.csv")["code"].iloc[-1] == "__all__"  # machine-readable
    assert (tmp_path / "tableur" / "accord_codeurs.csv").is_file()


def test_sessions_option_restricts_the_report(fixtures_dir, tmp_path):
    tables = read_coded(fixtures_dir / "synthesis")
    result = report.build_report(tables, tmp_path, sessions=["2023"], n_boot=0, figure_formats=("png",))
    prog = pd.read_csv(tmp_path / "tables" / "indicateurs_programme.csv", keep_default_na=False)
    assert prog["year"].tolist() == ["2023", "total"]
    assert "Sessions retenues pour ce rapport : 2023" in result.html.read_text(encoding="utf-8")


def test_cli_report_on_a_coded_folder(fixtures_dir, tmp_path):
    out = tmp_path / "r"
    assert main(["report", str(fixtures_dir / "synthesis"), "--out", str(out), "--k", "2"]) == 0
    m = pd.read_csv(out / "tables" / "matrice_attentes.csv", keep_default_na=False, dtype=str)
    cell = m[(m["from_role"] == "etat") & (m["to_role"] == "elu")].iloc[0]
    assert cell["withheld"] == "False" and cell["quote_1"] != ""  # k = 2 shows the two-person cell


def test_cli_refuses_raw_and_bad_k(fixtures_dir, tmp_path, capsys):
    assert main(["report", str(fixtures_dir / "synthesis"), "--out", str(config.RAW_DIR / "x")]) == 2
    assert "data/raw" in capsys.readouterr().err
    assert main(["report", str(fixtures_dir / "synthesis"), "--out", str(tmp_path), "--k", "0"]) == 2
    assert main(["report", str(tmp_path / "absent"), "--out", str(tmp_path)]) == 2


def test_work_dir_decision(tmp_path):
    assert pipeline.work_dir_for(config.REPORTS_DIR) == config.PROCESSED_DIR
    assert pipeline.work_dir_for(tmp_path) == tmp_path / "data"


def _known_pii(feedback_dir) -> tuple[set[str], set[str]]:
    """E-mails and full names written in the raw sample (read from the files themselves)."""
    raw = "\n".join(p.read_text(encoding=enc, errors="ignore") for p in sorted(feedback_dir.iterdir())
                    if p.suffix in (".csv", ".txt") for enc in (["cp1252"] if "framaforms" in p.name else ["utf-8"]))
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+\w", raw))
    names = set()
    frama = feedback_dir / "2021_questionnaire_framaforms.csv"
    if frama.is_file():
        df = pd.read_csv(frama, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
        for first, last in zip(df["Prénom"], df["Nom"]):
            if first.strip() and last.strip():
                names |= {f"{first.strip()} {last.strip()}", f"{last.strip()} {first.strip()}"}
    return emails, names


@pytest.mark.slow
@pytest.mark.model
def test_sample_report_has_no_names_or_emails(tmp_path):
    if not config.SAMPLE_FEEDBACK_DIR.is_dir():
        pytest.skip("corpus d'exemple absent")
    emails, names = _known_pii(config.SAMPLE_FEEDBACK_DIR)
    assert emails, "the sample should hold e-mails to look for"
    out = tmp_path / "rapport"
    assert main(["report", str(config.SAMPLE_FEEDBACK_DIR), "--out", str(out), "--no-model"]) == 0
    produced = [out / "synthese.html", *sorted((out / "tables").glob("*.csv")), *sorted((out / "tableur").glob("*.csv"))]
    blob = "\n".join(p.read_text(encoding="utf-8-sig") for p in produced)
    assert not [e for e in emails if e in blob]
    assert not [n for n in names if re.search(rf"\b{re.escape(n)}\b", blob)]
    shutil.rmtree(out / "data", ignore_errors=True)


def test_xlsx_is_byte_identical_across_runs(tmp_path):
    import time

    import pandas as pd

    from transitions_analysis.reporting import write_xlsx

    tables = {"principes": pd.DataFrame({"code": ["principle.value"], "part": [0.25]})}
    first = write_xlsx(tables, tmp_path / "a.xlsx", titles={"principes": "Principes par rôle"}).read_bytes()
    time.sleep(1.1)  # openpyxl stamps the save time at one-second resolution
    second = write_xlsx(tables, tmp_path / "b.xlsx", titles={"principes": "Principes par rôle"}).read_bytes()
    assert first == second
    assert pd.read_excel(tmp_path / "a.xlsx", sheet_name="Principes par rôle").iloc[0, 0] == "principle.value"
