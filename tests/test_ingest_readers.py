"""Readers: every format, encoding and delimiter; broken files give errors naming file/line/column."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from transitions_analysis.core.errors import InputError, MappingError
from transitions_analysis.ingestion import readers
from transitions_analysis.pipeline import ingest
from transitions_analysis.ingestion.readers import detect_delimiter, parse_session, slug_question, split_speaker
from transitions_analysis.core.roles import load_role_table
from transitions_analysis.core.schema import REJECTED, RESPONSES

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

LONG_ROWS = [
    ["Vous êtes", "Question", "Réponse"],
    ["Élue", "Qu'avez-vous retenu ?", "La coopération, ça se construit dans la durée ; pas en un jour."],
    ["Chargée de mission", "Qu'avez-vous retenu ?", 'Le "pas à pas" :\nélargir le périmètre petit à petit.'],
    ["DDTM 17", "Qu'attendez-vous des élus ?", "Qu'ils portent les projets au-delà du mandat, à l'œuvre."],
]
LONG_MAPPING = 'columns:\n  role: "Vous êtes"\n  question: "Question"\n  text: "Réponse"\nsession: 2023-01-18\n'


def _csv_text(rows, delim):
    def quote(cell):
        if any(c in cell for c in (delim, '"', "\n")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    return "".join(delim.join(quote(c) for c in row) + "\r\n" for row in rows)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _balanced(result):
    s = result.summary
    assert s["read"] == s["kept"] + s["rejected"] == len(result.responses) + len(result.rejected)
    assert s["balanced"] is True
    for f in s["files"]:
        assert f["read"] == f["kept"] + f["rejected"]
    assert list(result.responses.columns) == list(RESPONSES)
    assert list(result.rejected.columns) == list(REJECTED)
    return s


@pytest.mark.parametrize("delim", [",", ";", "\t"])
@pytest.mark.parametrize(
    "encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]
)
def test_csv_every_delimiter_and_encoding(tmp_path, delim, encoding, expected):
    src = _write(tmp_path / "retours.csv", _csv_text(LONG_ROWS, delim), encoding)
    _write(tmp_path / "retours.mapping.yaml", LONG_MAPPING)
    result = ingest([src], anonymise=False)
    s = _balanced(result)
    assert s["files"][0]["encoding"] == expected
    assert s["files"][0]["delimiter"] == delim
    r = result.responses
    assert r["text"].tolist() == [row[2] for row in LONG_ROWS[1:]]
    assert r["source_row"].tolist() == [2, 3, 4]  # spreadsheet rows, the multi-line cell is one row
    assert r["role"].tolist() == ["elu", "agent", "etat"]
    assert r["session"].unique().tolist() == ["2023-01-18"]
    assert r["question_id"].iloc[0] == r["question_id"].iloc[1] == slug_question("Qu'avez-vous retenu ?")
    assert r["question_id"].iloc[2] != r["question_id"].iloc[0]


def test_latin1_fallback_when_cp1252_cannot_decode(tmp_path):
    # 0x81 and 0x9D are undefined in cp1252: only latin-1 reads such a file
    raw = "text\nPréfecture \x81 et DDT\n".encode("latin-1")
    (tmp_path / "vieux.csv").write_bytes(raw)
    result = ingest([tmp_path / "vieux.csv"], anonymise=False)
    assert result.summary["files"][0]["encoding"] == "latin-1"
    assert result.responses["text"].iloc[0].startswith("Préfecture")


def test_cp1252_specific_characters_of_french_excel(tmp_path):
    # ’ œ … are 0x92 0x9c 0x85 in cp1252 (they do not exist in latin-1)
    _write(tmp_path / "excel.csv", "text;role\r\nL’œuvre collective… enfin;élu\r\n", "cp1252")
    result = ingest([tmp_path / "excel.csv"], anonymise=False)
    assert result.responses["text"].iloc[0] == "L’œuvre collective… enfin"
    assert result.summary["files"][0]["encoding"] == "cp1252"


def test_detect_delimiter_ignores_delimiters_inside_quotes():
    text = 'text;role\n"un, deux, trois, quatre";élu\n"cinq, six";agent\n'
    assert detect_delimiter(text) == ";"
    assert detect_delimiter("text\nune seule colonne, avec virgule\n") == ","


def test_unterminated_quote_names_file_line_and_column(tmp_path):
    src = _write(tmp_path / "casse.csv", 'role;text\nélu;"ok"\nagent;"pas fermé\nsuite\n')
    with pytest.raises(InputError) as exc:
        ingest([src], anonymise=False)
    err = exc.value
    assert err.path.endswith("casse.csv")
    assert err.line == 3 and err.row == 3 and err.column == "text"
    assert "guillemet" in str(err) and "ligne 3" in str(err)


def test_too_many_fields_names_row_line_and_column(tmp_path):
    src = _write(tmp_path / "decale.csv", 'role;text\nélu;"a\nb"\nagent;trop;de champs\n')
    with pytest.raises(InputError, match="trop de champs") as exc:
        ingest([src], anonymise=False)
    assert exc.value.row == 3 and exc.value.line == 4 and exc.value.column == 3


def test_unknown_session_date_format_names_row_and_column(tmp_path):
    _write(tmp_path / "d.csv", "Date;text\n16/03/2021;ok\nle 3e mardi de mars;ko\n")
    _write(tmp_path / "d.mapping.yaml", 'columns:\n  session: "Date"\n')
    with pytest.raises(InputError, match="format de date inconnu") as exc:
        ingest([tmp_path / "d.csv"], anonymise=False)
    assert exc.value.row == 3 and exc.value.column == "Date"


@pytest.mark.parametrize(
    "value,iso",
    [
        ("16/03/2021", "2021-03-16"),
        ("2021-03-16", "2021-03-16"),
        ("16/03/2021 14:32", "2021-03-16"),
        ("16 mars 2021", "2021-03-16"),
        ("mardi 1er février 2022", "2022-02-01"),
        ("21 SEPTEMBRE 2022", "2022-09-21"),
        ("16.03.2021", "2021-03-16"),
        (dt.date(2023, 5, 17), "2023-05-17"),
        ("", ""),
    ],
)
def test_session_dates_become_iso(value, iso):
    assert parse_session(value) == iso


def test_impossible_dates_are_refused():
    with pytest.raises(ValueError):
        parse_session("31/02/2021")
    with pytest.raises(ValueError):
        parse_session("mars 2021")


def test_no_text_column_without_mapping_is_an_input_error(tmp_path):
    src = _write(tmp_path / "sans_texte.csv", "Vous êtes;Réponse\nélu;oui\n")
    with pytest.raises(InputError, match="aucune colonne de texte"):
        ingest([src], anonymise=False)


# --------------------------------------------------------------------------- mapping validation


@pytest.mark.parametrize(
    "yaml_text,match,key",
    [
        ("colums:\n  text: Réponse\n", "clé inconnue 'colums'", "colums"),
        ("columns:\n  texte: Réponse\n", "clé inconnue columns.texte", "columns.texte"),
        ('columns:\n  text: "Réponse"\n  role: "Votre rôle"\n', "colonne attendue absente", "Votre rôle"),
        ('columns:\n  text: "Réponse"\nnames: ["Nom"]\n', "colonne attendue absente", "Nom"),
        ('questions:\n  q1: "Qu\'avez-vous retenu ?"\n', "colonne attendue absente", "Qu'avez-vous retenu ?"),
        ('columns:\n  text: "Réponse"\nquestions:\n  q1: "Réponse"\n', "s'excluent", "questions"),
        ("columns: [text]\n", "'columns' doit", "columns"),
        ("session: demain\n", "format de date inconnu", "session"),
    ],
)
def test_mapping_errors_name_the_yaml_file_and_key(tmp_path, yaml_text, match, key):
    _write(tmp_path / "export.csv", "Vous êtes;Réponse\nélu;oui\n")
    _write(tmp_path / "export.mapping.yaml", yaml_text)
    with pytest.raises(MappingError, match=match) as exc:
        ingest([tmp_path / "export.csv"], anonymise=False)
    assert exc.value.path.endswith("export.mapping.yaml")
    assert exc.value.column == key


def test_broken_mapping_yaml_gives_its_line(tmp_path):
    _write(tmp_path / "export.csv", "text\noui\n")
    _write(tmp_path / "export.mapping.yaml", "columns:\n  text: [Réponse\n")
    with pytest.raises(MappingError, match="YAML illisible") as exc:
        ingest([tmp_path / "export.csv"], anonymise=False)
    assert exc.value.line is not None


def test_table_keys_in_a_transcript_mapping_are_refused(tmp_path):
    shutil.copy(FIXTURES / "2023-03-15_groupe_pairs_elus.txt", tmp_path / "t.txt")
    _write(tmp_path / "t.mapping.yaml", "columns:\n  text: x\n")
    with pytest.raises(MappingError, match="ne s'applique qu'aux tableaux"):
        ingest([tmp_path / "t.txt"], anonymise=False)


# --------------------------------------------------------------------------- wide forms


FORM_HEADER = [
    "Numéro de soumission", "Date de création", "Adresse IP", "UID", "Nom", "Prénom", "Courriel",
    "Date de la session", "Vous êtes :", "Votre territoire",
    "Qu'avez-vous retenu de cette journée ?", "Qu'attendez-vous des élus ?",
]
FORM_ROWS = [
    ["12", "16/03/2021 17:02", "82.64.10.1", "0", "Dubreuil", "Marie", "marie.dubreuil@example.org",
     "16/03/2021", "Élue", "CC du Val de Sornin", "Tenir le cap, avec Marie Dubreuil comme élue référente.", ""],
    ["13", "16/03/2021 17:05", "82.64.10.2", "0", "Benali", "Karim", "", "16 mars 2021", "technicien·ne",
     "CC du Val de Sornin", "Le pas à pas.", " - "],
    ["14", "17/03/2021 09:10", "2a01:e0a::1", "0", "", "", "", "2021-03-16", "chambre d'agriculture", "",
     "Coopérer, c'est du temps.", "Une vision à long terme"],
]
FORM_MAPPING = """\
encoding: cp1252
delimiter: ";"
columns:
  respondent: "Numéro de soumission"
  session: "Date de la session"
  territory: "Votre territoire"
  role: "Vous êtes :"
