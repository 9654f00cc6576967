"""Stakes and strategies per role, from the answers to the stakes questions (« enjeux »,
« stratégies », peer-group transcripts)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from .. import config
from ..core.labels import ROLE_LABELS_FR
from ..core.text import fold_plain
from .common import DEFAULT_COOCCURRENCE_CODES, group_order, mentions, respondent_roles
from .quotes import _quote_columns, _top, _vectoriser, representative_quotes

#: Default selection of the « stakes and strategies » answers: matched (case and accents
#: ignored) against ``question_id + " " + question``.
STAKES_QUESTION_PATTERN = r"enjeu|strateg|groupe[ _-]*(de[ _-]*)?pairs"


def stakes_question_ids(responses: pd.DataFrame, pattern: str = STAKES_QUESTION_PATTERN) -> list[str]:
    """Question ids whose id or wording matches ``pattern`` (case and accents ignored)."""
    q = responses[["question_id", "question"]].drop_duplicates()
    rx = re.compile(pattern)
    hits = [qid for qid, text in zip(q["question_id"], q["question"]) if rx.search(fold_plain(f"{qid} {text}"))]
    return sorted(set(hits))


def stakes_strategies(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    question_ids: Iterable[str] | None = None,
    k: int = config.MIN_GROUP_SIZE,
    n_quotes: int = 3,
    top_codes: int = 3,
    codes: Sequence[str] = DEFAULT_COOCCURRENCE_CODES,
    include_negated: bool = False,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Stakes and strategies per role, from the answers to the stakes questions.

    ``question_ids`` default: :func:`stakes_question_ids` (« enjeux », « stratégies », peer-group
    transcripts). One row per role present (roles order). Columns: role, role_label, questions
    (the question ids used), respondents, segments, top_codes (the ``top_codes`` codes of
    ``codes`` mentioned by most respondents, ';'-joined), top_codes_fr, withheld (0 < respondents
    < k), quote_1..quote_<n_quotes>, quote_segments, note. Quotes follow the centroid rule over the
    role's segments of these answers.
    """
    qids = list(question_ids) if question_ids is not None else stakes_question_ids(responses)
    r = responses[responses["question_id"].isin(qids)]
    roles_of = respondent_roles(responses)
    seg = segments.merge(r[["response_id", "respondent_id"]], on="response_id", how="inner")
    seg["role"] = seg["respondent_id"].map(roles_of)
    m = mentions(r, codings, codes=codes, include_negated=include_negated)
    vec = _vectoriser(seg["text"]) if len(seg) else None
    rows = []
    present = group_order("role", r["respondent_id"].map(roles_of).unique()) if len(r) else []
    for role in present:
        people = [p for p in r["respondent_id"].unique() if roles_of.get(p) == role]
        n_resp = len(people)
        role_seg = seg[seg["role"] == role]
        counts = m[m["role"] == role].groupby("code")["respondent_id"].nunique()
        top_ids, top_fr = _top(counts, list(codes), labels, top_codes)
        withheld = 0 < n_resp < k
        chosen = representative_quotes(role_seg[["segment_id", "respondent_id", "text"]], n_quotes=n_quotes, vectoriser=vec) if n_resp >= k else None
        rows.append({
            "role": role, "role_label": ROLE_LABELS_FR.get(role, role), "questions": ";".join(qids),
            "respondents": n_resp, "segments": int(role_seg["segment_id"].nunique()),
            "top_codes": top_ids, "top_codes_fr": top_fr, "withheld": withheld,
            **_quote_columns(chosen, n_quotes, withheld, k, n_resp == 0),
        })
    cols = ["role", "role_label", "questions", "respondents", "segments", "top_codes", "top_codes_fr", "withheld",
            *[f"quote_{i + 1}" for i in range(n_quotes)], "quote_segments", "note"]
    return pd.DataFrame(rows, columns=cols)
