"""Pickling round trips through the serialized bytes."""

from __future__ import annotations

import pickle

import numpy as np

import churnkit as ck


def test_dataset_round_trip(gen):
    copy = pickle.loads(pickle.dumps(gen))
    assert copy is not gen
    assert copy.to_records() == gen.to_records()
    assert copy.summary() == gen.summary()
    assert copy.customer_ids == gen.customer_ids
    a = ck.report(gen, breakdowns=["tier"])
    b = ck.report(copy, breakdowns=["tier"])
    assert a.raw == b.raw


def test_model_round_trip(trained, features):
    model = trained.model
    copy = pickle.loads(pickle.dumps(model))
    assert copy.save() == model.save()
    assert copy.feature_names == model.feature_names
    np.testing.assert_array_equal(copy.predict(features.values),
                                  model.predict(features.values))


def test_feature_set_and_errors_round_trip():
    fs = ck.FeatureSet()
    assert pickle.loads(pickle.dumps(fs)).columns == fs.columns
    custom = ck.FeatureSet({"features": [{"name": "logins_7d", "window": {
        "window_days": 7, "filter": {"kinds": ["LOGIN"]},
        "aggregate": "COUNT"}}]})
    assert pickle.loads(pickle.dumps(custom)).columns == ["logins_7d"]
    e = pickle.loads(pickle.dumps(ck.InvalidArgumentError("bad x")))
    assert isinstance(e, ck.InvalidArgumentError)
    assert e.code == 3 and e.message == "bad x"


def test_write_and_load_every_format(examples, tmp_path):
    records = examples.to_records()
    for fmt, name in (("jsonl", "data.jsonl"), ("pb", "data.pb"),
                      ("csv", "csv-dir")):
        path = tmp_path / name
        examples.write(path, fmt)
        again = ck.load(path)  # the format follows from the path
        assert again.to_records() == records, fmt
