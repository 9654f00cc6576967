"""Draw the development gold set's answers from the Grand Débat corpus (../shared/data).

Deterministic (seeded): 60 answers per question (7 questions, 420 answers): 35 drawn at random
among answers of at least 20 characters, 25 drawn at random among those that also match a broad
net of words naming actors or collective action (wider than the codebook's patterns, so that rare
codes get enough positives). Then 105 of the 420 are drawn for the blind second pass.
Writes data/external/gdn2019_gold/answers.csv (response_id, question_id, question, text, stratum)
and second_pass_ids.txt. Run once; the files are committed.

``--extend``: a second draw, same design with its own seed (2020), 57 answers per question
(33 random, 24 net; 399 answers) among those the first draw did not take. Its rows are written
after the first draw's, which stay byte-identical (the first draw is drawn again and checked
against the file), and its ids are listed in draw2_ids.txt. Running it again rewrites the same files.
"""

from __future__ import annotations

import csv
import io
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
SEED_2 = 2020
PER_QUESTION_RANDOM_2 = 33
PER_QUESTION_NET_2 = 24
NET = re.compile(
    r"\b(?:[ée]tat|gouvern|minist|pouvoirs? publics?|[ée]lus?|maires?|mairies?|communes?|collectivit|"
    r"r[ée]gions?|d[ée]partements?|politiques?|dirigeant|d[ée]put|s[ée]nat|pr[ée]siden|entreprises?|industri|"
    r"soci[ée]t[ée]s|constructeur|lobby|agricult|commer[çc]|associations?|citoyen|habitant|consommat|"
    r"ensemble|collecti|concert|coordin|global|coh[ée]ren|long terme|[ée]valu|mesur|indicat|impliqu|"
    r"mobilis|sensibilis|[ée]duc|exemple|europ)",
    re.IGNORECASE,
)


def draw(rows, wording, rng, n_random, n_net, exclude=frozenset()):
    """Per question: ``n_random`` answers at random, then ``n_net`` among the others matching the net."""
    chosen = []
    for q in sorted(wording, key=lambda c: int(c[1:])):
        pool = sorted((r for r in rows if r["question_code"] == q and r["row_id"] not in exclude), key=lambda r: r["row_id"])
        picked = rng.sample(pool, n_random)
        taken = {r["row_id"] for r in picked}
        net = [r for r in pool if r["row_id"] not in taken and NET.search(r["answer_text"])]
        chosen += [(r, "random") for r in picked] + [(r, "net") for r in rng.sample(net, n_net)]
    chosen.sort(key=lambda rs: rs[0]["row_id"])
    return chosen


def main(argv=None) -> int:
    extend = "--extend" in (sys.argv[1:] if argv is None else argv)
    answers = SHARED / "gdn2019_transition_ecologique_answers.csv"
    questions = SHARED / "gdn2019_transition_ecologique_questions.csv"
    if not answers.is_file():
        print(f"absent: {answers}", file=sys.stderr)
        return 2
    wording = {r["question_code"]: r["question_text"] for r in csv.DictReader(questions.open(encoding="utf-8"))}
    rows = [r for r in csv.DictReader(answers.open(encoding="utf-8")) if len(r["answer_text"].strip()) >= 20]
    rng = random.Random(SEED)
    chosen = draw(rows, wording, rng, PER_QUESTION_RANDOM, PER_QUESTION_NET)
    second = sorted(rng.sample([r["row_id"] for r, _ in chosen], SECOND_PASS))
    first_ids = {r["row_id"] for r, _ in chosen}
    lines = [["response_id", "question_id", "question", "text", "stratum"]]
    lines += [[r["row_id"], r["question_code"], wording[r["question_code"]], r["answer_text"].strip(), stratum]
              for r, stratum in chosen]
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "answers.csv"
    if not extend and (OUT / "draw2_ids.txt").is_file():
        print("le second tirage existe (draw2_ids.txt) : relancer avec --extend, sinon il serait effacé", file=sys.stderr)
        return 1
    if extend:
        first = _csv_text(lines)
        if target.is_file() and not target.read_text(encoding="utf-8").startswith(first):
            print(f"{target} ne commence pas par le premier tirage : rien d'écrit", file=sys.stderr)
            return 1
        chosen_2 = draw(rows, wording, random.Random(SEED_2), PER_QUESTION_RANDOM_2, PER_QUESTION_NET_2, first_ids)
        lines += [[r["row_id"], r["question_code"], wording[r["question_code"]], r["answer_text"].strip(), stratum]
                  for r, stratum in chosen_2]
        (OUT / "draw2_ids.txt").write_text("\n".join(r["row_id"] for r, _ in chosen_2) + "\n", encoding="utf-8")
    target.write_text(_csv_text(lines), encoding="utf-8")
    (OUT / "second_pass_ids.txt").write_text("\n".join(second) + "\n", encoding="utf-8")
    print(f"{len(lines) - 1} answers, {len(second)} for the second pass -> {OUT}")
    return 0


def _csv_text(lines) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    return buf.getvalue()

if __name__ == "__main__":
    sys.exit(main())
