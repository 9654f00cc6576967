"""Issue 10, « Also found on the way », and the data/raw guard of every writer (defect 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from transitions_analysis import config
from transitions_analysis.cli import main
from transitions_analysis.ingestion import collect_files
from transitions_analysis.pipeline import find_human_codings

ROOT = Path(__file__).resolve().parents[1]


def test_the_sample_folder_as_a_new_user_types_it_reads_its_exports_and_its_human_coding():
    files, skipped = collect_files([config.SAMPLE_DIR])
    direct, _ = collect_files([config.SAMPLE_FEEDBACK_DIR])
    assert [s for _, s in files] == [s for _, s in direct]  # same source names: same response ids
    assert find_human_codings([config.SAMPLE_DIR]) == config.SAMPLE_HUMAN_CODINGS


def test_a_human_coding_file_beside_exports_is_used_as_such_not_as_answers(tmp_path):
    (tmp_path / "export.csv").write_text("text\nUne réponse.\n", encoding="utf-8")
    (tmp_path / "double_codage.csv").write_text("response_id,coder,code\nR1,a,x\n", encoding="utf-8")
    files, skipped = collect_files([tmp_path])
    assert [s for _, s in files] == ["export.csv"]
    assert [s["file"] for s in skipped] == ["double_codage.csv"]
    assert find_human_codings([tmp_path]) == tmp_path / "double_codage.csv"


def test_notebooks_follow_the_copy_of_the_repository_they_run_in(tmp_path):
    copy = tmp_path / "copie"
    (copy / "notebooks").mkdir(parents=True)
    (copy / "pyproject.toml").write_text('[project]\nname = "transitions-analysis"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", "from transitions_analysis import config; print(config.PROJECT_ROOT)"],
                         cwd=copy / "notebooks", capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == copy.resolve()


def test_make_lab_passes_allow_root_when_run_as_root():
    recipe = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    line = next(line for line in recipe.splitlines() if "jupyter lab" in line)
    shown = subprocess.run(["sh", "-c", line.replace(".venv/bin/jupyter lab", "echo")], capture_output=True, text=True).stdout
    assert ("--allow-root" in shown) == (subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0")
    assert "--allow-root" in line


@pytest.mark.parametrize("argv", [
    ["export-qdc", "--out", "{raw}/codebook.qdc"],
    ["export-qdpx", str(ROOT / "tests" / "fixtures" / "synthesis"), "--out", "{raw}/projet.qdpx"],
    ["agree", str(ROOT / "tests" / "fixtures" / "agree" / "two_coders.csv"), "--bootstrap", "0",
     "--disagreements", "{raw}/desaccords.xlsx"],
    ["import-qdc", str(ROOT / "tests" / "fixtures" / "qda" / "taguette-1.5.2-codebook.qdc"), "--out", "{raw}/cb.yaml"],
])
def test_no_writer_writes_into_data_raw(tmp_path, capsys, argv):
    raw = tmp_path / "projet" / "data" / "raw"
    code = main([a.format(raw=raw) for a in argv])
    assert code == 2
    assert "data/raw" in capsys.readouterr().err
    assert not raw.exists() or not any(raw.iterdir())
