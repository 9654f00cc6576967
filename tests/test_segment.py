"""Segmentation: exact Unicode offsets, short answers kept whole, bullets and blank lines."""

from __future__ import annotations

import pytest

from transitions_analysis.core import schema
from transitions_analysis.core.nlp import parse_texts
from transitions_analysis.segmentation import SHORT_ANSWER_CHARS, segment_bounds, segment_responses


LONG = (
    "  La journée m'a beaucoup apporté sur la coopération entre services. "
    "Les élus étaient présents 😀 et très à l'écoute.\r\n"
    "Il faudrait que l'État soit plus présent dans nos réunions, pas seulement pour contrôler.  "
)


def test_offsets_are_exact_with_accents_emoji_crlf_and_leading_spaces(blank_nlp, make_responses):
    texts = [LONG, "   Court et clair.  ", "\u00e9l\u00e9ments\u00a0: oui. " * 20]
    responses = make_responses(texts, respondent_id="P1", role_raw="élue")
    segments = segment_responses(responses, parse_texts(texts, nlp=blank_nlp, progress=False))
    assert list(segments.columns) == list(schema.SEGMENTS)
    by_id = dict(zip(responses["response_id"], texts))
    for row in segments.itertuples():
        assert row.text == by_id[row.response_id][row.start : row.end]
        assert row.text == row.text.strip()
        assert row.segment_id == f"{row.response_id}-{row.start}-{row.end}"
    long_segments = segments[segments["response_id"] == "R000"]
    assert len(long_segments) == 3
    assert long_segments["text"].iloc[1].endswith("😀 et très à l'écoute.")
    # nothing non-blank is lost
    covered = "".join(long_segments["text"])
    assert covered.replace(" ", "").replace("\r\n", "") == LONG.replace(" ", "").replace("\r\n", "")


def test_short_answer_stays_whole(blank_nlp):
    text = "Bonne journée. Merci. À refaire !"
    assert len(text) < SHORT_ANSWER_CHARS
    [doc] = parse_texts([text], nlp=blank_nlp, progress=False)
    assert segment_bounds(doc) == [(0, len(text))]


def test_blank_answer_gives_no_segment(blank_nlp):
    [doc] = parse_texts(["   \n "], nlp=blank_nlp, progress=False)
    assert segment_bounds(doc) == []


def test_bullets_and_blank_lines_cut_segments_and_tiny_pieces_merge(blank_nlp):
    text = (
        "Ce que je retiens de cette journée très riche en échanges :\n"
        "- travailler ensemble entre services dès le début\n"
        "- évaluer ce que les projets produisent pour le territoire\n\n"
        "Oui.\n\nMerci encore aux organisatrices pour leur accueil chaleureux."
    )
    [doc] = parse_texts([text], nlp=blank_nlp, progress=False)
    pieces = [text[a:z] for a, z in segment_bounds(doc)]
    assert pieces[1] == "- travailler ensemble entre services dès le début"
    assert pieces[2] == "- évaluer ce que les projets produisent pour le territoire\n\nOui."
    assert pieces[-1].startswith("Merci encore")


def test_mismatched_docs_are_refused(blank_nlp, make_responses):
    responses = make_responses(["un texte"])
    with pytest.raises(ValueError):
        segment_responses(responses, parse_texts(["autre texte"], nlp=blank_nlp, progress=False))


@pytest.mark.model
def test_trained_model_sentences(fr_nlp):
    from transitions_analysis.core.nlp import load_nlp

    nlp = load_nlp()
    assert "senter" in nlp.pipe_names and "parser" not in nlp.pipe_names and "ner" not in nlp.pipe_names
    [doc] = parse_texts([LONG], nlp=nlp, progress=False)
    bounds = segment_bounds(doc)
    assert len(bounds) >= 2 and all(LONG[a:z] == LONG[a:z].strip() for a, z in bounds)
