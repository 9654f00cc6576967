"""Agreement stage: how reliable is the thematic coding?

Inputs are *codings* in the human-codings layout (:data:`schema.HUMAN_CODINGS`): one row per
(unit, coder, code), the unit being a response (``response_id``, default) or a segment
(``segment_id``). A row with an empty ``code`` means the coder saw the unit and gave it no code;
a unit with no row for a coder was never seen by that coder (missing). The difference matters:
an unseen unit does not enter the statistics for that coder, a unit seen and left uncoded counts
as "absent" for every code. The machine (``rules``/``model`` in a ``codings.csv`` of the ``code``
stage) is read as one more coder.

Statistics (see ``docs/agreement.md``):

- per code, the presence/absence of the code: percent agreement (mean over units of the share of
  agreeing coder pairs), Krippendorff's alpha (nominal, ``krippendorff`` package, any number of
  coders, missing data allowed) with a bootstrap confidence interval (units resampled with
  replacement), Fleiss' kappa (``statsmodels``) on the units rated by the modal number of coders,
  Cohen's kappa (scikit-learn) for each pair of coders sharing at least two units;
- ``__all__``: the same statistics over the pooled unit x code presence matrix (every
  (unit, code) pair is one item, present or absent), or with ``exclusive=True`` over the codes as
  mutually exclusive values of one nominal variable (one code per unit and coder).

Adjudication: :func:`disagreements` lists the units where coders differ, :func:`write_disagreements_xlsx`
writes them for an adjudicator who fills the ``décision`` column, :func:`read_adjudication` reads it
back, :func:`reference_codings` builds the human reference (agreed units + decisions) and
:func:`compare_machine` measures the machine against it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, schema
from .errors import (
    MSG_AGREE_EMPTY_VALUE,
    MSG_AGREE_NOT_EXCLUSIVE,
    MSG_AGREE_QDPX_UNAVAILABLE,
    MSG_AGREE_UNIT_COLUMN,
    MSG_AGREE_UNKNOWN_CODE,
    MSG_FILE_NOT_FOUND,
    MSG_MISSING_COLUMN,
    MSG_UNSUPPORTED_FORMAT,
    InputError,
)

log = logging.getLogger(__name__)

#: unit kind -> column naming it in a codings table.
UNIT_COLUMNS: dict[str, str] = {"response": "response_id", "segment": "segment_id"}
#: Row label of the overall (pooled, or exclusive) result.
ALL_CODES = "__all__"
#: Coder names given to the reference built by :func:`reference_codings`.
ADJUDICATION_CODER = "adjudication"
CONSENSUS_CODER = "consensus"
#: Conventional thresholds (Krippendorff 2004): >= 0.80 reliable, >= 0.667 tentative conclusions.
ALPHA_THRESHOLDS: tuple[float, float] = (0.667, 0.80)
#: Minimum number of shared units for a Cohen's kappa between two coders.
MIN_PAIR_UNITS = 2

#: Columns of :func:`agreement_table` (the JSON output keeps the first nine except fleiss_n_units).
TABLE_COLUMNS: dict[str, str] = {
    "code": "code du codebook, ou __all__ pour le résultat global",
    "n_units": "unités vues par au moins deux codeurs (celles qui comptent)",
    "n_coders": "codeurs distincts ayant vu au moins une de ces unités",
    "percent_agreement": "accord observé : moyenne par unité de la part des paires de codeurs d'accord",
    "krippendorff_alpha": "alpha de Krippendorff (nominal)",
    "alpha_ci_low": "borne basse de l'intervalle de confiance bootstrap (unités rééchantillonnées)",
    "alpha_ci_high": "borne haute de l'intervalle de confiance bootstrap",
    "fleiss_kappa": "kappa de Fleiss sur les unités notées par le nombre modal de codeurs",
    "fleiss_n_units": "unités utilisées pour le kappa de Fleiss",
    "cohen_kappa": "kappa de Cohen par paire de codeurs {'A|B': valeur}",
    "n_present": "nombre de codages (unité, codeur) portant le code",
}
JSON_KEYS: tuple[str, ...] = (
    "code",
    "n_units",
    "n_coders",
    "percent_agreement",
    "krippendorff_alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "fleiss_kappa",
    "cohen_kappa",
)

#: French headers of the disagreement table (and of the adjudication file read back).
COL_UNIT = "unité"
COL_TEXT = "texte"
COL_N_CODERS = "codeurs"
COL_DISPUTED = "codes en désaccord"
COL_ALL_CODINGS = "codages par codeur"
COL_DECISION = "décision"
NO_CODE_LABEL = "(aucun code)"
#: What an adjudicator may write for "this unit gets no code".
NO_CODE_WORDS = frozenset({"aucun", "(aucun)", "aucun code", "(aucun code)", "-", "—", "rien", "none"})

_MACHINE_CODERS = {"rule": "rules", "rules": "rules", "model": "model", "human": "human"}


# --------------------------------------------------------------------------- reading


def _unit_column(unit: str) -> str:
    if unit not in UNIT_COLUMNS:
        raise ValueError(f"unit doit valoir 'response' ou 'segment', pas {unit!r}")
    return UNIT_COLUMNS[unit]


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "").astype(str).str.strip()


def read_codings(path: str | Path, *, unit: str = "response") -> pd.DataFrame:
    """Read codings from a CSV/XLSX (``response_id`` or ``segment_id``, ``coder``, ``code``), a
    ``codings.csv`` of the ``code`` stage (schema.CODINGS) or a REFI-QDA ``.qdpx`` project.

    Returns a frame with the columns ``<unit column>, coder, code`` (``code`` empty = unit seen,
    no code), one row per distinct (unit, coder, code), sorted. For a ``code`` output, every unit of
    the ``responses.csv`` (or ``segments.csv``) beside it counts as seen by each machine coder.
    """
    path = Path(path)
    col = _unit_column(unit)
    if not path.exists():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    suffix = path.suffix.lower()
    seen_units: pd.Series | None = None
    if suffix == ".qdpx":
        raw, seen_units = _read_qdpx(path, col)
    elif suffix in (".csv", ".txt"):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif suffix in (".xlsx", ".xlsm"):
        raw = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        raise InputError(MSG_UNSUPPORTED_FORMAT.format(suffix=suffix or "?", supported=".csv, .xlsx, .qdpx"), path=path)
    is_machine = "source" in raw.columns and "segment_id" in raw.columns and "response_id" in raw.columns
    if is_machine and seen_units is None:
        beside = path.parent / ("responses.csv" if unit == "response" else "segments.csv")
        if beside.is_file():
            seen_units = pd.read_csv(beside, dtype=str, keep_default_na=False, usecols=[col])[col]
            log.info("%s : %d unités de %s comptent comme vues par le codage automatique", path.name, len(seen_units), beside.name)
    return _codings_from_raw(raw, col, path=path, seen_units=seen_units)


def _read_qdpx(path: Path, col: str) -> tuple[pd.DataFrame, pd.Series | None]:
    try:
        from .qda import import_qdpx  # lazy: the REFI-QDA module is optional here
    except ImportError as exc:
        raise InputError(MSG_AGREE_QDPX_UNAVAILABLE, path=path) from exc
    project = import_qdpx(path)
    get = project.get if isinstance(project, Mapping) else lambda k: getattr(project, k, None)
    codings = get("codings")
    if not isinstance(codings, pd.DataFrame):
        raise InputError(MSG_AGREE_QDPX_UNAVAILABLE, path=path)
    responses = get("responses") if col == "response_id" else get("segments")
    seen = responses[col] if isinstance(responses, pd.DataFrame) and col in responses.columns else None
    return codings, seen


def _codings_from_raw(
    raw: pd.DataFrame, col: str, *, path: Path | None = None, seen_units: Iterable[str] | None = None
) -> pd.DataFrame:
    """Validate and normalise a raw codings frame to ``col, coder, code``."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    if col not in raw.columns:
        other = [c for c in UNIT_COLUMNS.values() if c in raw.columns]
        hint = MSG_AGREE_UNIT_COLUMN.format(column=col, found=", ".join(other) or "aucune")
        raise InputError(hint, path=path, column=col)
    if "code" not in raw.columns:
        raise InputError(MSG_MISSING_COLUMN.format(column="code"), path=path, column="code")
    units = _as_text(raw[col])
    if "coder" in raw.columns:
        coders = _as_text(raw["coder"])
    elif "source" in raw.columns:
        coders = pd.Series("", index=raw.index, dtype=object)
    else:
        raise InputError(MSG_MISSING_COLUMN.format(column="coder"), path=path, column="coder")
    if "source" in raw.columns:  # machine codings: an empty coder falls back on the source
        source = _as_text(raw["source"]).map(lambda s: _MACHINE_CODERS.get(s, s))
        coders = coders.where(coders != "", source)
    for name, values in ((col, units), ("coder", coders)):
        bad = np.flatnonzero((values == "").to_numpy())
        if bad.size:
            raise InputError(MSG_AGREE_EMPTY_VALUE, path=path, row=int(bad[0]) + 2, column=name)
    out = pd.DataFrame({col: units.to_numpy(), "coder": coders.to_numpy(), "code": _as_text(raw["code"]).to_numpy()})
    if seen_units is not None:
        seen = pd.Series(list(seen_units), dtype=object).astype(str).drop_duplicates()
        extra = pd.DataFrame(
            [(u, c, "") for c in sorted(out["coder"].unique()) for u in seen], columns=[col, "coder", "code"]
        )
        out = pd.concat([out, extra], ignore_index=True)
    return _tidy(out, col)


