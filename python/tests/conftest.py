"""Fixtures of the churnkit Python tests.

The library is the one ``CHURNKIT_LIBRARY`` names (ctest sets it to the
build's libchurnkit.so); without it the tests use build/default.  The CLI
the bindings are compared with is ``CHURNKIT_CLI``, else tools/churnkit
beside the library; tests that need it are skipped when it is missing.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import List

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
os.environ.setdefault("CHURNKIT_LIBRARY",
                      str(ROOT / "build" / "default" / "libchurnkit.so"))

import churnkit as ck  # noqa: E402

EXAMPLES = ROOT / "examples" / "data"
DATES = ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01",
         "2025-07-01"]
AS_OF = "2025-10-01"


def _cli_path() -> pathlib.Path:
    env = os.environ.get("CHURNKIT_CLI")
    if env:
        return pathlib.Path(env)
    lib = pathlib.Path(os.environ["CHURNKIT_LIBRARY"]).resolve()
    return lib.parent / "tools" / "churnkit"


@pytest.fixture(scope="session")
def cli():
    """Runs the churnkit CLI: ``cli("report", path, "--output", "json")``
    returns stdout (str); fails the test on a non-zero exit."""
    path = _cli_path()
    if not path.exists():
        pytest.skip(f"no churnkit CLI at {path}")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(path), *map(str, args)],
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"churnkit {' '.join(map(str, args))}: "
                                 f"exit {proc.returncode}: {proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory) -> pathlib.Path:
    """A generated data set (400 customers, seed 7), made once."""
    out = tmp_path_factory.mktemp("gen") / "data"
    ck.generate(out, customers=400, seed=7)
    return out


@pytest.fixture(scope="session")
def gen(gen_dir) -> ck.Dataset:
    return ck.load(gen_dir)


@pytest.fixture(scope="session")
def examples() -> ck.Dataset:
    return ck.load(EXAMPLES)


@pytest.fixture(scope="session")
def trained(gen) -> ck.TrainResult:
    return ck.train(gen, DATES, horizon_days=90)


@pytest.fixture(scope="session")
def features(gen) -> ck.FeatureMatrix:
    return ck.FeatureSet().compute(gen, AS_OF)


def csv_rows(text: str) -> List[dict]:
    import csv
    import io
    return list(csv.DictReader(io.StringIO(text)))


def loads(text: str) -> dict:
    return json.loads(text)


def canon(node):
    """A JSON value with protobuf's default-valued fields dropped and
    64-bit integers (JSON strings of digits) made numbers, so the CLI's
    JSON (which may print defaults) and the bindings' compare equal."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            v = canon(v)
            if v in (0, "", [], {}, False, None) and not isinstance(v, float) \
                    or (isinstance(v, float) and v == 0.0):
                continue
            out[k] = v
        return out
    if isinstance(node, list):
        return [canon(v) for v in node]
    if isinstance(node, str) and node.lstrip("-").isdigit():
        return int(node)
    return node


def assert_close(a, b, path="", rel=1e-9):
    """Recursive equality with a relative tolerance on floats."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{path}: keys {set(a) ^ set(b)}"
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}", rel)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]", rel)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        assert a == pytest.approx(b, rel=rel, abs=1e-12), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def client():
    """A dask.distributed LocalCluster of two worker processes (one task
    slot each) per test module, and its client."""
    pytest.importorskip("dask", reason="dask is not installed")
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True,
        dashboard_address=":0", silence_logs=50)
    c = distributed.Client(cluster, timeout="20s")
    yield c
    c.close()
    cluster.close()
