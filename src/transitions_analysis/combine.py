"""Combining codings from the rules, the learning coder and humans into one codings table.

Minimal policy (the learning-coder helper may extend it):

- rule and model codings are concatenated, each keeping its ``source`` (``rule``/``model``);
- human codings win: for a (response_id, code) that any human gave, machine codings of that code
  on that response are dropped and the human ones kept;
- machine codings of codes no human gave on that response are kept with their source, so a
  reviewer sees the suggestions (they are not confirmed by anyone);
- a human row with an empty code (« unit seen, no code ») adds no coding.

The result is sorted deterministically (see :func:`transitions_analysis.rules.codings_table`).
"""

from __future__ import annotations

import pandas as pd

from . import schema
from .rules import codings_table


def combine_codings(
    rule_codings: pd.DataFrame | None,
    model_codings: pd.DataFrame | None = None,
    human_codings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One codings table (schema.CODINGS) from the three sources; human codings win (module doc)."""
    parts = [df for df in (rule_codings, model_codings) if df is not None and len(df)]
    machine = codings_table(pd.concat(parts, ignore_index=True)) if parts else codings_table(schema.empty_frame(schema.CODINGS))
    if human_codings is None or not len(human_codings):
        return machine
    human = codings_table(human_codings)
    human = human[human["code"].astype(str) != ""]
    given = set(zip(human["response_id"], human["code"]))
    keep = [(r, c) not in given for r, c in zip(machine["response_id"], machine["code"])]
    return codings_table(pd.concat([machine[keep], human], ignore_index=True))
