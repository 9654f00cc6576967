"""Synthesis: from coded tables to the tables the researchers publish.

Every function takes the tables of a coded folder (schema.RESPONSES, CODINGS, EXPECTATIONS...)
and returns a pandas DataFrame whose columns are listed in its docstring and in
``docs/synthesis.md``. Conventions shared by all of them:

- **Respondents, not segments.** A respondent *mentions* a code if at least one of their
  codings has it. Codings flagged ``negated`` (« pas de coopération ») are left out by default
  (``include_negated=False``): a negated mention is not a mention of the principle.
- A respondent's **role** is the most frequent role of their responses (ties: elu, agent,
  socio_eco, etat, inconnu order); the **year** of a response is the first four characters of its
  session, ``inconnue`` when the session is unknown.
- **Privacy**: quotes are shown only for groups of at least ``k`` respondents
  (``config.MIN_GROUP_SIZE``); smaller groups keep their counts but their quotes are replaced by
  a French note.
- **Representative quotes** are never drawn at random: the group's segments are vectorised
  (TF-IDF, words, accents folded, French stop words removed, idf fitted on every candidate text
  of the table), and ranked by cosine similarity to the group's centroid; ties are broken by
  ``segment_id``; at most one quote per respondent; identical texts count once; segments holding
  an anonymisation placeholder come last, segments of fewer than 5 words after longer ones.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, schema
from .errors import InputError

log = logging.getLogger(__name__)

UNKNOWN_YEAR = "inconnue"
TOTAL = "total"
ALL_RESPONDENTS = "ensemble"
NO_SESSION_FR = "sans date"
WITHHELD_NOTE_FR = "Citations masquées : moins de {k} répondant·es dans ce groupe (anonymat)."
EMPTY_NOTE_FR = "Aucune réponse."
SMALL_EXPECTED_FR = (
    "Attention : effectifs attendus faibles (< 5 dans {share} des cases) : le khi-deux est "
    "seulement indicatif, à lire avec prudence."
)
NOT_TESTABLE_FR = "Test impossible : moins de deux lignes ou colonnes non vides."
#: Default selection of the « stakes and strategies » answers: matched (case and accents
#: ignored) against ``question_id + " " + question``.
ROLES_X_PRINCIPLES = "rôles × principes"
STAKES_QUESTION_PATTERN = r"enjeu|strateg|groupe[ _-]*(de[ _-]*)?pairs"
DEFAULT_COOCCURRENCE_CODES: tuple[str, ...] = schema.PRINCIPLES + schema.ACTOR_CODES + schema.OUTCOME_CODES
_PLACEHOLDER_RE = r"\[(?:PERSONNE_\d+|EMAIL|TELEPHONE|IP)\]"
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_ROLE_ORDER = {r: i for i, r in enumerate(schema.ALL_ROLES)}
_READ_OPTIONS: dict[str, Any] = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}


# --------------------------------------------------------------------------- loading


@dataclass
class CodedTables:
    """The tables of a coded folder (``transitions-analysis code`` output).

    ``rejected`` may be empty; ``run_info`` is run.json; ``summary`` is the ingestion summary
    (``ingest_summary.json``) when present.
    """

    responses: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    expectations: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.REJECTED))
    run_info: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def _fix_types(t: CodedTables) -> CodedTables:
    responses = schema.check_columns(t.responses, schema.RESPONSES, "responses").copy()
    for col in schema.RESPONSES:
        if col != "source_row":
            responses[col] = responses[col].fillna("").astype(str)
    codings = schema.check_columns(t.codings, schema.CODINGS, "codings").copy()
    for col in ("segment_id", "response_id", "code", "source", "evidence", "coder"):
        codings[col] = codings[col].fillna("").astype(str)
    neg = codings["negated"]
    if neg.dtype != bool:
        neg = neg.astype(str).str.strip().str.lower().isin(["true", "1", "vrai", "yes"])
    codings["negated"] = neg.astype(bool)
    segments = schema.check_columns(t.segments, schema.SEGMENTS, "segments").copy()
    for col in ("segment_id", "response_id", "text"):
        segments[col] = segments[col].fillna("").astype(str)
    expectations = schema.check_columns(t.expectations, schema.EXPECTATIONS, "expectations").copy()
    for col in schema.EXPECTATIONS:
        expectations[col] = expectations[col].fillna("").astype(str)
    rejected = schema.check_columns(t.rejected, schema.REJECTED, "rejected").copy()
    return replace(t, responses=responses, codings=codings, segments=segments, expectations=expectations, rejected=rejected)


def read_coded(folder: str | Path) -> CodedTables:
    """Read a coded folder (responses, segments, codings, expectations .csv; rejected.csv,
    run.json, ingest_summary.json when present). Missing files or columns raise InputError."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in (("responses", schema.RESPONSES), ("segments", schema.SEGMENTS), ("codings", schema.CODINGS),
                       ("expectations", schema.EXPECTATIONS), ("rejected", schema.REJECTED)):
        path = folder / f"{name}.csv"
        if not path.is_file():
            if name == "rejected":
                tables[name] = schema.empty_frame(spec)
                continue
            raise InputError("fichier attendu absent d'un dossier codé", path=path)
        df = pd.read_csv(path, **_READ_OPTIONS)
        missing = [c for c in spec if c not in df.columns]
        if missing:
            raise InputError(f"colonnes manquantes : {', '.join(missing)}", path=path)
        tables[name] = df
    extras = {}
    for attr, fname in (("run_info", "run.json"), ("summary", "ingest_summary.json")):
        p = folder / fname
        extras[attr] = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}
    tables["responses"]["source_row"] = pd.to_numeric(tables["responses"]["source_row"], errors="coerce").fillna(0).astype("int64")
    return _fix_types(CodedTables(**tables, **extras))


