"""Combining codings from the rules, the learning coder and humans into one codings table,
and the review table of machine suggestions.

Policy:

- rule and machine codings (learnt ``model``, ``semantic``) are concatenated, each keeping its
  ``source`` and score. A machine coding exists only above its code's calibrated threshold,
  where the codes the coder adds beyond the rules kept the rules' precision on the human coding
  it was calibrated on (:mod:`.calibration`); below it, or where the coder abstains, its scores
  are suggestions for the review queue (:func:`suggestions_table`, :func:`review_table`);
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


def suggestions_table(rows: dict[str, list] | pd.DataFrame, *, human_seen: Iterable[str] = (),
                      coded: pd.DataFrame | None = None) -> pd.DataFrame:
    """The review queue's machine suggestions (schema.SUGGESTIONS) from rows, without the
    responses a human already coded nor the (response, code) pairs already coded in ``coded``
    (a codings table: a non-negated coding of any source settles the question), sorted least
    certain first: the closest to becoming a code (largest ``margin``)."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    if df.empty:
        return schema.empty(schema.Suggestions)
    df = df[~df["response_id"].isin(set(human_seen))]
    if coded is not None and len(coded) and len(df):
        settled = coded[~schema.parse_bool(coded["negated"])]
        pairs = set(zip(settled["response_id"].astype(str), settled["code"].astype(str)))
        df = df[[(str(r), str(c)) not in pairs for r, c in zip(df["response_id"], df["code"])]]
    df = schema.validate(df[list(schema.SUGGESTIONS)], schema.Suggestions)
    order = df.assign(_m=-df["margin"]).sort_values(["_m", "response_id", "segment_id", "code", "source"],
                                                    kind="stable")
    return order.drop(columns="_m").reset_index(drop=True)


#: Columns of :func:`review_table`.
REVIEW_COLUMNS: tuple[str, ...] = ("response_id", "segment_id", "code", "label", "source", "score", "certainty",
                                   "evidence", "segment", "text", "decision")


def review_table(
    codings: pd.DataFrame,
    responses: pd.DataFrame | None = None,
    *,
    codebook=None,
    suggestions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The review queue, least certain first: what the machine could not decide alone.

    Machine suggestions above their code's calibrated threshold are codes (in ``codings``); the
    queue holds the rest, on responses no human coded:

    - the ``suggestions`` (schema.SUGGESTIONS) of a machine coder below its threshold, or of a
      code on which it abstains (no threshold kept the rules' precision);
    - the rule matches under a negation (« pas de coopération »): coded and flagged, a person
      decides (margin 0).

    Columns (:data:`REVIEW_COLUMNS`): ``certainty`` is the margin over where the coder starts
    coding (the code's threshold, or the highest calibration score where it abstains, see
    :mod:`.calibration`), in standard deviations of that code's scores (negative below); rows are
    sorted by it, the closest to becoming a code (the least certain) first. ``evidence`` is
    the matched text or the closest words, ``segment`` the segment's text, ``text`` the whole
    answer (when ``responses`` is given), ``decision`` is empty for the reviewer (oui / non).
    """
    codings = schema.validate(codings, schema.Codings)
    human_rids = set(codings.loc[codings["source"] == schema.SOURCE_HUMAN, "response_id"])
    negated = codings[codings["source"].isin(MACHINE_SOURCES) & codings["negated"].astype(bool)
                      & ~codings["response_id"].isin(human_rids)]
    parts = []
    if len(negated):
        parts.append(pd.DataFrame({
            "response_id": negated["response_id"].to_numpy(), "segment_id": negated["segment_id"].to_numpy(),
            "code": negated["code"].to_numpy(), "source": negated["source"].to_numpy(),
            "score": negated["score"].to_numpy(dtype=float), "certainty": 0.0,
            "evidence": negated["evidence"].to_numpy(),
        }))
    if suggestions is not None and len(suggestions):
        sug = schema.validate(suggestions, schema.Suggestions)
        sug = sug[~sug["response_id"].isin(human_rids)]
        parts.append(pd.DataFrame({
            "response_id": sug["response_id"].to_numpy(), "segment_id": sug["segment_id"].to_numpy(),
            "code": sug["code"].to_numpy(), "source": sug["source"].to_numpy(),
            "score": sug["score"].to_numpy(dtype=float), "certainty": sug["margin"].to_numpy(dtype=float),
            "evidence": sug["evidence"].to_numpy(),
        }))
    if not parts:
        return pd.DataFrame(columns=list(REVIEW_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    table["certainty"] = table["certainty"].astype(float).round(4)
    labels = {c.id: c.label for c in codebook.codes} if codebook is not None else {}
    table["label"] = table["code"].map(lambda c: labels.get(c, c))
    texts = responses.set_index("response_id")["text"].astype(str) if responses is not None else None
    table["text"] = table["response_id"].map(texts).fillna("") if texts is not None else ""
    table["segment"] = [_segment_text(sid, texts) for sid in table["segment_id"]]
    table["decision"] = ""
    table = table.assign(_m=-table["certainty"]).sort_values(
        ["_m", "response_id", "segment_id", "code", "source"], kind="stable")
    return table[list(REVIEW_COLUMNS)].reset_index(drop=True)


def _segment_text(segment_id: str, texts: pd.Series | None) -> str:
    """The text of ``<response_id>-<start>-<end>`` cut from its answer ('' when unknown)."""
    if texts is None or not segment_id:
        return ""
    rid, start, end = str(segment_id).rsplit("-", 2)
    text = texts.get(rid)
    return "" if text is None else text[int(start):int(end)]
