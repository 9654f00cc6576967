"""Which codes come together in the same response."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .common import DEFAULT_COOCCURRENCE_CODES, label_of, mentions


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
    columns = ["code_a", "code_b", "label_a", "label_b", "n_both", "n_a", "n_b", "jaccard"]
    m = mentions(responses, codings, codes=codes, include_negated=include_negated)
    present = [c for c in (codes if codes is not None else sorted(m["code"].unique())) if c in set(m["code"])]
    if not present:  # nothing coded
        return pd.DataFrame({c: pd.Series(dtype=float if c == "jaccard" else int if c.startswith("n_") else object)
                             for c in columns})
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
    return pd.DataFrame(rows, columns=columns)