def is_coded_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding responses.csv, segments.csv, codings.csv and expectations.csv."""
    p = Path(path)
    return p.is_dir() and all((p / f"{n}.csv").is_file() for n in ("responses", "segments", "codings", "expectations"))


def coded_tables(responses, segments, codings, expectations, rejected=None, run_info=None, summary=None) -> CodedTables:
    """Bundle in-memory tables (e.g. from ingest and code_responses) as :class:`CodedTables`."""
    return _fix_types(CodedTables(
        responses, segments, codings, expectations,
        rejected if rejected is not None else schema.empty_frame(schema.REJECTED), run_info or {}, summary or {},
    ))


def select_sessions(tables: CodedTables, sessions: Iterable[str] | None) -> CodedTables:
    """Keep the responses of the given sessions (``AAAA-MM-JJ``) or years (``AAAA``); ``""`` keeps
    undated responses. ``None`` or empty keeps everything. Other tables follow the responses."""
    wanted = [str(s).strip() for s in (sessions or [])]
    if not wanted:
        return tables
    sess = tables.responses["session"]
    keep = pd.Series(False, index=sess.index)
    for w in wanted:
        keep |= (sess == w) if (len(w) != 4 or not w.isdigit()) else sess.str.startswith(w)
    if not keep.any():
        known = sorted(s for s in sess.unique() if s)
        raise InputError(f"aucune réponse pour les sessions demandées {wanted} (sessions présentes : {', '.join(known)})")
    responses = tables.responses[keep].reset_index(drop=True)
    ids = set(responses["response_id"])
    return replace(
        tables,
        responses=responses,
        segments=tables.segments[tables.segments["response_id"].isin(ids)].reset_index(drop=True),
        codings=tables.codings[tables.codings["response_id"].isin(ids)].reset_index(drop=True),
        expectations=tables.expectations[tables.expectations["response_id"].isin(ids)].reset_index(drop=True),
    )


# --------------------------------------------------------------------------- helpers


def session_year(session: pd.Series) -> pd.Series:
    """Year of each session (``AAAA``), ``inconnue`` when the session is empty or not a date."""
    s = session.fillna("").astype(str)
    return s.str.slice(0, 4).where(s.str.match(r"^\d{4}"), UNKNOWN_YEAR)


def respondent_roles(responses: pd.DataFrame) -> pd.Series:
    """Role of each respondent (index respondent_id): their most frequent role, ties in role order."""
    counts = responses.groupby(["respondent_id", "role"]).size().reset_index(name="n")
    counts["order"] = counts["role"].map(_ROLE_ORDER).fillna(len(_ROLE_ORDER))
    counts = counts.sort_values(["respondent_id", "n", "order"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("respondent_id").set_index("respondent_id")["role"]


def code_labels(codebook: Any = None) -> dict[str, str]:
    """French label of every code: the codebook's (default: the shipped one), schema labels first."""
    labels: dict[str, str] = {}
    try:
        if codebook is None or isinstance(codebook, (str, Path)):
            from .codebook import load_codebook

            codebook = load_codebook(codebook)
        labels.update({c.id: c.label for c in codebook.codes})
    except Exception as exc:  # the labels are cosmetic: never fail a synthesis for them
        log.debug("libellés du codebook indisponibles : %s", exc)
    labels.update(schema.PRINCIPLE_LABELS_FR)
    labels.update({f"actor.{r}": schema.ROLE_LABELS_FR[r] for r in schema.ROLES if f"actor.{r}" not in labels})
    return labels


