"""The Python API: what ``import transitions_analysis as ta`` offers, and docs/api.md's example, run."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import transitions_analysis as ta
from transitions_analysis import config

ROOT = Path(__file__).resolve().parents[1]


def test_every_verb_of_the_facade_is_documented():
    for name in ("ingest", "code", "agree", "synthesise", "figures", "report", "read_coded", "write_coded"):
        function = getattr(ta, name)
        assert callable(function) and function.__doc__ and len(function.__doc__) > 80, name
    assert "Segment and code answers" in ta.code.__doc__


@pytest.mark.model
@pytest.mark.slow
def test_the_example_of_docs_api_runs(monkeypatch):
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.DOTALL).group(1)
    assert 4 <= len(block.strip().splitlines()) <= 6
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(block, "docs/api.md", "exec"), scope)  # noqa: S102 - the documentation's own example
    tables, ingested, coded = scope["tables"], scope["ingested"], scope["coded"]
    assert ingested.summary["balanced"] and len(ingested.responses) == ingested.summary["kept"]
    assert set(coded.codings["response_id"]) <= set(coded.responses["response_id"])
    shares = tables["principes_par_role"]
    assert {"role", "code", "share", "ci_low", "ci_high"} <= set(shares.columns) and shares["respondents"].gt(0).any()
    assert os.path.isdir(config.SAMPLE_FEEDBACK_DIR)
