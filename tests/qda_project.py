"""A hand-built output folder of ``code`` for the REFI-QDA tests (test_qda.py, test_qualcoder.py):
French answers, two people and both machine coders on the same span, a response-level coding."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from transitions_analysis.core.ids import make_respondent_id, make_response_id, make_segment_id
from transitions_analysis.core.schema import CODINGS, RESPONSES, SEGMENTS

# French answers with accents, inclusive writing, guillemets, œ, a non-BMP emoji (code points, not
# UTF-16 units), a CRLF line break and a leading space.
TEXTS = [
    "Les élu·es doivent « travailler ensemble » avec les agent·es 🌱 pour cœur de la coopération.",
    "On attend de l'État qu'il tienne le cap dans la durée.\r\nEt que les services déconcentrés suivent.",
    " Créer l'engagement ici et maintenant : œuvrer avec les habitant·es.",
    "Réponse sans codage : « rien à signaler ».",
]


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def make_coding_dir(folder: Path) -> Path:
    """A hand-built output folder of ``code`` (responses, segments, codings, run.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    responses = []
    for i, text in enumerate(TEXTS):
        rid = make_response_id("2023-03-15_retours.csv", i + 2, "q1")
        responses.append({
            "response_id": rid, "source_file": "2023-03-15_retours.csv", "source_row": str(i + 2),
            "session": "2023-03-15" if i != 2 else "", "territory": "Pays de Brière" if i < 2 else "",
            "respondent_id": make_respondent_id("retours", i // 2), "role": ["elu", "etat", "agent", "inconnu"][i],
            "role_raw": ["élue municipale", "DDTM", "chargée de mission", ""][i], "question_id": "q1",
            "question": "Qu'attendez-vous des « trois autres » ?", "text": text,
        })
    rid = [r["response_id"] for r in responses]
    segments = []
    for r in responses:
        text = r["text"]
        cut = text.find(".") + 1 if "." in text[:-1] else len(text)
        for s, e in ((0, cut), (cut, len(text))):
            if s < e:
                segments.append({"segment_id": make_segment_id(r["response_id"], s, e), "response_id": r["response_id"],
                                 "start": s, "end": e, "text": text[s:e]})
    seg_of = {}
    for seg in segments:
        seg_of.setdefault(seg["response_id"], []).append(seg)

    def coding(i, part, code, coder, score="1", negated=False):
        text = TEXTS[i]
        s, e = _span(text, part)
        seg = next(x for x in seg_of[rid[i]] if x["start"] <= s and e <= x["end"])
        source = {"rules": "rule", "model": "model"}.get(coder, "human")
        return {"segment_id": seg["segment_id"], "response_id": rid[i], "code": code, "source": source, "score": score,
                "start": s, "end": e, "evidence": text[s:e], "negated": negated, "coder": coder}

    codings = [
        coding(0, "« travailler ensemble »", "principle.cooperation", "rules", "0.9"),
        coding(0, "« travailler ensemble »", "principle.cooperation", "model", "0.734"),
        coding(0, "« travailler ensemble »", "principle.cooperation", "Camille"),
        coding(0, "cœur de la coopération", "principle.cooperation", "rules", "0.8", negated=True),
        coding(0, "Les élu·es", "actor.elu", "rules", "1"),
        coding(1, "l'État", "actor.etat", "rules", "1"),
        coding(1, "Et que les services déconcentrés suivent.", "expectation", "Dominique"),
        coding(2, "œuvrer avec les habitant·es", "principle.engagement", "model", "0.61"),
    ]
    # one response-level human coding (no offsets), as a human coding CSV may give
    codings.append({"segment_id": "", "response_id": rid[2], "code": "principle.engagement", "source": "human",
                    "score": "1", "start": "", "end": "", "evidence": "", "negated": False, "coder": "Camille"})
    pd.DataFrame(responses, columns=list(RESPONSES)).to_csv(folder / "responses.csv", index=False, lineterminator="\n")
    pd.DataFrame(segments, columns=list(SEGMENTS)).to_csv(folder / "segments.csv", index=False, lineterminator="\n")
    pd.DataFrame(codings, columns=list(CODINGS)).to_csv(folder / "codings.csv", index=False, lineterminator="\n")
    (folder / "run.json").write_text(json.dumps({"command": "code"}), encoding="utf-8")
    return folder