def label_of(code: str, labels: dict[str, str] | None = None) -> str:
    """French label of ``code`` (falls back to the id)."""
    return (labels or {}).get(code) or schema.PRINCIPLE_LABELS_FR.get(code) or code


def wilson_interval(count: Any, nobs: Any, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (statsmodels ``proportion_confint(method="wilson")``); NaN when nobs is 0."""
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    low, high = proportion_confint(count, safe, alpha=alpha, method="wilson")
    low = np.where(nobs > 0, low, np.nan)
    high = np.where(nobs > 0, high, np.nan)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def percent_fr(share: float, digits: int = 0) -> str:
    """``0.456`` -> ``46 %`` (French: decimal comma, non-breaking space before %); empty for NaN."""
    if share is None or not np.isfinite(share):
        return ""
    return f"{100 * share:.{digits}f}".replace(".", ",") + "\u00a0%"


def _responses_frame(responses: pd.DataFrame) -> pd.DataFrame:
    r = responses[["response_id", "respondent_id", "session", "question_id", "question"]].copy()
    r["role"] = responses["respondent_id"].map(respondent_roles(responses))
    r["year"] = session_year(r["session"])
    return r


def mentions(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    include_negated: bool = False,
) -> pd.DataFrame:
    """One row per (response, code) coded at least once.

    Columns: response_id, respondent_id, role (the respondent's), session, year, question_id,
    code. ``codes`` restricts the codes (default: all); negated codings are dropped unless
    ``include_negated``; codings of responses absent from ``responses`` are ignored.
    """
    c = codings
    if not include_negated:
        c = c[~c["negated"].astype(bool)]
    if codes is not None:
        c = c[c["code"].isin(list(codes))]
    c = c[["response_id", "code"]].drop_duplicates()
    r = _responses_frame(responses)
    out = c.merge(r, on="response_id", how="inner")
    cols = ["response_id", "respondent_id", "role", "session", "year", "question_id", "code"]
    return out[cols].sort_values(["response_id", "code"], kind="stable").reset_index(drop=True)


def _group_order(by: str, values: Iterable[str]) -> list[str]:
    values = list(dict.fromkeys(values))
    if by == "role":
        return sorted(values, key=lambda v: (_ROLE_ORDER.get(v, 99), v))
    return sorted(values, key=lambda v: (v in ("", UNKNOWN_YEAR), v))


def group_label(by: str, value: str) -> str:
    """French label of a group value (role label, ``sans date`` for an empty session...)."""
    if by == "role":
        return schema.ROLE_LABELS_FR.get(value, "Ensemble" if value == ALL_RESPONDENTS else value)
    if value == ALL_RESPONDENTS:
        return "Ensemble"
    if by == "session" and value == "":
        return NO_SESSION_FR
    if by == "year" and value == UNKNOWN_YEAR:
        return "année inconnue"
    return value


# --------------------------------------------------------------------------- programme


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
    for s in _group_order("session", r["session"].unique()):
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


# --------------------------------------------------------------------------- shares


def code_shares(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    by: str = "role",
    codes: Sequence[str] = schema.PRINCIPLES,
    include_total: bool = True,
    include_negated: bool = False,
    question_ids: Iterable[str] | None = None,
    alpha: float = 0.05,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Share of RESPONDENTS of each group who mention each code, with a Wilson interval.

    ``by``: ``role`` (the respondent's), ``session`` or ``year``. The denominator of a group is its
    distinct respondents (who answered anything, or one of ``question_ids`` when given); a
    respondent mentions a code in a group if one of their responses of that group has a
    non-negated coding of it. ``include_total`` adds the group ``ensemble`` (all respondents).
    Columns: <by>, group_label, code, label, respondents, mentioning, share, ci_low, ci_high
    (``1 - alpha`` Wilson interval).
    """
    if by not in ("role", "session", "year"):
        raise ValueError(f"regroupement inconnu : {by!r} (role, session ou year)")
    base = _responses_frame(responses)
    if question_ids is not None:
        base = base[base["question_id"].isin(list(question_ids))]
    m = mentions(responses, codings, codes=codes, include_negated=include_negated)
    m = m[m["response_id"].isin(set(base["response_id"]))]
    groups = _group_order(by, base[by].unique())
    denominators = {g: base.loc[base[by] == g, "respondent_id"].nunique() for g in groups}
    mentioning = m.groupby([by, "code"])["respondent_id"].nunique()
    rows = []
    for g in groups:
        for code in codes:
            rows.append((g, code, denominators[g], int(mentioning.get((g, code), 0))))
    if include_total:
        total = base["respondent_id"].nunique()
        overall = m.groupby("code")["respondent_id"].nunique()
        for code in codes:
            rows.append((ALL_RESPONDENTS, code, total, int(overall.get(code, 0))))
    out = pd.DataFrame(rows, columns=[by, "code", "respondents", "mentioning"])
    out["share"] = np.where(out["respondents"] > 0, out["mentioning"] / out["respondents"].where(out["respondents"] > 0, 1), np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["mentioning"], out["respondents"], alpha)
    out.insert(1, "group_label", [group_label(by, g) for g in out[by]])
    out.insert(3, "label", [label_of(c, labels) for c in out["code"]])
    return out.reset_index(drop=True)


def principle_shares(responses: pd.DataFrame, codings: pd.DataFrame, *, by: str = "role", **kwargs: Any) -> pd.DataFrame:
    """:func:`code_shares` for the four principles (what each group retains)."""
    return code_shares(responses, codings, by=by, codes=schema.PRINCIPLES, **kwargs)


def outcomes_by_role(responses: pd.DataFrame, codings: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """:func:`code_shares` by role for the reported outcomes (``outcome.*`` codes): respondents per
    role who report each outcome, over the role's respondents."""
    return code_shares(responses, codings, by="role", codes=schema.OUTCOME_CODES, **kwargs)


# --------------------------------------------------------------------------- association test


def _chi2_row(name: str, table_desc: str, table: pd.DataFrame) -> dict[str, Any]:
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    t = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    row: dict[str, Any] = {"test": name, "table": table_desc, "n": int(table.to_numpy().sum()),
                           "rows": int(t.shape[0]), "cols": int(t.shape[1])}
    if t.shape[0] < 2 or t.shape[1] < 2:
        row.update(chi2=np.nan, dof=0, p_value=np.nan, cramers_v=np.nan, min_expected=np.nan,
                   share_small_expected=np.nan, small_expected=True, warning=NOT_TESTABLE_FR)
        log.warning("%s : %s", name, NOT_TESTABLE_FR)
        return row
    obs = t.to_numpy(dtype=float)
    res = chi2_contingency(obs, correction=False)
    expected = np.asarray(res.expected_freq)
    share_small = float((expected < 5).mean())
    small = share_small > 0.2 or bool((expected < 1).any())
    row.update(
        chi2=float(res.statistic), dof=int(res.dof), p_value=float(res.pvalue),
        cramers_v=float(association(t.to_numpy(dtype=int), method="cramer", correction=False)),
        min_expected=float(expected.min()), share_small_expected=share_small, small_expected=small,
        warning=SMALL_EXPECTED_FR.format(share=percent_fr(share_small)) if small else "",
    )
    if small:
        log.warning("%s : effectifs attendus < 5 dans %.0f %% des cases, khi-deux indicatif", name, 100 * share_small)
    return row


def mention_table(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    roles: Sequence[str] = schema.ROLES,
    codes: Sequence[str] = schema.PRINCIPLES,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Roles x codes contingency table: cell = number of respondents of the role who mention the
    code (index role, columns code). A respondent may count in several columns."""
    return _mentions(_role_shares(responses, codings, roles=roles, codes=codes, include_negated=include_negated), roles, codes)


def _role_shares(responses, codings, *, roles, codes, include_negated) -> pd.DataFrame:
    shares = code_shares(responses, codings, by="role", codes=codes, include_total=False, include_negated=include_negated)
    return shares[shares["role"].isin(list(roles))]


def _mentions(shares: pd.DataFrame, roles: Sequence[str], codes: Sequence[str]) -> pd.DataFrame:
    t = shares.pivot(index="role", columns="code", values="mentioning").reindex(
        index=[r for r in roles if r in set(shares["role"])], columns=list(codes))
    return t.fillna(0).astype(int)


def role_principle_association(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    roles: Sequence[str] = schema.ROLES,
    codes: Sequence[str] = schema.PRINCIPLES,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Chi-square tests of the association between role and principles, with Cramér's V.

    First row, ``rôles × principes``: the roles x principles table of :func:`mention_table`
    (respondents of each role mentioning each principle). Since one respondent can mention several
    principles, its cells are not independent observations: read it as a description of how the
    mentions spread across principles, its p-value as indicative. Then one row per principle: the
    roles x (mentions / does not mention) table of respondents, a sound test of « this principle
    is retained more by some roles ». ``inconnu`` is not a role and is left out. No continuity
    correction. A test whose expected counts are < 5 in more than 20 % of the cells (or < 1
    anywhere) is flagged (``small_expected``), logged and carries a French ``warning``.

    Columns: test, table, n, rows, cols (non-empty rows/columns tested), chi2, dof, p_value,
    cramers_v, min_expected, share_small_expected, small_expected, warning.
    """
    shares = _role_shares(responses, codings, roles=roles, codes=codes, include_negated=include_negated)
    rows = [_chi2_row(ROLES_X_PRINCIPLES, "répondant·es mentionnant chaque principe, par rôle", _mentions(shares, roles, codes))]
    for code in codes:
        s = shares[shares["code"] == code].set_index("role")
        t = pd.DataFrame({"mentionne": s["mentioning"], "ne mentionne pas": s["respondents"] - s["mentioning"]})
        rows.append(_chi2_row(label_of(code), "répondant·es par rôle : mentionne / ne mentionne pas", t))
    cols = ["test", "table", "n", "rows", "cols", "chi2", "dof", "p_value", "cramers_v", "min_expected",
            "share_small_expected", "small_expected", "warning"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- quotes


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import strip_accents_unicode
    from spacy.lang.fr.stop_words import STOP_WORDS

    words = set()
    for w in STOP_WORDS:  # tokenised like the texts, so « quelqu'un » gives « quelqu »
        words.update(re.findall(_TOKEN_PATTERN, strip_accents_unicode(w.lower())))
    return sorted(words)


def _vectoriser(corpus: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words=_stop_words(),
                          token_pattern=_TOKEN_PATTERN, sublinear_tf=True)
    try:
        vec.fit(list(corpus))
    except ValueError:  # empty vocabulary (only stop words)
        return None
    return vec


def representative_quotes(
    candidates: pd.DataFrame,
    *,
    n_quotes: int = 3,
    vectoriser: Any = None,
    min_words: int = 5,
) -> pd.DataFrame:
    """The ``n_quotes`` segments closest to the group's TF-IDF centroid (the rule of the module doc).

    Segments holding an anonymisation placeholder (``[PERSONNE_1]``...) are ranked last, and
    segments of fewer than ``min_words`` words after the longer ones, so quotes read well.

    ``candidates``: segment_id, respondent_id, text. ``vectoriser``: a fitted TfidfVectorizer
    (default: fitted on ``candidates``). Returns the chosen rows (columns of ``candidates`` plus
    ``similarity``), best first.
    """
    c = candidates.copy()
    c["text"] = c["text"].fillna("").astype(str).str.strip()
    c = c[c["text"] != ""].sort_values("segment_id", kind="stable")
    c = c.drop_duplicates("text")
    if c.empty:
        return c.assign(similarity=pd.Series(dtype=float))
    vec = vectoriser if vectoriser is not None else _vectoriser(c["text"])
    if vec is None:
        sim = np.zeros(len(c))
    else:
        X = vec.transform(c["text"])
        centroid = np.asarray(X.mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        sim = (X @ centroid) / norm if norm > 0 else np.zeros(len(c))
        sim = np.round(np.asarray(sim).ravel(), 12)  # ties are exact ties, broken by segment_id
    c["similarity"] = sim
    c["_placeholder"] = c["text"].str.contains(_PLACEHOLDER_RE)
    c["_short"] = c["text"].str.count(r"\w+") < min_words
    c = c.sort_values(["_placeholder", "_short", "similarity", "segment_id"], ascending=[True, True, False, True], kind="stable")
    c = c.drop(columns=["_placeholder", "_short"])
    c = c.drop_duplicates("respondent_id")
    return c.head(n_quotes).reset_index(drop=True)


def _quote_columns(chosen: pd.DataFrame | None, n_quotes: int, withheld: bool, k: int, empty: bool) -> dict[str, Any]:
    out: dict[str, Any] = {f"quote_{i + 1}": "" for i in range(n_quotes)}
    out["quote_segments"] = ""
    if empty:
        out["note"] = EMPTY_NOTE_FR
    elif withheld:
        out["note"] = WITHHELD_NOTE_FR.format(k=k)
    else:
        out["note"] = ""
        for i, text in enumerate(chosen["text"]):
            out[f"quote_{i + 1}"] = text
        out["quote_segments"] = ";".join(chosen["segment_id"])
    return out


def _top(counts: pd.Series, order: Sequence[str], labels: dict[str, str] | None, top: int) -> tuple[str, str]:
    counts = counts[counts > 0]
    ranked = sorted(counts.index, key=lambda c: (-int(counts[c]), order.index(c) if c in order else len(order), c))[:top]
    return ";".join(ranked), " ; ".join(f"{label_of(c, labels)} ({int(counts[c])})" for c in ranked)


# --------------------------------------------------------------------------- expectations


def expectations_matrix(
    expectations: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    k: int = config.MIN_GROUP_SIZE,
    n_quotes: int = 3,
    include_self: bool = False,
    top_principles: int = 2,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """What each role expects of the others: one row per (from_role, to_role) cell.

    Cells: the 4 x 4 roles without the diagonal (``include_self=False``: what a role expects of
    itself is left out of the matrix and its count logged), plus ``inconnu`` rows/columns when
    expectations have that role. ``from_role`` is the respondent's role (:func:`respondent_roles`).
    Columns: from_role, to_role, from_label, to_label, respondents (distinct respondent_id),
    segments (distinct segment_id), principles (the ``top_principles`` principles mentioned by the
    most respondents of the cell, ';'-joined, ties in principle order), principles_fr (« Coopération
    (2) ; ... »), withheld (True when 0 < respondents < k: quotes replaced by ``note``),
    quote_1..quote_<n_quotes>, quote_segments, note.
    """
    r = responses[["response_id", "respondent_id"]]
    roles_of = respondent_roles(responses)
    e = expectations.merge(r, on="response_id", how="left")
    lost = e["respondent_id"].isna()
    if lost.any():
        log.warning("%d attente(s) sans réponse correspondante ignorée(s)", int(lost.sum()))
        e = e[~lost]
    e["from_role"] = e["respondent_id"].map(roles_of).fillna(e["from_role"])
    if not include_self:
        self_rows = e["from_role"] == e["to_role"]
        if self_rows.any():
            log.info("%d attente(s) d'un rôle envers lui-même hors de la matrice (include_self=False)", int(self_rows.sum()))
        e = e[~self_rows]
    from_roles = list(schema.ROLES) + ([schema.UNKNOWN_ROLE] if (e["from_role"] == schema.UNKNOWN_ROLE).any() else [])
    to_roles = list(schema.ROLES) + ([schema.UNKNOWN_ROLE] if (e["to_role"] == schema.UNKNOWN_ROLE).any() else [])
    vec = _vectoriser(e["text"]) if len(e) else None
    rows = []
    for fr in from_roles:
        for to in to_roles:
            if fr == to and not include_self:
                continue
            cell = e[(e["from_role"] == fr) & (e["to_role"] == to)]
            n_resp = int(cell["respondent_id"].nunique())
            prin = cell.assign(p=cell["principles"].str.split(";")).explode("p")
            prin = prin[prin["p"].isin(schema.PRINCIPLES)]
            counts = prin.groupby("p")["respondent_id"].nunique()
            top_ids, top_fr = _top(counts, list(schema.PRINCIPLES), labels, top_principles)
            withheld = 0 < n_resp < k
            chosen = None
            if n_resp >= k:
                chosen = representative_quotes(cell[["segment_id", "respondent_id", "text"]], n_quotes=n_quotes, vectoriser=vec)
            rows.append({
                "from_role": fr, "to_role": to,
                "from_label": schema.ROLE_LABELS_FR[fr], "to_label": schema.ROLE_LABELS_FR[to],
                "respondents": n_resp, "segments": int(cell["segment_id"].nunique()),
                "principles": top_ids, "principles_fr": top_fr, "withheld": withheld,
                **_quote_columns(chosen, n_quotes, withheld, k, n_resp == 0),
            })
    return pd.DataFrame(rows)


def matrix_wide(matrix: pd.DataFrame, value: str = "respondents") -> pd.DataFrame:
    """The expectations matrix as a from_role x to_role table of ``value`` (NaN where no cell)."""
    rows = list(dict.fromkeys(matrix["from_role"]))
    cols = list(dict.fromkeys(matrix["to_role"]))
    cols = sorted(cols, key=lambda r: _ROLE_ORDER.get(r, 99))
    return matrix.pivot(index="from_role", columns="to_role", values=value).reindex(index=rows, columns=cols)


# --------------------------------------------------------------------------- stakes and strategies


def _fold(text: str) -> str:
    from sklearn.feature_extraction.text import strip_accents_unicode

    return strip_accents_unicode(text.lower())


def stakes_question_ids(responses: pd.DataFrame, pattern: str = STAKES_QUESTION_PATTERN) -> list[str]:
    """Question ids whose id or wording matches ``pattern`` (case and accents ignored)."""
    q = responses[["question_id", "question"]].drop_duplicates()
    rx = re.compile(pattern)
    hits = [qid for qid, text in zip(q["question_id"], q["question"]) if rx.search(_fold(f"{qid} {text}"))]
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
    present = _group_order("role", r["respondent_id"].map(roles_of).unique()) if len(r) else []
    for role in present:
        people = [p for p in r["respondent_id"].unique() if roles_of.get(p) == role]
        n_resp = len(people)
        role_seg = seg[seg["role"] == role]
        counts = m[m["role"] == role].groupby("code")["respondent_id"].nunique()
        top_ids, top_fr = _top(counts, list(codes), labels, top_codes)
        withheld = 0 < n_resp < k
        chosen = representative_quotes(role_seg[["segment_id", "respondent_id", "text"]], n_quotes=n_quotes, vectoriser=vec) if n_resp >= k else None
        rows.append({
            "role": role, "role_label": schema.ROLE_LABELS_FR.get(role, role), "questions": ";".join(qids),
            "respondents": n_resp, "segments": int(role_seg["segment_id"].nunique()),
            "top_codes": top_ids, "top_codes_fr": top_fr, "withheld": withheld,
            **_quote_columns(chosen, n_quotes, withheld, k, n_resp == 0),
        })
    cols = ["role", "role_label", "questions", "respondents", "segments", "top_codes", "top_codes_fr", "withheld",
            *[f"quote_{i + 1}" for i in range(n_quotes)], "quote_segments", "note"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- co-occurrence


def code_cooccurrence(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codes: Sequence[str] | None = DEFAULT_COOCCURRENCE_CODES,
    include_negated: bool = False,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Co-occurrence of codes within RESPONSES (the unit: two codes co-occur when one response
    has both, whatever its segments).

    One row per ordered pair (code_a, code_b) of the codes present, diagonal included (then
    n_both = n_a). Columns: code_a, code_b, label_a, label_b, n_both (responses with both), n_a,
    n_b, jaccard (n_both / responses with either).
    """
    m = mentions(responses, codings, codes=codes, include_negated=include_negated)
    present = [c for c in (codes if codes is not None else sorted(m["code"].unique())) if c in set(m["code"])]
    X = pd.crosstab(m["response_id"], m["code"]).reindex(columns=present, fill_value=0).clip(upper=1)
    both = X.T @ X
    n = np.diag(both.to_numpy())
    rows = []
    for i, a in enumerate(present):
        for j, b in enumerate(present):
            nb = int(both.iloc[i, j])
            union = int(n[i] + n[j] - nb)
            rows.append({"code_a": a, "code_b": b, "label_a": label_of(a, labels), "label_b": label_of(b, labels),
                         "n_both": nb, "n_a": int(n[i]), "n_b": int(n[j]), "jaccard": nb / union if union else np.nan})
    return pd.DataFrame(rows, columns=["code_a", "code_b", "label_a", "label_b", "n_both", "n_a", "n_b", "jaccard"])


# --------------------------------------------------------------------------- ingestion report (issue 2)


def answers_by_session(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers per session. Columns: session, session_label, year, answers, respondents, files."""
    rows = []
    for s in _group_order("session", responses["session"].unique()):
        part = responses[responses["session"] == s]
        rows.append({"session": s, "session_label": group_label("session", s), "year": session_year(pd.Series([s])).iloc[0],
                     "answers": len(part), "respondents": int(part["respondent_id"].nunique()),
                     "files": ";".join(sorted(part["source_file"].unique()))})
    return pd.DataFrame(rows, columns=["session", "session_label", "year", "answers", "respondents", "files"])


def answers_by_role(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers per role (of the answer). Columns: role, role_label, answers, respondents, share (of answers)."""
    rows = []
    total = max(len(responses), 1)
    for role in _group_order("role", responses["role"].unique()):
        part = responses[responses["role"] == role]
        rows.append({"role": role, "role_label": schema.ROLE_LABELS_FR.get(role, role), "answers": len(part),
                     "respondents": int(part["respondent_id"].nunique()), "share": len(part) / total})
    return pd.DataFrame(rows, columns=["role", "role_label", "answers", "respondents", "share"])


def _question_key(question: str, question_id: str) -> str:
    """The same question worded alike in several exports: case, accents, punctuation ignored."""
    from .roles import fold

    words = "".join(ch if ch.isalnum() else " " for ch in fold(question)).split()
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


REASON_LABELS_FR: dict[str, str] = {
    "empty": "réponse vide",
    "duplicate": "doublon",
    "unreadable": "illisible",
    "no_text": "sans texte",
    "facilitator": "animation",
    "private": "message privé",
}


def rejections_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per reason. Columns: reason, reason_fr, rejected, files."""
    rows = []
    for reason, part in rejected.groupby("reason", sort=True):
        label = REASON_LABELS_FR.get(reason)
        if label is None:
            try:
                from .ingest import REASON_LABELS_FR as ingest_labels

                label = ingest_labels.get(reason, reason)
            except ImportError:  # pragma: no cover
                label = reason
        rows.append({"reason": reason, "reason_fr": label, "rejected": len(part), "files": ";".join(sorted(part["source_file"].astype(str).unique()))})
    out = pd.DataFrame(rows, columns=["reason", "reason_fr", "rejected", "files"])
    return out.sort_values(["rejected", "reason"], ascending=[False, True], kind="stable").reset_index(drop=True)


def unmapped_role_labels(responses: pd.DataFrame) -> pd.DataFrame:
    """Role labels written in the sources that the role table did not recognise (role ``inconnu``,
    ``role_raw`` not empty). Columns: role_raw, answers, respondents (most frequent first)."""
    u = responses[(responses["role"] == schema.UNKNOWN_ROLE) & (responses["role_raw"] != "")]
    out = u.groupby("role_raw").agg(answers=("response_id", "size"), respondents=("respondent_id", "nunique")).reset_index()
    return out.sort_values(["answers", "role_raw"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- everything


#: Every synthesis table: file stem -> French title (also the XLSX sheet name, <= 31 characters).
TABLE_TITLES_FR: dict[str, str] = {
    "indicateurs_programme": "Indicateurs du programme",
    "indicateurs_sessions": "Indicateurs par session",
    "principes_par_role": "Principes retenus par rôle",
    "test_role_principe": "Test rôle × principe",
    "matrice_attentes": "Matrice des attentes",
    "enjeux_strategies": "Enjeux et stratégies",
    "effets_par_role": "Effets observés par rôle",
    "principes_par_session": "Principes par session",
    "principes_par_annee": "Principes par année",
    "cooccurrences": "Cooccurrences des codes",
    "reponses_par_session": "Réponses par session",
    "reponses_par_role": "Réponses par rôle",
    "reponses_par_question": "Réponses par question",
    "rejets_par_motif": "Rejets par motif",
    "roles_non_reconnus": "Rôles non reconnus",
}


def synthesise(
    tables: CodedTables,
    *,
    k: int = config.MIN_GROUP_SIZE,
    n_quotes: int = 3,
    include_negated: bool = False,
    labels: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every synthesis table of :data:`TABLE_TITLES_FR`, keyed by file stem, in that order."""
    labels = labels if labels is not None else code_labels()
    r, c = tables.responses, tables.codings
    opts = {"include_negated": include_negated, "labels": labels}
    out = {
        "indicateurs_programme": programme_indicators(r),
        "indicateurs_sessions": session_indicators(r),
        "principes_par_role": principle_shares(r, c, by="role", **opts),
        "test_role_principe": role_principle_association(r, c, include_negated=include_negated),
        "matrice_attentes": expectations_matrix(tables.expectations, r, k=k, n_quotes=n_quotes, labels=labels),
        "enjeux_strategies": stakes_strategies(r, tables.segments, c, k=k, n_quotes=n_quotes, **opts),
        "effets_par_role": outcomes_by_role(r, c, **opts),
        "principes_par_session": principle_shares(r, c, by="session", include_total=False, **opts),
        "principes_par_annee": principle_shares(r, c, by="year", include_total=False, **opts),
        "cooccurrences": code_cooccurrence(r, c, **opts),
        "reponses_par_session": answers_by_session(r),
        "reponses_par_role": answers_by_role(r),
        "reponses_par_question": answers_by_question(r),
        "rejets_par_motif": rejections_by_reason(tables.rejected),
        "roles_non_reconnus": unmapped_role_labels(r),
    }
    assert list(out) == list(TABLE_TITLES_FR)
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write each table as ``<out_dir>/<stem>.csv`` (UTF-8, comma, ``\\n``, floats ``%.4f``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, df in tables.items():
        path = out / f"{stem}.csv"
        df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.4f")
        paths[stem] = path
    return paths
