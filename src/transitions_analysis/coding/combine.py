"""Combining codings from the rules, the learning coder and humans into one codings table,
and the review table of machine suggestions.

Policy:

- rule and model codings are concatenated, each keeping its ``source`` (``rule``/``model``) and
  score;
- human codings win. A response that a human coded (``human_seen``: every response with a human
  row, including a row with an empty code, « seen, no code ») keeps only the human codings: the
  machine's suggestions on it are dropped, since a person already decided. Without
  ``human_seen``, the weaker rule applies: machine codings of a (response, code) that a human
  gave are replaced by the human ones, other suggestions are kept;
- machine codings on responses no human coded are kept with their source and score: they are
  suggestions to review (:func:`review_table`), not confirmed by anyone.

The result is sorted deterministically (see :func:`transitions_analysis.coding.codings.codings_table`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core import schema
from ..core.schema import MACHINE_SOURCES
from .codings import codings_table


def combine_codings(
    rule_codings: pd.DataFrame | None,
    model_codings: pd.DataFrame | None = None,
    human_codings: pd.DataFrame | None = None,
    *,
    human_seen: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One codings table (schema.CODINGS) from the three sources; human codings win (module doc)."""
    parts = [df for df in (rule_codings, model_codings) if df is not None and len(df)]
    machine = codings_table(pd.concat(parts, ignore_index=True)) if parts else schema.empty(schema.Codings)
    if human_codings is None or not len(human_codings):
        human = None
    else:
        human = codings_table(human_codings)
        human = human[human["code"].astype(str) != ""]
    seen = set(human_seen) if human_seen is not None else set()
    if seen:
        machine = machine[~machine["response_id"].isin(seen)]
    if human is None:
        return codings_table(machine) if seen else machine
    given = set(zip(human["response_id"], human["code"]))
    keep = [(r, c) not in given for r, c in zip(machine["response_id"], machine["code"])]
    return codings_table(pd.concat([machine[keep], human], ignore_index=True))


def review_table(codings: pd.DataFrame, responses: pd.DataFrame | None = None, *, codebook=None) -> pd.DataFrame:
    """Machine suggestions to review in a notebook, least certain first.

    One row per (segment, code) suggested by the rules and/or the model on responses no human
    coded. Columns: ``response_id, segment_id, code, label, sources`` (``rule``, ``model`` or
    ``rule+model``), ``rule_score``, ``model_score``, ``negated``, ``certainty``, ``evidence``,
    ``text`` (the whole answer when ``responses`` is given), ``decision`` (empty, for the
    reviewer: ``oui`` / ``non``).

    ``certainty`` is the highest score of the sources that agree, halved when the evidence is
    negated, and lowered by 0.25 when only one of two available coders (rules, model) suggests
    the code - the disagreements and weak single-source suggestions come first.
    """
    codings = schema.validate(codings, schema.Codings)
    human_rids = set(codings.loc[codings["source"] == schema.SOURCE_HUMAN, "response_id"])
    machine = codings[codings["source"].isin(MACHINE_SOURCES) & ~codings["response_id"].isin(human_rids)].copy()
    columns = ["response_id", "segment_id", "code", "label", "sources", "rule_score", "model_score",
               "negated", "certainty", "evidence", "text", "decision"]
    if machine.empty:
        return pd.DataFrame(columns=columns)
    keys = ["response_id", "segment_id", "code"]
    table = machine.groupby(keys, sort=True).agg(
        sources=("source", lambda s: "+".join(sorted(set(s)))),
        negated=("negated", "any"),
        evidence=("evidence", "first"),
    )
    scores = machine.pivot_table(index=keys, columns="source", values="score", aggfunc="max")
    scores = scores.reindex(columns=list(MACHINE_SOURCES)).rename(columns=lambda s: f"{s}_score")
    table = table.join(scores).reset_index()
    both_available = machine["source"].nunique() > 1
    best = table[["rule_score", "model_score"]].max(axis=1)
    single = ~table["sources"].str.contains("+", regex=False)
    table["certainty"] = (best * np.where(table["negated"], 0.5, 1.0) - np.where(single & both_available, 0.25, 0.0)).clip(lower=0).round(4)
    labels = {}
    if codebook is not None:
        labels = {c.id: c.label for c in codebook.codes}
    table["label"] = table["code"].map(lambda c: labels.get(c, c))
    if responses is not None:
        texts = responses.set_index("response_id")["text"]
        table["text"] = table["response_id"].map(texts)
    else:
        table["text"] = ""
    table["decision"] = ""
    return table.sort_values(["certainty", "response_id", "segment_id", "code"], kind="stable")[columns].reset_index(drop=True)
