"""Figures drawn from the hand-made coded fixture: content read back from the artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, ConnectionStyle, FancyArrowPatch  # noqa: E402

from transitions_analysis import config, plots as figures  # noqa: E402
from transitions_analysis import synthesis as syn  # noqa: E402
from transitions_analysis.core.io import read_coded  # noqa: E402


@pytest.fixture(scope="module")
def tables(fixtures_dir):
    return syn.synthesise(read_coded(fixtures_dir / "synthesis"))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def texts(ax):
    return [t.get_text() for t in ax.texts]


def ticklabels(axis):
    return [t.get_text() for t in axis.get_ticklabels()]


def test_style_file_ships_with_the_package():
    assert config.MPL_STYLE.is_file()
    style = matplotlib.rc_params_from_file(str(config.MPL_STYLE), use_default_template=False)
    assert style["svg.hashsalt"] and "DejaVu Sans" in style["font.sans-serif"]
    colors = [c.upper().lstrip("#") for c in style["axes.prop_cycle"].by_key()["color"]]
    assert colors[:3] == ["E69F00", "56B4E9", "009E73"]  # Okabe-Ito


def test_principles_heatmap_labels_and_annotations(tables):
    fig = figures.plot_principles_by_role(tables["principes_par_role"])
    ax = fig.axes[0]
    assert ticklabels(ax.xaxis) == ["Engagement", "Coopération", "Approche\nsystémique", "Valeur créée"]
    ylabels = ticklabels(ax.yaxis)
    assert ylabels[0] == "Élu·es\n(n = 5)" and ylabels[3] == "Services de l'État\n(n = 2)"
    assert ylabels[-1] == "Ensemble\n(n = 17)"
    assert ax.get_xlabel() == "Principe mentionné" and ax.get_ylabel() == "Catégorie d'acteurs"
    notes = texts(ax)
    assert "60\u00a0%\n3/5" in notes and "80\u00a0%\n4/5" in notes and "0\u00a0%\n0/4" in notes
    assert len(notes) == 6 * 4
    assert fig.axes[1].get_ylabel() == "Part des répondant·es (%)"  # colour bar


def test_expectations_diagram_nodes_arrows_and_labels(tables):
    matrix = tables["matrice_attentes"]
    fig = figures.plot_expectations_diagram(matrix)
    ax = fig.axes[0]
    nodes = [p for p in ax.patches if isinstance(p, Circle) and (p.get_gid() or "").startswith("node:")]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and (p.get_gid() or "").startswith("arrow:")]
    assert sorted(n.get_gid() for n in nodes) == ["node:agent", "node:elu", "node:etat", "node:socio_eco"]
    four = matrix[matrix["from_role"].isin(["elu", "agent", "socio_eco", "etat"])
                  & matrix["to_role"].isin(["elu", "agent", "socio_eco", "etat"]) & (matrix["respondents"] > 0)]
    assert len(arrows) == len(four) == 8
    labels = {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("label:")}
    assert labels["label:elu->etat"] == "3" and labels["label:etat->elu"] == "2"
    # A -> B and B -> A are arcs bending to opposite sides: their labels do not coincide
    positions = {t.get_gid(): np.array(t.get_position()) for t in ax.texts if (t.get_gid() or "").startswith("label:")}
    assert np.linalg.norm(positions["label:elu->etat"] - positions["label:etat->elu"]) > 0.15
    styles = [a.get_connectionstyle() for a in arrows]
    assert all(isinstance(cs, ConnectionStyle.Arc3) and cs.rad != 0 for cs in styles)
    widths = {a.get_gid(): a.get_linewidth() for a in arrows}
    assert widths["arrow:elu->etat"] > widths["arrow:elu->agent"]  # 3 respondents vs 1
    assert any("ce que A attend de B" in t for t in texts(ax))


def test_expectations_heatmap_marks_withheld_cells(tables):
    fig = figures.plot_expectations_heatmap(tables["matrice_attentes"], k=3)
    ax = fig.axes[0]
    hatched = sorted(p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith("withheld:"))
    assert hatched == sorted(["withheld:elu->agent", "withheld:agent->etat", "withheld:socio_eco->agent",
                              "withheld:etat->elu", "withheld:etat->socio_eco", "withheld:inconnu->etat"])
    notes = texts(ax)
    assert "3\n(4 seg.)" in notes and notes.count("—") == 4  # the diagonal of the four roles
    assert ticklabels(ax.yaxis) == ["Élu·es", "Agent·es", "Socio-éco.", "État", "Inconnu"]
    assert "moins de 3 répondant·es" in fig._supxlabel.get_text()


def test_principles_by_session_panels(tables):
    fig = figures.plot_principles_by_group(tables["principes_par_session"], by="session")
    axes = [a for a in fig.axes]
    assert len(axes) == 4
    assert [a.get_title(loc="left") for a in axes] == ["Engagement", "Coopération", "Approche systémique", "Valeur créée"]
    assert ticklabels(axes[-1].xaxis) == ["21/09\n2022\n(n = 6)", "16/11\n2022\n(n = 5)", "15/03\n2023\n(n = 5)"]
    line = axes[1].get_lines()[0]
    assert np.allclose(line.get_ydata(), [400 / 6, 20, 20])  # cooperation: 4/6, 1/5, 1/5


def test_programme_timeline_bars(tables):
    fig = figures.plot_programme_timeline(tables["indicateurs_sessions"])
    ax = fig.axes[0]
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [5, 5, 6]
    assert ax.get_ylabel() == "Participant·es" and ax.get_xlabel() == "Date de la session"
    fig.canvas.draw()
    assert any(lbl in ("oct. 2022", "janv. 2023", "avr. 2023") for lbl in ticklabels(ax.xaxis))


def test_cooccurrence_heatmap(tables):
    fig = figures.plot_cooccurrence(tables["cooccurrences"])
    ax = fig.axes[0]
    assert ticklabels(ax.yaxis)[:2] == ["Engagement", "Coopération"]
    notes = texts(ax)
    assert "12" in notes and "2" in notes  # cooperation diagonal; cooperation x État


def test_answers_figures(tables):
    fig = figures.plot_answers(tables["reponses_par_session"], by="session")
    ax = fig.axes[0]
    assert ticklabels(ax.yaxis) == ["21/09/2022", "16/11/2022", "15/03/2023", "sans date"]
    assert [p.get_width() for p in ax.patches] == [17, 11, 10, 2]
    fig = figures.plot_answers(tables["reponses_par_role"], by="role")
    assert ticklabels(fig.axes[0].yaxis)[0] == "Élu·es"
    fig = figures.plot_answers(tables["reponses_par_question"], by="question")
    assert ticklabels(fig.axes[0].yaxis)[0].startswith("Qu'avez-vous retenu de cette journée ?")
    with pytest.raises(ValueError):
        figures.plot_answers(tables["reponses_par_role"], by="nope")


def test_save_figure_writes_three_deterministic_formats(tables, tmp_path):
    fig = figures.plot_expectations_diagram(tables["matrice_attentes"])
    paths = figures.save_figure(fig, "diagramme", tmp_path / "a")
    again = figures.save_figure(fig, "diagramme", tmp_path / "b")
    assert set(paths) == {"svg", "pdf", "png"}
    for fmt in paths:
        assert paths[fmt].read_bytes() == again[fmt].read_bytes(), fmt
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    from PIL import Image

    with Image.open(paths["png"]) as im:
        dpi = im.info.get("dpi", (0, 0))[0]
        assert round(dpi) == 300
        assert im.size[0] / 300 <= figures.COLUMN_WIDTH + 0.2  # a journal column


def test_draw_figures_saves_every_figure(tables, tmp_path):
    out = figures.draw_figures(tables, tmp_path)
    assert set(out) == set(figures.FIGURES)
    assert all(p.is_file() for paths in out.values() for p in paths.values())
