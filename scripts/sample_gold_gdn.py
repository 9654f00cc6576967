"""Draw the development gold set's answers from the Grand Débat corpus (../shared/data).

Deterministic (seeded): 60 answers per question (7 questions, 420 answers): 35 drawn at random
among answers of at least 20 characters, 25 drawn at random among those that also match a broad
net of words naming actors or collective action (wider than the codebook's patterns, so that rare
codes get enough positives). Then 105 of the 420 are drawn for the blind second pass.
Writes data/external/gdn2019_gold/answers.csv (response_id, question_id, question, text, stratum)
and second_pass_ids.txt. Run once; the files are committed.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "data" / "external" / "gdn2019_gold"
SEED = 2019
PER_QUESTION_RANDOM = 35
PER_QUESTION_NET = 25
SECOND_PASS = 105
NET = re.compile(
    r"\b(?:[ée]tat|gouvern|minist|pouvoirs? publics?|[ée]lus?|maires?|mairies?|communes?|collectivit|"
    r"r[ée]gions?|d[ée]partements?|politiques?|dirigeant|d[ée]put|s[ée]nat|pr[ée]siden|entreprises?|industri|"
    r"soci[ée]t[ée]s|constructeur|lobby|agricult|commer[çc]|associations?|citoyen|habitant|consommat|"
    r"ensemble|collecti|concert|coordin|global|coh[ée]ren|long terme|[ée]valu|mesur|indicat|impliqu|"
    r"mobilis|sensibilis|[ée]duc|exemple|europ)",
    re.IGNORECASE,
)


def main() -> int:
    answers = SHARED / "gdn2019_transition_ecologique_answers.csv"
    questions = SHARED / "gdn2019_transition_ecologique_questions.csv"
    if not answers.is_file():
        print(f"absent: {answers}", file=sys.stderr)
        return 2
    wording = {r["question_code"]: r["question_text"] for r in csv.DictReader(questions.open(encoding="utf-8"))}
    rows = [r for r in csv.DictReader(answers.open(encoding="utf-8")) if len(r["answer_text"].strip()) >= 20]
    rng = random.Random(SEED)
    chosen = []
    for q in sorted(wording, key=lambda c: int(c[1:])):
        pool = sorted((r for r in rows if r["question_code"] == q), key=lambda r: r["row_id"])
        picked = rng.sample(pool, PER_QUESTION_RANDOM)
        taken = {r["row_id"] for r in picked}
        net = [r for r in pool if r["row_id"] not in taken and NET.search(r["answer_text"])]
        chosen += [(r, "random") for r in picked] + [(r, "net") for r in rng.sample(net, PER_QUESTION_NET)]
    chosen.sort(key=lambda rs: rs[0]["row_id"])
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "answers.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["response_id", "question_id", "question", "text", "stratum"])
        for r, stratum in chosen:
            w.writerow([r["row_id"], r["question_code"], wording[r["question_code"]], r["answer_text"].strip(), stratum])
    second = sorted(rng.sample([r["row_id"] for r, _ in chosen], SECOND_PASS))
    (OUT / "second_pass_ids.txt").write_text("\n".join(second) + "\n", encoding="utf-8")
    print(f"{len(chosen)} answers, {len(second)} for the second pass -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
