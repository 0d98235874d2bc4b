"""Alert routing over customer partitions (issue 17).

``churnkit.dask.assess(..., routing=True)`` — on a LocalCluster of two
worker processes and in this process without a cluster — equals
``churnkit.assess`` on the whole data set: every customer's score, colour
(``red_share`` included), alerts with their ranks, tasks and routing to
automated care, and the alert summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnkit as ck
import churnkit.dask as ckd

from conftest import AS_OF

# Capacity that binds (2 alerts per owner per fortnight) and colours from
# capacity: both decided over the whole run.
ROUTED_CONFIG = {"horizon_days": 14, "red_share": 0.1,
                 "alerts": {"tasks_per_owner_per_week": 1}}
TABLES = ("assessments", "dimensions", "churn_reasons", "alerts", "tasks")


@pytest.fixture(scope="module")
def parts(gen_dir, tmp_path_factory) -> ck.PartitionResult:
    return ck.partition(gen_dir, 3, tmp_path_factory.mktemp("p") / "parts")


def whole(gen, model, config):
    """ck.assess of the whole data set, its tables in customer-id order."""
    a = ck.assess(gen, AS_OF, model=model, config=config)

    def by_id(df):
        return df.sort_values("customer_id", kind="stable").reset_index(
            drop=True)

    out = {name: by_id(getattr(a, "customers" if name == "assessments"
                               else name)) for name in TABLES}
    out["owners"] = a.owners
    out["summary"] = a.summary
    s = a.raw["assessment"].get("alert_summary", {})
    out["alert_summary"] = {
        k: int(s.get(k, 0)) for k in (
            "alerts", "reasons", "routed_to_automated_care",
            "routed_below_risk_floor", "capacity_per_owner")}
    out["alert_summary"]["risk_floor"] = float(s.get("risk_floor", 0.0))
    return out


def assert_same_run(got, want):
    for name in TABLES + ("owners",):
        g, w = got[name], want[name]
        pd.testing.assert_frame_equal(g, w, check_exact=True, obj=name)
        for col in w.columns:
            if w[col].dtype == np.float64:  # bit for bit, NaN included
                assert g[col].to_numpy().tobytes() == w[col].to_numpy(
                ).tobytes(), (name, col)
    assert got["summary"] == want["summary"]
    assert got["alert_summary"] == want["alert_summary"]


@pytest.fixture(scope="module")
def expected(gen, trained):
    return whole(gen, trained.model, ROUTED_CONFIG)


def test_routing_without_a_cluster_equals_the_whole(parts, trained,
                                                   expected):
    got = ckd.assess(parts, AS_OF, model=trained.model, config=ROUTED_CONFIG,
                     routing=True)
    assert_same_run(got, expected)
    s = expected["alert_summary"]
    # the run-wide decisions were exercised: the floor, binding capacity
    assert s["alerts"] > 0 and s["risk_floor"] > 0
    assert s["routed_to_automated_care"] > s["routed_below_risk_floor"]
    colours = expected["summary"]["colours"]
    assert 0 < colours["RED"]


def test_routing_without_a_model_or_red_share(gen, parts):
    got = ckd.assess(parts, AS_OF, routing=True)
    assert_same_run(got, whole(gen, None, None))


def test_run_routes_the_assess_step_with_the_others(parts, trained,
                                                   expected):
    got = ckd.run(parts, AS_OF, steps=("labels", "assess"),
                  model=trained.model, config=ROUTED_CONFIG, routing=True)
    assert_same_run(got, expected)
    assert "labels" in got and list(got["info"]["index"]) == [0, 1, 2]
    with pytest.raises(ck.InvalidArgumentError, match="output"):
        ckd.run(parts, AS_OF, steps=("assess",), routing=True,
                output="dask")
    with pytest.raises(ck.InvalidArgumentError, match="routing=True"):
        ckd.assess(parts, AS_OF, config={"red_share": 0.1})


# (conftest's `client`: a LocalCluster of two worker processes)

def test_routing_on_a_cluster_equals_the_whole(client, parts, trained,
                                              expected):
    got = ckd.assess(parts, AS_OF, client=client, model=trained.model,
                     config=ROUTED_CONFIG, routing=True)
    assert_same_run(got, expected)
    # the partitions kept on the workers are released at the end
    loads = [k for k in client.run_on_scheduler(
        lambda dask_scheduler: list(dask_scheduler.tasks))
        if k.startswith("churnkit-route-load-")]
    assert loads == []  # released at the end


def test_the_steps_reject_mismatched_plans(gen, parts, trained):
    ds = [p.load_dataset() for p in parts]
    q = ck.assess_request(AS_OF, model=trained.model, config=ROUTED_CONFIG)
    with pytest.raises(ck.InvalidArgumentError,
                       match="cutoffs: required with config.red_share"):
        ck.assess_candidates(ds[0], q)
    cutoffs = ck.assess_cutoffs(q, [ck.assess_totals(d, q) for d in ds])
    plans = ck.assess_route(q, [ck.assess_candidates(d, q, cutoffs)
                                for d in ds])
    assert len(plans) == 3
    with pytest.raises(ck.InvalidArgumentError, match="plan: routes"):
        ck.assess_partition(ds[0], q, plans[1])
    with pytest.raises(ck.InvalidArgumentError, match="candidates"):
        ck.assess_route(q, [b"\xff\xff\xff"])
