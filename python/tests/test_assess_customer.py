"""One customer at a time (churnkit.Assessor.assess_customer over
ck_assessor_assess_customer): as the full run assesses it, and with new
events as the run of the data set with them appended."""
import pytest

import churnkit as ck

from conftest import AS_OF


def test_one_customer_equals_its_row_of_the_full_run(gen, trained):
    run = ck.assess(gen, AS_OF, model=trained.model)
    colours = run.raw["assessment"]["colours"]
    assessor = ck.Assessor()
    for row in run.raw["assessment"]["customers"][:40:7]:
        one = assessor.assess_customer(gen, row["customer_id"], AS_OF,
                                       colours=colours, model=trained.model)
        got = one["assessment"]
        assert got["customer_id"] == row["customer_id"]
        assert got["score"] == row["score"]
        assert got["colour"] == row["colour"]
        assert got["churn_probability"] == row["churn_probability"]
        assert got.get("churn_reasons") == row.get("churn_reasons")
        assert len(got.get("tasks", [])) >= len(row.get("tasks", []))


def test_new_events_change_the_customer(gen):
    assessor = ck.Assessor()
    cid = gen.customer_ids[3]
    before = assessor.assess_customer(gen, cid, AS_OF)["assessment"]
    after = assessor.assess_customer(
        gen, cid, AS_OF, previous_score=before["score"],
        events=[{"kind": "TICKET", "time": "2025-09-29", "complaint": True},
                {"kind": "PAYMENT", "time": "2025-09-30T08:00:00Z",
                 "amount": 10, "value": 45}])["assessment"]
    assert after != before
    # proto3 JSON leaves a zero out
    assert after.get("score_change", 0.0) == after["score"] - before["score"]


def test_bad_input_is_a_clear_error(gen):
    assessor = ck.Assessor()
    with pytest.raises(ck.NotFoundError, match="'nobody'"):
        assessor.assess_customer(gen, "nobody", AS_OF)
    with pytest.raises(ck.InvalidArgumentError, match="added event:1: kind"):
        assessor.assess_customer(gen, gen.customer_ids[0], AS_OF,
                                 events=[{"time": "2025-09-01"}])
    with pytest.raises(ck.InvalidArgumentError, match="update.as_of"):
        assessor.assess_customer(gen, gen.customer_ids[0], "not a date")
    with pytest.raises(ck.InvalidArgumentError, match="colours: required"):
        ck.Assessor({"red_share": 0.2}).assess_customer(
            gen, gen.customer_ids[0], AS_OF)
    with pytest.raises(TypeError):
        assessor.assess_customer(None, "x", AS_OF)
