"""The churn report over customer partitions (issue 17): merged from
per-partition summaries on a LocalCluster of two worker processes and in
this process without a cluster, equal to the single-process report on the
whole data set bit for bit; bad summaries raise clear errors.
"""

from __future__ import annotations

import pytest

import churnkit as ck
import churnkit.dask as ckd

REQUEST = dict(breakdowns=["tier", "industry"], trend=True,
               cohorts={"group_by": "tier"},
               survival={"group_by": ["tier"]})


@pytest.fixture(scope="module")
def parts(gen_dir, tmp_path_factory) -> ck.PartitionResult:
    return ck.partition(gen_dir, 3, tmp_path_factory.mktemp("p") / "parts")


@pytest.mark.parametrize("dated", [False, True])
def test_report_without_a_cluster_equals_the_single_process_one(
        gen, parts, dated):
    # Undated: as_of, the period and the revenue source come from the
    # partitions' extents; dated: each partition is loaded once.
    request = dict(REQUEST)
    if dated:
        request.update(as_of="2025-10-01", period=("2025-01-01", "2025-10-01"),
                       revenue_source="annual_value")
    expected = ck.report(gen, **request)
    got = ckd.report(parts, **request)
    assert isinstance(got, ck.ChurnReport)
    assert got.data == expected.data  # bit for bit
    assert expected.overall["churned"] > 0 and len(expected.trend) > 3


def test_report_on_a_cluster_equals_the_single_process_one(gen, parts,
                                                           client):
    expected = ck.report(gen, **REQUEST)
    assert ckd.report(parts, client=client, **REQUEST).data == expected.data


def test_summaries_merge_in_any_order(gen, parts):
    request = ck.report_resolve(
        ck.jobs._report_request(**REQUEST),
        [ck.report_extent(p.load_dataset()) for p in parts])
    summaries = [ck.report_summarize(p.load_dataset(), request)
                 for p in parts]
    merged = ck.report_merge(summaries)
    assert ck.report_merge(summaries[::-1]) == merged
    assert ck.report_render(merged).data == ck.report(gen, **REQUEST).data


def test_bad_summaries_and_requests_raise_clear_errors(gen, parts):
    request = ck.jobs._report_request(as_of="2025-10-01")
    other = ck.jobs._report_request(as_of="2025-09-01")
    a = ck.report_summarize(gen, request)
    b = ck.report_summarize(gen, other)
    with pytest.raises(ck.InvalidArgumentError,
                       match=r"summaries\[1\]: made with another request"):
        ck.report_merge([a, b])
    with pytest.raises(ck.InvalidArgumentError, match="none given"):
        ck.report_merge([])
    with pytest.raises(ck.InvalidArgumentError, match=r"summaries\[0\]"):
        ck.report_merge([b"\xff\xff\xff"])
    with pytest.raises(TypeError, match=r"summaries\[0\]"):
        ck.report_merge(["text"])
    with pytest.raises(ck.InvalidArgumentError, match="summary"):
        ck.report_render(b"\xff\xff\xff")
    with pytest.raises(ck.InvalidArgumentError,
                       match=r"breakdowns\[0\]: unknown attribute"):
        ckd.report(parts, breakdowns=["colour"])
    with pytest.raises(ck.InvalidArgumentError,
                       match="revenue_source: unknown source"):
        ckd.report(parts, revenue_source="gross")
