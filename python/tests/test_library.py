"""Loading the library: lookup, version checks, the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import churnkit as ck
from churnkit import _lib

from conftest import ROOT


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT / "python"), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=full, timeout=60)


def test_library_version_matches_cli(cli):
    lib = _lib.lib()
    assert lib.abi == _lib.ABI_VERSION
    assert lib.version_number >= _lib.MIN_VERSION_NUMBER
    assert ck.library_version() == lib.version
    out = cli("--version").stdout
    assert lib.version in out


def test_abi_mismatch_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_lib, "ABI_VERSION", 99)
    with pytest.raises(ck.LibraryVersionError) as e:
        _lib.load_library(os.environ["CHURNKIT_LIBRARY"])
    assert "has C ABI 0" in str(e.value) and "needs ABI 99" in str(e.value)
    assert isinstance(e.value, ImportError)


def test_old_library_and_missing_functions_are_named():
    with pytest.raises(ck.LibraryVersionError, match="older than 0.1.0"):
        _lib.check_version("/x/libchurnkit.so", 0, 50, "0.0.50")
    with pytest.raises(ck.LibraryVersionError,
                       match="lacks 1 function.*ck_job_train"):
        _lib.check_version("/x/libchurnkit.so", 0, 100, "0.1.0",
                           ["ck_job_train"])


def test_missing_library_raises_on_first_use_not_on_import():
    proc = _run_python(
        "import churnkit as ck\n"
        "try:\n"
        "    ck.load('examples/data')\n"
        "except ck.LibraryNotFoundError as e:\n"
        "    print('not found:', e)\n",
        CHURNKIT_LIBRARY="/nonexistent/libchurnkit.so")
    assert proc.returncode == 0, proc.stderr
    assert "not found: CK_LIBRARY_NOT_FOUND" in proc.stdout
    assert "/nonexistent/libchurnkit.so (missing)" in proc.stdout


def test_library_found_in_a_directory_given_by_env():
    directory = os.path.dirname(os.path.abspath(
        os.environ["CHURNKIT_LIBRARY"]))
    proc = _run_python("import churnkit as ck; print(ck.library_path())",
                       CHURNKIT_LIBRARY=directory)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(directory)


def test_main_version_subcommand():
    proc = subprocess.run([sys.executable, "-m", "churnkit", "version",
                           "--json"], capture_output=True, text=True,
                          env=dict(os.environ,
                                   PYTHONPATH=str(ROOT / "python")),
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["package"] == ck.__version__
    assert info["abi"] == info["abi_expected"] == 0
    assert info["library"] == ck.library_version()
