"""The logistic churn model: fit, predict, explain, save and load."""

from __future__ import annotations

import ctypes
from ctypes import c_char_p, c_size_t, c_void_p
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _arrays, _frames, _lib, _proto, errors
from .results import Evaluation

__all__ = ["Model", "PartitionedFit", "fit_partial", "evaluate"]

_DOUBLE_P = ctypes.POINTER(ctypes.c_double)
_UINT8_P = ctypes.POINTER(ctypes.c_uint8)


def _names_array(names: Sequence[str]) -> Any:
    encoded = [_lib.utf8(n, "column name") for n in names]
    return (c_char_p * max(len(encoded), 1))(*encoded)


class Model:
    """A fitted logistic churn model (churnkit.v1.LogisticModel).

    Immutable and safe to share across threads (e.g. concurrent
    :meth:`predict`).  Pickles as its saved bytes.  Get one from
    :meth:`fit`, :meth:`load`, or a training job's result
    (:attr:`TrainResult.model <churnkit.results.TrainResult.model>`).
    """

    def __init__(self, handle: c_void_p) -> None:
        """Wraps an owned ``ck_model_t*``; use the class methods."""
        self._h = _lib.Handle(handle, "ck_model_free")
        n = c_size_t()
        _lib.call("ck_model_num_features", handle, ctypes.byref(n))
        name = c_char_p()
        self.feature_names: List[str] = []
        for j in range(n.value):
            _lib.call("ck_model_feature_name", handle, j, ctypes.byref(name))
            self.feature_names.append(_lib.decode(name.value))
        self._names = _names_array(self.feature_names)
        self._raw: Optional[Dict[str, Any]] = None

    # ---------------------------------------------------------------- make

    @classmethod
    def fit(cls, x: Union[np.ndarray, pd.DataFrame], labels: Any, *,
            columns: Optional[Sequence[str]] = None,
            options: _proto.Message = None) -> "Model":
        """Fits on a matrix in memory (``ck_model_fit``).

        Args:
            x: rows x features (DataFrame: its columns name the features).
            labels: one 0/1 per row (1 = churned).
            columns: feature names for an ndarray ``x``.
            options: a churnkit.v1.FitOptions (dict, bytes or text), e.g.
                ``{"penalty": "PENALTY_L1", "c": 0.1,
                "missing_values": "MISSING_IMPUTE_MEAN"}``; None: L2, c = 1.

        Raises:
            InvalidArgumentError: bad shapes, labels, values or options.
            FailedPreconditionError: separable / collinear without penalty,
                no convergence.
        """
        arr, names = _arrays.as_matrix(x, "x", columns=columns)
        if names is None:
            raise errors.InvalidArgumentError(
                "x is an array: pass `columns` with one name per column")
        y = _arrays.as_labels(labels, arr.shape[0])
        opts = _proto.encode("FitOptions", options)
        out = c_void_p()
        _lib.call("ck_model_fit", arr.ctypes.data_as(_DOUBLE_P), arr.shape[0],
                  arr.shape[1], _names_array(names),
                  y.ctypes.data_as(_UINT8_P), opts or None, len(opts),
                  ctypes.byref(out))
        return cls(out)

    @classmethod
    def load(cls, data: Union[bytes, bytearray, memoryview]) -> "Model":
        """A model from :meth:`save` bytes (``ck_model_load``).

        Raises DataLossError for corrupted bytes, InvalidArgumentError for
        a model that fails validation."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"model bytes expected, got {type(data).__name__}")
        data = bytes(data)
        if not data:
            raise errors.InvalidArgumentError("empty model bytes")
        return cls(_lib.make_handle("ck_model_load", data, len(data)))

    @classmethod
    def load_file(cls, path: str) -> "Model":
        """A model from a file written by :meth:`save_file` or
        ``churnkit train --out``."""
        with open(path, "rb") as f:
            return cls.load(f.read())

    def save(self) -> bytes:
        """The model as bytes (LogisticModel with a checksum)."""
        return _lib.call_buffer("ck_model_save", self._h.ptr)

    def save_file(self, path: str) -> None:
        """Writes :meth:`save` to ``path``."""
        with open(path, "wb") as f:
            f.write(self.save())

    def __reduce__(self):
        return (Model.load, (self.save(),))

    # ---------------------------------------------------------------- use

    def _matrix(self, x: Any, columns: Optional[Sequence[str]],
                check_input: bool = True) -> np.ndarray:
        arr, names = _arrays.as_matrix(x, "x", columns=columns,
                                       check_values=check_input)
        if names is not None and names != self.feature_names:
            if set(self.feature_names) <= set(names) and isinstance(
                    x, pd.DataFrame):
                # reorder / select a DataFrame's columns by name
                arr, _ = _arrays.as_matrix(x[self.feature_names], "x")
            else:
                missing = [c for c in self.feature_names if c not in names]
                raise errors.InvalidArgumentError(
                    "x: columns differ from the model's features"
                    + (f"; missing: {', '.join(missing[:5])}" if missing
                       else f"; expected order: {self.feature_names[:5]}..."))
        elif names is None and arr.shape[1] != len(self.feature_names):
            raise errors.InvalidArgumentError(
                f"x has {arr.shape[1]} columns; the model has "
                f"{len(self.feature_names)} features")
        return arr

    def predict(self, x: Union[np.ndarray, pd.DataFrame], *,
                columns: Optional[Sequence[str]] = None,
                out: Optional[np.ndarray] = None,
                check_input: bool = False) -> np.ndarray:
        """Churn probabilities (``ck_model_predict``).

        Args:
            x: rows x the model's features.  A DataFrame is matched by
                column name (reordered if needed); an ndarray must have the
                model's columns in :attr:`feature_names` order.
            columns: names of an ndarray's columns, checked.
            out: a float64 C-contiguous writeable array of one value per
                row to write into (no allocation); None allocates.
            check_input: True scans ``x`` for infinite values in Python
                first. Not needed: the library refuses an infinite value
                (or a NaN the model does not impute) itself, naming its row
                and column, in its own pass; the scan is a second,
                single-threaded pass (docs/performance.md, "Python binding
                overhead"). dtype, layout and shape are always checked.

        Returns ``out`` (or the new array).
        """
        arr = self._matrix(x, columns, check_input)
        if out is None:
            out = np.empty(arr.shape[0], dtype=np.float64)
        _arrays.check_out(out, (arr.shape[0],), "out")
        _lib.call("ck_model_predict", self._h.ptr,
                  arr.ctypes.data_as(_DOUBLE_P), arr.shape[0], arr.shape[1],
                  self._names, out.ctypes.data_as(_DOUBLE_P), out.shape[0])
        return out

    def explain(self, x: Union[np.ndarray, pd.DataFrame], *, top_k: int = 3,
                columns: Optional[Sequence[str]] = None,
                customer_ids: Optional[Sequence[str]] = None,
                feature_set: _proto.Message = None) -> "Explanations":
        """Why each row scores as it does (``ck_model_explain``): up to
        ``top_k`` risk-raising and protective reasons per row, with texts
        from ``feature_set``'s descriptions (None: the shipped set)."""
        arr = self._matrix(x, columns)
        if not isinstance(top_k, (int, np.integer)) or top_k < 0:
            raise errors.InvalidArgumentError("top_k must be an int >= 0")
        opts = _proto.encode("FeatureSet", feature_set)
        data = _lib.call_buffer(
            "ck_model_explain", self._h.ptr, arr.ctypes.data_as(_DOUBLE_P),
            arr.shape[0], arr.shape[1], self._names, int(top_k), opts or None,
            len(opts))
        if customer_ids is None and isinstance(x, pd.DataFrame) and \
                x.index.name == "customer_id":
            customer_ids = [str(i) for i in x.index]
        return Explanations(_proto.decode("Explanations", data),
                            customer_ids)

    # ---------------------------------------------------------------- read

    @property
    def raw(self) -> Dict[str, Any]:
        """The model as a dict (churnkit.v1.LogisticModel)."""
        if self._raw is None:
            data = self.save()
            self._raw = _proto.decode("LogisticModel", data)
        return self._raw

    @property
    def coefficients(self) -> pd.DataFrame:
        """One row per feature: coefficient (on standardized values), mean,
        scale, univariate correlation."""
        r = self.raw
        n = len(self.feature_names)

        def col(key: str) -> np.ndarray:
            v = r.get(key) or []
            return np.asarray(v if len(v) == n else [np.nan] * n, float)

        return pd.DataFrame({
            "feature": self.feature_names,
            "coefficient": col("coefficients"),
            "mean": col("means"),
            "scale": col("scales"),
            "univariate_correlation": col("univariate_correlation"),
        })

    @property
    def intercept(self) -> float:
        """The intercept (log-odds of a customer at the training means)."""
        return float(self.raw.get("intercept", 0.0))

    def __repr__(self) -> str:
        return f"<churnkit.Model {len(self.feature_names)} features>"


class Explanations:
    """Result of :meth:`Model.explain` (churnkit.v1.Explanations).

    Attributes:
        raw: the message as a dict.
        rows: one row per input row: customer_id, probability, log_odds,
            baseline_log_odds, adjustment.
        reasons: one row per reason: row, customer_id, kind ("risk" or
            "protective"), rank, feature, value, contribution, text.
    """

    _ROW = {"customer_id": "str", "probability": "float", "log_odds": "float",
            "baseline_log_odds": "float", "adjustment": "float"}
    _REASON = {"feature": "str", "value": "float", "contribution": "float",
               "text": "str"}

    def __init__(self, raw: Dict[str, Any],
                 customer_ids: Optional[Sequence[str]] = None) -> None:
        self.raw = raw
        rows = raw.get("rows", [])
        self.rows = _frames.frame(rows, self._ROW)
        if customer_ids is not None and len(customer_ids) == len(rows):
            self.rows["customer_id"] = list(customer_ids)
        reasons, extra = [], []
        for i, row in enumerate(rows):
            for kind in ("risk", "protective"):
                for rank, reason in enumerate(row.get(kind, []), 1):
                    reasons.append(reason)
                    extra.append({"row": i, "customer_id":
                                  self.rows["customer_id"].iat[i],
                                  "kind": kind, "rank": rank})
        self.reasons = _frames.frame(reasons, self._REASON, extra) \
            if reasons else _frames.frame([], {"row": "int", "customer_id":
                                               "str", "kind": "str",
                                               "rank": "int", **self._REASON})



class PartitionedFit:
    """A logistic fit whose rows live in partitions (``ck_fit_session_*``,
    docs/scale-out.md): send :attr:`round` to every partition, compute each
    answer there with :func:`fit_partial`, hand them to :meth:`advance` in
    a fixed partition order, repeat until it returns True, then
    :meth:`model`.  The model equals :meth:`Model.fit` on all the rows with
    ``solver: SOLVER_NEWTON_CHOLESKY`` to rounding.  Use from one thread.

    Raises InvalidArgumentError for bad columns or options (L1 / elastic-net
    penalties and solvers other than Newton are refused).
    """

    def __init__(self, columns: Sequence[str],
                 options: _proto.Message = None) -> None:
        names = list(columns)
        opts = _proto.encode("FitOptions", options)
        out = c_void_p()
        _lib.call("ck_fit_session_create", _names_array(names), len(names),
                  opts or None, len(opts), ctypes.byref(out))
        self._h = _lib.Handle(out, "ck_fit_session_free")
        self.columns = names

    @property
    def round(self) -> bytes:
        """The serialized churnkit.v1.FitRound every partition answers."""
        return _lib.call_buffer("ck_fit_session_round", self._h.ptr)

    def advance(self, partials: Sequence[bytes]) -> bool:
        """Consumes one answer per partition (in a fixed order); True when
        the fit is done."""
        items = [bytes(p) for p in partials]
        arr = (c_char_p * max(len(items), 1))(*items)
        sizes = (c_size_t * max(len(items), 1))(*[len(p) for p in items])
        done = ctypes.c_int()
        _lib.call("ck_fit_session_advance", self._h.ptr, arr, sizes,
                  len(items), ctypes.byref(done))
        return bool(done.value)

    def model(self) -> Model:
        """The fitted model (FailedPreconditionError before it is done)."""
        return Model(_lib.make_handle("ck_fit_session_model", self._h.ptr))


def fit_partial(round: bytes, x: Union[np.ndarray, pd.DataFrame],
                labels: Any, *,
                columns: Optional[Sequence[str]] = None) -> bytes:
    """One partition's answer to a :attr:`PartitionedFit.round`
    (``ck_fit_partial``) from its rows ``x`` (the round's columns) and 0/1
    ``labels``; uses this thread's thread count (:func:`set_threads`)."""
    arr, names = _arrays.as_matrix(x, "x", columns=columns,
                                   check_values=False)
    if names is None:
        raise errors.InvalidArgumentError(
            "x is an array: pass `columns` with one name per column")
    y = _arrays.as_labels(labels, arr.shape[0])
    data = bytes(round)
    return _lib.call_buffer("ck_fit_partial", data, len(data),
                            arr.ctypes.data_as(_DOUBLE_P), arr.shape[0],
                            arr.shape[1], _names_array(names),
                            y.ctypes.data_as(_UINT8_P))


def evaluate(labels: Any, scores: Any, options: _proto.Message = None
             ) -> Evaluation:
    """ROC-AUC, average precision, log-loss, Brier, lift by decile,
    reliability and the confusion matrix (``ck_metrics_evaluate``), as
    scikit-learn computes them.

    Args:
        labels: 0/1 per row.
        scores: one finite score per row (probabilities for log-loss and
            Brier).
        options: a churnkit.v1.EvaluationOptions (None: threshold of max F1).
    """
    s = _arrays.as_vector(scores, "scores")
    y = _arrays.as_labels(labels, s.shape[0])
    if s.shape[0] == 0:
        raise errors.InvalidArgumentError("scores: no rows")
    opts = _proto.encode("EvaluationOptions", options)
    data = _lib.call_buffer("ck_metrics_evaluate", y.ctypes.data_as(_UINT8_P),
                            s.ctypes.data_as(_DOUBLE_P), s.shape[0],
                            opts or None, len(opts))
    return Evaluation(_proto.decode("Evaluation", data))