names: ["Nom", "Prénom"]
drop: ["Courriel", "Date de création"]
questions:
  q_retenu: "Qu'avez-vous retenu de cette journée ?"
  q_attentes_elus: "Qu'attendez-vous des élus ?"
"""


def test_framaforms_wide_export_becomes_long(tmp_path):
    _write(tmp_path / "framaforms.csv", _csv_text([FORM_HEADER, *FORM_ROWS], ";"), "cp1252")
    _write(tmp_path / "framaforms.mapping.yaml", FORM_MAPPING)
    result = ingest([tmp_path / "framaforms.csv"], anonymise=False)
    s = _balanced(result)
    assert s["read"] == 6 and s["kept"] == 4 and s["rejected_by_reason"] == {"empty": 2}
    r = result.responses
    assert r[["source_row", "question_id"]].values.tolist() == [
        [2, "q_retenu"], [3, "q_retenu"], [4, "q_retenu"], [4, "q_attentes_elus"]
    ]
    assert r["session"].unique().tolist() == ["2021-03-16"]
    assert r["role"].tolist() == ["elu", "agent", "socio_eco", "socio_eco"]
    assert r["question"].iloc[0] == "Qu'avez-vous retenu de cette journée ?"
    assert r.loc[r["source_row"] == 4, "respondent_id"].nunique() == 1
    assert r["respondent_id"].nunique() == 3
    flat = r.to_csv() + result.rejected.to_csv()
    for secret in ("82.64.10.1", "marie.dubreuil@example.org", "17/03/2021"):
        assert secret not in flat
    assert set(result.rejected["column"]) == {"Qu'attendez-vous des élus ?"}
    assert "Adresse IP" in s["files"][0]["dropped_columns"]


def test_framaforms_names_are_handed_to_the_anonymiser(tmp_path, monkeypatch):
    seen = {}

    def fake_anonymise(df, *, columns=("text", "role_raw"), names_column="_names", nlp=None, cache_dir=None, progress=None):
        seen["columns"], seen["names"] = tuple(columns), df[names_column].tolist()
        out = df.drop(columns=[names_column]).copy()
        for col in columns:
            out[col] = out[col].str.replace("Marie Dubreuil", "[PERSONNE_1]", regex=False)
        return out

    import transitions_analysis.pipeline as anonymise

    monkeypatch.setattr(anonymise, "anonymise_frame", fake_anonymise)
    _write(tmp_path / "framaforms.csv", _csv_text([FORM_HEADER, *FORM_ROWS], ";"), "cp1252")
    _write(tmp_path / "framaforms.mapping.yaml", FORM_MAPPING)
    result = ingest([tmp_path / "framaforms.csv"], nlp="NLP")
    # answers, role labels, question wordings and column headers go through it
    assert seen["columns"] == ("text", "role_raw", "question", "column")
    # kept and rejected answers together (6), then the file, mapping and dropped column names
    assert ["Dubreuil Marie"] in seen["names"][:6] and [] in seen["names"][:6]
    assert len(seen["names"]) > 6 and all(n == [] for n in seen["names"][6:])
    assert "[PERSONNE_1]" in result.responses["text"].iloc[0]
    assert "Marie Dubreuil" not in result.responses.to_csv()


def test_framaforms_export_without_mapping_is_detected(tmp_path):
    header = ["Numéro de soumission", "Heure de soumission", "Adresse IP", "Nom d'utilisateur", "Vous êtes :",
              "Qu'avez-vous retenu ?", "Une suggestion ?"]
    rows = [["1", "21/09/2022 16:00", "10.1.2.3", "mdupont", "Maire", "La systémie", "Plus de pauses"],
            ["2", "21/09/2022 16:02", "10.1.2.4", "", "DREAL", "Les 4 principes", ""]]
    _write(tmp_path / "export_framaforms.csv", _csv_text([header, *rows], ","))
    result = ingest([tmp_path / "export_framaforms.csv"], anonymise=False)
    s = _balanced(result)
    assert s["files"][0]["format"] == "framaforms-csv"
    r = result.responses
    assert r["question_id"].tolist() == ["q1", "q2", "q1"]
    assert r["role"].tolist() == ["elu", "elu", "etat"]
    assert "mdupont" not in r.to_csv() and "10.1.2.3" not in r.to_csv()


def test_duplicate_answer_of_same_respondent_is_rejected_naming_the_kept_one(tmp_path):
    text = "respondent;question;text\nA1;Attentes ?;Du temps\nA1;Attentes ?;Du  temps\nA2;Attentes ?;Du temps\n"
    _write(tmp_path / "doublons.csv", text)
    result = ingest([tmp_path / "doublons.csv"], anonymise=False)
    _balanced(result)
    rej = result.rejected
    assert rej["reason"].tolist() == ["duplicate"] and rej["source_row"].tolist() == [3]
    kept_id = result.responses.loc[result.responses["source_row"] == 2, "response_id"].item()
    assert kept_id in rej["detail"].item()
    assert result.responses["source_row"].tolist() == [2, 4]


# --------------------------------------------------------------------------- XLSX


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_first_sheet_by_default_and_sheet_from_mapping(tmp_path):
    sheets = {
        "Consignes": [["text"], ["Ne pas coder cette feuille"]],
        "Post-its": [
            ["Date", "Rôle", "Post-it"],
            [dt.datetime(2022, 11, 16), "Adjointe", "Le temps long"],
            [None, None, None],
            ["16/11/2022", "DGS", 42],
            [dt.datetime(2022, 11, 16), "DDT", "#REF!"],
        ],
    }
    _workbook(tmp_path / "atelier.xlsx", sheets)
    first = ingest([tmp_path / "atelier.xlsx"], anonymise=False)
    assert first.responses["text"].tolist() == ["Ne pas coder cette feuille"]
    assert first.summary["files"][0]["sheet"] == "Consignes"
    _write(tmp_path / "atelier.mapping.yaml",
           'sheet: "Post-its"\ncolumns:\n  session: Date\n  role: "Rôle"\n  text: "Post-it"\nquestion_id: postits\n')
    result = ingest([tmp_path / "atelier.xlsx"], anonymise=False)
    s = _balanced(result)
    r = result.responses
    assert r["source_row"].tolist() == [2, 4]  # the blank row 3 keeps its number
    assert r["text"].tolist() == ["Le temps long", "42"]
    assert r["session"].tolist() == ["2022-11-16", "2022-11-16"]
    assert r["role"].tolist() == ["elu", "agent"]
    assert s["rejected_by_reason"] == {"empty": 1, "unreadable": 1}  # the blank row is reported


def test_xlsx_missing_sheet_is_a_mapping_error(tmp_path):
    _workbook(tmp_path / "a.xlsx", {"Feuil1": [["text"], ["x"]]})
    _write(tmp_path / "a.mapping.yaml", "sheet: Post-its\n")
    with pytest.raises(MappingError, match="feuille 'Post-its' absente") as exc:
        ingest([tmp_path / "a.xlsx"], anonymise=False)
    assert exc.value.column == "sheet" and exc.value.path.endswith("a.mapping.yaml")


def test_xlsx_that_is_not_a_zip_is_an_input_error(tmp_path):
    _write(tmp_path / "faux.xlsx", "Nom;Texte\nceci est un CSV renommé\n")
    with pytest.raises(InputError, match="XLSX illisible") as exc:
        ingest([tmp_path / "faux.xlsx"], anonymise=False)
    assert exc.value.path.endswith("faux.xlsx")


# --------------------------------------------------------------------------- transcripts and chats


def test_transcript_turns_timecodes_facilitator_and_session(tmp_path):
    result = ingest([FIXTURES / "2023-03-15_groupe_pairs_elus.txt"], anonymise=False)
    s = _balanced(result)
    assert s["files"][0]["format"] == "transcript"
    r, rej = result.responses, result.rejected
    assert r["source_row"].tolist() == [3, 6, 10]
    assert r["role_raw"].tolist() == ["Élue", "Agent", "Maire"]
    assert r["role"].tolist() == ["elu", "agent", "elu"]
    assert r["territory"].tolist() == ["", "CC du Val de Sornin", ""]
    assert r["session"].unique().tolist() == ["2023-03-15"]
    assert r["text"].iloc[0].endswith("la régie de chaleur, on l'a lancée en 2016.")  # "Par exemple :" stays text
    assert "\n" in r["text"].iloc[0]
    assert r["text"].iloc[1].endswith("Marie l'a dit.")
    assert rej[["source_row", "reason"]].values.tolist() == [[9, "facilitator"], [11, "empty"]]
    # one respondent per speaker; the speaker's name is hashed, never a column
    assert r["respondent_id"].nunique() == 3
    assert not r.isin(["Marie Dubreuil", "Karim Benali"]).any().any()
    assert "Dubreuil" not in "".join(r["respondent_id"])


def test_transcript_session_from_comment_when_file_name_has_none(tmp_path):
    shutil.copy(FIXTURES / "2023-03-15_groupe_pairs_elus.txt", tmp_path / "groupe_pairs.txt")
    result = ingest([tmp_path / "groupe_pairs.txt"], anonymise=False)
    assert result.responses["session"].unique().tolist() == ["2023-03-15"]
    _write(tmp_path / "groupe_pairs.mapping.yaml", "session: 16/11/2022\nquestion_id: debrief\nquestion: Débrief\n")
    result = ingest([tmp_path / "groupe_pairs.txt"], anonymise=False)
    assert result.responses["session"].unique().tolist() == ["2022-11-16"]
    assert result.responses["question_id"].unique().tolist() == ["debrief"]


def test_french_one_line_chat(tmp_path):
    result = ingest([FIXTURES / "chat_zoom_fr_18-01-2023.txt"], anonymise=False)
    s = _balanced(result)
    assert s["files"][0]["format"] == "chat"
    r = result.responses
    assert r["source_row"].tolist() == [2, 3, 5]
    assert r["role_raw"].tolist() == ["élue CC du Val de Sornin", "DDT 26", ""]
    assert r["role"].tolist() == ["elu", "etat", "inconnu"]
    assert r["territory"].tolist() == ["", "", "Mairie de Saint-Vérand"]
    assert r["text"].iloc[2] == "Question : qui finance l'ingénierie ?\nEt sur combien d'années ?"
    assert r["session"].unique().tolist() == ["2023-01-18"]
    assert sorted(result.rejected["reason"]) == ["facilitator", "private"]


def test_english_two_line_and_one_line_chat(tmp_path):
    text = (
        "10:15:32 From Jean Dupont to Everyone: Très intéressant la systémie\n"
        "10:16:01 From  Marie L. - DDT 26  to  Everyone:\n"
        "\tMessage sur\n\tdeux lignes\n"
        "10:17:00 From  Sophie (élue CC du Val de Sornin)  to  Jean Dupont(Direct Message):\n"
        "\ttu restes pour l'après-midi ?\n"
        "10:18:00 From  Claire - animatrice  to  Everyone:\n\tPause de 10 minutes\n"
        "10:19:00 From  Paul M. | Chambre d'agriculture  to  Everyone:\n\tReacted to \"Très intéressant...\" with 👍\n"
    )
    _write(tmp_path / "2021-03-16_chat.txt", text)
    result = ingest([tmp_path / "2021-03-16_chat.txt"], anonymise=False)
    s = _balanced(result)
    r = result.responses
    assert r["text"].tolist() == ["Très intéressant la systémie", "Message sur\ndeux lignes"]
    assert r["role"].tolist() == ["inconnu", "etat"]
    assert s["rejected_by_reason"] == {"facilitator": 1, "private": 1, "reaction": 1}
    assert r["session"].unique().tolist() == ["2021-03-16"]


def test_speaker_labels_split_into_name_role_territory():
    table = load_role_table()
    assert split_speaker("Élue - Marie D.", name_first=False, table=table) == ("Marie D.", "Élue", "")
    assert split_speaker("Agent - Karim B. (CC du Val de Sornin)", name_first=False, table=table) == (
        "Karim B.", "Agent", "CC du Val de Sornin")
    assert split_speaker("Marie L. - DDT 26", name_first=True, table=table) == ("Marie L.", "DDT 26", "")
    assert split_speaker("Sophie (élue CC du Val de Sornin)", name_first=True, table=table) == (
        "Sophie", "élue CC du Val de Sornin", "")
    assert split_speaker("Paul M. | Mairie de X", name_first=True, table=table) == ("Paul M.", "", "Mairie de X")
    assert split_speaker("Claude B. (maire, CC des Coteaux)", name_first=True, table=table) == (
        "Claude B.", "maire", "CC des Coteaux")


def test_untimed_role_dash_name_label_opens_a_turn(tmp_path):
    """« Cheffe de projet - Léa M. (...) : » without timecode is a turn, not part of the previous one."""
    path = tmp_path / "2022-11-16_groupe.txt"
    path.write_text(
        "[00:01:00] DGS - Nadia K. : On manque de temps pour tout.\n"
        "Cheffe de projet - Léa M. (CC du Val) : Ah oui mais ça —\n"
        "[00:01:20] DGS - Nadia K. : Attends, je finis.\n",
        encoding="utf-8",
    )
    read = readers.read_text_file(path, readers.Mapping(), source_file=path.name, table=load_role_table())
    assert [a["source_row"] for a in read.answers] == [1, 2, 3]
    assert read.answers[0]["text"] == "On manque de temps pour tout."
    assert read.answers[1]["role_raw"] == "Cheffe de projet"


def test_blank_rows_amid_data_are_reported_not_skipped(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["text", "role"])
    ws.append(["Coopérer enfin.", "élue"])
    ws.append([None, None])
    ws.append(["Évaluer dans la durée.", "DDT"])
    path = tmp_path / "postits.xlsx"
    wb.save(path)
    result = ingest(path, anonymise=False)
    assert list(result.responses["source_row"].astype(int)) == [2, 4]
    blank = result.rejected[result.rejected["reason"] == "empty"]
    assert list(blank["source_row"].astype(int)) == [3]
    assert result.summary["read"] == 3
