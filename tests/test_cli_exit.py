"""The command line's one exit path, and the main job on ordinary small exports (issue 10).

- every error a user can cause: one French line naming the file (row, column), exit status 2;
- Ctrl-C: one line, exit status 130, the previous output folder intact;
- anything else: one line naming the file where the full trace was written, exit status 1;
- never a Python traceback on the terminal;
- `report` on the simplest real exports (no session, one role, nothing coded, nothing kept).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from transitions_analysis.cli import main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def last_line(err: str) -> str:
    return [line for line in err.splitlines() if not line.startswith(("INFO", "WARNING", "DEBUG"))][-1]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- defects 1 and 2: report on small exports


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("shape", ["text_only", "one_role", "nothing_coded", "nothing_kept"])
def test_report_on_small_ordinary_exports(tmp_path, capsys, shape):
    rows = {
        # defect 1: no session column at all (the simplest export)
        "text_only": (["text"], [[f"Il faut coopérer avec les services de l'État, réponse {i}."] for i in range(12)]),
        # defect 2: every respondent has the same role
        "one_role": (["text", "role", "session"], [[f"J'attends des élus qu'ils coopèrent {i}.", "agent", "2023-03-15"] for i in range(8)]),
        # defect 2: the rules code nothing
        "nothing_coded": (["text"], [[f"Blabla {i} zzz."] for i in range(5)]),
        # defect 2: every answer is rejected
        "nothing_kept": (["text"], [[""], ["."], ["  "]]),
    }[shape]
    src = _csv(tmp_path / "export.csv", *rows)
    code, err = run(capsys, "-q", "report", str(src), "--out", str(tmp_path / "rapport"), "--no-model", "--no-cache")
    assert code == 0, err
    html = (tmp_path / "rapport" / "synthese.html").read_text(encoding="utf-8")
    assert "Traceback" not in html
    assert (tmp_path / "rapport" / "synthese.xlsx").is_file()


@pytest.mark.model
def test_code_with_zero_answers_kept_writes_empty_tables(tmp_path, capsys):
    src = _csv(tmp_path / "vide.csv", ["text"], [[""], ["."]])
    code, err = run(capsys, "-q", "code", str(src), "--out", str(tmp_path / "code"), "--no-model", "--no-cache")
    assert code == 0, err
    assert pd.read_csv(tmp_path / "code" / "codings.csv").empty
    assert json.loads((tmp_path / "code" / "ingest_summary.json").read_text())["rejected"] == 2


@pytest.mark.slow
def test_report_on_a_coded_folder_whose_texts_hold_control_characters(tmp_path, capsys, fixtures_dir):
    coded = tmp_path / "code"
    coded.mkdir()
    for f in (fixtures_dir / "synthesis").glob("*.csv"):
        (coded / f.name).write_bytes(f.read_bytes())
    # spaces become vertical tabs (same offsets), in the answers and in the segments quoted from them
    for name in ("responses", "segments"):
        table = pd.read_csv(coded / f"{name}.csv", dtype=str, keep_default_na=False)
        table["text"] = table["text"].str.replace(" ", "\x0b")
        table.to_csv(coded / f"{name}.csv", index=False)
    code, err = run(capsys, "-q", "report", str(coded), "--out", str(tmp_path / "rapport"))
    assert code == 0, err
    assert (tmp_path / "rapport" / "synthese.xlsx").is_file()
    assert not list(tmp_path.glob(".rapport.*"))  # no temporary folder left


# --------------------------------------------------------------------------- defect 3: one exit path


def test_an_internal_error_is_one_line_and_a_trace_file(monkeypatch, capsys, tmp_path):
    from transitions_analysis.cli import commands

    def boom(args):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(commands, "run_export_qdc", boom)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code, err = run(capsys, "export-qdc", "--out", str(tmp_path / "x.qdc"))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    trace = Path(err.split("trace complète écrite dans ")[1].split(" ;")[0])
    assert trace.is_file() and "RuntimeError: panne simulée" in trace.read_text(encoding="utf-8")


def test_ctrl_c_is_one_line_and_leaves_the_previous_folder_whole(monkeypatch, capsys, tmp_path):
    import transitions_analysis.pipeline as pipeline

    src = _csv(tmp_path / "export.csv", ["text"], [["Une réponse."], ["Une autre."]])
    out = tmp_path / "ingest"
    code, _ = run(capsys, "-q", "ingest", str(src), "--out", str(out), "--no-cache")
    assert code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(frame, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "anonymise_frame", interrupted)
    code, err = run(capsys, "-q", "ingest", str(src), "--out", str(out), "--no-cache")
    assert code == 130 and "interrompu" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_run_replaces_the_whole_folder_but_keeps_hidden_files(capsys, tmp_path):
    src = _csv(tmp_path / "export.csv", ["text"], [["Une réponse."]])
    out = tmp_path / "ingest"
    out.mkdir()
    (out / "codings.csv").write_text("vieux fichier d'une autre exécution\n")
    (out / ".gitkeep").write_text("")
    code, _ = run(capsys, "-q", "ingest", str(src), "--out", str(out), "--no-cache")
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [".gitkeep", "ingest_summary.json", "rejected.csv", "responses.csv"]
    assert not [p for p in tmp_path.iterdir() if ".en-cours-" in p.name or ".ancien-" in p.name]


@pytest.mark.parametrize("argv,match", [
    (["agree", "{d}/vide.csv"], "fichier vide"),
    (["agree", "{d}/ragged.csv"], "trop de champs"),
    (["agree", "{d}/binaire.csv"], "caractère nul"),
    (["agree", "{d}/faux.xlsx"], "pas une archive .xlsx valide"),
    (["agree", "{d}/codages.csv", "--bootstrap", "100000000"], "--bootstrap doit être entre 0 et 100000"),
    (["agree", "{d}/codages.csv", "--disagreements", "{d}"], "dossier existant"),
    (["agree", "{d}/introuvable.csv"], "introuvable"),
    (["ingest", "{d}/codages.csv", "--out", "{d}/codages.csv"], "fichier existant"),
    (["ingest", "{d}/codages.csv", "--out", "{d}/codages.csv/sous-dossier"], "impossible d'écrire ici"),
    (["report", "{d}/codages.csv", "--out", "{d}/codages.csv"], "fichier existant"),
    (["code", "{d}/reponses.csv", "--out", "{d}/c", "--human-codings", "{d}/ragged.csv"], "trop de champs"),
    (["ingest", "{d}/codages.csv", "--out", "{d}/i"], "codage humain"),
    (["export-qdc", "--out", "{d}"], "dossier existant"),
    (["import-qdpx", "{d}/faux.xlsx", "--out", "{d}/q"], "faux.xlsx"),
])
def test_user_errors_are_one_french_line_with_exit_status_2(tmp_path, capsys, argv, match):
    (tmp_path / "vide.csv").write_bytes(b"")
    (tmp_path / "ragged.csv").write_text("response_id,coder,code\nr1,a,x,extra,more\n")
    (tmp_path / "binaire.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "faux.xlsx").write_bytes(b"PK\x03\x04garbage")
    (tmp_path / "codages.csv").write_text("response_id,coder,code\nr1,a,x\nr1,b,x\nr2,a,y\nr2,b,\n")
    (tmp_path / "reponses.csv").write_text("text\nUne réponse.\n")
    code, err = run(capsys, *[a.format(d=tmp_path) for a in argv])
    assert code == 2, err
    line = last_line(err)
    assert line.startswith("erreur : ") and match in line


def test_a_file_the_system_refuses_is_named(monkeypatch, capsys, tmp_path):
    src = _csv(tmp_path / "export.csv", ["text"], [["Une réponse."]])
    real = Path.read_bytes

    def refuse(self):
        if self.name == "export.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, err = run(capsys, "ingest", str(src), "--out", str(tmp_path / "out"), "--no-cache")
    assert code == 2
    assert "export.csv" in last_line(err) and "permission refusée" in last_line(err)


def test_agree_finds_the_unit_column_itself(tmp_path, capsys):
    (tmp_path / "seg.csv").write_text("segment_id,coder,code\ns1,a,x\ns1,b,x\ns2,a,y\ns2,b,\n")
    code, err = run(capsys, "agree", str(tmp_path / "seg.csv"), "--bootstrap", "0", "--json")
    assert code == 0, err


def test_agree_reads_a_cp1252_file(tmp_path, capsys):
    (tmp_path / "c.csv").write_bytes("response_id;coder;code\nr1;Hélène;x\nr1;Zoé;x\nr2;Hélène;y\nr2;Zoé;\n".encode("cp1252"))
    code, err = run(capsys, "agree", str(tmp_path / "c.csv"), "--bootstrap", "0")
    assert code == 0, err


def test_bootstrap_memory_does_not_grow_with_the_draws():
    from transitions_analysis.agreement.statistics import _resample_blocks

    blocks = list(_resample_blocks(50, 2500, 1))
    assert [b.shape for b in blocks] == [(1000, 50), (1000, 50), (500, 50)]
