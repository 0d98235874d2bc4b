"""The churn model trained over customer partitions (issue 17).

``churnkit.dask.train`` — on a LocalCluster of two worker processes and in
this process without a cluster — equals ``Model.fit`` on the training rows
of the whole panel (``churnkit.train_panel``) with the resolved request's
options and Newton: the same clipping bounds, means and scales to
rounding, coefficients within 1e-9 relative, and the same held-out
evaluation; a worker killed during the fit does not change it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import churnkit as ck
import churnkit.dask as ckd

from conftest import DATES


@pytest.fixture(scope="module")
def parts(gen_dir, tmp_path_factory) -> ck.PartitionResult:
    return ck.partition(gen_dir, 3, tmp_path_factory.mktemp("p") / "parts")


TRAIN = {"horizon_days": 90, "panel_label": "PANEL_LABEL_CHURNED_AT_END"}


@pytest.fixture(scope="module")
def whole(gen):
    """The model and held-out evaluation single-process."""
    panel, request = ck.train_panel(gen, ck.train_request(DATES, **TRAIN))
    held = panel.as_of >= ck.parse_time(request["test_from"])
    x, y = panel.to_frame(index="row"), panel.labels
    options = dict(request["fit"], solver="SOLVER_NEWTON_CHOLESKY")
    model = ck.Model.fit(x[~held], y[~held], options=options)
    return model, ck.evaluate(y[held], model.predict(x[held])), options


def assert_same_model(got: ck.Model, want: ck.Model) -> None:
    g, w = got.raw, want.raw
    assert got.feature_names == want.feature_names
    assert g["clip_lower"] == w["clip_lower"]
    assert g["clip_upper"] == w["clip_upper"]
    np.testing.assert_allclose(g["means"], w["means"], rtol=1e-12)
    np.testing.assert_allclose(g["scales"], w["scales"], rtol=1e-12)
    np.testing.assert_allclose(g["coefficients"], w["coefficients"],
                               rtol=1e-9, atol=1e-12)
    assert abs(got.intercept - want.intercept) <= 1e-9 * abs(want.intercept)
    assert g["report"]["iterations"] == w["report"]["iterations"]
    assert g["report"]["rows"] == w["report"]["rows"]


def assert_same_result(got: ckd.PartitionedTrainResult, whole) -> None:
    model, held_out, _ = whole
    assert_same_model(got.model, model)
    assert got.held_out.count == held_out.count
    assert got.held_out.positives == held_out.positives
    assert got.held_out.roc_auc == pytest.approx(held_out.roc_auc, abs=1e-9)
    assert got.rounds == 3 + got.model.raw["report"]["evaluations"]


def test_without_a_cluster_equals_the_whole_fit(parts, whole, gen):
    got = ckd.train(parts, DATES, **TRAIN)
    assert_same_result(got, whole)
    # The train job (L-BFGS above 64 features) reaches the same optimum
    # to its tolerance.
    job = ck.train(gen, DATES, **TRAIN)
    assert got.held_out.roc_auc == pytest.approx(job.held_out.roc_auc,
                                                 abs=2e-3)
    assert got.request["test_from"] == job.raw["test_from"]


def test_partitioned_fit_driven_by_hand(gen, whole):
    panel = ck.training_panel(gen, DATES, horizon_days=90)
    x, y = panel.to_frame(index="row"), panel.labels
    options = whole[2]
    session = ck.PartitionedFit(list(x.columns), options)
    cuts = np.array_split(np.arange(len(y)), 4)
    while not session.advance([ck.fit_partial(session.round, x.iloc[c],
                                              y[c]) for c in cuts]):
        pass
    want = ck.Model.fit(x, y, options=options)
    assert_same_model(session.model(), want)
    with pytest.raises(ck.InvalidArgumentError, match="another fit"):
        other = ck.PartitionedFit(list(x.columns))
        session2 = ck.PartitionedFit(list(x.columns))
        session2.advance([ck.fit_partial(other.round, x, y)])


def test_bad_input(parts, gen):
    with pytest.raises(ck.InvalidArgumentError, match="PENALTY_L1"):
        ckd.train(parts, DATES, fit={"penalty": "PENALTY_L1"})
    with pytest.raises(ck.InvalidArgumentError, match="SOLVER_LBFGS"):
        ck.PartitionedFit(["a"], {"solver": "SOLVER_LBFGS"})
    session = ck.PartitionedFit(["a", "b"])
    with pytest.raises(ck.FailedPreconditionError, match="not done"):
        session.model()
    with pytest.raises(ck.InvalidArgumentError, match="partials\\[0\\]"):
        session.advance([b"\xff\xff garbage"])
    with pytest.raises(ck.InvalidArgumentError, match="column 1 is 'c'"):
        ck.fit_partial(session.round, np.zeros((2, 2)), [0, 1],
                       columns=["a", "c"])


# ------------------------------------------------------------------ cluster


def test_cluster_equals_the_whole_fit(client, parts, whole):
    assert_same_result(ckd.train(parts, DATES, client=client, **TRAIN),
                       whole)


def test_a_worker_killed_during_the_fit_does_not_change_it(client, parts,
                                                           whole):
    client.wait_for_workers(2, timeout=30)
    result = {}

    def run() -> None:
        result["train"] = ckd.train(parts, DATES, client=client, **TRAIN)

    fitting = threading.Thread(target=run)
    fitting.start()
    # a worker holding a partition's panel, while the fit goes on
    victim, deadline = None, time.time() + 60
    while victim is None:
        assert time.time() < deadline, "no panel was computed"
        for worker, keys in client.has_what().items():
            if any(str(k).startswith("churnkit-panel-") for k in keys):
                victim = worker
                break
        else:
            time.sleep(0.005)
    alive = fitting.is_alive()
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
    fitting.join(120)
    assert not fitting.is_alive()
    assert alive, "the fit ended before the worker was killed"
    assert_same_result(result["train"], whole)
