"""Expectations: which category of actors a segment expects something of, and from whom.

Two bases (column ``basis``):

- ``question``: the answer replies to an expectation question. A question is one when its text
  or its id contains a ``question_cues`` word of ``coding_cues.yaml`` (« Qu'attendez-vous... »,
  ``q_attentes_elus``); the category expected of is every actor category the codebook's actor
  patterns find in the question text (« des élus » -> ``elu``), or else in its id
  (``q_attentes_elus`` -> ``elu``; a terse id such as ``q_attentes_etat`` is read with the role
  table of :mod:`transitions_analysis.core.roles`). Every segment of such an answer gets that expectation.
- ``text``: an expectation cue (``cues``: « il faudrait », « on attend », « besoin que »,
  « doivent », « on aimerait que »...) and an actor in the same clause: the actor at most
  ``window_before`` words before the cue (« les agents doivent »), otherwise the first actor at
  most ``window_after`` words after it (« il faudrait que l'État », « on attend des élus
  qu'ils »). ``opening_cues`` (« que », « plus de ») count only at the very start of a segment
  (« Que la DDT soit plus présente »). A clause ends at strong punctuation or « mais ».

``from_role`` is the respondent's role (``inconnu`` when missing). An expectation of one's own
category (elu -> elu) is kept as found; the synthesis decides what to show. A (segment,
category) pair appears once; the question basis wins over the text basis. An answer to an
expectation question also gets the ``actor.*`` coding of the category the question names (the
answer speaks of it even without naming it), with the whole segment as evidence, unless the rules
already coded that actor in the segment. ``principles`` lists
the principle codes coded in the segment (negated mentions included: a complaint about missing
cooperation is about cooperation), in the contract's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..core import schema
from ..core.ids import make_segment_id
from ..core.nlp import pipe_texts
from ..core.roles import normalise_role
from ..core.schema import RULE_CODER, SOURCE_RULE
from .cues import CUE_EXPECTATION, CUE_OPENING, CUE_QUESTION
from .rules import DocAnalysis, RuleCoder

#: Certainty of the ``expectation`` coding: the question asks for it, or a cue + actor was found.
SCORE_QUESTION = 1.0
SCORE_TEXT = 0.8
#: Certainty of an ``actor.*`` coding that comes from the question (« Qu'attendez-vous des élus ? »).
SCORE_QUESTION_ACTOR = 0.9


@dataclass(frozen=True)
class TextExpectation:
    """A text-based expectation in one segment of an analysed answer (offsets into the answer)."""

    segment: int
    to_role: str
    start: int
    end: int


def role_of_code(code: str) -> str:
    """``actor.elu`` -> ``elu``."""
    return code.split(".", 1)[1] if code.startswith("actor.") else code


def find_text_expectations(analysis: DocAnalysis, coder: RuleCoder) -> list[TextExpectation]:
    """Text-based expectations of one analysed answer (rule in the module docstring)."""
    cues = coder.cues
    keys = analysis.keys
    breaks = cues.clause_breaks
    by_segment: dict[int, list] = {}
    for m in analysis.matches:
        by_segment.setdefault(m.segment, []).append(m)
    found: list[TextExpectation] = []
    for seg in sorted(by_segment):
        ms = by_segment[seg]
        actors = sorted((m for m in ms if m.code in coder.actor_codes), key=lambda m: m.tok_start)
        if not actors:
            continue
        seg_start_char = analysis.bounds[seg][0]
        seen_roles: set[str] = set()
        triggers = []
        for m in ms:
            if m.code == CUE_EXPECTATION:
                triggers.append(m)
            elif m.code == CUE_OPENING and m.start == seg_start_char:
                triggers.append(m)
        for cue in sorted(triggers, key=lambda m: (m.tok_start, m.tok_end)):
            target = None
            before = [a for a in actors if a.tok_end <= cue.tok_start
                      and cue.tok_start - a.tok_end <= cues.expectation_window_before
                      and not any(k in breaks for k in keys[a.tok_end:cue.tok_start])]
            if before:
                target = max(before, key=lambda a: a.tok_end)
            else:
                after = [a for a in actors if a.tok_start >= cue.tok_end
                         and a.tok_start - cue.tok_end <= cues.expectation_window_after
                         and not any(k in breaks for k in keys[cue.tok_end:a.tok_start])]
                if after:
                    target = min(after, key=lambda a: a.tok_start)
            if target is None:
                continue
            role = role_of_code(target.code)
            if role in seen_roles:
                continue
            seen_roles.add(role)
            found.append(TextExpectation(seg, role, min(cue.start, target.start), max(cue.end, target.end)))
    return found


def question_roles(
    questions: Iterable[tuple[str, str]], *, nlp, coder: RuleCoder
) -> dict[tuple[str, str], tuple[str, ...]]:
    """For each ``(question_id, question)``: the roles the question asks expectations of (may be empty)."""
    pairs = sorted({(str(q_id or ""), str(q or "")) for q_id, q in questions})
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    if not pairs:
        return out
    texts = []
    for q_id, q in pairs:
        texts.append(q)
        texts.append(re.sub(r"[_\-.]+", " ", q_id))
    unique = sorted(set(t for t in texts if t.strip()))
    docs = dict(zip(unique, pipe_texts(nlp, unique))) if unique else {}
    order = [c.id for c in coder.codebook.codes]

    def look(text: str) -> tuple[bool, list[str]]:
        if not text.strip():
            return False, []
        doc = docs[text]
        if not doc.has_annotation("SENT_START"):
            from spacy.pipeline import Sentencizer

            Sentencizer()(doc)
        analysis = coder.analyse(doc, [(0, len(doc.text))])
        cue = any(m.code == CUE_QUESTION for m in analysis.matches)
        actors = sorted({m.code for m in analysis.matches if m.code in coder.actor_codes}, key=order.index)
        return cue, actors

    for q_id, q in pairs:
        cue_q, actors_q = look(q)
        cue_id, actors_id = look(re.sub(r"[_\-.]+", " ", q_id))
        roles: tuple[str, ...] = ()
        if cue_q or cue_id:
            roles = tuple(role_of_code(c) for c in (actors_q or actors_id))
            if not roles and q_id:  # ids are terse and lower-case (q_attentes_etat): the role table reads them
                role = normalise_role(re.sub(r"[_\-.]+", " ", q_id))
                roles = (role,) if role in schema.ROLES else ()
        out[(q_id, q)] = roles
    return out


def _from_roles(roles: pd.Series) -> pd.Series:
    r = roles.astype("object").where(roles.notna(), "").astype(str).str.strip()
    return r.where(r.isin(schema.ROLES), schema.UNKNOWN_ROLE)


def build_expectations(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    text_expectations: pd.DataFrame,
    roles_by_question: dict[tuple[str, str], tuple[str, ...]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The expectations table (schema.EXPECTATIONS) and the ``expectation`` rule codings.

    ``text_expectations`` has columns segment_id, response_id, to_role, start, end (offsets into
    the answer). ``codings`` gives each segment's principle codes.
    """
    resp = responses[["response_id", "role", "question_id", "question", "text"]].copy()
    resp["from_role"] = _from_roles(resp["role"])
    qkey = list(zip(resp["question_id"].fillna("").astype(str), resp["question"].fillna("").astype(str)))
    resp["q_roles"] = [roles_by_question.get(k, ()) for k in qkey]
    seg = segments[["segment_id", "response_id", "start", "end", "text"]]
    # question basis: every segment of an answer to an expectation question
    q = resp.loc[resp["q_roles"].map(len) > 0, ["response_id", "from_role", "q_roles"]].explode("q_roles")
    q = q.rename(columns={"q_roles": "to_role"}).merge(seg, on="response_id")
    q["basis"] = "question"
    q["ev_start"], q["ev_end"], q["score"] = q["start"], q["end"], SCORE_QUESTION
    # text basis
    t = text_expectations.rename(columns={"start": "ev_start", "end": "ev_end"})
    t = t.merge(resp[["response_id", "from_role"]], on="response_id").merge(
        seg[["segment_id", "start", "end", "text"]], on="segment_id"
    )
    t["basis"] = "text"
    t["score"] = SCORE_TEXT
    cols = ["segment_id", "response_id", "from_role", "to_role", "text", "basis", "start", "end", "ev_start", "ev_end", "score"]
    both = pd.concat([q.reindex(columns=cols), t.reindex(columns=cols)], ignore_index=True)
    if both.empty:
        return schema.empty(schema.Expectations), schema.empty(schema.Codings)
    both["basis_rank"] = (both["basis"] != "question").astype(int)
    role_rank = {r: i for i, r in enumerate(schema.ALL_ROLES)}
    both["role_rank"] = both["to_role"].map(role_rank).fillna(len(role_rank))
    both = both.sort_values(["response_id", "start", "segment_id", "role_rank", "basis_rank"], kind="stable")
    both = both.drop_duplicates(["segment_id", "to_role"], keep="first")
    # principles of each segment, in the contract's order
    pc = codings.loc[codings["code"].isin(schema.PRINCIPLES), ["segment_id", "response_id", "code"]]
    whole = pc["segment_id"].astype(str) == ""  # response-level (human) codings apply to every segment
    if whole.any():
        spread = pc[whole].drop(columns="segment_id").merge(seg[["segment_id", "response_id"]], on="response_id")
        pc = pd.concat([pc[~whole], spread], ignore_index=True)
    pc = pc[["segment_id", "code"]].drop_duplicates()
    rank = {c: i for i, c in enumerate(schema.PRINCIPLES)}
    pc = pc.assign(r=pc["code"].map(rank)).sort_values(["segment_id", "r"])
    principles = pc.groupby("segment_id", sort=False)["code"].agg(";".join)
    both["principles"] = both["segment_id"].map(principles).astype("object").fillna("")
    expectations = both[list(schema.EXPECTATIONS)].reset_index(drop=True)
    # one expectation coding per segment: question basis first, then the earliest evidence
    cod = both.sort_values(["segment_id", "basis_rank", "ev_start", "role_rank"], kind="stable").drop_duplicates("segment_id")
    texts = dict(zip(resp["response_id"], resp["text"].astype(str)))
    codings_out = pd.DataFrame(
        {
            "segment_id": cod["segment_id"].to_numpy(),
            "response_id": cod["response_id"].to_numpy(),
            "code": schema.EXPECTATION_CODE,
            "source": SOURCE_RULE,
            "score": cod["score"].astype(float).to_numpy(),
            "start": cod["ev_start"].astype(int).to_numpy(),
            "end": cod["ev_end"].astype(int).to_numpy(),
            "evidence": [texts[r][a:z] for r, a, z in zip(cod["response_id"], cod["ev_start"].astype(int), cod["ev_end"].astype(int))],
            "negated": False,
            "coder": RULE_CODER,
        }
    )
    # the question names the category the answer speaks of: code that actor too (the team's coding
    # convention), unless the rules already found it in the segment
    qa = both[(both["basis"] == "question") & both["to_role"].isin(schema.ROLES)]
    qa = qa.assign(code="actor." + qa["to_role"].astype(str))
    already = set(zip(codings["segment_id"].astype(str), codings["code"].astype(str)))
    fresh = [(s, c) not in already for s, c in zip(qa["segment_id"].astype(str), qa["code"])]
    qa = qa.loc[pd.Series(fresh, index=qa.index, dtype=bool)]
    actor_out = pd.DataFrame(
        {
            "segment_id": qa["segment_id"].to_numpy(),
            "response_id": qa["response_id"].to_numpy(),
            "code": qa["code"].to_numpy(),
            "source": SOURCE_RULE,
            "score": SCORE_QUESTION_ACTOR,
            "start": qa["start"].astype(int).to_numpy(),
            "end": qa["end"].astype(int).to_numpy(),
            "evidence": qa["text"].to_numpy(),
            "negated": False,
            "coder": RULE_CODER,
        }
    )
    return expectations, pd.concat([codings_out, actor_out], ignore_index=True)


