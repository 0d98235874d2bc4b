"""Customer partitions, threads and churnkit.dask (issue 17).

Per-customer results over partitions — on a LocalCluster of two worker
processes and in this process without a cluster — equal the single-process
results on the whole data set bit for bit; a worker killed during a run
does not change them; bad input raises clear errors.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import churnkit as ck
import churnkit.dask as ckd  # imports dask only when a function needs it

from conftest import AS_OF

ASSESS_CONFIG = {"horizon_days": 14}


# ------------------------------------------------------------ partitioning

@pytest.fixture(scope="module")
def parts(gen_dir, tmp_path_factory) -> ck.PartitionResult:
    return ck.partition(gen_dir, 3, tmp_path_factory.mktemp("p") / "parts")


def test_partition_puts_every_customer_in_one_part(gen, parts):
    assert len(parts) == parts.partitions == 3
    assert [p.index for p in parts] == [0, 1, 2]
    assert parts.unrouted == 0 and parts.rows_read > gen.num_customers
    assert list(parts.table.columns) == ["index", "rows", "paths"]
    ids = []
    for p in parts:
        assert p.paths and all(os.path.isabs(x) for x in p.paths)
        assert p.rows > 0 and p.load["paths"] == p.paths
        ids.extend(p.load_dataset().customer_ids)
    assert len(ids) == len(set(ids)) == gen.num_customers
    assert set(ids) == set(gen.customer_ids)


def test_partition_result_reopens_and_pickles(parts):
    import pickle
    again = ck.open_partitions(parts.out_dir)
    assert again.raw == parts.raw
    assert [p.load for p in again] == [p.load for p in parts]
    back = pickle.loads(pickle.dumps(parts))
    assert back.raw == parts.raw and back[2].load == parts[2].load
    with pytest.raises(ck.NotFoundError, match="partitions.textproto"):
        ck.open_partitions(os.path.join(parts.out_dir, "part-00000"))


def test_partition_bad_input_leaves_nothing(gen_dir, parts, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ck.InvalidArgumentError,
                       match="partitions: must be in 1..4096, got 0"):
        ck.partition(gen_dir, 0, out)
    with pytest.raises(ck.InvalidArgumentError, match="got 5000"):
        ck.partition(gen_dir, 5000, out)
    with pytest.raises(ck.NotFoundError):
        ck.partition(tmp_path / "missing", 2, out)
    assert not out.exists()
    with pytest.raises(ck.AlreadyExistsError):
        ck.partition(gen_dir, 2, parts.out_dir)
    with pytest.raises(TypeError):
        ck.partition(gen_dir, "2", out)  # type: ignore[arg-type]
    assert not out.exists()


# ----------------------------------------------------------------- threads

def test_threads_are_per_calling_thread():
    assert ck.get_threads() == 0
    ck.set_threads(1)
    try:
        assert ck.get_threads() == 1
        seen = []
        t = threading.Thread(target=lambda: seen.append(ck.get_threads()))
        t.start()
        t.join()
        assert seen == [0]
    finally:
        ck.set_threads(0)
    assert ck.get_threads() == 0
    with pytest.raises(ck.InvalidArgumentError, match="0..4096, got -1"):
        ck.set_threads(-1)
    with pytest.raises(ck.InvalidArgumentError):
        ck.set_threads(1 << 40)
    with pytest.raises(TypeError):
        ck.set_threads(1.5)  # type: ignore[arg-type]


# ------------------------------------------------------------ single process

@pytest.fixture(scope="module")
def expected(gen, trained):
    """The single-process results on the whole data set, in customer-id
    order."""
    model = trained.model
    x = ck.FeatureSet().compute(gen, AS_OF).to_frame()
    scores = pd.DataFrame({"churn_probability": model.predict(x)},
                          index=x.index)
    a = ck.assess(gen, AS_OF, model=model, config=ASSESS_CONFIG)

    def by_id(df):
        return df.sort_values("customer_id", kind="stable").reset_index(
            drop=True)

    return {
        "features": x.sort_index(kind="stable"),
        "scores": scores.sort_index(kind="stable"),
        "labels": by_id(ck.labels(gen, AS_OF).labels),
        "assessments": by_id(a.customers[ckd.ASSESS_COLUMNS]),
        "dimensions": by_id(a.dimensions),
        "churn_reasons": by_id(a.churn_reasons),
    }


def assert_bits_equal(got, want):
    assert set(want) <= set(got)
    for name, w in want.items():
        g = got[name]
        pd.testing.assert_frame_equal(g, w, check_exact=True, obj=name)
        for col in w.columns:
            if w[col].dtype == np.float64:
                a, b = g[col].to_numpy(), w[col].to_numpy()
                assert np.array_equal(a, b, equal_nan=True), (name, col)
                assert a.tobytes() == b.tobytes(), (name, col)  # bit for bit
        assert list(g.index) == list(w.index), name


def run_all(parts, trained, **kw):
    return ckd.run(parts, AS_OF, steps=ckd.STEPS, model=trained.model,
                   config=ASSESS_CONFIG, **kw)


def test_without_a_cluster_equals_the_whole(gen, parts, trained,
                                           expected):
    got = run_all(parts, trained)
    assert_bits_equal(got, expected)
    assert list(got["info"]["index"]) == [0, 1, 2]
    assert (got["info"]["where"] == "this process").all()
    assert got["info"]["customers"].sum() == gen.num_customers
    assert set(ckd.run(parts, AS_OF, steps="labels")) == {"labels", "info"}
    # the one-step helpers and a directory as `parts`
    x = ckd.features(parts.out_dir, AS_OF)
    assert x.to_numpy().tobytes() == expected["features"].to_numpy(
    ).tobytes()
    pd.testing.assert_frame_equal(ckd.scores(parts, AS_OF, trained.model),
                                  expected["scores"], check_exact=True)


def test_without_a_cluster_dask_dataframes(parts, expected):
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    lazy = ckd.run(parts, AS_OF, steps=("features",), output="dask")
    assert lazy["features"].npartitions == 3  # lazily, one per partition
    x = lazy["features"].compute(scheduler="sync").sort_index(kind="stable")
    assert x.to_numpy().tobytes() == expected["features"].to_numpy(
    ).tobytes()


def test_without_a_cluster_bad_input(parts, trained, tmp_path):
    with pytest.raises(ck.InvalidArgumentError, match="no partitions"):
        ckd.run([], AS_OF)
    with pytest.raises(ck.InvalidArgumentError, match="not a step"):
        ckd.run(parts, AS_OF, steps=("fit",))
    with pytest.raises(ck.InvalidArgumentError, match="model: required"):
        ckd.run(parts, AS_OF, steps=("scores",))
    with pytest.raises(ck.InvalidArgumentError, match="red_share"):
        ckd.assess(parts, AS_OF, config={"red_share": 0.1})
    with pytest.raises(ck.InvalidArgumentError, match="threads"):
        ckd.run(parts, AS_OF, threads=-1)
    with pytest.raises(ck.InvalidArgumentError, match="output"):
        ckd.run(parts, AS_OF, output="arrow")
    broken = copy_without_part(parts, tmp_path, 1)
    with pytest.raises(ck.NotFoundError, match="partition 1 .*this process"):
        ckd.features(broken, AS_OF)


def copy_without_part(parts, tmp_path, index):
    """A copy of the partitions with partition ``index``'s files gone."""
    out = tmp_path / "copy"
    shutil.copytree(parts.out_dir, out)
    text = (out / "partitions.textproto").read_text()
    (out / "partitions.textproto").write_text(
        text.replace(str(parts.out_dir), str(out)))
    shutil.rmtree(out / f"part-{index:05d}")
    return ck.open_partitions(out)


