"""End to end on real public text nobody here wrote (../shared/data; skipped in a clone without it):
`report` on a text-only slice of the Grand Débat answers and on the Lille metropolis' Decidim
export as it is (issue 10). Rules only (--no-model), a few hundred rows each, to stay fast."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

from transitions_analysis.cli import main
from transitions_analysis.core.io import FORMULA_STARTS

pytestmark = [pytest.mark.shared, pytest.mark.model, pytest.mark.slow]

PLACEHOLDER = re.compile(r"\[PERSONNE_\d+\]")


def _report(capsys, src, out) -> None:
    code = main(["-q", "report", str(src), "--out", str(out), "--no-model", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    assert (out / "synthese.html").is_file() and (out / "synthese.xlsx").is_file()


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def _no_live_formula(folder) -> None:
    """No text cell of any CSV written starts with what a spreadsheet reads as a formula (defect
    11); a negative number such as a residual is a number, not a formula."""
    for path in folder.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter=";" if "tableur" in path.parts else ","):
                assert not [c for c in row if c[:1] in FORMULA_STARTS and not _is_number(c)], (path, row)


def test_report_on_a_text_only_slice_of_the_grand_debat(shared_dir, tmp_path, capsys):
    answers = pd.read_csv(shared_dir / "data" / "gdn2019_transition_ecologique_answers.csv", dtype=str,
                          keep_default_na=False)
    src = tmp_path / "grand_debat.csv"
    answers.iloc[::200][["answer_text"]].rename(columns={"answer_text": "text"}).head(300).to_csv(src, index=False)
    out = tmp_path / "rapport"
    _report(capsys, src, out)
    summary = json.loads((out / "data" / "code" / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == 300 == summary["kept"] + summary["rejected"]
    responses = pd.read_csv(out / "data" / "code" / "responses.csv", dtype=str, keep_default_na=False)
    masked = responses["text"].str.contains(PLACEHOLDER).mean()
    assert masked < 0.02, f"{masked:.1%} of real answers got a [PERSONNE_n]"  # 0.3 % on the 62,655
    assert len(pd.read_csv(out / "data" / "code" / "codings.csv"))
    _no_live_formula(out)


def test_report_on_the_lille_decidim_export_as_it_is(shared_dir, tmp_path, capsys):
    src = tmp_path / "mel_decidim.csv"
    raw = pd.read_csv(shared_dir / "data" / "mel_granddebat2019_decidim_contributions.csv", dtype=str,
                      keep_default_na=False)
    raw.head(250).to_csv(src, index=False)
    out = tmp_path / "rapport"
    _report(capsys, src, out)
    summary = json.loads((out / "data" / "code" / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == 250 == summary["kept"] + summary["rejected"]
    _no_live_formula(out)
