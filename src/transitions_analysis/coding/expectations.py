"""Expectations: which category of actors a segment expects something of, and from whom.

Two bases (column ``basis``):

- ``question``: the answer replies to an expectation question. A question is one when its text
  or its id contains a ``question_cues`` word of ``coding_cues.yaml`` (« Qu'attendez-vous... »,
  ``q_attentes_elus``); the category expected of is every actor category the codebook's actor
  patterns find in the question text (« des élus » -> ``elu``), or else in its id
  (``q_attentes_elus`` -> ``elu``; a terse id such as ``q_attentes_etat`` is read with the role
  table of :mod:`transitions_analysis.core.roles`). Every segment of such an answer gets that expectation.
- ``text``: the answer itself names the category expected TO ACT: the agent of a wished action,
  never its object or beneficiary (« il faut aider les citoyens » expects nothing of citizens).
  With a spaCy pipeline that has a dependency parser (``fr_core_news_*``), the sentences that
  name an actor are parsed (:func:`load_parser`, components ``tok2vec, parser`` only) and an
  actor is expected when an expectation cue governs the action it is the agent of (subject of
  « doit », agent of the verb under « il faut que », addressee of « on attend de », agent of an
  independent « Que ... » clause or of a noun after « Plus de ... »); a negated wish (« je n'ai
  pas attendu que ») does not count. The rules, for researchers, are in ``coding_cues.yaml``.
  An answer to a *proposal* question (``proposal_question_cues``: « que faudrait-il faire ? »)
  is itself a wish: the agent named for its main action is expected even without a cue
  (« des aides de l'État », « mise en place par les communes »).
  Without a parser (``spacy.blank``) the older neighbourhood rule applies: a cue and an actor in
  the same clause, the actor at most ``window_before`` words before the cue (« les agents
  doivent »), otherwise the first actor at most ``window_after`` words after it; ``opening_cues``
  count only at the very start of a segment.

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

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..core import schema
from ..core.ids import make_segment_id
from ..core.nlp import pipe_texts
from ..core.roles import normalise_role
from ..core.schema import RULE_CODER, SOURCE_RULE
from ..core.text import fold_word
from .cues import CUE_EXPECTATION, CUE_OPENING, CUE_QUESTION
from .rules import DocAnalysis, Match, RuleCoder

log = logging.getLogger(__name__)

#: Certainty of the ``expectation`` coding: the question asks for it, or a cue + actor was found
#: (the agent of the main action of an answer to a proposal question: ``SCORE_PROPOSAL``).
SCORE_QUESTION = 1.0
SCORE_TEXT = 0.8
SCORE_PROPOSAL = 0.7
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


def _window_pairs(analysis: DocAnalysis, coder: RuleCoder) -> list[tuple[Match, Match]]:
    """(cue, actor) pairs of the neighbourhood rule: for each cue, the actor at most
    ``window_before`` words before it, else the first one at most ``window_after`` words after,
    in the same clause (``opening_cues`` only at the start of a segment)."""
    cues = coder.cues
    keys = analysis.keys
    breaks = cues.clause_breaks
    by_segment: dict[int, list] = {}
    for m in analysis.matches:
        by_segment.setdefault(m.segment, []).append(m)
    pairs: list[tuple[Match, Match]] = []
    for seg in sorted(by_segment):
        ms = by_segment[seg]
        actors = sorted((m for m in ms if m.code in coder.actor_codes), key=lambda m: m.tok_start)
        if not actors:
            continue
        seg_start_char = analysis.bounds[seg][0]
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
            if target is not None:
                pairs.append((cue, target))
    return pairs


def find_text_expectations(analysis: DocAnalysis, coder: RuleCoder) -> list[TextExpectation]:
    """Text-based expectations of one analysed answer by the neighbourhood rule (no parser)."""
    found: list[TextExpectation] = []
    seen: set[tuple[int, str]] = set()
    for cue, target in _window_pairs(analysis, coder):
        key = (target.segment, role_of_code(target.code))
        if key in seen:
            continue
        seen.add(key)
        found.append(TextExpectation(target.segment, key[1], min(cue.start, target.start), max(cue.end, target.end)))
    return found


# ---------------------------------------------------------------------------------------------
# Direction from the dependency parse

#: Dependency labels of a complement that receives a request (« attendre DES ÉLUS », « demander
#: AUX ENTREPRISES », « compter SUR L'ÉTAT », « inviter LES HABITANTS à »).
_ADDRESSEE_DEPS = frozenset({"obl", "obl:arg", "obl:mod", "iobj", "obj", "nmod"})
#: Words that negate a wish verb (« je n'ai pas attendu que », « je ne souhaite jamais »).
_NEGATORS = frozenset({"pas", "jamais", "guère", "point", "nullement", "aucunement"})
#: Prepositions introducing the agent: « par l'État » (passive), « de l'État » (of an action noun).
_AGENT_CASES = frozenset({"par"})
#: An actor in one of these roles is not the agent of the action: the parse vetoes it even when
#: a cue is near (object, indirect object, complement, passive subject).
_NON_AGENT_DEPS = frozenset({"obj", "iobj", "obl", "obl:arg", "obl:mod", "nmod", "nsubj:pass", "amod", "appos"})
_FLAT_DEPS = frozenset({"flat", "flat:name", "fixed", "compound"})
_GENITIVE_CASES = frozenset({"de", "du", "des", "d'", "d’"})


def load_parser(nlp):
    """The dependency parser that goes with ``nlp`` (same model, components ``tok2vec, parser``),
    or None when ``nlp`` has no trained parser (``spacy.blank``): the neighbourhood rule applies."""
    from ..core.nlp import load_nlp, model_id

    if not (getattr(nlp, "meta", None) or {}).get("name"):
        return None
    name, _ = model_id(nlp)
    try:
        parser = load_nlp(name, purpose="parsing")
    except Exception as exc:  # a pipeline that cannot be reloaded by name: fall back, never fail
        log.info("analyse en dépendances indisponible (%s) : règle de voisinage pour les attentes", exc)
        return None
    return parser if "parser" in parser.pipe_names else None


def direction_method(nlp=None, *, model: str | None = None) -> str:
    """How the category expected to act is found with ``nlp``, or with the installed ``model``
    package (French, for run.json and the report)."""
    from ..core.nlp import _components, model_id

    if model is None and (getattr(nlp, "meta", None) or {}).get("name"):
        model = model_id(nlp)[0]
    if model and "parser" in _components(model):
        return f"analyse en dépendances ({model}) : l'agent de l'action souhaitée"
    return "voisinage des mots (pas d'analyseur syntaxique)"


def _span_head(doc, start: int, end: int, tagged=None):
    """The syntactic head of ``doc[start:end]``: its noun whose head is outside the span (an actor
    match may hold a verb: « la France doit »), else its first noun, else the token whose head is
    outside the span."""
    outside = [t for t in doc[start:end] if not start <= t.head.i < end or t.head.i == t.i]
    head = outside[0] if outside else doc[start]
    if tagged is not None:
        nouns = [t for t in doc[start:end] if tagged(t).pos_ in ("NOUN", "PROPN")]
        inside = [t for t in nouns if t in outside]
        head = inside[0] if inside else (nouns[0] if nouns else head)
    for _ in range(3):  # « l'État » read as a name: « État » hangs on « l' » (flat:name)
        if head.dep_ in _FLAT_DEPS and head.head.i != head.i:
            head = head.head
    return head


def _first_conjunct(tok):
    """« l'État et LES COLLECTIVITÉS » -> l'État: a conjunct takes the role of the first one."""
    seen = 0
    while tok.dep_ == "conj" and tok.head.i != tok.i and seen < 10:
        tok, seen = tok.head, seen + 1
    return tok


def _cases(tok) -> set[str]:
    return {c.lower_ for c in tok.children if c.dep_ in ("case", "mark")}


def _agent_of(tok, actor_heads: set[int], tagged, agent_nouns: frozenset[str]):
    """The predicate ``tok`` (an actor's head) is the agent of, or None.

    Agent: subject (not passive subject); « par X » (passive agent, or of a noun: « prise en
    charge par X »); « de X » or an adjective (« gouvernemental ») of a noun of ``agent_nouns``
    (« l'aide de l'État », not « l'information des consommateurs »); « de la part de X »; the
    antecedent of « qui » in « c'est X qui doit ». ``tagged(t)`` gives the tagged token (lemma,
    part of speech, morphology) of a parsed token ``t``."""
    t = _first_conjunct(tok)
    dep, gov = t.dep_, t.head
    if dep == "ROOT" or _is_attribute(t):  # « C'est l'État QUI doit agir »: the subject of the relative
        for c in t.children:
            if c.dep_ == "acl:relcl" and any(g.dep_ == "nsubj" and g.lower_ == "qui" for g in c.children):
                return c
    if gov.i == t.i:
        return None
    if dep == "nsubj":
        return gov
    cases = _cases(t)
    if dep == "obl:agent" or (dep in ("obl", "obl:mod", "obl:arg", "nmod") and cases & _AGENT_CASES):
        # « donnée par l'État », « une aide par l'État »; not « passer par un artisan »,
        # « utilisables par le client », « se laisser influencer par les lobbies »
        tag = tagged(gov)
        if "Part" in tag.morph.get("VerbForm") or _key(tag) in agent_nouns:
            return gov
        return None
    if dep == "nmod" and cases & _GENITIVE_CASES:
        if tagged(gov).lemma_ == "part" and gov.head.i != gov.i:  # « de la part de X »
            return gov.head
        if tagged(gov).pos_ == "ADJ" and gov.dep_ == "amod":  # « une aide plus conséquente de l'État »
            gov = gov.head
        if gov.i not in actor_heads and _key(tagged(gov)) in agent_nouns:
            return gov
    if dep == "amod" and gov.i not in actor_heads and _key(tagged(gov)) in agent_nouns:
        return gov
    return None


def _key(tok) -> str:
    """The matching form of a token's lemma (no accents, lower case)."""
    return fold_word(tok.lemma_ or tok.text)


def _governs(cue, tok, limit: int = 2) -> bool:
    """True when ``cue`` is ``tok`` or one of its ancestors at most ``limit`` steps up, not across
    a relative clause (« ... les petits qui subissent ce que les lobbyistes imposent »)."""
    for _ in range(limit + 1):
        if tok.i == cue.i:
            return True
        if tok.head.i == tok.i or tok.dep_ == "acl:relcl":
            return False
        tok = tok.head
    return False


def _is_main(tok) -> bool:
    """The sentence's main predicate, a conjunct of it, or a clause attached right under it."""
    t = _first_conjunct(tok)
    if t.dep_ == "ROOT":
        return True
    return t.head.dep_ == "ROOT" and t.dep_ not in ("obj", "iobj", "obl", "obl:arg", "obl:mod", "nmod")


def _wish_clause(tok, tagged) -> bool:
    """An independent clause opened by « que » (« Que l'État montre l'exemple », « ... mais que
    les entreprises prennent leurs responsabilités »): a wish in French. « que » must open the
    clause (sentence start, or after punctuation or a conjunction), not follow a verb (« je pense
    que les entreprises... » reports, it does not wish)."""
    near = [tok, *(c for c in tok.children if c.dep_ == "nsubj")]  # « que » is sometimes hung on the subject
    for n in near:
        for c in n.children:
            if c.dep_ == "mark" and c.lower_ in ("que", "qu'", "qu\u2019"):
                if c.i == 0:
                    return True
                before = tagged(c.doc[c.i - 1])
                if before.pos_ in ("PUNCT", "CCONJ") or before.is_punct:
                    return True
    return False


def _proposed(pred, tagged) -> bool:
    """A predicate that proposes rather than describes: a noun (« des aides de l'État »), an
    infinitive, a participle (« donnée par l'État »), a conditional, subjunctive, imperative or
    future verb; not a present or past indicative (« la France émet 1 % »), nor « X est un Y »."""
    tag = tagged(pred)
    if any(c.dep_ == "cop" for c in pred.children) and tag.pos_ in ("NOUN", "PROPN"):
        return False
    if tag.pos_ in ("NOUN", "PROPN") and pred.dep_ == "nsubj" and pred.head.i != pred.i:
        return _proposed(pred.head, tagged)  # « les aides de l'État m'ont permis » describes
    morph = tag.morph
    moods, tenses = morph.get("Mood"), morph.get("Tense")
    if tag.pos_ in ("VERB", "AUX") and "Ind" in moods and not ("Fut" in tenses):
        return False
    aux = [c for c in pred.children if c.dep_ in ("cop", "aux", "aux:tense", "aux:pass")
           and tagged(c).lemma_ in ("être", "avoir")]
    for c in aux:  # « la France est exemplaire »: the copula carries the mood
        m = tagged(c).morph
        if "Ind" in m.get("Mood") and "Fut" not in m.get("Tense"):
            return False
    return True


def _is_attribute(tok) -> bool:
    """« être énarque », « je suis agriculteur »: the actor is what someone is, not who acts."""
    return any(c.dep_ == "cop" for c in _first_conjunct(tok).children) and not any(
        c.dep_ == "case" for c in _first_conjunct(tok).children)


def _passive_complement(verb) -> bool:
    """« doivent ÊTRE FORMÉS »: the subject of the modal undergoes the action, others do it."""
    return any(c.dep_ in ("xcomp", "ccomp") and any(g.dep_ == "aux:pass" for g in c.children) for c in verb.children)


def _negated(tok) -> bool:
    return any(c.lower_ in _NEGATORS for c in tok.children)


def parse_expectations(
    doc, analysis: DocAnalysis, coder: RuleCoder, parsed: dict[int, object]
) -> tuple[list[TextExpectation], list[TextExpectation]]:
    """Expectations of one answer from the dependency parse of its sentences that name an actor.

    ``parsed``: sentence start token -> the parsed Doc of that sentence (same tokens). Returns the
    expectations found with a cue, and the agents of the main action of each sentence (used when
    the answer replies to a proposal question)."""
    cues = coder.cues
    actors = [m for m in analysis.matches if m.code in coder.actor_codes and not m.negated]
    triggers = [m for m in analysis.matches if m.code in (CUE_EXPECTATION, CUE_OPENING)]
    sents = [(s.start, s.end) for s in doc.sents]
    explicit: dict[tuple[int, str], TextExpectation] = {}
    proposal: dict[tuple[int, str], TextExpectation] = {}
    window: dict[Match, list[Match]] = {}
    for cue, actor in _window_pairs(analysis, coder):
        window.setdefault(actor, []).append(cue)
    for s0, s1 in sents:
        ps = parsed.get(s0)
        here = [a for a in actors if s0 <= a.tok_start < s1]
        if ps is None or not here:
            continue
        tagged = (lambda t, _o=s0: doc[t.i + _o])
        heads = {a: _span_head(ps, a.tok_start - s0, a.tok_end - s0, tagged) for a in here}
        actor_heads = {h.i for h in heads.values()}
        cue_heads = []
        for m in triggers:
            if not s0 <= m.tok_start < s1:
                continue
            if m.code == CUE_OPENING and m.start != analysis.bounds[m.segment][0]:
                continue
            cue_heads.append((m, _span_head(ps, m.tok_start - s0, m.tok_end - s0)))
        for a, h in heads.items():
            role = role_of_code(a.code)
            key = (a.segment, role)
            pred = _agent_of(h, actor_heads, tagged, cues.agent_nouns)
            hit: Match | None = None
            for m, c in cue_heads:
                lemma = analysis.keys[c.i + s0]
                if m.code == CUE_OPENING:  # « Plus d'implication des entreprises », « Que l'État... »
                    if pred is not None and (_governs(c.head, pred) or _governs(pred, c.head, 2)):
                        hit = m
                elif lemma in cues.subject_cues and pred is not None and pred.i == c.i:
                    if not _passive_complement(c):  # « les agents devraient être formés »: by others
                        hit = m  # « les entreprises doivent... »
                elif _negated(c) and lemma not in cues.subject_cues and lemma != "falloir":
                    continue  # « je n'ai pas attendu que... »: a negated wish
                elif pred is not None and pred.i != c.i and _governs(c, pred):
                    hit = m  # « il faudrait que l'État aide », « je souhaite que les élus... »
                elif lemma in cues.addressee_cues and _first_conjunct(h).head.i == c.i and _first_conjunct(h).dep_ in _ADDRESSEE_DEPS:
                    hit = m  # « on attend des élus », « demander aux entreprises »
                if hit is not None:
                    break
            if hit is None and pred is not None and _wish_clause(pred, tagged):
                hit = a
            if hit is None and pred is None and _first_conjunct(h).dep_ == "ROOT" and not _is_attribute(h):
                # the parse made the actor the root (a misparse: « Que l'État et les collectivités
                # fassent... »): the neighbourhood rule decides
                for m in window.get(a, ()):
                    c = _span_head(ps, m.tok_start - s0, m.tok_end - s0, tagged)
                    lemma = analysis.keys[c.i + s0]
                    if not (_negated(c) and lemma not in cues.subject_cues and lemma != "falloir"):
                        hit = m
                        break
            if hit is not None and key not in explicit:
                ev = [a.start, a.end, hit.start, hit.end]
                explicit[key] = TextExpectation(a.segment, role, min(ev), max(ev))
            passive = _first_conjunct(h).dep_ == "obl:agent" or bool(_cases(_first_conjunct(h)) & _AGENT_CASES)
            if pred is not None and (_is_main(pred) or passive) and _proposed(pred, tagged) and key not in proposal:
                p0 = doc[pred.i + s0]
                ev = [a.start, a.end, p0.idx, p0.idx + len(p0.text)]
                proposal[key] = TextExpectation(a.segment, role, min(ev), max(ev))
        # « que l'État ET LES COLLECTIVITÉS fassent... »: a conjunct shares the first one's expectation
        for a, h in heads.items():
            key = (a.segment, role_of_code(a.code))
            first = _first_conjunct(h)
            if key in explicit or first.i == h.i:
                continue
            for b, hb in heads.items():
                kb = (b.segment, role_of_code(b.code))
                if hb.i == first.i and kb in explicit:
                    explicit[key] = TextExpectation(a.segment, key[1], min(a.start, explicit[kb].start),
                                                    max(a.end, explicit[kb].end))
                    break
    order = lambda e: (e.segment, e.start, e.to_role)  # noqa: E731
    return sorted(explicit.values(), key=order), sorted(proposal.values(), key=order)


def analyse_expectations(
    docs: Sequence, analyses: Sequence[DocAnalysis], coder: RuleCoder, *, parser=None, batch_size: int = 256
) -> list[tuple[list[TextExpectation], list[TextExpectation]]]:
    """For each analysed answer: (expectations found with a cue, agents of main actions).

    With ``parser`` (see :func:`load_parser`) the sentences naming an actor are parsed in batches
    and read by :func:`parse_expectations`; without it, the neighbourhood rule
    (:func:`find_text_expectations`) applies and there are no proposal agents."""
    if parser is None:
        return [(find_text_expectations(a, coder), []) for a in analyses]
    # A Doc fresh from the coding pipeline carries its tok2vec output (doc.tensor): only the parser
    # runs on its sentences. A Doc read from the parse cache has none: the same tok2vec runs on
    # the whole answer first, and the sentence boundaries are copied (the parser keeps them as
    # constraints, as it does on a fresh Doc's sentence), so that both give the same parse.
    from spacy.attrs import SENT_START

    todo: list[tuple[int, int, object]] = []  # (answer, sentence start, sentence Doc with its tensor)
    tok2vec = parser.get_pipe("tok2vec") if "tok2vec" in parser.pipe_names else None
    unaligned: set[int] = set()
    for i, (doc, analysis) in enumerate(zip(docs, analyses)):
        starts = {m.tok_start for m in analysis.matches if m.code in coder.actor_codes and not m.negated}
        if not starts:
            continue
        source = doc
        tensor = getattr(doc, "tensor", None)
        if tensor is None or getattr(tensor, "shape", (0,))[0] != len(doc) or tensor.size == 0:
            source = parser.make_doc(doc.text)
            if len(source) != len(doc) or tok2vec is None:
                unaligned.add(i)  # cannot align the parse: the neighbourhood rule decides
                continue
            tok2vec(source)
            source.from_array([SENT_START], doc.to_array([SENT_START]).reshape(-1, 1))
        for sent in doc.sents:
            if any(sent.start <= t < sent.end for t in starts):
                todo.append((i, sent.start, source[sent.start:sent.end].as_doc()))
    parsed: dict[int, dict[int, object]] = {}
    pdocs = parser.get_pipe("parser").pipe([d for _, _, d in todo], batch_size=batch_size)
    for (i, start, _), pdoc in zip(todo, pdocs):
        parsed.setdefault(i, {})[start] = pdoc
    out = []
    for i, (doc, analysis) in enumerate(zip(docs, analyses)):
        if i in unaligned:
            out.append((find_text_expectations(analysis, coder), []))
        else:
            out.append(parse_expectations(doc, analysis, coder, parsed.get(i, {})) if i in parsed else ([], []))
    return out


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


def _matches_cue(keys: Sequence[str], forms: Sequence[str], pattern, equivalents) -> bool:
    """True when a cue pattern (string, see ``codebook.yaml``) occurs in a token sequence, each word
    compared to the token's lemma key or its written form (« pourrai* » finds « pourrait », whose
    lemma is « pouvoir »)."""
    from ..core.codebook import parse_pattern

    toks = [t if t.gap else type(t)(text=fold_word(t.text, None if t.prefix else equivalents), prefix=t.prefix)
            for t in parse_pattern(pattern)]

    def word_ok(i: int, t) -> bool:
        return any(v.startswith(t.text) if t.prefix else v == t.text for v in (keys[i], forms[i]))

    def match_from(i: int, j: int) -> bool:
        if j == len(toks):
            return True
        t = toks[j]
        if t.gap:
            return any(match_from(i + g, j + 1) for g in range(t.gap + 1) if i + g <= len(keys))
        return i < len(keys) and word_ok(i, t) and match_from(i + 1, j + 1)

    return any(match_from(i, 0) for i in range(len(keys)))


def proposal_questions(questions: Iterable[tuple[str, str]], *, nlp, coder: RuleCoder) -> frozenset[tuple[str, str]]:
    """The ``(question_id, question)`` pairs whose question asks for proposals (« que faudrait-il
    faire ? », « quelles solutions ? »: ``proposal_question_cues``): their answers are wishes."""
    pairs = sorted({(str(q_id or ""), str(q or "")) for q_id, q in questions})
    texts = sorted({q for _, q in pairs if q.strip()})
    patterns = coder.cues.proposal_question_cues
    if not texts or not patterns:
        return frozenset()
    found = set()
    eq = coder.cues.equivalents
    for text, doc in zip(texts, nlp.pipe(texts)):
        if not doc.has_annotation("SENT_START"):
            from spacy.pipeline import Sentencizer

            Sentencizer()(doc)
        keys = coder.analyse(doc, [(0, len(doc.text))]).keys
        forms = [fold_word(t.lower_, eq) for t in doc]
        if any(_matches_cue(keys, forms, p, eq) for p in patterns):
            found.add(text)
    return frozenset((q_id, q) for q_id, q in pairs if q in found)


def _from_roles(roles: pd.Series) -> pd.Series:
    r = roles.astype("object").where(roles.notna(), "").astype(str).str.strip()
    return r.where(r.isin(schema.ROLES), schema.UNKNOWN_ROLE)


def build_expectations(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    text_expectations: pd.DataFrame,
    roles_by_question: dict[tuple[str, str], tuple[str, ...]],
    proposal_expectations: pd.DataFrame | None = None,
    proposals: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The expectations table (schema.EXPECTATIONS) and the ``expectation`` rule codings.

    ``text_expectations`` has columns segment_id, response_id, to_role, start, end (offsets into
    the answer). ``codings`` gives each segment's principle codes. ``proposal_expectations`` (same
    columns): the agents of the main actions, kept for the answers to a question of
    ``proposals`` (:func:`proposal_questions`).
    """
    resp = responses[["response_id", "role", "question_id", "question", "text"]].copy()
    resp["from_role"] = _from_roles(resp["role"])
    # each answer's question (id, text) as a number into the distinct questions: a few questions,
    # not one pair of strings per answer
    qcode, questions = pd.factorize(pd.MultiIndex.from_arrays(
        [resp["question_id"].fillna("").astype(str), resp["question"].fillna("").astype(str)]))
    q_roles = [roles_by_question.get(k, ()) for k in questions]
    resp["q_roles"] = [q_roles[c] for c in qcode]
    seg = segments[["segment_id", "response_id", "start", "end", "text"]]
    # question basis: every segment of an answer to an expectation question
    q = resp.loc[resp["q_roles"].map(len) > 0, ["response_id", "from_role", "q_roles"]].explode("q_roles")
    q = q.rename(columns={"q_roles": "to_role"}).merge(seg, on="response_id")
    q["basis"] = "question"
    q["ev_start"], q["ev_end"], q["score"] = q["start"], q["end"], SCORE_QUESTION
    # text basis
    t = text_expectations.assign(score=SCORE_TEXT)
    if proposal_expectations is not None and len(proposal_expectations) and proposals:
        asked = [k in proposals for k in questions]
        asks = resp.loc[[asked[c] for c in qcode], "response_id"]
        p = proposal_expectations[proposal_expectations["response_id"].isin(set(asks))]
        t = pd.concat([t, p.assign(score=SCORE_PROPOSAL)], ignore_index=True)
        t = t.sort_values("score", ascending=False, kind="stable").drop_duplicates(["segment_id", "to_role"])
    t = t.rename(columns={"start": "ev_start", "end": "ev_end"})
    t = t.merge(resp[["response_id", "from_role"]], on="response_id").merge(
        seg[["segment_id", "start", "end", "text"]], on="segment_id"
    )
    t["basis"] = "text"
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
    quoted = resp[resp["response_id"].isin(set(cod["response_id"]))]  # the answers with an expectation only
    texts = dict(zip(quoted["response_id"], quoted["text"].astype(str)))
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
    response_ids: Sequence[str], analyses: Sequence[DocAnalysis], coder: RuleCoder,
    found: Sequence[Sequence[TextExpectation]] | None = None,
) -> pd.DataFrame:
    """Text-based expectations of analysed answers as a table (segment_id, response_id, to_role,
    start, end): ``found`` (one list per answer), or else the neighbourhood rule's."""
    rows = []
    if found is None:
        found = [find_text_expectations(a, coder) for a in analyses]
    for rid, analysis, exps in zip(response_ids, analyses, found):
        for e in exps:
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
    found = analyse_expectations(docs, analyses, coder, parser=load_parser(nlp))
    text_exp = text_expectations_frame(rids, analyses, coder, [f[0] for f in found])
    proposal_exp = text_expectations_frame(rids, analyses, coder, [f[1] for f in found])
    questions = list(zip(responses["question_id"], responses["question"]))
    roles = question_roles(questions, nlp=nlp, coder=coder)
    expectations, _ = build_expectations(responses, segments, codings, text_exp, roles, proposal_exp,
                                         proposal_questions(questions, nlp=nlp, coder=coder))
    return expectations
