"""Coding orchestration: caches, determinism, model/human combination, write_coding, CLI ``code``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from transitions_analysis.core import schema
from transitions_analysis.cli import main
from transitions_analysis.coding import code_responses
from transitions_analysis.core.io import coded_tables, write_coded
from transitions_analysis.coding.combine import combine_codings
from transitions_analysis.core.nlp import parse_texts

TEXTS = [
    "Il faudrait que les élus coopèrent davantage avec les services de l'État, pas seulement en réunion. "
    "Nous avons obtenu une subvention pour un comité de suivi.",
    "Pas de transversalité chez nous.",
    "Les agents doivent évaluer les effets dans la durée.",
]


class CountingNlp:
    """Wraps a pipeline and counts the texts it really parses."""

    def __init__(self, nlp):
        self.nlp, self.texts = nlp, []
        self.meta, self.lang, self.vocab, self.pipe_names = nlp.meta, nlp.lang, nlp.vocab, nlp.pipe_names

    def pipe(self, texts, **kwargs):
        for doc in self.nlp.pipe(texts, **kwargs):
            self.texts.append(doc.text)
            yield doc

    @property
    def parsed(self) -> int:
        """Answers parsed (question texts, parsed to find expectation questions, not counted)."""
        return sum(1 for t in self.texts if t not in {"Qu'avez-vous retenu ?", "q1"})


def test_parse_cache_reads_back_docs(blank_nlp, tmp_path):
    nlp = CountingNlp(blank_nlp)
    first = parse_texts(TEXTS + [TEXTS[0]], nlp=nlp, cache_dir=tmp_path, progress=False)
    assert nlp.parsed == 3  # identical texts parsed once
    stats = {}
    second = parse_texts(TEXTS + ["Un nouveau texte."], nlp=nlp, cache_dir=tmp_path, progress=False, stats=stats)
    assert nlp.parsed == 4 and stats == {"cached": 3, "parsed": 1}
    assert [d.text for d in second[:3]] == [d.text for d in first[:3]]
    assert [[s.text for s in d.sents] for d in second[:3]] == [[s.text for s in d.sents] for d in first[:3]]


def test_recoding_uses_the_cache_and_only_new_answers_are_parsed(blank_nlp, tmp_path, make_responses):
    nlp = CountingNlp(blank_nlp)
    a = code_responses(make_responses(TEXTS, question="Qu'avez-vous retenu ?"), nlp=nlp, cache_dir=tmp_path, progress=False)
    assert nlp.parsed == 3
    b = code_responses(make_responses(TEXTS + ["Une session de plus : coopérer avec la DDT."], question="Qu'avez-vous retenu ?"), nlp=nlp,
                       cache_dir=tmp_path, progress=False)
    assert nlp.parsed == 4 and b.stats["coding_cache"] == 3
    pd.testing.assert_frame_equal(a.codings, b.codings[b.codings["response_id"] != "R003"].reset_index(drop=True))
    # a changed codebook re-codes from the cached parses, without parsing again
    import yaml

    from transitions_analysis.core.codebook import load_codebook, parse_codebook

    data = load_codebook().to_dict()
    data["codes"] = [c for c in data["codes"] if c["id"] != "outcome.financial"]
    smaller = parse_codebook(yaml.safe_dump(data, allow_unicode=True), path="sans-financement.yaml")
    assert "outcome.financial" not in smaller.ids() and len(smaller.ids()) == len(data["codes"])
    c = code_responses(make_responses(TEXTS, question="Qu'avez-vous retenu ?"), nlp=nlp, codebook=smaller, cache_dir=tmp_path, progress=False)
    assert nlp.parsed == 4 and c.stats["coding_cache"] == 0 and c.stats["cached"] == 3
    assert "outcome.financial" not in set(c.codings["code"]) and "outcome.financial" in set(a.codings["code"])


def test_same_input_same_bytes(blank_nlp, tmp_path, make_responses):
    responses = make_responses(TEXTS, question="Qu'avez-vous retenu ?", role=["elu", "agent", ""])
    outs = []
    for name, cache in (("a", None), ("b", tmp_path / "cache"), ("c", tmp_path / "cache")):
        result = code_responses(responses, nlp=blank_nlp, cache_dir=cache, progress=False)
        write_coded(coded_tables(responses, result.segments, result.codings, result.expectations,
                                 run_info=result.run_info), tmp_path / name)
        outs.append({f: (tmp_path / name / f).read_bytes() for f in
                     ("responses.csv", "segments.csv", "codings.csv", "expectations.csv", "run.json")})
    assert outs[0] == outs[1] == outs[2]
    codings = pd.read_csv(tmp_path / "a" / "codings.csv", keep_default_na=False)
    assert list(codings.columns) == list(schema.CODINGS)
    assert {"principle.cooperation", "principle.systemic", "principle.value", "actor.elu", "actor.etat",
            "outcome.financial", "outcome.long_term_management", "expectation"} <= set(codings["code"])
    systemic = codings[codings["code"] == "principle.systemic"].iloc[0]
    assert bool(systemic["negated"]) is True
    run = json.loads(outs[0]["run.json"])
    assert run["model_used"] is False and run["counts"]["codings"] == len(codings)
    assert run["codebook"]["hash"] and run["spacy_version"]



@pytest.mark.parametrize("cached", [False, True])
def test_tables_built_by_slices_equal_tables_built_at_once(blank_nlp, tmp_path, make_responses, monkeypatch, cached):
    """code_responses reads the cached results and builds the rows slice by slice of
    config.CACHE_SLICE answers (memory of a large corpus): slices of 2 answers, a text
    repeated across slices, an empty answer, give the tables of one slice."""
    from transitions_analysis import config

    texts = [*TEXTS, TEXTS[0], "", "Coopérer avec la DDT, encore.", TEXTS[2]]
    responses = make_responses(texts, question="Qu'avez-vous retenu ?")
    whole = code_responses(responses, nlp=blank_nlp, cache_dir=tmp_path / "a" if cached else None, progress=False)
    monkeypatch.setattr(config, "CACHE_SLICE", 2)
    for cache in ([tmp_path / "a", tmp_path / "b"] if cached else [None]):  # warm, then cold, cache
        sliced = code_responses(responses, nlp=blank_nlp, cache_dir=cache, progress=False)
        for name in ("segments", "codings", "expectations", "suggestions"):
            pd.testing.assert_frame_equal(getattr(sliced, name), getattr(whole, name))
        assert sliced.stats["unique_texts"] == whole.stats["unique_texts"] == 5
    assert len(whole.segments) > len(texts) and whole.segments["response_id"].nunique() == len(texts) - 1


class FakeModel:
    def predict_codings(self, segments):
        rows = segments.assign(code="principle.engagement", source="model", score=0.7, evidence=segments["text"],
                               negated=False, coder="model")
        return rows[list(schema.CODINGS)]


def test_model_codings_added_and_human_codings_win(blank_nlp, make_responses):
    responses = make_responses(TEXTS, question="Qu'avez-vous retenu ?")
    human = pd.DataFrame({"response_id": ["R001", "R001", "R002"], "coder": ["ana", "ana", "ana"],
                          "code": ["principle.systemic", "principle.value", ""]})
    result = code_responses(responses, nlp=blank_nlp, model=FakeModel(), human_codings=human,
                            cache_dir=None, progress=False)
    c = result.codings
    r1 = c[c["response_id"] == "R001"]
    # a response a human coded keeps only the human decisions: the rule and model suggestions go
    assert set(r1["source"]) == {"human"}
    assert set(r1["code"]) == {"principle.systemic", "principle.value"}
    assert c[c["response_id"] == "R002"].empty  # seen by a human, no code: nothing, not the machine's guesses
    human_rows = c[c["source"] == "human"]
    assert len(human_rows) == 2 and (human_rows["evidence"] == TEXTS[1]).all()
    others = c[~c["response_id"].isin(["R001", "R002"])]
    assert {"rule", "model"} <= set(others["source"])  # elsewhere the machine's suggestions stay
    assert result.run_info["model_used"] is True


def test_combine_codings_minimal_policy():
    base = dict(segment_id="R1-0-5", response_id="R1", score=1.0, start=0, end=5, evidence="abcde", negated=False)
    rule = pd.DataFrame([{**base, "code": "a", "source": "rule", "coder": "rules"},
                         {**base, "code": "b", "source": "rule", "coder": "rules"}])
    human = pd.DataFrame([{**base, "segment_id": "", "code": "a", "source": "human", "coder": "h1"}])
    out = combine_codings(rule, None, human)
    assert sorted(zip(out["code"], out["source"])) == [("a", "human"), ("b", "rule")]
    assert list(out.columns) == list(schema.CODINGS)


def test_cli_code_on_a_text_only_csv(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSITIONS_ANALYSIS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    status = main(["-q", "code", str(fixtures_dir / "coding" / "text_only.csv"), "--out", str(out), "--no-cache"])
    assert status == 0
    for name in ("responses.csv", "rejected.csv", "segments.csv", "codings.csv", "expectations.csv", "run.json"):
        assert (out / name).is_file()
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False)
    codings = pd.read_csv(out / "codings.csv", keep_default_na=False)
    expectations = pd.read_csv(out / "expectations.csv", keep_default_na=False)
    assert len(responses) == 3 and set(responses["role"]) == {"inconnu"}
    texts = dict(zip(responses["response_id"], responses["text"]))
    assert all(texts[r][a:z] == e for r, a, z, e in zip(codings["response_id"], codings["start"], codings["end"], codings["evidence"]))
    assert {"actor.elu", "actor.etat", "principle.cooperation", "outcome.financial"} <= set(codings["code"])
    assert {("inconnu", "elu"), ("inconnu", "agent")} <= set(zip(expectations["from_role"], expectations["to_role"]))


def test_cli_model_option_reports_a_missing_file(fixtures_dir, tmp_path, capsys):
    status = main(["code", str(fixtures_dir / "coding" / "text_only.csv"), "--out", str(tmp_path / "o"),
                   "--model", str(tmp_path / "absent.skops"), "--no-cache"])
    assert status == 2
    assert "absent.skops" in capsys.readouterr().err


def test_cli_refuses_to_write_in_raw(fixtures_dir, capsys):
    from transitions_analysis import config

    status = main(["code", str(fixtures_dir / "coding" / "text_only.csv"), "--out", str(config.RAW_DIR / "x"), "--no-cache"])
    assert status == 2 and "data/raw" in capsys.readouterr().err


@pytest.mark.model
def test_code_with_the_trained_model(fr_nlp, tmp_path, make_responses):
    result = code_responses(make_responses(["Nous coopérons avec les élues et la DDTM pour évaluer nos actions."], question="Qu'avez-vous retenu ?"),
                            cache_dir=tmp_path, progress=False)
    assert {"principle.cooperation", "principle.value", "actor.elu", "actor.etat"} <= set(result.codings["code"])
    assert result.run_info["nlp"]["components"] == ["tok2vec", "morphologizer", "senter", "attribute_ruler", "lemmatizer"]
