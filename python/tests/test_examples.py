"""The documentation's quick start and the example script run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT / "python"))


def test_docs_quick_start_runs_as_written():
    text = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "churnkit.Dataset 16 customers" in proc.stdout


def test_example_script_runs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python_quickstart.py")],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for line in ("generated: <churnkit.Dataset 2000 customers",
                 "held-out ROC-AUC", "value x risk:", "2025:"):
        assert line in proc.stdout
