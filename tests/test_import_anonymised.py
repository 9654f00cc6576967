"""import-qdpx anonymises what it imports (issue 10, defect 9): a project from another tool holds
raw texts; names, e-mails and phones must not reach responses.csv nor codings.csv, and the
codings must still point at the right words of the anonymised texts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from transitions_analysis.cli import main
from transitions_analysis.core.io import read_coded, write_coded

TEXT = "Merci à Hélène Marchetti (06 12 34 56 78) : la coopération entre communes avance."


@pytest.fixture
def raw_project(tmp_path, fixtures_dir):
    """A .qdpx whose source text holds a name and a phone, with a coding over the name and one
    over « coopération » (as a colleague's NVivo or QualCoder project would)."""
    from transitions_analysis.exchange import export_qdpx

    coded = read_coded(fixtures_dir / "synthesis")
    r = coded.responses.iloc[:1].copy()
    r["text"] = TEXT
    r["source_file"] = "entretien_Hélène_Marchetti.txt"
    rid = r["response_id"].iloc[0]
    segments = pd.DataFrame({"segment_id": [f"{rid}-0-{len(TEXT)}"], "response_id": [rid], "start": [0],
                             "end": [len(TEXT)], "text": [TEXT]})
    start = TEXT.index("coopération")
    codings = pd.DataFrame({
        "segment_id": ["", ""], "response_id": [rid, rid], "code": ["principle.cooperation", "actor.elu"],
        "source": ["human", "human"], "score": [1.0, 1.0],
        "start": [start, TEXT.index("Hélène")], "end": [start + len("coopération"), TEXT.index(" (06")],
        "evidence": ["coopération", "Hélène Marchetti"], "negated": [False, False], "coder": ["codeuse_A", "codeuse_A"],
    })
    coded.responses, coded.segments, coded.codings = r, segments, codings
    coded.expectations = coded.expectations.iloc[0:0]
    coded.rejected = coded.rejected.iloc[0:0]
    folder = tmp_path / "brut"
    write_coded(coded.validated(), folder)
    return export_qdpx(folder, tmp_path / "projet.qdpx")


@pytest.mark.model
def test_import_qdpx_writes_no_name_and_keeps_codings_on_their_words(raw_project, tmp_path, capsys):
    out = tmp_path / "importe"
    assert main(["-q", "import-qdpx", str(raw_project), "--out", str(out), "--no-cache"]) == 0
    written = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for secret in ("Marchetti", "Hélène", "06 12 34 56 78"):
        assert secret not in written, secret
    tables = read_coded(out)
    text = tables.responses["text"].iloc[0]
    assert text == "Merci à [PERSONNE_1] ([TELEPHONE]) : la coopération entre communes avance."
    assert tables.responses["source_file"].iloc[0] == "entretien_[PERSONNE_1].txt"
    codings = tables.codings.set_index("code")
    assert codings.loc["principle.cooperation", "evidence"] == "coopération"
    assert codings.loc["actor.elu", "evidence"] == "[PERSONNE_1]"  # the coding of the name covers its placeholder
    for row in tables.codings.itertuples():
        assert text[row.start : row.end] == row.evidence
    seg = tables.segments.iloc[0]
    assert text[seg.start : seg.end] == seg.text
    assert "Marchetti" not in json.dumps(tables.run_info, ensure_ascii=False)


def test_a_bad_segments_file_is_one_french_line(raw_project, tmp_path, capsys):
    (tmp_path / "segments.csv").write_text("segment_id,response_id,start,end,text\ns1,R1,début,3,abc\n", encoding="utf-8")
    code = main(["import-qdpx", str(raw_project), "--out", str(tmp_path / "i"), "--segments", str(tmp_path / "segments.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "segments.csv" in err.splitlines()[-1] and "start" in err.splitlines()[-1]