def _tidy(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Drop duplicates and the empty-code rows made redundant by a code of the same (unit, coder)."""
    df = df.drop_duplicates()
    has_code = df[df["code"] != ""].set_index([col, "coder"]).index
    redundant = (df["code"] == "") & df.set_index([col, "coder"]).index.isin(has_code)
    df = df[~redundant]
    return df.sort_values([col, "coder", "code"], kind="stable").reset_index(drop=True)


def _normalise(codings: pd.DataFrame, unit: str | None = None) -> pd.DataFrame:
    """Any accepted codings frame -> columns ``unit, coder, code`` (strings, tidy)."""
    if "unit" in codings.columns and unit is None:
        col = "unit"
    elif unit is not None:
        col = _unit_column(unit)
    elif "response_id" in codings.columns:
        col = "response_id"
    elif "segment_id" in codings.columns:
        col = "segment_id"
    else:
        raise InputError(MSG_AGREE_UNIT_COLUMN.format(column="response_id", found="aucune"), column="response_id")
    norm = _codings_from_raw(codings, col)
    return norm.rename(columns={col: "unit"})


# --------------------------------------------------------------------------- statistics


def _codes_of(norm: pd.DataFrame, codes: Sequence[str] | None) -> list[str]:
    used = sorted(set(norm["code"]) - {""})
    if codes is None:
        return used
    listed = list(dict.fromkeys(codes))
    unknown = [c for c in used if c not in listed]
    if unknown:
        log.warning("codes absents de la liste fournie, ajoutés au tableau : %s", ", ".join(unknown))
    return listed + unknown


def _alpha_from_counts(counts: np.ndarray) -> float:
    """Nominal Krippendorff's alpha from a units x values count matrix (``krippendorff`` package);
    NaN when undefined (fewer than two pairable values, or a single value used throughout)."""
    import krippendorff

    counts = np.asarray(counts, dtype=float)
    pairable = counts.sum(axis=1) >= 2
    if not pairable.any():
        return math.nan
    counts = counts[pairable]
    if counts.shape[1] < 2 or np.count_nonzero(counts.sum(axis=0)) < 2:
        return math.nan  # no variation at all: expected disagreement is 0, alpha is 0/0
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))


def _unit_terms(counts: np.ndarray) -> np.ndarray:
    """Per-unit observed-disagreement term of nominal alpha, (m^2 - sum_c n_c^2) / (m - 1), for a
    (units, ..., values) count array of pairable units (each unit's row sums to m >= 2)."""
    m = counts.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (m**2 - (counts**2).sum(axis=-1)) / (m - 1)
    return np.where(m >= 2, d, 0.0)


def _alpha_batch(weights: np.ndarray, disagreement: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Nominal alpha for many unit weightings at once.

    ``weights`` is (draws, units): how many times each unit is drawn. ``disagreement`` (units,
    variables) holds each unit's observed-disagreement term (:func:`_unit_terms`, summed over the
    items of a unit when a variable pools several items per unit) and ``values`` (units, variables,
    values) its pairable value counts. Alpha is a function of the coincidence matrix, a sum of
    per-unit terms, so a resample of units is a weighted sum: D_o = sum_u w_u d_u,
    n_c = sum_u w_u n_uc, alpha = 1 - (n - 1) D_o / (n^2 - sum_c n_c^2).
    Returns (draws, variables), NaN where undefined (no variation in the resample).
    """
    observed = weights @ disagreement  # (B, V)
    totals = np.einsum("bu,uvk->bvk", weights, values)
    n = totals.sum(axis=2)
    expected = n**2 - (totals**2).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def _percent_agreement(counts: np.ndarray) -> float:
    """Mean over pairable units of the share of agreeing coder pairs."""
    m = counts.sum(axis=1)
    keep = m >= 2
    if not keep.any():
        return math.nan
    c, m = counts[keep], m[keep]
    return float(np.mean((c * (c - 1)).sum(axis=1) / (m * (m - 1))))


def _fleiss(counts: np.ndarray) -> tuple[float, int]:
    """Fleiss' kappa on the units rated by the modal number of raters (ties: the larger)."""
    from statsmodels.stats.inter_rater import fleiss_kappa

    m = counts.sum(axis=1).astype(int)
    m_ok = m[m >= 2]
    if m_ok.size == 0:
        return math.nan, 0
    values, freq = np.unique(m_ok, return_counts=True)
    modal = values[freq == freq.max()].max()
    table = counts[m == modal]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(fleiss_kappa(table, method="fleiss"))
    return (kappa if math.isfinite(kappa) else math.nan), int(table.shape[0])


def _cohen(a: np.ndarray, b: np.ndarray, labels: Sequence[Any]) -> float:
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(a, b, labels=list(labels), replace_undefined_by=np.nan))
    return value if math.isfinite(value) else math.nan


def _coder_pairs(norm: pd.DataFrame) -> list[tuple[str, str, list[str]]]:
    """Pairs of coders (sorted names) sharing at least MIN_PAIR_UNITS units, with those units."""
    seen = norm[["unit", "coder"]].drop_duplicates()
    if seen["coder"].nunique() < 2:
        return []
    pairs = seen.merge(seen, on="unit", suffixes=("_a", "_b"))
    pairs = pairs[pairs["coder_a"] < pairs["coder_b"]]
    out = []
    for (a, b), grp in pairs.groupby(["coder_a", "coder_b"], sort=True):
        if len(grp) >= MIN_PAIR_UNITS:
            out.append((a, b, sorted(grp["unit"])))
    return out


def _resample_weights(n_units: int, n_boot: int, random_state: Any) -> np.ndarray:
    rng = np.random.default_rng(random_state)
    if n_units == 0 or n_boot <= 0:
        return np.zeros((0, n_units))
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)


