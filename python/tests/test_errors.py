"""Errors: every status as its class, and bad input refused before C."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import churnkit as ck
from churnkit import errors

from conftest import DATES


def test_every_status_code_has_its_class():
    names = {1: "CK_CANCELLED", 3: "CK_INVALID_ARGUMENT", 5: "CK_NOT_FOUND",
             9: "CK_FAILED_PRECONDITION", 11: "CK_OUT_OF_RANGE",
             15: "CK_DATA_LOSS", 16: "CK_UNAUTHENTICATED"}
    for code in range(1, 17):
        e = errors.error_for_status(code, "m")
        assert isinstance(e, ck.Error) and e.code == code and e.message == "m"
        # the class's name equals the library's name of the code
        lib_name = ck._lib.lib().ck_status_name(code).decode()
        assert e.status == lib_name
        if code in names:
            assert e.status == names[code]
    assert isinstance(errors.error_for_status(3, ""), ValueError)
    assert isinstance(errors.error_for_status(5, ""), LookupError)
    odd = errors.error_for_status(77, "x")
    assert isinstance(odd, ck.UnknownError) and odd.code == 77


def test_library_error_carries_code_and_last_error(gen):
    with pytest.raises(ck.InvalidArgumentError) as e:
        ck.train(gen, DATES, horizon_days=-5)
    assert e.value.code == 3 and e.value.status == "CK_INVALID_ARGUMENT"
    assert "horizon_days" in e.value.message
    assert str(e.value).startswith("CK_INVALID_ARGUMENT: ")


def test_unknown_request_field_and_bad_text_are_invalid_argument(gen):
    with pytest.raises(ck.InvalidArgumentError, match="no_such_field"):
        ck.train(gen, DATES, request={"no_such_field": 1})
    with pytest.raises(ck.InvalidArgumentError, match="line 1"):
        ck.FeatureSet("features { this is not text format")


def test_bad_bytes(gen):
    with pytest.raises(ck.DataLossError):
        ck.Model.load(b"\x08\x01 certainly not a model")
    with pytest.raises(ck.InvalidArgumentError):
        ck.Model.load(b"")
    with pytest.raises(ck.InvalidArgumentError):
        ck.Dataset.from_records(b"\xff\xff\xff\xff\x0f garbage", strict=True)
    with pytest.raises(ck.InvalidArgumentError):
        ck.assess(gen, "2025-10-01", model=b"\x01\x02\x03")


def test_missing_things(tmp_path, gen):
    with pytest.raises(ck.NotFoundError):
        ck.load(tmp_path / "nothing-here")
    with pytest.raises(ck.NotFoundError) as e:
        gen.find_customer("no-such-customer")
    assert isinstance(e.value, LookupError)
    with pytest.raises(ck.InvalidArgumentError, match="as_of"):
        ck.assess(gen, "")


def test_none_and_wrong_types_raise_type_error(trained):
    model = trained.model
    with pytest.raises(TypeError):
        model.predict(None)
    with pytest.raises(TypeError):
        ck.assess(None, "2025-10-01")
    with pytest.raises(TypeError):
        ck.Model.load(None)
    with pytest.raises(TypeError):
        ck.FeatureSet(12)
    with pytest.raises(TypeError):
        ck.Dataset.from_records("text is not bytes")


def test_wrong_shapes(trained, features):
    model = trained.model
    x = features.values
    with pytest.raises(ck.InvalidArgumentError, match="2-D"):
        model.predict(x[0])
    with pytest.raises(ck.InvalidArgumentError, match="columns"):
        model.predict(x[:, :10])
    with pytest.raises(ck.InvalidArgumentError, match="expected"):
        ck.Model.fit(x[:20], np.zeros(19), columns=features.columns)
    with pytest.raises(ck.InvalidArgumentError, match="columns differ"):
        model.predict(features.to_frame().rename(
            columns={model.feature_names[0]: "renamed"}))


def test_wrong_dtype_is_converted_or_refused(trained, features):
    model = trained.model
    x = features.values
    ref = model.predict(x)
    np.testing.assert_array_equal(model.predict(x.astype(np.float32)),
                                  model.predict(x.astype(np.float32)
                                                .astype(np.float64)))
    ints = np.nan_to_num(x).round().astype(np.int64)
    np.testing.assert_array_equal(model.predict(ints),
                                  model.predict(ints.astype(np.float64)))
    with pytest.raises(TypeError, match="real numbers"):
        model.predict(x.astype(str))
    with pytest.raises(TypeError, match="real numbers"):
        model.predict(x.astype(complex))
    with pytest.raises(TypeError):
        model.predict(pd.DataFrame({c: ["a"] * 3
                                    for c in model.feature_names}))
    assert ref.dtype == np.float64


def test_non_contiguous_inputs_give_the_same_numbers(trained, features):
    model = trained.model
    x = features.values
    ref = model.predict(x)
    fortran = np.asfortranarray(x)
    assert not fortran.flags.c_contiguous
    np.testing.assert_array_equal(model.predict(fortran), ref)
    wide = np.zeros((x.shape[0] * 2, x.shape[1]))
    wide[::2] = x
    strided = wide[::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(model.predict(strided), ref)
    # a DataFrame with the columns shuffled is matched by name
    df = features.to_frame()
    shuffled = df[list(reversed(df.columns))]
    np.testing.assert_array_equal(model.predict(shuffled), ref)


def test_nan_and_inf_are_refused_where_not_allowed(trained, features):
    model = trained.model
    x = np.array(features.values)
    bad = x.copy()
    bad[3, 2] = np.inf
    # the library's own check by default, the package's scan on request
    with pytest.raises(ck.InvalidArgumentError,
                       match=f"row 3, column '{features.columns[2]}' is "
                             f"infinite"):
        model.predict(pd.DataFrame(bad, columns=features.columns))
    with pytest.raises(ck.InvalidArgumentError,
                       match=f"infinite value at row 3, column "
                             f"{features.columns[2]}"):
        model.predict(pd.DataFrame(bad, columns=features.columns),
                      check_input=True)
    labels = np.zeros(x.shape[0])
    labels[:5] = 1
    labels[7] = np.nan
    with pytest.raises(ck.InvalidArgumentError, match=r"labels\[7\]"):
        ck.Model.fit(x, labels, columns=features.columns)
    labels[7] = 2
    with pytest.raises(ck.InvalidArgumentError, match="not a label"):
        ck.Model.fit(x, labels, columns=features.columns)
    with pytest.raises(ck.InvalidArgumentError, match="NaN at row 1"):
        ck.clv_fit([1, np.nan], [1, 1], [5, 5])
    # NaN (a feature not defined) is fine: the default model imputes means
    assert np.isnan(x).any()
    assert np.isfinite(model.predict(x)).all()


def test_bad_out_array_is_refused_and_left_untouched(trained, features):
    model = trained.model
    n = features.shape[0]
    for out in (np.zeros(n, dtype=np.float32), np.zeros(n + 1),
                np.zeros(2 * n)[::2], np.zeros((n, 1))):
        before = out.copy()
        with pytest.raises(ck.InvalidArgumentError):
            model.predict(features.values, out=out)
        np.testing.assert_array_equal(out, before)
    ro = np.zeros(n)
    ro.flags.writeable = False
    with pytest.raises(ck.InvalidArgumentError, match="read-only"):
        model.predict(features.values, out=ro)


def test_error_messages_are_per_thread(gen):
    """ck_last_error is thread-local: concurrent failures keep their own
    messages, and concurrent successes on one model agree."""
    results = {}

    def fail(i: int) -> None:
        try:
            ck.train(gen, DATES, horizon_days=-i - 1)
        except ck.InvalidArgumentError as e:
            results[i] = e.message

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        assert f"got {-i - 1}" in results[i]


def test_validate_config():
    ck.validate_config("TrainRequest", {"as_of_dates": DATES})
    with pytest.raises(ck.InvalidArgumentError, match="horizon_days"):
        ck.validate_config("TrainRequest", {"as_of_dates": DATES,
                                            "horizon_days": 5000})
    with pytest.raises(ck.InvalidArgumentError):
        ck.validate_config("NoSuchMessage", None)
