"""Ingest orchestration: directory mode, no-loss invariant, determinism, outputs, CLI, anonymisation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from transitions_analysis import config
from transitions_analysis.cli import main
from transitions_analysis.core.errors import InputError
from transitions_analysis.core.ids import make_respondent_id, make_response_id
from transitions_analysis.ingestion import collect_files, summary_fr
from transitions_analysis.pipeline import ingest
from transitions_analysis.pipeline import write_ingested as write_ingest
from transitions_analysis.core.schema import REJECTED, RESPONSES

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def _fake_anonymise(df, *, columns=("text", "role_raw"), names_column="_names", nlp=None, cache_dir=None, progress=None):
    """Stand-in for the real anonymiser: replaces the known names, drops the names column."""
    out = df.drop(columns=[names_column]).copy()
    full = {n for names in df[names_column] for n in names}
    names = sorted(full | {w for n in full for w in n.split() if len(w) > 2}, key=len, reverse=True)
    for col in columns:
        values = out[col].tolist()
        for name in names:
            values = [v.replace(name, "[PERSONNE]") for v in values]
        out[col] = values
    return out


@pytest.fixture
def fake_anonymiser(monkeypatch):
    import transitions_analysis.pipeline as anonymise

    monkeypatch.setattr(anonymise, "anonymise_frame", _fake_anonymise)


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A small input folder: transcript, chat, long CSV, README, mapping, an unsupported file."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("2023-03-15_groupe_pairs_elus.txt", "chat_zoom_fr_18-01-2023.txt"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "postits.csv").write_bytes(
        "Rôle;Post-it\r\nÉlu·e;« Tenir le cap »\r\nDGS;\r\nDGS;Oser dire non\r\n".encode("cp1252")
    )
    (folder / "postits.mapping.yaml").write_text(
        'session: 18/01/2023\nquestion_id: postit\nquestion: "Ce que je retiens"\n'
        'columns:\n  role: "Rôle"\n  text: "Post-it"\n',
        encoding="utf-8",
    )
    (folder / "README.md").write_text("Exports de l'atelier du 18 janvier.\n", encoding="utf-8")
    (folder / "compte_rendu.docx").write_bytes(b"PK\x03\x04")
    return folder


def test_directory_mode_reads_every_supported_file_sorted(corpus):
    result = ingest([corpus], anonymise=False)
    s = result.summary
    assert [f["file"] for f in s["files"]] == [
        "2023-03-15_groupe_pairs_elus.txt", "chat_zoom_fr_18-01-2023.txt", "postits.csv"
    ]
    assert [f["format"] for f in s["files"]] == ["transcript", "chat", "csv"]
    assert s["skipped"] == [{"file": "compte_rendu.docx", "reason": "format non pris en charge"}]
    assert s["read"] == s["kept"] + s["rejected"] and s["balanced"]
    assert s["read"] == sum(f["read"] for f in s["files"]) == 5 + 5 + 3
    assert result.responses["source_file"].is_monotonic_increasing
    postit = result.responses[result.responses["source_file"] == "postits.csv"]
    assert postit["text"].tolist() == ["« Tenir le cap »", "Oser dire non"]
    assert postit["role"].tolist() == ["elu", "agent"]
    first = postit.iloc[0]
    assert first["response_id"] == make_response_id("postits.csv", 2, "postit")
    assert first["respondent_id"] == make_respondent_id("postits.csv", "row:2")
    assert s["files"][2]["encoding"] == "cp1252" and s["files"][2]["mapping"] == "postits.mapping.yaml"


def test_every_input_answer_is_kept_or_rejected_with_a_reason(corpus):
    result = ingest([corpus], anonymise=False)
    rows_in = {(f["file"], f["read"]) for f in result.summary["files"]}
    per_file = (
        pd.concat([result.responses[["source_file"]], result.rejected[["source_file"]]])
        .value_counts()
        .to_dict()
    )
    assert {(k[0], v) for k, v in per_file.items()} == rows_in
    assert set(result.rejected["reason"]) == {"empty", "facilitator", "private"}
    assert result.rejected["detail"].str.len().min() > 0
    assert result.summary["rejected_by_reason"] == result.rejected["reason"].value_counts().sort_index().to_dict()


def test_source_file_is_relative_to_the_folder_or_the_file_name(corpus):
    single = ingest([corpus / "postits.csv"], anonymise=False)
    assert single.responses["source_file"].unique().tolist() == ["postits.csv"]
    files, skipped = collect_files([corpus])
    assert all("/" not in source for _, source in files) and len(skipped) == 1


def test_explicit_unsupported_or_missing_file_is_an_input_error(corpus):
    with pytest.raises(InputError, match="format non pris en charge") as exc:
        ingest([corpus / "compte_rendu.docx"], anonymise=False)
    assert exc.value.path.endswith("compte_rendu.docx")
    with pytest.raises(InputError, match="introuvable"):
        ingest([corpus / "absent.csv"], anonymise=False)


def test_same_file_name_from_two_folders_is_refused(corpus, tmp_path):
    other = tmp_path / "autre"
    other.mkdir()
    shutil.copy(corpus / "postits.csv", other / "postits.csv")
    with pytest.raises(InputError, match="même nom"):
        ingest([corpus, other], anonymise=False)


def test_outputs_are_byte_identical_across_runs(corpus, tmp_path, fake_anonymiser):
    out1, out2 = tmp_path / "run1", tmp_path / "run2"
    write_ingest(ingest([corpus]), out1)
    write_ingest(ingest([corpus]), out2)
    for name in ("responses.csv", "rejected.csv", "ingest_summary.json"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    raw = (out1 / "responses.csv").read_bytes()
    assert b"\r\n" not in raw.replace(b'"\r\n', b"")  # "\n" line terminator
    responses = pd.read_csv(out1 / "responses.csv", dtype=str, keep_default_na=False)
    assert list(responses.columns) == list(RESPONSES)
    assert list(pd.read_csv(out1 / "rejected.csv", dtype=str).columns) == list(REJECTED)
    summary = json.loads((out1 / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == summary["kept"] + summary["rejected"]


def test_anonymiser_runs_before_anything_is_returned(corpus, fake_anonymiser):
    result = ingest([corpus])
    written = result.responses.to_csv() + result.rejected.to_csv()
    for name in ("Marie Dubreuil", "Karim Benali", "Sophie Arnaud", "Paul Morel"):
        assert name not in written
    assert "[PERSONNE]" in written
    assert "_names" not in result.responses.columns and "_names" not in result.rejected.columns
    assert result.summary["anonymised"] is True


def test_refuses_to_write_inside_data_raw(corpus, tmp_path):
    result = ingest([corpus], anonymise=False)
    with pytest.raises(InputError, match="data/raw"):
        write_ingest(result, config.RAW_DIR / "sortie")
    with pytest.raises(InputError, match="data/raw"):
        write_ingest(result, tmp_path / "projet" / "data" / "raw" / "x")
    assert not (config.RAW_DIR / "sortie").exists()


def test_unmapped_role_labels_are_counted(tmp_path):
    (tmp_path / "r.csv").write_text("role,text\nretraité,a\nRetraité,b\nmaire,c\nretraité,d\n", encoding="utf-8")
    result = ingest([tmp_path / "r.csv"], anonymise=False)
    assert result.summary["unmapped_role_labels"] == {"retraité": 2, "Retraité": 1}
    assert result.summary["roles"] == {"elu": 1, "inconnu": 3}
    assert "retraité" in summary_fr(result.summary)


def test_role_table_option_extends_roles(tmp_path):
    (tmp_path / "r.csv").write_text("role,text\nretraité,a\n", encoding="utf-8")
    roles = tmp_path / "roles.yaml"
    roles.write_text("roles:\n  socio_eco:\n    words: [retraite]\n", encoding="utf-8")
    assert ingest([tmp_path / "r.csv"], anonymise=False, role_table=roles).responses["role"].item() == "socio_eco"


def test_many_rows_wide_form(tmp_path):
    n = 3000
    lines = ["Numéro de soumission;Vous êtes :;Q1;Q2;Q3"]
    lines += [f"{i};{'élue' if i % 2 else 'DDT'};Réponse {i} à la première;;Réponse {i % 7}" for i in range(1, n + 1)]
    (tmp_path / "grand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "grand.mapping.yaml").write_text(
        'columns:\n  respondent: "Numéro de soumission"\n  role: "Vous êtes :"\nquestions:\n  a: Q1\n  b: Q2\n  c: Q3\n',
        encoding="utf-8",
    )
    result = ingest([tmp_path / "grand.csv"], anonymise=False)
    assert result.summary["read"] == 3 * n
    assert result.summary["kept"] == 2 * n and result.summary["rejected_by_reason"] == {"empty": n}
    assert result.responses["response_id"].is_unique


def test_cli_writes_outputs_and_logs_a_french_summary(corpus, tmp_path, fake_anonymiser, capsys):
    out = tmp_path / "sortie"
    assert main(["ingest", str(corpus), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ingest_summary.json", "rejected.csv", "responses.csv"]
    log = capsys.readouterr().err
    assert "13 réponses lues, 8 gardées, 5 rejetées" in log and "bilan équilibré" in log


def test_cli_input_errors_are_one_french_line(tmp_path, capsys):
    (tmp_path / "casse.csv").write_text('text\n"pas fermé\n', encoding="utf-8")
    assert main(["ingest", str(tmp_path / "casse.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("erreur : ") and "casse.csv" in err and "ligne 2" in err
    assert main(["ingest", str(tmp_path / "casse.csv"), "--out", str(config.RAW_DIR / "x")]) == 2
    assert "data/raw" in capsys.readouterr().err


@pytest.mark.model
def test_real_anonymiser_removes_speaker_names_everywhere(corpus, fr_nlp, tmp_path):
    result = ingest([corpus], nlp=fr_nlp)
    paths = write_ingest(result, tmp_path / "out")
    written = "".join(paths[n].read_text(encoding="utf-8") for n in ("responses.csv", "rejected.csv", "ingest_summary.json"))
    for name in ("Dubreuil", "Benali", "Sophie Arnaud", "Paul Morel", "Gérard Ponsot"):
        assert name not in written
    assert "[PERSONNE_" in written
    assert result.summary["balanced"]


def test_a_form_submitted_twice_is_rejected_as_duplicate(tmp_path, fake_anonymiser):
    """Same answers under a new submission number: the second submission is a duplicate."""
    path = tmp_path / "formulaire.csv"
    path.write_text(
        "Numéro de soumission;Vous êtes :;Qu'avez-vous retenu ?;Qu'attendez-vous des élus ?\n"
        "101;maire;La coopération.;Un cap clair.\n"
        "102;DDT;Rien de neuf;\n"
        "103;maire;La coopération.;Un cap clair.\n"
        "104;maire;La coopération.;Autre chose.\n",
        encoding="utf-8",
    )
    (tmp_path / "formulaire.mapping.yaml").write_text(
        "columns:\n  respondent: \"Numéro de soumission\"\n  role: \"Vous êtes :\"\n"
        "questions:\n  q_retenu: \"Qu'avez-vous retenu ?\"\n  q_attentes_elus: \"Qu'attendez-vous des élus ?\"\n",
        encoding="utf-8",
    )
    result = ingest(path)
    dup = result.rejected[result.rejected["reason"] == "duplicate"]
    assert sorted(dup["source_row"].astype(int)) == [4, 4]
    # a respondent sharing one answer but not the whole submission is kept whole
    assert (result.responses["source_row"].astype(int) == 5).sum() == 2
    assert result.summary["read"] == len(result.responses) + len(result.rejected)


def test_files_given_out_of_name_order_still_give_rows_in_file_order(tmp_path):
    """The responses table is in (file, row, question) order: files given as b then a are
    sorted; given as a then b (already in order), the same table without a sort."""
    for name, rows in (("a.csv", ["premier", "deuxième"]), ("b.csv", ["troisième", "quatrième"])):
        (tmp_path / name).write_text("text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    backwards = ingest([tmp_path / "b.csv", tmp_path / "a.csv"], anonymise=False, cache_dir=None).responses
    forwards = ingest([tmp_path / "a.csv", tmp_path / "b.csv"], anonymise=False, cache_dir=None).responses
    assert backwards["text"].tolist() == ["premier", "deuxième", "troisième", "quatrième"]
    pd.testing.assert_frame_equal(backwards, forwards)


def test_answers_turned_into_a_table_by_slices_give_the_same_table(tmp_path, monkeypatch):
    """Ingestion turns every ``config.INGEST_SLICE`` kept answers into a table as it reads
    (memory of a large export): slices of 2 answers, across two files, a rejected duplicate
    amid them, give the table of one slice."""
    (tmp_path / "a.csv").write_text("text\nun\ndeux\ntrois\ndeux\ncinq\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text\nsix\nsept\n", encoding="utf-8")
    whole = ingest(tmp_path, anonymise=False, cache_dir=None)
    monkeypatch.setattr(config, "INGEST_SLICE", 2)
    sliced = ingest(tmp_path, anonymise=False, cache_dir=None)
    pd.testing.assert_frame_equal(sliced.responses, whole.responses)
    pd.testing.assert_frame_equal(sliced.rejected, whole.rejected)
    assert len(whole.responses) == 6 and whole.summary == sliced.summary
