from __future__ import annotations

import subprocess
import sys

from transitions_analysis.cli import COMMANDS, build_parser, main


def test_help_lists_every_subcommand_in_french(capsys):
    assert main([]) == 1
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out
    assert "afficher cette aide" in out
    assert "show this help" not in out


def test_subcommand_help_is_french_too():
    for name in COMMANDS:
        parser = build_parser()
        text = parser._subparsers._group_actions[0].choices[name].format_help()
        assert "afficher cette aide" in text, name
        assert "show this help" not in text, name
        assert "positional arguments" not in text, name


def test_console_script_runs_as_module():
    out = subprocess.run([sys.executable, "-m", "transitions_analysis", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("transitions-analysis ")


def test_a_command_takes_arrow_buffers_from_the_system_allocator(monkeypatch):
    """pandas' strings are Arrow buffers: a command allocates them with the C library's
    allocator (``config.ARROW_MEMORY_POOL``), which reuses what Python objects free."""
    import pyarrow

    from transitions_analysis import config

    previous = pyarrow.default_memory_pool()
    try:
        pyarrow.set_memory_pool(pyarrow.mimalloc_memory_pool())  # Arrow's default where it has mimalloc
        monkeypatch.setattr(config, "ARROW_MEMORY_POOL", "system")
        assert main([]) == 1  # no command: the help, exit status 1
        assert pyarrow.default_memory_pool().backend_name == "system"
    finally:
        pyarrow.set_memory_pool(previous)