def _ci(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite draws (NaN when fewer than half are defined)."""
    finite = draws[np.isfinite(draws)]
    if draws.size == 0 or finite.size < max(1, draws.size // 2):
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def agreement_table(
    codings: pd.DataFrame,
    *,
    exclusive: bool = False,
    n_boot: int = 1000,
    random_state: Any = config.RANDOM_STATE,
    codes: Sequence[str] | None = None,
    unit: str | None = None,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Inter-coder agreement, one row per code (presence/absence) then ``__all__``.

    ``codings``: a codings frame (``response_id``/``segment_id``/``unit``, ``coder``, ``code``).
    ``__all__`` pools every (unit, code) pair as one present/absent item, or with ``exclusive``
    treats the codes as values of one nominal variable (empty code = its own value « aucun code »;
    two codes for one unit and coder raise :class:`InputError`). ``codes`` adds codes nobody used
    (their alpha is undefined: NaN). The bootstrap resamples units with replacement ``n_boot`` times
    (``random_state`` seeds it; 0 disables it). Columns: :data:`TABLE_COLUMNS`.
    """
    norm = _normalise(codings, unit)
    code_list = _codes_of(norm, codes)
    seen = norm[["unit", "coder"]].drop_duplicates()
    raters = seen.groupby("unit").size()
    units = sorted(raters.index[raters >= 2])
    n_coders = int(seen.loc[seen["unit"].isin(units), "coder"].nunique())

    # Presence counts per pairable unit and code; m = coders who saw the unit.
    m = raters.reindex(units).to_numpy(dtype=float)
    present = (
        norm[(norm["code"] != "") & norm["unit"].isin(units)]
        .groupby(["unit", "code"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=units, columns=code_list, fill_value=0)
        .to_numpy(dtype=float)
        if units
        else np.zeros((0, len(code_list)))
    )
    binary = np.stack([m[:, None] - present, present], axis=2)  # (U, K, 2): absent, present
    variables = [binary[:, k, :] for k in range(len(code_list))]
    if exclusive:
        overall = _exclusive_counts(norm, units)  # (U, categories)
        overall_d, overall_values = _unit_terms(overall), overall
    else:
        overall = binary.reshape(-1, 2)  # every (unit, code) pair is one item
        overall_d, overall_values = _unit_terms(binary).sum(axis=1), binary.sum(axis=1)
    variables.append(overall)

    # Bootstrap: one set of unit draws shared by every code (vectorised); the pooled variable
    # resamples whole units (all their codes together), not (unit, code) items.
    weights = _resample_weights(len(units), n_boot, random_state)
    if weights.shape[0]:
        draws = _alpha_batch(
            weights,
            np.column_stack([_unit_terms(binary), overall_d]) if len(units) else np.zeros((0, len(code_list) + 1)),
            _stack_values(binary, overall_values),
        )
        bounds = [_ci(draws[:, k], ci_level) for k in range(draws.shape[1])]
    else:
        bounds = [(math.nan, math.nan)] * len(variables)

    cohen = _cohen_by_variable(norm, code_list, exclusive)
    rows = []
    for i, (name, counts) in enumerate(zip(code_list + [ALL_CODES], variables)):
        fk, fn = _fleiss(counts)
        if name == ALL_CODES and not exclusive and code_list:
            fn //= len(code_list)  # items are (unit, code) pairs: report units
        low, high = bounds[i]
        rows.append(
            {
                "code": name,
                "n_units": len(units),
                "n_coders": n_coders,
                "percent_agreement": _percent_agreement(counts),
                "krippendorff_alpha": _alpha_from_counts(counts),
                "alpha_ci_low": low,
                "alpha_ci_high": high,
                "fleiss_kappa": fk,
                "fleiss_n_units": fn,
                "cohen_kappa": cohen[name],
                "n_present": int(present.sum()) if name == ALL_CODES else int(counts[:, 1].sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _stack_values(binary: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """(U, K+1, k) value counts: the K binary codes then the overall variable, padded with zeros."""
    width = max(binary.shape[2], overall.shape[1])
    out = np.zeros((binary.shape[0], binary.shape[1] + 1, width))
    out[:, : binary.shape[1], : binary.shape[2]] = binary
    out[:, -1, : overall.shape[1]] = overall
    return out


def _exclusive_labels(norm: pd.DataFrame) -> pd.Series:
    """(unit, coder) -> the single code given (``""`` = no code); raise if several."""
    coded = norm[norm["code"] != ""]
    multi = coded.groupby(["unit", "coder"]).size()
    multi = multi[multi > 1]
    if len(multi):
        unit_id, coder = multi.index[0]
        raise InputError(MSG_AGREE_NOT_EXCLUSIVE.format(unit=unit_id, coder=coder, n=int(multi.iloc[0])), column="code")
    return norm.drop_duplicates(["unit", "coder"], keep="last").set_index(["unit", "coder"])["code"]


def _exclusive_counts(norm: pd.DataFrame, units: list[str]) -> np.ndarray:
    labels = _exclusive_labels(norm).reset_index()
    labels = labels[labels["unit"].isin(units)]
    table = labels.groupby(["unit", "code"]).size().unstack(fill_value=0)
    table = table.reindex(index=units, fill_value=0)
    if table.shape[1] == 0:
        return np.zeros((len(units), 1))
    return table.to_numpy(dtype=float)


def _cohen_by_variable(norm: pd.DataFrame, code_list: list[str], exclusive: bool) -> dict[str, dict[str, float]]:
    """{code or __all__: {"A|B": kappa}} over the units each pair of coders shares."""
    out: dict[str, dict[str, float]] = {c: {} for c in code_list + [ALL_CODES]}
    pairs = _coder_pairs(norm)
    if not pairs:
        return out
    involved = {c for a, b, _ in pairs for c in (a, b)}
    sub = norm[norm["coder"].isin(involved)]
    seen_idx = pd.MultiIndex.from_frame(sub[["unit", "coder"]].drop_duplicates())
    wide = (
        sub[sub["code"] != ""]
        .assign(one=1)
        .pivot_table(index=["unit", "coder"], columns="code", values="one", aggfunc="max", fill_value=0)
        .reindex(index=seen_idx, columns=code_list, fill_value=0)
    )
    labels = _exclusive_labels(sub) if exclusive else None
    for a, b, shared in pairs:
        key = f"{a}|{b}"
        xa = wide.loc[[(u, a) for u in shared]].to_numpy()
        xb = wide.loc[[(u, b) for u in shared]].to_numpy()
        for k, code in enumerate(code_list):
            out[code][key] = _cohen(xa[:, k], xb[:, k], [0, 1])
        if exclusive:
            la = labels.loc[[(u, a) for u in shared]].to_numpy()
            lb = labels.loc[[(u, b) for u in shared]].to_numpy()
            out[ALL_CODES][key] = _cohen(la, lb, sorted(set(la) | set(lb)))
        else:
            out[ALL_CODES][key] = _cohen(xa.ravel(), xb.ravel(), [0, 1])
    return out


# --------------------------------------------------------------------------- adjudication


def _texts_map(texts: Any) -> dict[str, str]:
    if texts is None:
        return {}
    if isinstance(texts, pd.DataFrame):
        key = next((c for c in ("unit", "response_id", "segment_id") if c in texts.columns), None)
        if key is None or "text" not in texts.columns:
            raise ValueError("texts : un DataFrame doit avoir une colonne response_id (ou segment_id) et text")
        return dict(zip(texts[key].astype(str), texts["text"].astype(str)))
    return {str(k): str(v) for k, v in dict(texts).items()}


def disagreements(
    codings: pd.DataFrame,
    texts: pd.DataFrame | pd.Series | Mapping[str, str] | None = None,
    *,
    unit: str | None = None,
    max_coder_columns: int = 12,
) -> pd.DataFrame:
    """The units where coders who saw them differ on at least one code, for adjudication.

    One row per unit, French headers: ``unité``, ``texte`` (when ``texts`` maps unit -> text),
    ``codeurs`` (how many saw it), ``codes en désaccord`` (« code (k/m) »: k of m coders gave it),
    then each coder's codes (``(aucun code)`` = seen, no code; empty = not seen) - one column per
    coder, or a single ``codages par codeur`` column beyond ``max_coder_columns`` coders - and an
    empty ``décision`` column for the adjudicator (codes separated by « ; », or « aucun »).
    """
    norm = _normalise(codings, unit)
    text_of = _texts_map(texts)
    seen = norm[["unit", "coder"]].drop_duplicates()
    m = seen.groupby("unit").size()
    coders = sorted(seen["coder"].unique())
    given = norm[norm["code"] != ""].groupby(["unit", "code"]).size()
    codes_of = norm[norm["code"] != ""].groupby(["unit", "coder"])["code"].agg(lambda s: "; ".join(sorted(s)))
    wide_cols = len(coders) <= max_coder_columns
    rows = []
    for unit_id in sorted(m.index[m >= 2]):
        n = int(m[unit_id])
        per_code = given.loc[unit_id] if unit_id in given.index.get_level_values(0) else pd.Series(dtype=int)
        disputed = [f"{code} ({int(k)}/{n})" for code, k in per_code.items() if 0 < k < n]
        if not disputed:
            continue
        row: dict[str, Any] = {COL_UNIT: unit_id}
        if texts is not None:
            row[COL_TEXT] = text_of.get(unit_id, "")
        row[COL_N_CODERS] = n
        row[COL_DISPUTED] = "; ".join(disputed)
        unit_coders = seen.loc[seen["unit"] == unit_id, "coder"]
        cells = {c: codes_of.get((unit_id, c), NO_CODE_LABEL) for c in unit_coders}
        if wide_cols:
            for c in coders:
                row[c] = cells.get(c, "")
        else:
            row[COL_ALL_CODINGS] = "\n".join(f"{c} : {v}" for c, v in cells.items())
        row[COL_DECISION] = ""
        rows.append(row)
    columns = [COL_UNIT] + ([COL_TEXT] if texts is not None else []) + [COL_N_CODERS, COL_DISPUTED]
    columns += coders if wide_cols else [COL_ALL_CODINGS]
    columns.append(COL_DECISION)
    return pd.DataFrame(rows, columns=columns)


def write_disagreements_xlsx(df: pd.DataFrame, path: str | Path) -> Path:
    """Write the disagreement table to an XLSX for the adjudicator (sheet « désaccords », with a
    sheet « mode d'emploi »); returns the path."""
    from openpyxl.styles import Alignment, Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    guide = pd.DataFrame(
        {
            "mode d'emploi": [
                "Une ligne par unité sur laquelle les codeurs ne sont pas d'accord.",
                "« codes en désaccord » : code (k/m) = k codeurs sur les m qui ont vu l'unité l'ont attribué.",
                f"Cellule d'un codeur : ses codes ; « {NO_CODE_LABEL} » = unité vue sans code ; vide = unité non vue.",
                "Remplir la colonne « décision » : les codes retenus séparés par « ; », ou « aucun ».",
                "Une décision laissée vide = unité non encore arbitrée (elle est ignorée à la relecture).",
                "Relire ensuite avec agree.read_adjudication(chemin).",
            ]
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="désaccords", index=False)
        guide.to_excel(writer, sheet_name="mode d'emploi", index=False)
        sheet = writer.sheets["désaccords"]
        sheet.freeze_panes = "B2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        for idx, name in enumerate(df.columns, start=1):
            letter = sheet.cell(row=1, column=idx).column_letter
            sheet.column_dimensions[letter].width = 60 if name == COL_TEXT else (40 if name in (COL_DISPUTED, COL_ALL_CODINGS) else 22)
            for row in sheet.iter_rows(min_row=2, min_col=idx, max_col=idx):
                row[0].alignment = wrap
        writer.sheets["mode d'emploi"].column_dimensions["A"].width = 110
    return path


def read_adjudication(
    path: str | Path, *, unit: str = "response", codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Read a filled disagreement table (XLSX from :func:`write_disagreements_xlsx`, or a CSV with
    ``unité``/``response_id``/``segment_id`` and ``décision``/``decision`` columns) back into
    codings with ``coder="adjudication"``. Empty decisions are skipped (not yet adjudicated);
    « aucun » means no code. ``codes`` (e.g. the codebook's) rejects unknown codes."""
    path = Path(path)
    col = _unit_column(unit)
    if not path.exists():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw = raw.rename(columns=lambda c: str(c).strip())
    unit_col = next((c for c in (COL_UNIT, col, "unit", "unite") if c in raw.columns), None)
    decision_col = next((c for c in (COL_DECISION, "decision") if c in raw.columns), None)
    if unit_col is None:
        raise InputError(MSG_MISSING_COLUMN.format(column=COL_UNIT), path=path, column=COL_UNIT)
    if decision_col is None:
        raise InputError(MSG_MISSING_COLUMN.format(column=COL_DECISION), path=path, column=COL_DECISION)
    known = set(codes) if codes is not None else None
    rows = []
    for i, (unit_id, decision) in enumerate(zip(_as_text(raw[unit_col]), _as_text(raw[decision_col]))):
        if not decision:
            continue
        if not unit_id:
            raise InputError(MSG_AGREE_EMPTY_VALUE, path=path, row=i + 2, column=unit_col)
        if decision.lower() in NO_CODE_WORDS:
            rows.append((unit_id, ADJUDICATION_CODER, ""))
            continue
        for code in (c.strip() for c in decision.replace(",", ";").replace("\n", ";").split(";")):
            if not code:
                continue
            if known is not None and code not in known:
                raise InputError(MSG_AGREE_UNKNOWN_CODE.format(code=code), path=path, row=i + 2, column=decision_col)
            rows.append((unit_id, ADJUDICATION_CODER, code))
    skipped = int((_as_text(raw[decision_col]) == "").sum())
    if skipped:
        log.info("%s : %d unités sans décision (pas encore arbitrées)", path.name, skipped)
    return _tidy(pd.DataFrame(rows, columns=[col, "coder", "code"]), col)


def reference_codings(
    codings: pd.DataFrame,
    adjudication: pd.DataFrame | None = None,
    *,
    unit: str | None = None,
    min_coders: int = 2,
) -> pd.DataFrame:
    """The human reference: units seen by at least ``min_coders`` coders who all agree on every
    code (``coder="consensus"``), plus the adjudicated units (``coder="adjudication"``; a decision
    replaces the coders' codes). Units in disagreement and not adjudicated are left out (logged).
    Returns ``<unit column>, coder, code``."""
    norm = _normalise(codings, unit)
    col = _unit_col_for(codings, unit)
    seen = norm[["unit", "coder"]].drop_duplicates()
    m = seen.groupby("unit").size()
    given = norm[norm["code"] != ""].groupby(["unit", "code"]).size().rename("k").reset_index()
    given["m"] = given["unit"].map(m)
    split = set(given.loc[given["k"] < given["m"], "unit"])
    agreed = [u for u in m.index[m >= min_coders] if u not in split]
    ref = given[given["unit"].isin(agreed)][["unit", "code"]]
    ref = pd.concat([ref, pd.DataFrame({"unit": agreed, "code": ""})], ignore_index=True)
    ref["coder"] = CONSENSUS_CODER
    if adjudication is not None:
        adj = _normalise(adjudication, unit if unit else ("unit" if "unit" in adjudication.columns else None))
        adj = adj.assign(coder=ADJUDICATION_CODER)
        ref = pd.concat([ref[~ref["unit"].isin(set(adj["unit"]))], adj], ignore_index=True)
        pending = split - set(adj["unit"])
    else:
        pending = split
    if pending:
        log.info("%d unités en désaccord non arbitrées : hors de la référence", len(pending))
    ref = ref.rename(columns={"unit": col})[[col, "coder", "code"]]
    return _tidy(ref, col)


def _unit_col_for(codings: pd.DataFrame, unit: str | None) -> str:
    if unit is not None:
        return _unit_column(unit)
    for c in ("response_id", "segment_id", "unit"):
        if c in codings.columns:
            return c
    return "response_id"


def compare_machine(
    reference: pd.DataFrame,
    machine: pd.DataFrame,
    *,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    missing_as_absent: bool = True,
) -> pd.DataFrame:
    """Machine coders against the human reference, per code and ``__all__`` (micro-average).

    The reference (all its rows, whatever the coder) is one coder; each coder of ``machine``
    (``rules``, ``model``...) is compared with it on the reference's units. A reference unit the
    machine frame does not mention counts as « no code » when ``missing_as_absent`` (a codings.csv
    lists only what the machine found), otherwise it is left out. Columns: ``coder, code, n_units,
    n_reference, n_machine, precision, recall, f1, krippendorff_alpha``.
    """
    from sklearn.metrics import precision_recall_fscore_support

    ref = _normalise(reference, unit)
    mach = _normalise(machine, unit)
    code_list = _codes_of(pd.concat([ref, mach]), codes)
    ref_units = sorted(ref["unit"].unique())
    ref_wide = _presence(ref, ref_units, code_list)
    rows = []
    for coder in sorted(mach["coder"].unique()):
        m = mach[mach["coder"] == coder]
        units = ref_units if missing_as_absent else sorted(set(ref_units) & set(m["unit"]))
        y_true = ref_wide.reindex(units).to_numpy()
        y_pred = _presence(m, units, code_list).to_numpy()
        for k, code in enumerate(code_list + [ALL_CODES]):
            t = y_true[:, k] if code != ALL_CODES else y_true.ravel()
            p = y_pred[:, k] if code != ALL_CODES else y_pred.ravel()
            if len(t):
                prec, rec, f1, _ = precision_recall_fscore_support(t, p, average="binary", zero_division=np.nan)
            else:
                prec = rec = f1 = math.nan
            counts = np.stack([2 - t - p, t + p], axis=1) if len(t) else np.zeros((0, 2))
            rows.append(
                {
                    "coder": coder,
                    "code": code,
                    "n_units": len(units),
                    "n_reference": int(t.sum()),
                    "n_machine": int(p.sum()),
                    "precision": float(prec),
                    "recall": float(rec),
                    "f1": float(f1),
                    "krippendorff_alpha": _alpha_from_counts(counts),
                }
            )
    return pd.DataFrame(
        rows, columns=["coder", "code", "n_units", "n_reference", "n_machine", "precision", "recall", "f1", "krippendorff_alpha"]
    )


def _presence(norm: pd.DataFrame, units: list[str], code_list: list[str]) -> pd.DataFrame:
    """units x codes 0/1: whether any row of ``norm`` gives the code to the unit."""
    coded = norm[(norm["code"] != "") & norm["unit"].isin(units)]
    wide = pd.crosstab(coded["unit"], coded["code"]).clip(upper=1) if len(coded) else pd.DataFrame()
    return wide.reindex(index=units, columns=code_list, fill_value=0).fillna(0).astype(int)


# --------------------------------------------------------------------------- figure


def plot_alpha(table: pd.DataFrame, *, labels: Mapping[str, str] | None = None, ax: Any = None) -> Any:
    """Krippendorff's alpha per code with its bootstrap interval (error bars) and reference lines at
    0.667 and 0.80; codes whose alpha is undefined are marked « non défini ». Returns the Figure."""
    import matplotlib.pyplot as plt

    data = table.iloc[::-1].reset_index(drop=True)
    names = [
        "Ensemble" if c == ALL_CODES else (labels or {}).get(c, schema.PRINCIPLE_LABELS_FR.get(c, c))
        for c in data["code"]
    ]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 2.0))
    else:
        fig = ax.figure
    y = np.arange(len(data))
    alpha = data["krippendorff_alpha"].to_numpy(dtype=float)
    low = data["alpha_ci_low"].to_numpy(dtype=float)
    high = data["alpha_ci_high"].to_numpy(dtype=float)
    err = np.vstack([np.where(np.isfinite(low), alpha - low, 0), np.where(np.isfinite(high), high - alpha, 0)])
    ok = np.isfinite(alpha)
    ax.errorbar(alpha[ok], y[ok], xerr=err[:, ok], fmt="o", color="#1f4e79", ecolor="#7f9fbf", capsize=3, label="α (IC à 95 %)")
    for yi in y[~ok]:
        ax.text(0.02, yi, "non défini (aucune variation)", va="center", fontsize=8, color="0.4", transform=ax.get_yaxis_transform())
    ax.axvline(ALPHA_THRESHOLDS[0], color="#d98c00", ls="--", lw=1, label="0,667 : conclusions provisoires")
    ax.axvline(ALPHA_THRESHOLDS[1], color="#2e7d32", ls="--", lw=1, label="0,80 : codage fiable")
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(y, names)
    lo = np.nanmin(np.r_[low[np.isfinite(low)], alpha[ok], 0.0]) if ok.any() else 0.0
    ax.set_xlim(min(-0.05, lo - 0.05), 1.02)
    ax.set_xlabel("α de Krippendorff (nominal), intervalle de confiance bootstrap")
    ax.set_title("Fiabilité du codage : accord entre codeurs par code")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.7 / fig.get_figheight(), 1, 1))
    return fig


# --------------------------------------------------------------------------- CLI


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in sorted(value.items())}
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def table_to_json(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The agreement table as a JSON-ready list (keys :data:`JSON_KEYS`, NaN -> None)."""
    return [{k: _json_value(row[k]) for k in JSON_KEYS} for row in table.to_dict("records")]


def _fmt(value: float, digits: int = 3) -> str:
    return "—" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}".replace(".", ",")


def format_table(table: pd.DataFrame) -> str:
    """A readable text table with French headers (for the terminal)."""
    out = pd.DataFrame(
        {
            "code": ["ensemble" if c == ALL_CODES else c for c in table["code"]],
            "unités": table["n_units"],
            "codeurs": table["n_coders"],
            "accord %": [_fmt(100 * v, 1) if math.isfinite(v) else "—" for v in table["percent_agreement"]],
            "alpha": [_fmt(v) for v in table["krippendorff_alpha"]],
            "IC 95 %": [
                "—" if not (math.isfinite(lo) and math.isfinite(hi)) else f"[{_fmt(lo)} ; {_fmt(hi)}]"
                for lo, hi in zip(table["alpha_ci_low"], table["alpha_ci_high"])
            ],
            "kappa Fleiss": [f"{_fmt(v)} (n={n})" if n else "—" for v, n in zip(table["fleiss_kappa"], table["fleiss_n_units"])],
            "kappa Cohen": [_cohen_summary(d) for d in table["cohen_kappa"]],
        }
    )
    return out.to_string(index=False)


def _cohen_summary(pairs: Mapping[str, float]) -> str:
    if not pairs:
        return "—"
    if len(pairs) <= 3:
        return " ; ".join(f"{k} {_fmt(v)}" for k, v in sorted(pairs.items()))
    values = np.array([v for v in pairs.values() if math.isfinite(v)])
    mean = _fmt(values.mean()) if values.size else "—"
    return f"moyenne {mean} ({len(pairs)} paires)"


def add_agree_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis agree``."""
    parser.add_argument("codings", metavar="CODAGES", help="codages (CSV/XLSX : response_id ou segment_id, coder, code ; codings.csv ; .qdpx)")
    parser.add_argument("--exclusive", action="store_true", help="codes mutuellement exclusifs (un seul code par unité et codeur)")
    parser.add_argument("--json", action="store_true", help="sortie JSON (une entrée par code, « __all__ » pour l'ensemble)")
    parser.add_argument("--unit", choices=sorted(UNIT_COLUMNS), default="response", help="unité d'analyse : response (défaut) ou segment")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="tirages bootstrap pour l'intervalle de confiance de l'alpha (0 : aucun ; défaut 1000)")
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE, metavar="GRAINE", help=f"graine du bootstrap (défaut {config.RANDOM_STATE})")
    parser.add_argument("--disagreements", metavar="FICHIER.xlsx", help="écrire la table des désaccords à arbitrer (XLSX)")


def _texts_beside(path: Path, unit: str) -> pd.DataFrame | None:
    """Texts of the units from the ``responses.csv``/``segments.csv`` beside a codings file, if any."""
    beside = path.parent / ("responses.csv" if unit == "response" else "segments.csv")
    if not beside.is_file():
        return None
    table = pd.read_csv(beside, dtype=str, keep_default_na=False)
    col = _unit_column(unit)
    return table[[col, "text"]] if {col, "text"} <= set(table.columns) else None


def run_agree(args: argparse.Namespace) -> int:
    """Run ``agree``: print the agreement table (or JSON); optionally write the disagreements."""
    codings = read_codings(args.codings, unit=args.unit)
    if args.bootstrap < 0:
        raise InputError("--bootstrap doit être positif ou nul")
    table = agreement_table(codings, exclusive=args.exclusive, n_boot=args.bootstrap, random_state=args.random_state)
    if args.disagreements:
        df = disagreements(codings, _texts_beside(Path(args.codings), args.unit))
        write_disagreements_xlsx(df, args.disagreements)
        log.info("%d unités en désaccord écrites dans %s", len(df), args.disagreements)
    if args.json:
        sys.stdout.write(json.dumps(table_to_json(table), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(format_table(table) + "\n")
    return 0
