"""Draw expectations at random from a run on the Grand Débat, to check their direction by reading.

Usage: python scripts/sample_expectations.py [--answers 4000] [--draw 25] [--seed 11]

Codes ``--answers`` answers of ``../shared/data`` (those of the gold set left out, with their
questions), then prints ``--draw`` text-based expectations drawn at random: the category found
and the passage. Read each one against ``data/external/gdn2019_gold/GUIDELINE.md``: is the
category the one expected TO ACT (not the object or beneficiary of the action)?
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from transitions_analysis import config
from transitions_analysis.coding import code_responses
from transitions_analysis.core import schema

SHARED = config.PROJECT_ROOT.parent / "shared" / "data"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=4000)
    parser.add_argument("--draw", type=int, default=25)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    answers_path = SHARED / "gdn2019_transition_ecologique_answers.csv"
    if not answers_path.is_file():
        print(f"données absentes : {answers_path}", file=sys.stderr)
        return 1
    answers = pd.read_csv(answers_path).dropna(subset=["answer_text"])
    questions = pd.read_csv(SHARED / "gdn2019_transition_ecologique_questions.csv").set_index("question_code")["question_text"]
    gold = set(pd.read_csv(Path(config.GOLD_DIR) / "answers.csv")["response_id"])
    answers = answers[~answers["row_id"].isin(gold)].sample(args.answers, random_state=args.seed)
    n = len(answers)
    responses = pd.DataFrame({
        "response_id": answers["row_id"].to_numpy(), "source_file": answers_path.name, "source_row": range(2, n + 2),
        "session": "", "territory": "", "respondent_id": answers["row_id"].to_numpy(), "role": schema.UNKNOWN_ROLE,
        "role_raw": "", "question_id": answers["question_code"].to_numpy(),
        "question": answers["question_code"].map(questions).fillna("").to_numpy(),
        "text": answers["answer_text"].astype(str).to_numpy(),
    })[list(schema.RESPONSES)]
    result = code_responses(responses, progress=False)
    found = result.expectations[result.expectations["basis"] == "text"]
    print(f"{len(found)} attentes repérées dans le texte de {n} réponses ; {min(args.draw, len(found))} tirées au hasard :\n")
    for row in found.sample(min(args.draw, len(found)), random_state=args.seed).itertuples():
        print(f"{row.to_role:10s} | {row.text[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