# ------------------------------------------------------------------ cluster


def test_cluster_equals_the_whole(client, parts, trained, expected):
    got = run_all(parts, trained, client=client)
    assert_bits_equal(got, expected)
    info = got["info"]
    assert info["where"].str.startswith("worker tcp://").all()
    # the host's cores shared among the two workers' task slots
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    assert (info["threads"] == share).all()
    assert set(ckd.worker_threads(client).values()) == {share}
    assert ck.get_threads() == 0  # untouched in this process


def test_cluster_dask_dataframes(client, parts, expected):
    got = ckd.run(parts, AS_OF, steps=("features", "labels"), client=client,
                  output="dask")
    assert got["features"].npartitions == 3
    x = got["features"].compute().sort_index(kind="stable")
    assert x.to_numpy().tobytes() == expected["features"].to_numpy(
    ).tobytes()
    lab = got["labels"].compute().sort_values(
        "customer_id", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(lab, expected["labels"], check_exact=True)


def test_a_killed_worker_does_not_change_the_result(client, parts, trained,
                                                     expected):
    futures = ckd.submit(parts, AS_OF, client=client, steps=ckd.STEPS,
                         model=trained.model, config=ASSESS_CONFIG)
    from distributed import wait
    wait(futures, timeout=60)
    # kill (SIGKILL) a worker process holding results: its partitions'
    # results are lost, and Dask recomputes them on the workers left (or
    # on the worker its nanny restarts)
    holders = client.who_has(futures)
    victim = next(iter(holders[futures[0].key]))
    pids = client.run(os.getpid)
    lost = [f.key for f in futures if victim in holders[f.key]]
    assert lost
    os.kill(pids[victim], signal.SIGKILL)
    deadline = time.time() + 30
    while victim in client.scheduler_info()["workers"]:
        assert time.time() < deadline, "the scheduler kept the dead worker"
        time.sleep(0.1)
    got = ckd.gather(futures, client=client)
    assert_bits_equal(got, expected)
    info = got["info"].set_index("index")
    for f, p in zip(futures, parts):
        if f.key in lost:  # recomputed in another process
            assert info.loc[p.index, "pid"] != pids[victim]


def test_a_worker_killed_mid_run_does_not_change_the_result(
        client, parts, trained, expected):
    client.wait_for_workers(2, timeout=30)  # the restarted one is back
    futures = ckd.submit(parts, AS_OF, client=client, steps=ckd.STEPS,
                         model=trained.model, config=ASSESS_CONFIG)
    keys = {f.key for f in futures}
    victim, deadline = None, time.time() + 30
    while victim is None:  # a worker while it runs one of the tasks
        assert time.time() < deadline, "no task started"
        for worker, running in client.processing().items():
            if keys & set(running):
                victim = worker
                break
        else:
            time.sleep(0.002)
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    got = ckd.gather(futures, client=client)
    assert_bits_equal(got, expected)
    assert pid not in set(got["info"]["pid"])  # its work was redone


def test_cluster_bad_input(client, parts, tmp_path):
    broken = copy_without_part(parts, tmp_path, 2)
    with pytest.raises(ck.NotFoundError,
                       match="partition 2 .*on worker tcp://"):
        ckd.features(broken, AS_OF, client=client)
    # a worker with another churnkit: each task compares its versions with
    # those the client sends
    p = parts[0]
    bad = dict(ckd._expected_version(), version="0.0.0-other")
    future = client.submit(ckd._run_partition, p.load_options(), p.index,
                           p.paths, AS_OF, ("features",), {}, bad,
                           pure=False)
    with pytest.raises(ck.LibraryVersionError,
                       match="client has churnkit 0.0.0-other"):
        future.result(timeout=30)


def test_missing_dask_is_a_clear_import_error(parts, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # not importable
    with pytest.raises(ImportError, match="churnkit.dask needs dask and "
                                          "distributed.*apt-get install"):
        ckd.connect("tcp://127.0.0.1:8786")
    with pytest.raises(ImportError, match="python3-distributed"):
        ckd.run(parts, AS_OF, output="dask")
    # the no-cluster path needs neither
    assert len(ckd.labels(parts, AS_OF)) > 0


def test_unreachable_scheduler_is_a_clear_error(parts):
    pytest.importorskip("distributed",
                        reason="dask.distributed is not installed")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.time()
    with pytest.raises(ck.UnavailableError,
                       match=f"cannot reach the dask scheduler at "
                             f"tcp://127.0.0.1:{port} within 1s"):
        ckd.connect(f"tcp://127.0.0.1:{port}", timeout="1s")
    assert time.time() - start < 15


def test_a_closed_client_is_a_clear_error(parts):
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed")
    cluster = distributed.LocalCluster(n_workers=0, processes=False,
                                       dashboard_address=":0")
    c = distributed.Client(cluster, timeout="5s")
    with pytest.raises(ck.UnavailableError, match="no dask worker joined"):
        ckd.features(parts, AS_OF, client=c, timeout=0.5)
    c.close()
    cluster.close()
    with pytest.raises(ck.UnavailableError,
                       match="not connected to its scheduler"):
        ckd.features(parts, AS_OF, client=c)
    with pytest.raises(TypeError, match="Client or None"):
        ckd.features(parts, AS_OF, client="tcp://127.0.0.1:8786")
