"""Agreement statistics per code and overall (see ``docs/agreement.md``).

- per code, the presence/absence of the code: percent agreement (mean over units of the share of
  agreeing coder pairs), Krippendorff's alpha (nominal, ``krippendorff`` package, any number of
  coders, missing data allowed) with a bootstrap confidence interval (units resampled with
  replacement), Fleiss' kappa (``statsmodels``) on the units rated by the modal number of coders,
  Cohen's kappa (scikit-learn) for each pair of coders sharing at least two units;
- ``__all__``: the same statistics over the pooled unit x code presence matrix (every
  (unit, code) pair is one item, present or absent), or with ``exclusive=True`` over the codes as
  mutually exclusive values of one nominal variable (one code per unit and coder).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import config
from ..core.errors import MSG_AGREE_NOT_EXCLUSIVE, MSG_BOOTSTRAP_RANGE, InputError
from .io import _normalise

log = logging.getLogger(__name__)

#: Row label of the overall (pooled, or exclusive) result.
ALL_CODES = "__all__"
#: Coder names given to the reference built by :func:`reference_codings`.
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


MAX_BOOTSTRAP = config.MAX_BOOTSTRAP
_BOOT_BLOCK = 1000  # draws computed together: memory stays small whatever the number of draws


def _resample_blocks(n_units: int, n_boot: int, random_state: Any):
    """Bootstrap unit weights, ``(draws, units)`` arrays of at most :data:`_BOOT_BLOCK` draws each
    (the same draws as one array of ``n_boot``; memory bounded whatever ``n_boot``)."""
    rng = np.random.default_rng(random_state)
    if n_units == 0 or n_boot <= 0:
        return
    p = np.full(n_units, 1.0 / n_units)
    for done in range(0, n_boot, _BOOT_BLOCK):
        yield rng.multinomial(n_units, p, size=min(_BOOT_BLOCK, n_boot - done)).astype(float)


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
    if not 0 <= n_boot <= MAX_BOOTSTRAP:
        raise InputError(MSG_BOOTSTRAP_RANGE.format(limit=MAX_BOOTSTRAP, value=n_boot))
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
    unit_terms = np.column_stack([_unit_terms(binary), overall_d]) if len(units) else np.zeros((0, len(code_list) + 1))
    values = _stack_values(binary, overall_values)
    blocks = [_alpha_batch(w, unit_terms, values) for w in _resample_blocks(len(units), n_boot, random_state)]
    if blocks:
        draws = np.concatenate(blocks)
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



# --------------------------------------------------------------------------- display


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
