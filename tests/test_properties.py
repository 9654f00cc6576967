"""Property-based tests (hypothesis): random small exports through ingest, code and report.

Any subset of the optional columns, empty cells, control characters, quotes and separators in
the answers, one role or several, nothing the rules can code, dates or garbage in the session
column, encodings among UTF-8, UTF-8 with BOM, cp1252 and UTF-16, comma or semicolon. Whatever
the export: the exit status is 0 or 2 (an error the user can fix, told in one line), never a
traceback; and when it is 0, every row read is kept or rejected (read = kept + rejected).
Examples are derived from a fixed seed (``derandomize``): a failure is reproduced by re-running.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transitions_analysis.cli import main
from transitions_analysis.core.errors import InputError

OPTIONAL = ("session", "role", "territory", "question", "question_id", "respondent", "response_id")
WORDS = ["coopération", "élus", "agents", "l'État", "engagement", "approche", "systémique", "Marie", "Dupont",
         "M.", "DDT", "=SOMME(A1)", "+33", "-", "@x", "«", "»", ";", ",", '"', "\n", "\t", "\x0b", "\x07", "\x0c",
         "Limiter", "aides", "Financières", "œuvre", "…", "’", "06 12 34 56 78", "jean@example.org", "?", "!"]
ROLES = ["élu", "Élue", "agent", "DDT", "association", "chargée de mission", "???", ""]
SESSIONS = ["2023-03-15", "16/03/2021", "mardi 1er mars 2022", "", "2022-09-21", "21.09.2022", "", "pas une date"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join)


@st.composite
def exports(draw) -> tuple[bytes, str]:
    columns = ["text"] + [c for c in OPTIONAL if draw(st.booleans())]
    n = draw(st.integers(min_value=0, max_value=6))
    one_role = draw(st.sampled_from(ROLES))
    rows = []
    for i in range(n):
        row = {"text": draw(texts), "session": draw(st.sampled_from(SESSIONS)),
               "role": one_role if draw(st.booleans()) else draw(st.sampled_from(ROLES)),
               "territory": draw(st.sampled_from(["CC du Val", "", "Mairie de Crest"])),
               "question": draw(st.sampled_from(["Qu'avez-vous retenu ?", "", "Qu'attendez-vous des élus ?"])),
               "question_id": draw(st.sampled_from(["q1", "", "q_attentes"])),
               "respondent": draw(st.sampled_from(["1", "2", ""])), "response_id": f"R{i}"}
        rows.append([row[c] for c in columns])
    delimiter = draw(st.sampled_from([",", ";"]))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([columns, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    return buffer.getvalue().encode(encoding, errors="replace"), encoding


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        assert [line for line in err.splitlines() if line.startswith("erreur : ")], err
    return code, err


SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@pytest.mark.model
@settings(max_examples=60, **SETTINGS)
@given(export=exports())
def test_ingest_never_crashes_and_loses_nothing(capsys, export):
    data, _ = export
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        src.write_bytes(data)
        code, err = _run(capsys, ["-q", "ingest", str(src), "--out", f"{tmp}/out", "--no-cache"])
        if code == 0:
            summary = json.loads(Path(f"{tmp}/out/ingest_summary.json").read_text(encoding="utf-8"))
            assert summary["read"] == summary["kept"] + summary["rejected"] and summary["balanced"]


@pytest.mark.model
@settings(max_examples=12, **SETTINGS)
@given(export=exports())
def test_code_never_crashes(capsys, export):
    data, _ = export
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        src.write_bytes(data)
        code, _ = _run(capsys, ["-q", "code", str(src), "--out", f"{tmp}/out", "--no-cache", "--no-model"])
        if code == 0:
            assert {p.name for p in Path(f"{tmp}/out").iterdir()} >= {"responses.csv", "codings.csv", "segments.csv"}


@pytest.mark.model
@pytest.mark.slow
@settings(max_examples=3, **SETTINGS)
@given(export=exports())
def test_report_never_crashes(capsys, export):
    data, _ = export
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        src.write_bytes(data)
        code, _ = _run(capsys, ["-q", "report", str(src), "--out", f"{tmp}/out", "--no-cache", "--no-model"])
        if code == 0:
            assert (Path(tmp) / "out" / "synthese.html").is_file()


@settings(max_examples=300, **SETTINGS)
@given(text=st.text(alphabet=st.sampled_from(["a", "é", "😀", ",", ";", '"', "\r", "\n", "\u2028", "\x85", "\x0b",
                                              "\x1c", "\x0c"]), max_size=40))
def test_csv_lines_are_split_as_a_text_stream_splits_them(text):
    """The CSV reader gets its lines from a regex over the decoded text (no second copy of it):
    the same lines as ``io.StringIO(text, newline="")``, so the same records and line numbers
    (Unicode line separators stay inside their line)."""
    from transitions_analysis.ingestion.readers.tables import _LINE_RE

    assert [m.group() for m in _LINE_RE.finditer(text)] == list(io.StringIO(text, newline=""))


@settings(max_examples=200, **SETTINGS)
@given(text=st.text(alphabet=st.sampled_from(["a", "é", "😀", ",", ";", '"', "\r", "\n", "\u2028", "\x85", "x"]),
                    max_size=60),
       bom=st.booleans())
def test_a_utf8_export_is_read_line_by_line_as_the_whole_decoded_text(tmp_path_factory, text, bom):
    """A UTF-8 export is decoded line by line, never as one text: the same records, row numbers
    and line numbers as the CSV reader over the whole decoded text (``io.StringIO``), with or
    without a BOM; the encoding named as :func:`decode_text` names it."""
    from transitions_analysis.core.io import decode_text, utf8_name
    from transitions_analysis.ingestion.readers.mapping import Mapping
    from transitions_analysis.ingestion.readers.tables import read_csv_table

    raw = ("\ufeff" if bom else "").encode() + ("id,text\r\n" + text).encode("utf-8")
    decoded, encoding = decode_text(raw, "x.csv")
    assert utf8_name(raw) == encoding
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_bytes(raw)
    expected = csv.reader(io.StringIO(decoded, newline=""), delimiter=",", strict=True)
    want, starts, prev = [], [], 0
    try:
        for record in expected:
            want.append(record)
            starts.append(prev + 1)
            prev = expected.line_num
    except csv.Error:
        with pytest.raises(InputError):
            read_csv_table(path, Mapping(delimiter=","))
        return
    table, info = read_csv_table(path, Mapping(delimiter=","))
    assert info["encoding"] == encoding
    assert [cells for _, cells in table.rows] == want
    assert [table.lines[n] for n, _ in table.rows] == starts


def test_only_utf8_exports_are_read_line_by_line():
    """cp1252, UTF-16 (with or without BOM) and mixed files keep the whole-text decoder."""
    from transitions_analysis.core.io import utf8_name

    assert utf8_name("id,texte\n1,café\n".encode("cp1252")) is None
    assert utf8_name("id,texte\n1,café\n".encode("utf-16")) is None
    assert utf8_name("id,texte\n1,cafe\n".encode("utf-16-le")) is None
    assert utf8_name("1,é\n".encode() + "2,é\n".encode("cp1252")) is None
    assert utf8_name(b"") == "utf-8"
    assert utf8_name("1,😀\n".encode() * 300_000) == "utf-8"  # several pieces, a character across none
    assert utf8_name(b"a" * ((1 << 20) - 1) + "😀".encode()) == "utf-8"  # a character cut by the first piece
