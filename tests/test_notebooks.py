"""The numbered notebooks: well-formed jupytext sources with a parameters cell, and executed
headless on the hand-made fixture by the report's runner (papermill, current Python kernel)."""

from __future__ import annotations

import re

import jupytext
import nbformat
import pytest

from transitions_analysis import config, reporting as report


def test_every_numbered_notebook_has_a_parameters_cell_of_constants():
    paths = report.notebook_paths()
    assert {"01-ingest-and-anonymise", "04-expectations-synthesis", "05-publication-figures"} <= {p.stem for p in paths}
    for path in paths:
        nb = jupytext.read(path)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
        params = nb.cells[1]
        assert params.cell_type == "code" and "parameters" in params.metadata.get("tags", []), path.name
        for line in params.source.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                assert re.match(r"^[A-Z][A-Z0-9_]* = ", line), f"{path.name}: {line!r} is not a constant"


def test_notebook_outputs_are_not_versioned():
    gitignore = (config.PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "notebooks/*.ipynb" in gitignore


@pytest.mark.slow
def test_synthesis_notebooks_execute_on_the_fixture(fixtures_dir, tmp_path):
    coded = fixtures_dir / "synthesis"
    params = {"CODED_DIR": str(coded), "INPUTS": [str(coded)], "INGEST_OUT": str(tmp_path / "ingest"),
              "FIGURES_DIR": str(tmp_path / "figures"), "K": 2, "SESSIONS": []}
    results = report.run_notebooks(tmp_path, params, only=["01", "04", "05"])
    assert [r["name"] for r in results] == ["01-ingest-and-anonymise", "04-expectations-synthesis", "05-publication-figures"]
    assert [r["status"] for r in results] == ["ok", "ok", "ok"], [r["error"] for r in results]
    # the injected parameters were used: K = 2 shows the État -> élus quotes (two people)
    nb = nbformat.read(tmp_path / "notebooks" / "04-expectations-synthesis.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "K = 2" in injected[0].source
    outputs = "".join(str(o) for c in nb.cells for o in c.get("outputs", []))
    assert "Des élus qui coopèrent entre intercommunalités." in outputs
    # 05 saved its figures where it was told
    assert (tmp_path / "figures" / "attentes_diagramme.svg").is_file()
    html = (tmp_path / "05-publication-figures.html").read_text(encoding="utf-8")
    assert "Figures pour la publication" in html and "In&nbsp;[" not in html


@pytest.mark.slow
def test_coding_notebook_runs_without_a_matching_human_coding(fixtures_dir, tmp_path):
    """On a new session nobody coded yet, notebook 02 says so instead of failing."""
    coded = fixtures_dir / "synthesis"
    params = {"CODED_DIR": str(coded), "HUMAN_CODINGS": str(tmp_path / "absent.csv"),
              "MODEL_OUT": str(tmp_path / "models" / "m.skops"), "REVIEW_OUT": str(tmp_path / "revue.xlsx")}
    results = report.run_notebooks(tmp_path, params, only=["02"])
    assert [r["status"] for r in results] == ["ok"], [r["error"] for r in results]
    nb = nbformat.read(tmp_path / "notebooks" / "02-thematic-coding.ipynb", as_version=4)
    outputs = "".join(str(o) for c in nb.cells for o in c.get("outputs", []))
    assert "pas d'évaluation ni de modèle ici" in outputs
    assert not (tmp_path / "models" / "m.skops").exists()


@pytest.mark.slow
@pytest.mark.model
def test_lexicometry_notebook_runs_on_the_fixture(fixtures_dir, tmp_path):
    params = {"CODED_DIR": str(fixtures_dir / "synthesis"), "K": 2, "N_CLASSES": 3, "QUERY": "coopér*",
              "KWIC_OUT": str(tmp_path / "kwic.csv")}
    results = report.run_notebooks(tmp_path, params, only=["06"])
    assert [r["status"] for r in results] == ["ok"], [r["error"] for r in results]
    kwic = (tmp_path / "kwic.csv").read_text(encoding="utf-8")
    assert kwic.splitlines()[0].startswith("segment_id") and "coopér" in kwic.lower()
    from html import unescape

    html = unescape((tmp_path / "06-lexicometry.html").read_text(encoding="utf-8"))
    assert "Les mots propres à chaque catégorie" in html and "mondes lexicaux" in html and "<img" in html
