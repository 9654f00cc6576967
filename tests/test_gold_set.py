"""The development gold set (data/external/gdn2019_gold): how it is read, and that the committed
files hang together (every answer coded, every expectation on an answer coded ``expectation``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transitions_analysis import config
from transitions_analysis.core import schema
from transitions_analysis.evaluation import load_gold

CODES = [c for c in schema.CONTRACT_CODES if not c.startswith("outcome.")]
GOLD = Path(config.GOLD_DIR)


def _write(folder: Path, answers, codings, expectations) -> None:
    pd.DataFrame(answers, columns=["response_id", "question_id", "question", "text", "stratum"]).to_csv(
        folder / "answers.csv", index=False)
    pd.DataFrame(codings, columns=["response_id", "coder", "code"]).to_csv(folder / "gold_codings.csv", index=False)
    pd.DataFrame(expectations, columns=["response_id", "coder", "to_role"]).to_csv(
        folder / "gold_expectations.csv", index=False)


def test_reference_of_an_answer_coded_by_one_coder_only(tmp_path):
    """A second-draw answer seen by codeur_C alone has codeur_C's codes as its reference, next to
    first-draw answers coded by two coders and adjudicated."""
    _write(tmp_path,
           [["R1", "Q7", "q", "Que l'État montre l'exemple.", "net"],
            ["R2", "Q7", "q", "Plus de bus.", "random"],
            ["R3", "Q7", "q", "Les entreprises doivent payer.", "net"],
            ["R4", "Q7", "q", "Les élus.", "random"]],
           [["R1", "codeur_A", "actor.etat"], ["R1", "codeur_B", ""], ["R1", "adjudication", "actor.etat"],
            ["R1", "adjudication", "expectation"],
            ["R2", "codeur_C", ""],
            ["R3", "codeur_C", "actor.socio_eco"], ["R3", "codeur_C", "expectation"],
            ["R4", "codeur_A", "actor.elu"], ["R4", "codeur_B", ""]],
           [["R1", "adjudication", "etat"], ["R3", "codeur_C", "socio_eco"]])
    gold = load_gold(tmp_path, codes=CODES)
    labels = gold.labels
    assert list(labels.index) == ["R1", "R2", "R3", "R4"]
    assert labels.loc["R1", ["actor.etat", "expectation"]].tolist() == [1, 1]
    assert labels.loc["R2"].sum() == 0
    assert labels.loc["R3", ["actor.socio_eco", "expectation"]].tolist() == [1, 1] and labels.loc["R3"].sum() == 2
    assert labels.loc["R4", "actor.elu"] == 1  # either of two coders
    assert gold.strata.to_dict() == {"R1": "net", "R2": "random", "R3": "net", "R4": "random"}


needs_gold = pytest.mark.skipif(not (GOLD / "answers.csv").is_file(), reason="jeu de référence absent")


@needs_gold
def test_committed_gold_set_every_answer_is_coded_once_read():
    answers = pd.read_csv(GOLD / "answers.csv", dtype=str)
    codings = pd.read_csv(GOLD / "gold_codings.csv", dtype=str, keep_default_na=False)
    assert answers["response_id"].is_unique
    # an answer without any coding row would silently count as « no code » in the reference
    assert set(answers["response_id"]) == set(codings["response_id"])
    assert set(codings["code"]) <= set(CODES) | {""}
    draw2 = (GOLD / "draw2_ids.txt").read_text(encoding="utf-8").split()
    assert draw2 == list(answers["response_id"].iloc[420:])
    assert set(codings.loc[codings["response_id"].isin(draw2), "coder"]) == {"codeur_C"}
    gold = load_gold(GOLD, codes=CODES)
    assert len(gold.labels) == len(answers) and set(gold.strata) == {"random", "net"}


@needs_gold
def test_committed_gold_set_expectations_sit_on_expectation_codes():
    codings = pd.read_csv(GOLD / "gold_codings.csv", dtype=str, keep_default_na=False)
    expectations = pd.read_csv(GOLD / "gold_expectations.csv", dtype=str)
    coded = set(zip(codings.loc[codings["code"] == schema.EXPECTATION_CODE, "response_id"],
                    codings.loc[codings["code"] == schema.EXPECTATION_CODE, "coder"]))
    assert set(zip(expectations["response_id"], expectations["coder"])) == coded
    assert set(expectations["to_role"]) <= {"elu", "agent", "socio_eco", "etat"}