def text_expectations_frame(
    response_ids: Sequence[str], analyses: Sequence[DocAnalysis], coder: RuleCoder
) -> pd.DataFrame:
    """Text-based expectations of analysed answers as a table (segment_id, response_id, to_role, start, end)."""
    rows = []
    for rid, analysis in zip(response_ids, analyses):
        for e in find_text_expectations(analysis, coder):
            a, z = analysis.bounds[e.segment]
            rows.append((make_segment_id(rid, a, z), rid, e.to_role, e.start, e.end))
    return pd.DataFrame(rows, columns=["segment_id", "response_id", "to_role", "start", "end"])


def detect_expectations(
    responses: pd.DataFrame, segments: pd.DataFrame, codings: pd.DataFrame, docs, *, nlp, coder: RuleCoder | None = None
) -> pd.DataFrame:
    """Expectations (schema.EXPECTATIONS) of ``responses`` given their segments, codings and parsed docs."""
    coder = coder if coder is not None else RuleCoder()
    by_response = {rid: sorted(zip(g["start"].astype(int), g["end"].astype(int))) for rid, g in segments.groupby("response_id", sort=False)}
    rids = responses["response_id"].astype(str).tolist()
    analyses = [coder.analyse(doc, by_response.get(rid, [])) for rid, doc in zip(rids, docs)]
    text_exp = text_expectations_frame(rids, analyses, coder)
    roles = question_roles(zip(responses["question_id"], responses["question"]), nlp=nlp, coder=coder)
    expectations, _ = build_expectations(responses, segments, codings, text_exp, roles)
    return expectations
