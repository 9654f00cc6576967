"""Real and hostile exports through ingestion and the core readers (issue 10): nothing lost in
silence, nothing leaked, a French error naming file, row and column for what cannot be read.

Each test names the defect of the issue it pins (« defect 5 »...); each failed on the branch's
base and passes now.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from transitions_analysis.core.errors import InputError
from transitions_analysis.core.io import read_table
from transitions_analysis.pipeline import ingest


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _balanced(result) -> None:
    s = result.summary
    assert s["read"] == s["kept"] + s["rejected"] == len(result.responses) + len(result.rejected)


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- defect 5


def test_documented_response_id_and_question_id_columns_are_read(tmp_path):
    src = _csv(tmp_path / "ids.csv", "response_id,question_id,question,text\n"
                                     "MON-ID-1,q_retenu,Qu'avez-vous retenu ?,La coopération compte.\n")
    r = ingest([src], anonymise=False).responses
    assert r["response_id"].tolist() == ["MON-ID-1"]
    assert r["question_id"].tolist() == ["q_retenu"]


# --------------------------------------------------------------------------- defect 6


def test_an_empty_first_sheet_is_skipped_and_said(tmp_path, caplog):
    src = _xlsx(tmp_path / "postits.xlsx", {"Lisez-moi": [], "Post-its": [["text"], ["Oser dire non"], ["Tenir le cap"]]})
    with caplog.at_level(logging.WARNING):
        result = ingest([src], anonymise=False)
    assert result.responses["text"].tolist() == ["Oser dire non", "Tenir le cap"]
    assert result.summary["files"][0]["sheet"] == "Post-its"
    assert result.summary["files"][0]["empty_sheets_skipped"] == ["Lisez-moi"]
    assert "Lisez-moi" in caplog.text


# --------------------------------------------------------------------------- defect 8


def test_a_duplicate_text_header_is_an_error_naming_both_columns(tmp_path):
    src = _csv(tmp_path / "double.csv", "text,text\npremière colonne,seconde colonne\n")
    with pytest.raises(InputError, match=r"colonne 'text' en double \(colonnes 1, 2\)") as err:
        ingest([src], anonymise=False)
    assert err.value.row == 1 and err.value.column == 2


def test_a_file_mixing_utf8_and_cp1252_lines_reads_each_line_right(tmp_path):
    raw = "text,role\n".encode() + "Très bien la coopération,élue\n".encode("utf-8") + "Très bien aussi,élue\n".encode("cp1252")
    (tmp_path / "mixte.csv").write_bytes(raw)
    result = ingest([tmp_path / "mixte.csv"], anonymise=False)
    assert result.responses["text"].tolist() == ["Très bien la coopération", "Très bien aussi"]
    assert result.responses["role"].tolist() == ["elu", "elu"]
    assert result.summary["files"][0]["encoding"] == "utf-8+cp1252"


def test_symbolic_links_in_a_folder_are_not_read(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    _csv(folder / "a.csv", "text\nune réponse\n")
    outside = _csv(tmp_path / "ailleurs.csv", "text\nun fichier hors du dossier\n")
    os.symlink(folder / "a.csv", folder / "b.csv")
    os.symlink(outside, folder / "c.csv")
    result = ingest([folder], anonymise=False)
    assert result.responses["text"].tolist() == ["une réponse"]
    assert {s["file"] for s in result.summary["skipped"]} == {"b.csv", "c.csv"}


def test_an_empty_file_is_reported(tmp_path, caplog):
    (tmp_path / "vide.csv").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        result = ingest([tmp_path / "vide.csv"], anonymise=False)
    assert result.summary["skipped"] == [{"file": "vide.csv", "reason": "fichier vide (0 octet)"}]
    assert "vide.csv" in caplog.text and "aucune réponse gardée" in caplog.text


def test_a_coded_folder_missing_a_table_is_not_read_as_exports(tmp_path):
    folder = tmp_path / "code"
    folder.mkdir()
    for name in ("responses", "segments", "expectations"):
        _csv(folder / f"{name}.csv", "response_id,text\nR1,x\n")
    with pytest.raises(InputError, match="codings.csv"):
        ingest([folder], anonymise=False)


# --------------------------------------------------------------------------- defect 10


def test_names_in_file_names_and_question_headers_are_anonymised_everywhere(tmp_path, blank_nlp):
    header = "Numéro de soumission,Date de création,Qu'avez-vous pensé de l'intervention de Mme Hélène Marchetti (06 12 34 56 78) ?"
    src = _csv(tmp_path / "retours_Hélène_Marchetti.csv", f"{header}\n1,2023-01-01,Très claire.\n2,2023-01-01,\n")
    result = ingest([src], nlp=blank_nlp, cache_dir=None)
    written = result.responses.to_csv() + result.rejected.to_csv() + str(result.summary)
    for secret in ("Marchetti", "Hélène", "06 12 34 56 78"):
        assert secret not in written
    assert result.responses["source_file"].tolist() == ["retours_[PERSONNE_1].csv"]
    assert result.responses["question"].iloc[0] == "Qu'avez-vous pensé de l'intervention de Mme [PERSONNE_1] ([TELEPHONE]) ?"
    assert result.rejected["column"].tolist() == [result.responses["question"].iloc[0]]


def test_a_question_id_made_from_a_wording_with_a_name_is_made_again(tmp_path, blank_nlp):
    src = _csv(tmp_path / "long.csv", "question,text\nQue retenez-vous de Mme Hélène Marchetti ?,Sa clarté.\n")
    r = ingest([src], nlp=blank_nlp, cache_dir=None).responses
    assert "marchetti" not in r["question_id"].iloc[0] and "personne" in r["question_id"].iloc[0]


def test_a_utf16_transcript_is_read_and_its_speakers_anonymised(tmp_path, blank_nlp):
    text = ("Compte rendu\n[00:00:10] Élue - Hélène Marchetti (CC du Val) : Nous avons appris à coopérer.\n"
            "[00:01:10] Agent - Paul Dubreuil : Merci Hélène pour cet échange.\n")
    src = _csv(tmp_path / "transcription.txt", text, "utf-16")
    result = ingest([src], nlp=blank_nlp, cache_dir=None)
    _balanced(result)
    assert result.responses["text"].tolist() == ["Nous avons appris à coopérer.", "Merci [PERSONNE_1] pour cet échange."]
    assert result.summary["files"][0]["encoding"] == "utf-16"
    assert "Marchetti" not in result.rejected.to_csv() + result.responses.to_csv()


# --------------------------------------------------------------------------- defect 13 and unclear messages


def test_a_sheet_declaring_sixteen_thousand_columns_is_refused_quickly(tmp_path):
    src = _xlsx(tmp_path / "large.xlsx", {"Feuille": [["text"], ["ok"]]})
    import openpyxl

    wb = openpyxl.load_workbook(src)
    wb.active.cell(row=3, column=16384, value="loin")
    wb.save(src)
    with pytest.raises(InputError, match="colonnes"):
        ingest([src], anonymise=False)


def test_a_workbook_that_inflates_too_much_is_refused(tmp_path):
    src = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(src, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<c/>" * 1_000_000)  # 4 MB that deflate to a few KB
    with pytest.raises(InputError, match="décompress"):
        ingest([src], anonymise=False)


def test_a_workbook_with_a_doctype_is_refused_in_french(tmp_path):
    src = _xlsx(tmp_path / "doctype.xlsx", {"Feuille": [["text"], ["ok"]]})
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/"))
    members[sheet] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + members[sheet]
    with zipfile.ZipFile(src, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(InputError, match="DOCTYPE") as err:
        ingest([src], anonymise=False)
    assert "\n" not in str(err.value)


def test_a_corrupt_sheet_is_an_input_error(tmp_path):
    src = _xlsx(tmp_path / "abime.xlsx", {"Feuille": [["text"], ["ok"]]})
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/"))
    members[sheet] = members[sheet][: len(members[sheet]) // 2]
    with zipfile.ZipFile(src, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(InputError, match="abime.xlsx"):
        ingest([src], anonymise=False)


def test_a_utf16_csv_is_read(tmp_path):
    src = _csv(tmp_path / "utf16.csv", "text\nLa coopération est utile.\n", "utf-16")
    result = ingest([src], anonymise=False)
    assert result.responses["text"].tolist() == ["La coopération est utile."]
    from transitions_analysis.core.io import decode_text

    assert decode_text("text\nx\n".encode("utf-16-le"), "f.csv") == ("text\nx\n", "utf-16")


def test_a_cell_over_128_kib_is_read(tmp_path):
    long = "coopération " * 15_000
    src = _csv(tmp_path / "long.csv", f'text\n"{long}"\nune autre\n')
    assert ingest([src], anonymise=False).responses["text"].tolist() == [long.strip(), "une autre"]


def test_control_characters_are_line_breaks_or_removed(tmp_path):
    src = _csv(tmp_path / "ctrl.csv", 'text\n"Une réponse\x0bsur deux lignes\x07 et une cloche"\n')
    assert ingest([src], anonymise=False).responses["text"].tolist() == ["Une réponse\nsur deux lignes et une cloche"]


# --------------------------------------------------------------------------- core reader (agree, human codings)


@pytest.mark.parametrize("content,match", [
    (b"", "fichier vide"),
    (b"response_id,coder,code\nr1,a,x,extra,more\n", "trop de champs"),
    (bytes(range(256)) * 4, "caractère nul"),
])
def test_read_table_errors_are_french_and_name_the_file(tmp_path, content, match):
    (tmp_path / "t.csv").write_bytes(content)
    with pytest.raises(InputError, match=match) as err:
        read_table(tmp_path / "t.csv")
    assert "t.csv" in str(err.value)


def test_read_table_reads_cp1252_and_semicolons(tmp_path):
    _csv(tmp_path / "t.csv", "response_id;coder;code\nr1;Hélène;principle.engagement\n", "cp1252")
    assert read_table(tmp_path / "t.csv").to_dict("records") == [
        {"response_id": "r1", "coder": "Hélène", "code": "principle.engagement"}]


def test_read_table_refuses_a_file_that_is_not_a_workbook(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError, match="pas une archive .xlsx valide"):
        read_table(tmp_path / "t.xlsx")
    assert isinstance(read_table(_xlsx(tmp_path / "ok.xlsx", {"s": [["a", "b"], ["1", None]]})), pd.DataFrame)


def test_a_codebook_with_an_unclosed_quote_points_at_that_line_in_french():
    from transitions_analysis.core.codebook import parse_codebook
    from transitions_analysis.core.errors import CodebookError

    text = ('name: t\nversion: "1"\nlanguage: fr\ndescription: x\ncodes:\n  - id: principle\n    label: "Principes\n'
            "  - id: principle.cooperation\n    label: Coop\n")
    with pytest.raises(CodebookError, match="jamais fermé") as err:
        parse_codebook(text, path="cb.yaml")
    assert err.value.line == 7  # the line of the quote, not the end of the file (10)
