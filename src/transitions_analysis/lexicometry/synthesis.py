"""The lexicometry of a coded folder, as tables for the report and the notebook 06.

:func:`lexical_synthesis` works on the anonymised segments of :class:`~transitions_analysis.core.io.CodedTables`
and their lemmas (one list per segment, from :func:`~.lemmas.lemmatise` or the coding pass):

- **specificities by role** (Lafon): for each role, the lemmas it uses much more (or less) than
  the others, with their frequencies;
- **Reinert classes** of the answers (« mondes lexicaux »): the segments of one answer are grouped
  into one unit until it holds ``min_unit_lemmas`` lemmas (short answers are the method's known
  weak point: they are grouped within their answer, never across answers or respondents); a
  group smaller than ``min_class_share`` of the units is set aside as unclassified rather than
  counted as a class; for each class its size, characteristic lemmas (signed chi-square) and its
  most typical segments as quotes, withheld when the class has fewer than ``k`` respondents;
- the classes crossed with **roles** and with the **principles** coded in the segments
  (counts, expected counts, Pearson residuals);
- the **correspondence analysis** of roles by lemmas (coordinates and contributions of the roles,
  share of inertia of each axis).

Tables have plain column names (French headers come from ``core.labels.COLUMN_LABELS_FR``);
the fitted objects are kept in the result for the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core import schema
from ..core.labels import PRINCIPLE_LABELS_FR, ROLE_LABELS_FR
from .ca import CAResult, correspondence_analysis
from .chd import ReinertResult, characteristic_lemmas, crosstab_classes, group_segments, reinert_classes, typical_segments
from .lemmas import document_term_matrix, lexical_table
from .specificities import specificities_by

log = logging.getLogger(__name__)

WITHHELD_NOTE_FR = "Citations masquées : moins de {k} répondant·es dans cette classe (anonymat)."
#: Tables of the lexicometry section: file stem -> French title (also the XLSX sheet name).
TABLE_TITLES_FR: dict[str, str] = {
    "specificites_par_role": "Spécificités par rôle",
    "classes_lexicales": "Classes lexicales (Reinert)",
    "classes_par_role": "Classes × rôles",
    "classes_par_principe": "Classes × principes",
    "afc_roles": "AFC rôles × lemmes",
}


@dataclass
class LexicalSynthesis:
    """The lexicometry tables (:data:`TABLE_TITLES_FR`) and the objects behind them."""

    tables: dict[str, pd.DataFrame]
    specificities: pd.DataFrame | None = None
    reinert: ReinertResult | None = None
    characteristic: pd.DataFrame | None = None
    ca: CAResult | None = None
    params: dict = field(default_factory=dict)


def _min_docfreq(n_segments: int) -> int:
    """rainette's 10 for a large corpus, lowered for a few hundred segments (at least 3)."""
    return int(max(3, min(10, n_segments // 100)))


def lexical_synthesis(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    lemmas: Sequence[Sequence[str]],
    *,
    k: int = 3,
    n_classes: int = 8,
    n_lemmas: int = 10,
    n_quotes: int = 3,
    min_unit_lemmas: int = 5,
    min_class_share: float = 0.02,
    min_docfreq: int | None = None,
    random_state: int = 0,
) -> LexicalSynthesis:
    """Lexicometry tables of coded answers (see the module doc).

    ``responses``, ``segments``, ``codings``: validated tables of a coded folder; ``lemmas``: one
    list of lemmas per row of ``segments``, in order. ``k``: minimum respondents of a class for its
    quotes to be shown. ``n_classes``: classes asked of the classification (fewer when the corpus
    does not split further). ``min_docfreq``: lemmas kept in the classification (default: 10, or
    less for a small corpus, see :func:`_min_docfreq`).
    """
    segments = schema.validate(segments, schema.Segments)
    if len(lemmas) != len(segments):
        raise ValueError(f"{len(lemmas)} listes de lemmes pour {len(segments)} segments")
    roles = responses.set_index("response_id")["role"]
    respondent = responses.set_index("response_id")["respondent_id"]
    frame = segments[["segment_id", "response_id", "text"]].assign(
        lemmas=[list(x) for x in lemmas],
        role=segments["response_id"].map(roles).fillna(schema.UNKNOWN_ROLE),
        respondent_id=segments["response_id"].map(respondent),
    )
    tables: dict[str, pd.DataFrame] = {}
    result = LexicalSynthesis(tables=tables)
    min_docfreq = _min_docfreq(len(frame)) if min_docfreq is None else min_docfreq
    result.params = {"min_docfreq": min_docfreq, "n_classes": n_classes, "min_unit_lemmas": min_unit_lemmas,
                     "min_class_share": min_class_share, "k": k, "segments": len(frame)}
    n_lemmas_total = int(frame["lemmas"].map(len).sum())
    if n_lemmas_total == 0:
        log.info("lexicométrie : aucun lemme, section vide")
        return _empty(result)

    # specificities by role
    spec = specificities_by(frame, by="role", min_frequency=max(2, min_docfreq // 2))
    result.specificities = spec
    tops = []
    for role in [r for r in schema.ALL_ROLES if r in set(spec["part"])]:
        sub = spec[spec["part"] == role]
        pos = sub[sub["specificity"] >= 2].nlargest(n_lemmas, "specificity")
        neg = sub[sub["specificity"] <= -2].nsmallest(n_lemmas, "specificity")
        tops.append(pd.concat([pos, neg]).assign(role=role))
    spec_cols = ["role", "role_label", "lemma", "frequency", "total_frequency", "expected", "specificity"]
    if tops:
        top = pd.concat(tops, ignore_index=True)
        top["role_label"] = top["role"].map(ROLE_LABELS_FR)
        tables["specificites_par_role"] = top[spec_cols].reset_index(drop=True)
    else:
        tables["specificites_par_role"] = pd.DataFrame(columns=spec_cols)

    # Reinert classes of the answers
    dtm = document_term_matrix(frame["lemmas"], min_docfreq=min_docfreq)
    if dtm.shape[1] < 2:
        log.info("lexicométrie : moins de deux lemmes assez fréquents, pas de classification")
        return _fill_empty(result)
    sizes = np.asarray(dtm.matrix.astype(bool).sum(axis=1)).ravel()
    n_units = int(np.unique(group_segments(sizes, frame["response_id"].tolist(), min_size=min_unit_lemmas)).size)
    min_class = max(k, int(np.ceil(min_class_share * n_units))) if min_class_share > 0 else 0
    reinert = reinert_classes(dtm, k=n_classes, min_segment_size=min_unit_lemmas, segment_groups=frame["response_id"].tolist(),
                              min_class_size=min_class, random_state=random_state)
    result.reinert = reinert
    result.params.update(units=n_units, min_class_size=min_class)
    classes = np.asarray(reinert.classes)
    frame["class"] = classes
    characteristic = characteristic_lemmas(dtm, classes)
    result.characteristic = characteristic
    typical = typical_segments(dtm, classes, characteristic, texts=frame["text"].tolist(), n=5 * n_quotes)
    rows = []
    classified = frame[frame["class"] > 0]
    for c in sorted(classified["class"].unique()):
        members = classified[classified["class"] == c]
        n_resp = int(members["respondent_id"].nunique())
        lems = characteristic[(characteristic["class"] == c) & (characteristic["chi2"] > 0)].head(n_lemmas)
        row = {
            "class": int(c), "segments": len(members), "respondents": n_resp,
            "share": len(members) / max(len(classified), 1),
            "lemmas": " ; ".join(f"{lem} ({chi2:.1f})".replace(".", ",") for lem, chi2 in zip(lems["lemma"], lems["chi2"])),
            "withheld": 0 < n_resp < k,
        }
        quotes: list[str] = []
        if n_resp >= k:
            seen_people: set[str] = set()
            for seg in typical[typical["class"] == c]["segment"]:
                person = frame["respondent_id"].iloc[seg]
                if person in seen_people:
                    continue  # one quote per respondent
                seen_people.add(person)
                quotes.append(frame["text"].iloc[seg])
                if len(quotes) == n_quotes:
                    break
        for i in range(n_quotes):
            row[f"quote_{i + 1}"] = quotes[i] if i < len(quotes) else ""
        row["note"] = WITHHELD_NOTE_FR.format(k=k) if row["withheld"] else ""
        rows.append(row)
    tables["classes_lexicales"] = pd.DataFrame(rows, columns=[
        "class", "segments", "respondents", "share", "lemmas", "withheld",
        *[f"quote_{i + 1}" for i in range(n_quotes)], "note"])
    log.info("lexicométrie : %d classes, %d segments classés sur %d", len(rows), len(classified), len(frame))

    # classes crossed with roles and with the principles coded in the segments
    tables["classes_par_role"] = _long_crosstab(frame["class"], frame["role"], "role", ROLE_LABELS_FR)
    coded = codings[codings["code"].isin(schema.PRINCIPLES) & ~codings["negated"].astype(bool)]
    by_segment = coded.groupby("segment_id")["code"].agg(lambda s: sorted(set(s)))
    principles = frame["segment_id"].map(by_segment).map(lambda v: v if isinstance(v, list) else [])
    tables["classes_par_principe"] = _long_crosstab(frame["class"], principles, "code", PRINCIPLE_LABELS_FR)

    # correspondence analysis of roles by lemmas
    table = lexical_table(frame, by="role", min_frequency=min_docfreq)
    table = table.loc[:, table.sum(axis=0) > 0]
    if min(table.shape) >= 3:  # two axes need at least three categories and three lemmas
        ca = correspondence_analysis(table, n_components=2)
        result.ca = ca
        coords = ca.column_coordinates.add_prefix("coord ").join(ca.column_contributions.add_prefix("contribution "))
        coords.index.name = "role"
        out = coords.reset_index()
        out.insert(1, "role_label", out["role"].map(ROLE_LABELS_FR))
        for i, share in enumerate(ca.explained_inertia[:2], start=1):
            out[f"inertie axe {i}"] = share
        tables["afc_roles"] = out
    else:
        tables["afc_roles"] = pd.DataFrame(columns=["role", "role_label"])
    return result


def _long_crosstab(classes: pd.Series, values: pd.Series, name: str, labels: dict[str, str]) -> pd.DataFrame:
    cols = ["class", name, "label", "observed", "expected", "residual"]
    if (np.asarray(classes) > 0).sum() == 0:
        return pd.DataFrame(columns=cols)
    tab = crosstab_classes(classes.to_numpy(), values)
    if tab.observed.empty:
        return pd.DataFrame(columns=cols)
    long = tab.observed.stack().rename("observed").to_frame()
    long["expected"] = tab.expected.stack()
    long["residual"] = tab.residuals.stack()
    long = long.reset_index()
    long.columns = ["class", name, "observed", "expected", "residual"]
    long.insert(2, "label", long[name].map(lambda v: labels.get(v, v)))
    return long[cols].astype({"class": int, "observed": int})


def _fill_empty(result: LexicalSynthesis) -> LexicalSynthesis:
    for stem in TABLE_TITLES_FR:
        result.tables.setdefault(stem, pd.DataFrame())
    return result


def _empty(result: LexicalSynthesis) -> LexicalSynthesis:
    return _fill_empty(result)
