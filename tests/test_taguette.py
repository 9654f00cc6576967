"""Taguette's CSV codebook both ways: our export is what Taguette's import reads (checked against a
real Taguette when ``$TAGUETTE_PYTHON`` names one), and Taguette's own CSV imports with its
descriptions (fixtures made by Taguette 1.5.2: tests/fixtures/qda/README.md)."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest

from transitions_analysis.cli import main
from transitions_analysis.core.codebook import load_codebook
from transitions_analysis.core.errors import QDAError
from transitions_analysis.exchange import codebook_taguette_csv, export_taguette_csv, read_qdc
from transitions_analysis.exchange.codes import compose_description, parse_description

QDA_FIXTURES = Path(__file__).parent / "fixtures" / "qda"
TAGUETTE_CSV = QDA_FIXTURES / "taguette-1.5.2-codebook-desc.csv"


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def _comparable(book) -> list[tuple]:
    """What a codebook keeps through Taguette: ids, labels, hierarchy, texts (spaces collapsed)."""
    return [(c.id, c.label, c.parent, " ".join(c.description.split()), c.include, c.exclude, c.examples) for c in book.codes]


def test_csv_for_taguette_has_its_columns_paths_and_one_line_descriptions():
    data = codebook_taguette_csv(None)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF only: no line break inside a cell
    rows = _rows(data)
    assert rows[0] == ["tag", "description"]
    book = load_codebook()
    assert len(rows) == 1 + len(book.codes)  # group codes are tags too
    tags = dict(rows[1:])
    assert "Principes" in tags and "Acteurs.Services de l'État" in tags and "Effets observés.Financement obtenu" in tags
    engagement = tags["Principes.Engagement"]
    assert engagement.startswith("Créer les conditions de l'engagement")
    assert " ‖ À inclure : mobilisation ou implication" in engagement and " | passage à l'action" in engagement
    assert engagement.endswith(" ‖ Identifiant transitions-analysis : principle.engagement")
    assert all(len(path) <= 200 for path in tags)


def test_csv_export_then_import_gives_the_codebook_back(tmp_path):
    path = export_taguette_csv(None, tmp_path / "codebook.csv")
    result = read_qdc(path)
    out = tmp_path / "back.yaml"
    assert main(["import-qdc", str(path), "--out", str(out)]) == 0
    assert _comparable(load_codebook(out)) == _comparable(load_codebook())
    assert result.codebook["codes"][0]["id"] == "principle"


def test_one_line_description_reads_back_like_the_multi_line_one():
    book = load_codebook()
    for code in book.codes:
        description, lists, our_id = parse_description(compose_description(code))
        assert parse_description(compose_description(code, one_line=True)) == (" ".join(description.split()), lists, our_id)
    # a description that merely contains the separator characters stays a description
    assert parse_description("a | b") == ("a | b", {"include": [], "exclude": [], "examples": []}, None)


def test_csv_made_by_taguette_imports_with_its_descriptions(tmp_path):
    result = read_qdc(TAGUETTE_CSV)
    codes = {c["id"]: c for c in result.codebook["codes"]}
    assert codes["emotions_negatives"]["description"] == "Émotions exprimées : colère, découragement…"
    assert codes["emotions_negatives.colere"] == {"id": "emotions_negatives.colere", "label": "Colère",
                                                  "description": "Colère exprimée & « fortement »"}
    assert codes["acteurs.elu_es"]["label"] == "Élu·es"
    assert codes["acteurs.elu_es"]["description"] == "Les élu·es (maire, adjointe, VP d'EPCI) ; \"guillemets droits\""
    assert codes["attentes_envers_l_etat_les_agents"]["description"].splitlines()[1] == "À inclure : « il faudrait que l'État… »"
    assert codes["interesting"]["description"] == "Further review required"  # Taguette's default tag is a tag
    # parents Taguette does not hold are created, and said
    assert codes["principes"]["description"] == "" and any("« Principes » absent" in m for m in result.report)
    out = tmp_path / "taguette.yaml"
    assert main(["import-qdc", str(TAGUETTE_CSV), "--out", str(out)]) == 0
    assert load_codebook(out).get("principes.cooperation").parent == "principes"


def test_taguette_qdc_of_the_same_project_has_the_same_codes_without_descriptions():
    from_csv = {c["id"]: c for c in read_qdc(TAGUETTE_CSV).codebook["codes"]}
    from_qdc = {c["id"]: c for c in read_qdc(QDA_FIXTURES / "taguette-1.5.2-codebook-desc.qdc").codebook["codes"]}
    assert set(from_qdc) == set(from_csv)
    assert {c["description"] for c in from_qdc.values()} == {""}


def _csv(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_read_leniently_and_every_tolerance_reported(tmp_path):
    # a French spreadsheet's « ; », Windows-1252, spaces around headers, a child before its parent,
    # a repeated tag and a row without a tag
    text = ("Tag ; Description ;nombre\r\nÉmotions.Colère;fâché;3\r\nÉmotions;ressentis;1\r\n"
            "Émotions;autre;0\r\n;sans nom;0\r\n")
    result = read_qdc(_csv(tmp_path, "tableur.csv", text, encoding="cp1252"))
    codes = [(c["id"], c["label"], c["description"]) for c in result.codebook["codes"]]
    assert codes == [("emotions", "Émotions", "ressentis"), ("emotions.colere", "Colère", "fâché")]
    report = "\n".join(result.report)
    for expected in ("Windows-1252", "séparateur « ; »", "ligne 4", "ligne 5 sans nom de code"):
        assert expected in report, expected
    # a file with no extension that is not XML is read as CSV too
    assert read_qdc(_csv(tmp_path, "codebook", "path\nEspoir\n")).codebook["codes"][0]["label"] == "Espoir"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,description\nEspoir,d\n", "colonne « tag », « name » ou « path »"),
        ("tag,name,description\na,b,c\n", "plusieurs colonnes de nom de code"),
        ("tag,description\n,\n", "aucun code"),
    ],
)
def test_unreadable_csv_codebooks_give_a_french_error_naming_the_file(tmp_path, text, message):
    with pytest.raises(QDAError, match=message) as err:
        read_qdc(_csv(tmp_path, "mauvais.csv", text))
    assert "mauvais.csv" in str(err.value)


def test_a_path_taguette_would_refuse_is_refused_at_export(tmp_path):
    book = {"name": "long", "version": "1", "language": "fr", "description": "",
            "codes": [{"id": "a", "label": "A" * 150, "description": ""},
                      {"id": "a.b", "label": "B" * 60, "description": ""}]}
    with pytest.raises(QDAError, match="Taguette refuse au-delà de 200"):
        codebook_taguette_csv(book)


def test_export_qdc_cli_writes_taguette_csv_for_a_csv_name_or_on_request(tmp_path):
    assert main(["export-qdc", "--out", str(tmp_path / "c.csv")]) == 0
    assert (tmp_path / "c.csv").read_bytes() == codebook_taguette_csv(None)
    assert main(["export-qdc", "--out", str(tmp_path / "c.txt"), "--format", "taguette"]) == 0
    assert (tmp_path / "c.txt").read_bytes() == codebook_taguette_csv(None)
    assert main(["export-qdc", "--out", str(tmp_path / "c.qdc")]) == 0
    assert (tmp_path / "c.qdc").read_bytes().startswith(b"<?xml")


# --------------------------------------------------------------------------- a real Taguette


@pytest.fixture(scope="module")
def taguette():
    python = os.environ.get("TAGUETTE_PYTHON", "")
    if not python or not Path(python).is_file():
        pytest.skip("pas de Taguette : définir TAGUETTE_PYTHON (python d'un environnement avec taguette==1.5.2, "
                    "voir tests/fixtures/qda/README.md)")
    sys.path.insert(0, str(QDA_FIXTURES))
    try:
        import make_taguette_fixture
    finally:
        sys.path.remove(str(QDA_FIXTURES))
    make_taguette_fixture.TAGUETTE_PYTHON = python
    return make_taguette_fixture


@pytest.mark.slow
def test_our_csv_imports_into_taguette_and_its_export_comes_back(taguette, tmp_path):
    path = export_taguette_csv(None, tmp_path / "codebook.csv")
    with taguette.TaguetteServer(taguette.TAGUETTE_PYTHON) as server:
        pid = server.create_project()
        for tag_id, _, _ in server.tags(pid):
            server.delete_tag(pid, tag_id)  # the default « interesting »
        server.import_codebook(pid, path.name, path.read_bytes(), browser=True)  # as a researcher's browser
        held = [(p, d) for _, p, d in server.tags(pid)]
        exported = server.export(pid, "csv")
    assert sorted(held) == sorted(tuple(row) for row in _rows(path.read_bytes())[1:])
    back = _csv(tmp_path, "taguette_export.csv", exported.decode("utf-8"))
    out = tmp_path / "back.yaml"
    assert main(["import-qdc", str(back), "--out", str(out)]) == 0
    # everything comes back but the order: Taguette sorts tags by path
    assert sorted(_comparable(load_codebook(out))) == sorted(_comparable(load_codebook()))
