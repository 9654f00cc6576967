"""QualCoder, the real program, headless (``../shared/tools/qualcoder-roundtrip``): our ``.qdpx``
loses no coding there, each coder keeps their own codings, the answers keep their variables, and
our import of QualCoder's own export gives every coding back with its coder.

Skipped when ``../shared`` is absent (a user's clone). The tool builds QualCoder's environment
once (PyQt6, from PyPI) and needs the system library libpulse0 (``.ci/run`` installs it)."""

from __future__ import annotations

import ctypes.util
import os
import re
import sqlite3
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from qda_project import make_coding_dir
from transitions_analysis.exchange import export_qdpx, import_qdpx
from transitions_analysis.exchange.export import CASE_VARIABLES, SOURCE_VARIABLES, user_name

TOOL = Path(__file__).resolve().parents[2] / "shared" / "tools" / "qualcoder-roundtrip"

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def qualcoder(tmp_path_factory) -> SimpleNamespace:
    """Our export of the hand-built project opened in QualCoder, then exported back by QualCoder."""
    if not TOOL.is_file():
        pytest.skip("../shared/tools/qualcoder-roundtrip absent (a user's clone has no ../shared) : QualCoder non testé")
    if ctypes.util.find_library("pulse") is None:
        pytest.fail("QualCoder a besoin de la bibliothèque système libpulse0 : apt-get install -y libpulse0")
    folder = tmp_path_factory.mktemp("qualcoder")
    coding_dir = make_coding_dir(folder / "codage")
    qdpx = export_qdpx(coding_dir, folder / "projet.qdpx")
    work = folder / "travail"  # the tool's mktemp folders (QualCoder's project and HOME) go here
    work.mkdir()
    run = subprocess.run(
        [str(TOOL), str(qdpx), str(folder / "export")], capture_output=True, text=True,
        env={**os.environ, "TMPDIR": str(work)}, timeout=3600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    databases = list(work.glob("qualcoder.*/project.qda/data.qda"))
    assert len(databases) == 1, databases
    return SimpleNamespace(
        stdout=run.stdout, db=databases[0], export=folder / "export" / "project.qdpx",
        codings=pd.read_csv(coding_dir / "codings.csv", dtype=str, keep_default_na=False),
        responses=pd.read_csv(coding_dir / "responses.csv", dtype=str, keep_default_na=False),
    )


def _count(stdout: str, label: str) -> int:
    match = re.search(rf"^{re.escape(label)}: (\d+)$", stdout, re.MULTILINE)
    assert match, f"« {label} » absent de la sortie de qualcoder-roundtrip"
    return int(match.group(1))


def test_qualcoder_holds_every_coding_with_its_coder_at_the_right_offsets(qualcoder):
    out = qualcoder.stdout
    assert "IMPORT OK" in out and "Duplicated text coding" not in out
    assert _count(out, "text codings") == len(qualcoder.codings)
    by_coder = dict(re.findall(r"^codings by (.+): (\d+)$", out, re.MULTILINE))
    expected = qualcoder.codings["coder"].map(user_name).value_counts()
    assert {k: int(v) for k, v in by_coder.items()} == expected.to_dict()
    assert _count(out, "codings whose text differs from the source at their offsets") == 0
    assert _count(out, "sources") == len(qualcoder.responses) and _count(out, "cases") == 2


def test_answers_keep_their_variables_as_file_attributes_in_qualcoder(qualcoder):
    with sqlite3.connect(f"file:{qualcoder.db}?mode=ro", uri=True) as con:
        kinds = dict(con.execute("select name, caseOrFile from attribute_type"))
        values = con.execute(
            "select s.name, a.name, a.value from attribute a join source s on s.id = a.id where a.attr_type = 'file'"
        ).fetchall()
    assert kinds == {**{label: "file" for _, label in SOURCE_VARIABLES}, **{label: "case" for _, label in CASE_VARIABLES}}
    held = {(source, name): value or "" for source, name, value in values}
    for rec in qualcoder.responses.to_dict("records"):
        for column in ("respondent_id", "role", "territory", "session"):
            assert held[(rec["response_id"], dict(SOURCE_VARIABLES)[column])] == rec[column]


def test_our_import_of_qualcoders_export_gives_every_coding_back_with_its_coder(qualcoder):
    result = import_qdpx(qualcoder.export)
    key = ["response_id", "code", "coder", "start", "end", "evidence", "source", "negated", "score"]

    def norm(df: pd.DataFrame) -> pd.DataFrame:
        out = df[key].apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))
        out["negated"] = out["negated"].str.lower()
        out["score"] = out["score"].astype(float).map("{:.4f}".format)
        return out.sort_values(key).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(result.codings), norm(qualcoder.codings))
    assert list(result.users["coder"]) == ["Camille", "Dominique", "model", "rules"]  # QualCoder's « default » left out
    back = result.responses.set_index("response_id")
    for rec in qualcoder.responses.to_dict("records"):
        got = back.loc[rec["response_id"]]
        assert all(got[c] == rec[c] for c in ("respondent_id", "role", "territory", "session", "question"))
        # QualCoder reads texts in text mode: CR LF becomes LF plus a space (same length, offsets kept)
        assert got["text"] == rec["text"].replace("\r\n", "\n ")
