"""The numbered notebooks, executed headless (papermill, the running Python as kernel) and
exported to HTML for the report."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import config

log = logging.getLogger(__name__)

KERNEL_NAME = "transitions-analysis-python"


@contextlib.contextmanager
def current_python_kernel() -> Iterator[str]:
    """A kernelspec named :data:`KERNEL_NAME` that runs the current Python (``sys.executable``),
    visible through ``JUPYTER_PATH`` for the duration of the context; yields its name."""
    with tempfile.TemporaryDirectory(prefix="ta-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python (transitions-analysis)", "language": "python",
                "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}}
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + old if old else "")
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def ipc_kernel_manager(socket_dir: str | Path) -> type:
    """A kernel manager class whose kernels talk over local sockets in ``socket_dir`` (IPC)
    rather than TCP: nothing listens on the network while notebooks run, and ipykernel has no
    « running over TCP without encryption » warning to print."""
    from jupyter_client.manager import AsyncKernelManager

    prefix = str(Path(socket_dir) / "k")

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", prefix)
            super().__init__(**kwargs)

    return IPCKernelManager


def notebook_paths(notebooks_dir: str | Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """Every numbered notebook source ``NN-*.py`` of ``notebooks_dir``, in order."""
    return sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]-*.py") if p.is_file())


def run_notebooks(
    out_dir: str | Path,
    parameters: Mapping[str, Any],
    *,
    notebooks_dir: str | Path = config.NOTEBOOKS_DIR,
    timeout: int = 600,
    only: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Execute each numbered notebook headless and export it to ``<out_dir>/NN-name.html``.

    Each ``notebooks/NN-*.py`` (jupytext py:percent) is converted to ``<out_dir>/notebooks/NN-name.ipynb``,
    executed by papermill with the entries of ``parameters`` that its ``parameters`` cell declares,
    in ``notebooks_dir`` as working directory, with the current Python as kernel; then exported by
    nbconvert (code shown, no In/Out prompts). A failing notebook is exported too (with its error)
    and reported, the others still run. Returns one dict per notebook: name, source, html, ipynb,
    status (``ok`` or ``échec``), error, seconds, href.
    """
    import jupytext
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    out = Path(out_dir)
    work = out / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # « alternative text is missing » on every figure
    results = []
    sources = [p for p in notebook_paths(notebooks_dir) if not only or p.stem in only or p.stem[:2] in only]
    with current_python_kernel() as kernel, tempfile.TemporaryDirectory(prefix="ta-ipc-") as sockets:
        manager = ipc_kernel_manager(sockets)
        for src in sources:
            nb = jupytext.read(src)
            nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python (transitions-analysis)", "language": "python"}
            ipynb_in = work / f"{src.stem}.source.ipynb"
            ipynb_out = work / f"{src.stem}.ipynb"
            nbformat.write(nb, ipynb_in)
            declared = pm.inspect_notebook(str(ipynb_in))
            params = {k: v for k, v in parameters.items() if k in declared}
            started = time.perf_counter()
            status, error = "ok", ""
            log.info("carnet %s : exécution (paramètres : %s)", src.name, ", ".join(sorted(params)) or "aucun")
            try:
                pm.execute_notebook(str(ipynb_in), str(ipynb_out), parameters=params, kernel_name=kernel,
                                    cwd=str(Path(notebooks_dir)), progress_bar=False, log_output=False,
                                    execution_timeout=timeout, kernel_manager_class=manager)
            except Exception as exc:  # a failed notebook is reported, the others still run
                status, error = "échec", f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
                log.error("carnet %s en échec : %s", src.name, error)
            seconds = time.perf_counter() - started
            log.info("carnet %s : %s en %.0f s", src.name, status, seconds)
            html_path = out / f"{src.stem}.html"
            if ipynb_out.is_file():
                body, _ = exporter.from_notebook_node(nbformat.read(ipynb_out, as_version=4))
                html_path.write_text(body, encoding="utf-8")
            ipynb_in.unlink(missing_ok=True)
            results.append({"name": src.stem, "source": str(src), "html": str(html_path), "ipynb": str(ipynb_out),
                            "status": status, "error": error, "seconds": round(seconds, 1), "href": html_path.name})
    return results
