"""The programme in figures: indicators by year and session, answers by session, role and
question, what was rejected and why, role labels the role table did not recognise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import schema
from ..core.labels import ROLE_LABELS_FR, reason_fr
from ..core.text import fold_label
from .common import UNKNOWN_YEAR, TOTAL, group_label, group_order, respondent_roles, session_year


def programme_indicators(responses: pd.DataFrame) -> pd.DataFrame:
    """Programme indicators by year, then a ``total`` row.

    Columns: year (``AAAA``, ``inconnue``, ``total``), sessions (distinct dated sessions),
    territories (distinct non-empty territories), participants (distinct respondent_id),
    responses (answers kept), mean_participants_per_session (mean over the year's sessions of
    their distinct respondents; empty when the year has no dated session).
    """
    r = responses.copy()
    r["year"] = session_year(r["session"])
    per_session = r[r["session"] != ""].groupby("session")["respondent_id"].nunique()

    def row(year: str, part: pd.DataFrame) -> dict[str, Any]:
        sess = sorted(s for s in part["session"].unique() if s)
        return {
            "year": year,
            "sessions": len(sess),
            "territories": int(part.loc[part["territory"] != "", "territory"].nunique()),
            "participants": int(part["respondent_id"].nunique()),
            "responses": int(len(part)),
            "mean_participants_per_session": float(per_session.loc[sess].mean()) if sess else np.nan,
        }

    rows = [row(y, part) for y, part in sorted(r.groupby("year"), key=lambda kv: (kv[0] == UNKNOWN_YEAR, kv[0]))]
    rows.append(row(TOTAL, r))
    return pd.DataFrame(rows, columns=["year", "sessions", "territories", "participants", "responses",
                                       "mean_participants_per_session"])


def session_indicators(responses: pd.DataFrame) -> pd.DataFrame:
    """One row per session (undated responses last, session ``""``).

    Columns: session, year, territories, participants (distinct respondent_id), responses,
    roles (participants per role, ``elu:3;agent:2...``).
    """
    r = responses.copy()
    r["year"] = session_year(r["session"])
    roles = respondent_roles(r)
    rows = []
    for s in group_order("session", r["session"].unique()):
        part = r[r["session"] == s]
        people = part["respondent_id"].unique()
        by_role = pd.Series(roles.loc[people]).value_counts()
        rows.append({
            "session": s,
            "year": session_year(pd.Series([s])).iloc[0],
            "territories": int(part.loc[part["territory"] != "", "territory"].nunique()),
            "participants": len(people),
            "responses": len(part),
            "roles": ";".join(f"{k}:{int(by_role[k])}" for k in schema.ALL_ROLES if k in by_role.index),
        })
    return pd.DataFrame(rows, columns=["session", "year", "territories", "participants", "responses", "roles"])



def answers_by_session(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers per session. Columns: session, session_label, year, answers, respondents, files."""
    rows = []
    for s in group_order("session", responses["session"].unique()):
        part = responses[responses["session"] == s]
        rows.append({"session": s, "session_label": group_label("session", s), "year": session_year(pd.Series([s])).iloc[0],
                     "answers": len(part), "respondents": int(part["respondent_id"].nunique()),
                     "files": ";".join(sorted(part["source_file"].unique()))})
    return pd.DataFrame(rows, columns=["session", "session_label", "year", "answers", "respondents", "files"])


def answers_by_role(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers per role (of the answer). Columns: role, role_label, answers, respondents, share (of answers)."""
    rows = []
    total = max(len(responses), 1)
    for role in group_order("role", responses["role"].unique()):
        part = responses[responses["role"] == role]
        rows.append({"role": role, "role_label": ROLE_LABELS_FR.get(role, role), "answers": len(part),
                     "respondents": int(part["respondent_id"].nunique()), "share": len(part) / total})
    return pd.DataFrame(rows, columns=["role", "role_label", "answers", "respondents", "share"])


def _question_key(question: str, question_id: str) -> str:
    """The same question worded alike in several exports: case, accents, punctuation ignored."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold_label(question)).split()
    return " ".join(words) if words else f"id:{question_id}"


def answers_by_question(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers per question, the same wording in several exports counted once (case, accents and
    punctuation ignored; a question without wording is grouped by its id); most answered first.
    Columns: question_id (every id of that question, ';'-joined), question (the most frequent
    wording), answers, respondents, files."""
    keys = [_question_key(q, i) for q, i in zip(responses["question"].fillna(""), responses["question_id"].fillna(""))]
    rows = []
    for _, part in responses.assign(_key=keys).groupby("_key", sort=True):
        wording = part["question"].value_counts()
        wording = sorted(wording.index, key=lambda w: (-int(wording[w]), w))[0]
        rows.append({"question_id": ";".join(sorted(part["question_id"].astype(str).unique())), "question": wording,
                     "answers": len(part), "respondents": int(part["respondent_id"].nunique()),
                     "files": ";".join(sorted(part["source_file"].unique()))})
    out = pd.DataFrame(rows, columns=["question_id", "question", "answers", "respondents", "files"])
    return out.sort_values(["answers", "question_id"], ascending=[False, True], kind="stable").reset_index(drop=True)



def rejections_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per reason. Columns: reason, reason_fr, rejected, files."""
    rows = []
    for reason, part in rejected.groupby("reason", sort=True):
        rows.append({"reason": reason, "reason_fr": reason_fr(reason), "rejected": len(part), "files": ";".join(sorted(part["source_file"].astype(str).unique()))})
    out = pd.DataFrame(rows, columns=["reason", "reason_fr", "rejected", "files"])
    return out.sort_values(["rejected", "reason"], ascending=[False, True], kind="stable").reset_index(drop=True)


def unmapped_role_labels(responses: pd.DataFrame) -> pd.DataFrame:
    """Role labels written in the sources that the role table did not recognise (role ``inconnu``,
    ``role_raw`` not empty). Columns: role_raw, answers, respondents (most frequent first)."""
    u = responses[(responses["role"] == schema.UNKNOWN_ROLE) & (responses["role_raw"] != "")]
    out = u.groupby("role_raw").agg(answers=("response_id", "size"), respondents=("respondent_id", "nunique")).reset_index()
    return out.sort_values(["answers", "role_raw"], ascending=[False, True], kind="stable").reset_index(drop=True)
