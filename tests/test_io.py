"""The core's reading and writing: formulas never reach a spreadsheet, the analysis sees the text."""

from __future__ import annotations

import pandas as pd
import pytest

from transitions_analysis.core.io import (
    neutralise_formula,
    read_csv_table,
    read_table,
    refuse_raw,
    restore_formula,
    write_table,
    write_table_fr,
)
from transitions_analysis.core.errors import InputError

TEXTS = ["=HYPERLINK(\"http://x\")", "+33 6 12", "-- aide financière", "@SUM(A1)", "\tcaché", "'déjà cité",
         "''deux", "texte ordinaire", "", "'"]


@pytest.mark.parametrize("text", TEXTS)
def test_neutralise_then_restore_gives_the_text_back(text):
    written = neutralise_formula(text)
    assert restore_formula(written) == text
    if text[:1] in ("=", "+", "-", "@", "\t"):
        assert written == "'" + text


def test_csv_written_has_no_live_formula_and_reads_back_exactly(tmp_path):
    df = pd.DataFrame({"text": TEXTS, "n": range(len(TEXTS))})
    path = write_table(df, tmp_path / "t.csv")
    raw = path.read_text(encoding="utf-8").splitlines()[1:]
    assert not any(line.startswith(("=", "+", "-", "@")) for line in raw)
    assert raw[0].startswith("\"'=HYPERLINK") or raw[0].startswith("'=HYPERLINK")
    assert read_csv_table(path)["text"].tolist() == [t for t in TEXTS]
    assert read_table(path)["text"].tolist() == [t for t in TEXTS]


def test_writers_refuse_data_raw(tmp_path):
    with pytest.raises(InputError, match="data/raw"):
        refuse_raw(tmp_path / "projet" / "data" / "raw" / "x.csv")


def test_csv_for_a_french_spreadsheet_has_bom_semicolons_decimal_commas_and_no_formula(tmp_path):
    df = pd.DataFrame({"libellé": ["Élu·es ; agents", "=1+1"], "part": [0.47963, -0.5], "n": [3, 1200]})
    path = write_table_fr(df, tmp_path / "t.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # without it Excel reads UTF-8 as Windows-1252
    assert data[3:].decode("utf-8") == 'libellé;part;n\r\n"Élu·es ; agents";0,4796;3\r\n\'=1+1;-0,5000;1200\r\n'
    assert write_table_fr(df, tmp_path / "u.csv").read_bytes() == data  # byte-stable
    back = read_table(path, sep=";")
    assert back["libellé"].tolist() == ["Élu·es ; agents", "=1+1"] and back["part"].tolist() == ["0,4796", "-0,5000"]
    with pytest.raises(InputError, match="data/raw"):
        write_table_fr(df, tmp_path / "data" / "raw" / "t.csv")


def test_formulas_in_pandas_strings_are_neutralised_as_cell_by_cell():
    """A column of pandas' strings is neutralised in one vectorised pass: the same cells as
    :func:`neutralise_formula` one by one, missing values kept missing."""
    import pandas as pd

    from transitions_analysis.core.io import neutralise_formulas

    values = ["=SOMME(A1)", "'déjà", None, "", "texte", "+33 6", "\tx", "-", "@x", "a=b"]
    column = pd.Series(values, dtype="str")
    done = neutralise_formulas(pd.DataFrame({"t": column, "o": pd.Series(values, dtype=object)}))
    expected = [neutralise_formula(v) if isinstance(v, str) else None for v in values]
    assert [None if pd.isna(v) else v for v in done["t"]] == expected
    assert [None if pd.isna(v) else v for v in done["o"]] == expected
    assert str(done["t"].dtype) == "str"


@pytest.mark.parametrize("french", [False, True])
def test_a_table_written_by_slices_has_the_bytes_of_one_write(tmp_path, monkeypatch, french):
    """Tables are written config.WRITE_SLICE rows at a time (neutralised slice by slice): the same
    bytes as one neutralised ``to_csv``, one header, one BOM for the French CSV; an empty table
    still gets its header."""
    from transitions_analysis import config
    from transitions_analysis.core.io import CSV_OPTIONS, CSV_OPTIONS_FR, neutralise_formulas, write_table, write_table_fr

    df = pd.DataFrame({
        "text": ["- une puce", "=SOMME(A1)", "ligne\nsur deux", "@x", "", "simple", "+33 6", None],
        "score": [0.5, None, 1.0, 2.25, 3.0, 0.1, 1 / 3, 7.0],
        "n": range(8),
    }).astype({"text": "str"})
    options, write = (CSV_OPTIONS_FR, write_table_fr) if french else (CSV_OPTIONS, write_table)
    whole = tmp_path / "whole.csv"
    neutralise_formulas(df).to_csv(whole, **options)
    monkeypatch.setattr(config, "WRITE_SLICE", 3)
    for frame, name in ((df, "sliced.csv"), (df.iloc[0:0], "empty.csv")):
        path = write(frame, tmp_path / name)
        if frame.empty:
            neutralise_formulas(frame).to_csv(tmp_path / "empty_whole.csv", **options)
            assert path.read_bytes() == (tmp_path / "empty_whole.csv").read_bytes()
        else:
            assert path.read_bytes() == whole.read_bytes()
            assert path.read_bytes().count("\ufeff".encode()) == (1 if french else 0)
            assert b"'- une puce" in path.read_bytes() and b"'=SOMME" in path.read_bytes()
