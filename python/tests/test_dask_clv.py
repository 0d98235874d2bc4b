"""CLV fits and value tiers over customer partitions (issue 17).

Each partition's RFM pattern summary (customers per distinct pattern) is
merged on the client and fitted once with the code of the single-process
fit, so ``churnkit.dask.clv`` — on a LocalCluster of two worker processes
and without a cluster — gives the parameters of ``churnkit.clv`` bit for
bit (the acceptance is 1e-8), and the per-customer predictions and A/B/C
tiers computed per partition equal the single-process ones exactly.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import churnkit as ck
import churnkit.dask as ckd

AS_OF = "2025-01-01"
PARAMS = {"bg_nbd": ("r", "alpha", "a", "b", "log_likelihood"),
          "gamma_gamma": ("p", "q", "v", "log_likelihood")}


# ------------------------------------------------------------------ data

@pytest.fixture(scope="module")
def orders_dir(tmp_path_factory):
    """An order log drawn from the BG/NBD and Gamma-Gamma processes (600
    customers over 2024), so both fits and the CLV are defined (the
    generator's B2B data have a Gamma-Gamma q <= 1)."""
    out = tmp_path_factory.mktemp("orders") / "data"
    out.mkdir()
    rng = np.random.default_rng(5)
    start = np.datetime64("2024-01-01")
    rows = []
    for c in range(600):
        rate, drop, nu = rng.gamma(0.6, 1 / 25), rng.beta(1, 3), \
            rng.gamma(4, 1 / 15)
        day = float(rng.integers(0, 120))
        while day < 365:
            rows.append(f"k{c:04d},order,{start + int(day)},"
                        f"{round(float(rng.gamma(6, 1 / nu)), 2)}\n")
            if rng.random() < drop:
                break
            day += rng.exponential(1 / rate)
    (out / "customers.csv").write_text(
        "id\n" + "".join(f"k{c:04d}\n" for c in range(600)))
    (out / "events.csv").write_text("customer_id,kind,time,amount\n" +
                                    "".join(rows))
    return out


@pytest.fixture(scope="module")
def orders(orders_dir):
    return ck.load(orders_dir)


@pytest.fixture(scope="module")
def parts(orders_dir, tmp_path_factory):
    return ck.partition(orders_dir, 3,
                        tmp_path_factory.mktemp("p") / "parts")


def pareto_tiers(values, a=0.8, b=0.15):
    """TierOptions' rule in plain Python: by value, largest first, a
    customer is A while the value before its tie group is below a_share
    of the total, then B below a_share + b_share; value 0 is C."""
    values = list(values)
    total = sum(sorted(values, reverse=True))
    order = sorted(range(len(values)), key=lambda i: -values[i])
    out, before, i = ["C"] * len(values), 0.0, 0
    while i < len(order) and values[order[i]] > 0:
        v = values[order[i]]
        tier = ("A" if before < a * total * (1 - 1e-9) else
                "B" if before < (a + b) * total * (1 - 1e-9) else "C")
        while i < len(order) and values[order[i]] == v:
            out[order[i]] = tier
            before += v
            i += 1
    return out


@pytest.fixture(scope="module")
def expected(orders):
    """churnkit.clv on the whole data set, in customer-id order, with the
    single-process tiers of the CLV."""
    r = ck.clv(orders, AS_OF, margin=0.3)
    customers = r.customers.sort_values(
        "customer_id", kind="stable").reset_index(drop=True)
    customers["tier"] = pareto_tiers(customers["clv"])
    return {"model": r.model, "customers": customers}


def assert_fit_equal(got, want):
    for part, names in PARAMS.items():
        for name in names:
            g, w = got[part][name], want[part][name]
            assert g == pytest.approx(w, rel=1e-8), f"{part}.{name}"
            assert g == w, f"{part}.{name}: {g!r} != {w!r} (not bit-equal)"
    assert got["bg_nbd"]["num_customers"] == want["bg_nbd"]["num_customers"]
    assert got["gamma_gamma"]["num_skipped"] == \
        want["gamma_gamma"]["num_skipped"]


def assert_result_equal(got, expected):
    assert_fit_equal(got["model"], expected["model"])
    pd.testing.assert_frame_equal(got["customers"], expected["customers"],
                                  check_exact=True)
    a_min, b_min = got["customers"].attrs["thresholds"]
    assert 0 < b_min < a_min


# ------------------------------------------------------------ no cluster

def test_clv_without_a_cluster_equals_the_whole(parts, expected):
    got = ckd.clv(parts, AS_OF, margin=0.3, tiers={})
    assert_result_equal(got, expected)
    info = got["info"]
    assert list(info["index"]) == [0, 1, 2]
    assert info["buyers"].sum() == len(expected["customers"])
    assert (info["pid"] == os.getpid()).all()


def test_patterns_merge_in_any_order_to_the_wholes(orders, parts):
    whole = ck.clv_patterns(ck.clv_summaries(orders, AS_OF))
    per_part = [ck.clv_patterns(ck.clv_summaries(p.load_dataset(), AS_OF))
                for p in parts]
    assert ck.clv_patterns_merge(per_part) == whole
    assert ck.clv_patterns_merge(per_part[::-1]) == whole
    s = ck.clv_summaries(orders, AS_OF)
    arrays = ck.clv_fit(s.frequency, s.recency, s.age, s.monetary)
    assert_fit_equal(ck.clv_fit_patterns(whole), arrays)


def test_generated_data_fit_over_partitions(gen, gen_dir, tmp_path):
    # The generator's customers: both fits converge (q <= 1: no CLV).
    gparts = ck.partition(gen_dir, 3, tmp_path / "parts")
    merged = ck.clv_patterns_merge(
        [ck.clv_patterns(ck.clv_summaries(p.load_dataset(), "2025-10-01"))
         for p in gparts])
    s = ck.clv_summaries(gen, "2025-10-01")
    assert_fit_equal(ck.clv_fit_patterns(merged),
                     ck.clv_fit(s.frequency, s.recency, s.age, s.monetary))


def test_value_tiers_over_partitions_equal_the_wholes():
    rng = np.random.default_rng(3)
    values = pd.Series(np.round(rng.pareto(1.5, 900), 1),  # ties, zeros
                       index=[f"c{i:04d}" for i in range(900)])
    values.iloc[::50] = 0.0
    split = [values.iloc[i::3] for i in range(3)]
    got = ckd.value_tiers(split)
    assert list(got["customer_id"]) == sorted(values.index)
    want = dict(zip(values.index, pareto_tiers(values)))
    assert list(got["tier"]) == [want[c] for c in got["customer_id"]]
    # Quantiles: the same code single-process.
    q = {"method": "QUANTILES", "a_share": 0.1, "b_share": 0.2}
    whole = ck.tier_assign(values, ck.tier_thresholds(values, q))
    got = ckd.value_tiers(split[::-1], q)
    assert list(got["tier"]) == list(pd.Series(whole, values.index).loc[
        got["customer_id"]])


def test_bad_input_is_a_clear_error(parts):
    with pytest.raises(ck.InvalidArgumentError,
                       match="argument 'parts\\[1\\]'"):
        ck.clv_patterns_merge([ck.clv_patterns(b""), b"\xff\xff\xff"])
    days = ck.clv_patterns(ck.proto.encode(
        "RfmSummaries", "time_unit: CLV_DAYS customers { frequency: 1 "
        "recency: 2 age: 3 }"))
    weeks = ck.clv_patterns(ck.proto.encode(
        "RfmSummaries", "time_unit: CLV_WEEKS customers { frequency: 1 "
        "recency: 2 age: 3 }"))
    with pytest.raises(ck.InvalidArgumentError, match="time_unit CLV_WEEKS"):
        ck.clv_patterns_merge([days, weeks])
    with pytest.raises(ck.InvalidArgumentError, match="recency 5 > age 3"):
        ck.clv_patterns(ck.proto.encode(
            "RfmSummaries", "customers { frequency: 1 recency: 5 age: 3 }"))
    with pytest.raises(ck.InvalidArgumentError, match="count' is 0"):
        ck.clv_patterns_merge([])
    with pytest.raises(ck.InvalidArgumentError, match="values\\[1\\]"):
        ck.tier_thresholds([1.0, -2.0])
    with pytest.raises(ck.InvalidArgumentError, match="tiers.a_share"):
        ck.tier_thresholds([1.0], {"a_share": 1.5})
    with pytest.raises(ck.InvalidArgumentError, match="no partitions"):
        ckd.value_tiers([])
    with pytest.raises(ck.FailedPreconditionError, match="no customer has"):
        ck.clv_fit_patterns(ck.clv_patterns(ck.proto.encode(
            "RfmSummaries", "customers { frequency: 0 recency: 0 age: 3 }")))


# --------------------------------------------------------------- cluster
# (conftest's `client`: a LocalCluster of two worker processes)

def test_clv_on_a_cluster_equals_the_whole(client, parts, expected):
    got = ckd.clv(parts, AS_OF, client=client, margin=0.3, tiers={})
    assert_result_equal(got, expected)
    assert (got["info"]["pid"] != os.getpid()).all()  # on the workers


def test_value_tiers_of_futures_on_a_cluster(client):
    values = pd.Series([50.0, 30.0, 15.0, 5.0, 0.0, 30.0],
                       index=["a", "b", "c", "d", "e", "f"])
    futures = [client.scatter(values.iloc[:3]), client.scatter(
        values.iloc[3:])]
    got = ckd.value_tiers(futures, client=client)
    assert list(got["tier"]) == pareto_tiers(values.sort_index())
