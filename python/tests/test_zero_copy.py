"""No copies where the C ABI allows: matrices, scores, inputs."""

from __future__ import annotations

import gc

import numpy as np

import churnkit as ck
from churnkit import _arrays, _lib


def _owner_in_base_chain(arr: np.ndarray):
    node = arr
    while node is not None:
        owner = getattr(node, "_owner", None)
        if owner is not None:
            return owner
        node = getattr(node, "base", None)
    return None


def test_feature_matrix_is_a_view_of_library_memory(features):
    values = features.values
    assert values.ctypes.data == _lib.lib().ck_matrix_data(
        features._handle.ptr)
    assert not values.flags.owndata and not values.flags.writeable
    assert values.flags.c_contiguous and values.dtype == np.float64
    assert values.shape == (len(features.customer_ids), len(features.columns))
    owner = _owner_in_base_chain(values)
    assert owner is not None and owner.handle is features._handle


def test_view_keeps_the_matrix_alive(gen):
    matrix = ck.FeatureSet().compute(gen, "2025-10-01")
    values = matrix.values
    expected = np.array(values, copy=True)
    del matrix
    gc.collect()
    # allocate and compute again so freed memory would be reused
    other = ck.FeatureSet().compute(gen, "2025-01-01")
    np.testing.assert_array_equal(values, expected)
    assert other.values.ctypes.data != values.ctypes.data


def test_data_frame_shares_the_matrix_memory(features):
    df = features.to_frame()
    assert np.shares_memory(df.to_numpy(), features.values)
    assert list(df.index[:3]) == features.customer_ids[:3]
    assert list(df.columns) == features.columns


def test_panel_labels_are_a_view(gen):
    panel = ck.training_panel(gen, ["2024-07-01", "2025-01-01"])
    assert panel.labels is not None and panel.labels.dtype == np.uint8
    assert not panel.labels.flags.owndata
    assert _owner_in_base_chain(panel.labels) is not None
    assert set(np.unique(panel.labels)) <= {0, 1}
    assert len(panel.labels) == panel.shape[0] == len(panel.as_of)


def test_scores_are_written_into_the_callers_array(trained, features):
    out = np.full(features.shape[0], -1.0)
    got = trained.model.predict(features.values, out=out)
    assert got is out
    assert ((out >= 0) & (out <= 1)).all()


def test_inputs_in_the_right_layout_are_not_copied(features):
    x = np.ascontiguousarray(features.values)
    arr, _ = _arrays.as_matrix(x)
    assert arr is x
    df = features.to_frame()
    arr, names = _arrays.as_matrix(df)
    assert np.shares_memory(arr, features.values)
    assert names == features.columns
    y = np.zeros(5, dtype=np.uint8)
    assert _arrays.as_labels(y, 5) is y


def test_compute_into_fills_the_callers_array(gen, features):
    fs = ck.FeatureSet()
    ids = features.customer_ids[:7]
    out = np.empty((7, len(fs.columns)))
    got = fs.compute_into(gen, "2025-10-01", ids, out=out)
    assert got is out
    np.testing.assert_array_equal(out, features.values[:7])


def test_concurrent_predictions_on_one_model_agree(trained, features):
    import threading
    model = trained.model
    ref = model.predict(features.values)
    outs = [np.empty_like(ref) for _ in range(6)]
    threads = [threading.Thread(target=model.predict,
                                args=(features.values,),
                                kwargs={"out": o}) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in outs:
        np.testing.assert_array_equal(o, ref)


def test_tables_round_trip_the_data_set(examples):
    tables = examples.tables()
    assert set(tables) == {"customers", "events", "contacts", "contracts",
                           "owners"}
    customers = examples.customers()
    assert list(customers["id"]) == examples.customer_ids
    assert len(tables["events"]) == examples.num_events
    assert str(customers["signup_time"].dtype) == "datetime64[ns, UTC]"
