"""Point-in-time features and training panels, as numpy without copies."""

from __future__ import annotations

import ctypes
from ctypes import c_size_t, c_void_p
from typing import Any, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _arrays, _lib, _proto
from .dataset import Dataset, DateLike, parse_time

__all__ = ["FeatureSet", "FeatureMatrix", "compute_features",
           "training_panel"]


class _MatrixOwner:
    """Keeps a ck_matrix_t alive while numpy arrays view its memory."""

    __slots__ = ("handle",)

    def __init__(self, handle: _lib.Handle) -> None:
        self.handle = handle


def _view(address: int, count: int, ctype: Any, dtype: Any,
          owner: object) -> np.ndarray:
    """A read-only numpy view of library memory that keeps ``owner``
    alive: the array's base is a ctypes array whose ``_owner`` attribute
    holds it."""
    if count == 0 or not address:
        return np.empty(0, dtype=dtype)
    buf = (ctype * count).from_address(address)
    buf._owner = owner  # type: ignore[attr-defined]
    arr = np.frombuffer(buf, dtype=dtype)
    arr.flags.writeable = False
    return arr


class FeatureMatrix:
    """A library-owned feature matrix (``ck_matrix_t``) seen from numpy.

    Attributes:
        values: rows x columns float64, C-contiguous, read-only, a view of
            the library's memory (no copy); NaN marks a value not defined
            for the row.  It keeps the matrix alive on its own, so it may
            outlive this object.
        columns: the feature names.
        customer_ids: one per row.
        labels: for a training panel, one 0/1 uint8 per row (1: churned
            within the horizon), also a view; None otherwise.
    """

    def __init__(self, handle: c_void_p, panel: bool = False) -> None:
        self._handle = _lib.Handle(handle, "ck_matrix_free")
        owner = _MatrixOwner(self._handle)
        rows, cols = c_size_t(), c_size_t()
        _lib.call("ck_matrix_shape", handle, ctypes.byref(rows),
                  ctypes.byref(cols))
        self.shape = (rows.value, cols.value)
        address = _lib.lib().ck_matrix_data(handle) or 0
        self.values = _view(address, rows.value * cols.value,
                            ctypes.c_double, np.float64,
                            owner).reshape(self.shape)
        name = ctypes.c_char_p()
        self.columns: List[str] = []
        for j in range(cols.value):
            _lib.call("ck_matrix_column_name", handle, j, ctypes.byref(name))
            self.columns.append(_lib.decode(name.value))
        self.customer_ids: List[str] = _lib.split_ids(
            _lib.call_buffer("ck_matrix_customer_ids", handle))
        self.labels: Optional[np.ndarray] = None
        if panel and rows.value:
            ptr = c_void_p()
            _lib.call("ck_matrix_labels", handle, ctypes.byref(ptr))
            self.labels = _view(ptr.value or 0, rows.value, ctypes.c_uint8,
                                np.uint8, owner)
        self._as_of: Optional[np.ndarray] = None

    @property
    def as_of(self) -> np.ndarray:
        """Each row's as-of date (seconds since the epoch, int64)."""
        if self._as_of is None:
            out = np.empty(self.shape[0], dtype=np.int64)
            value = ctypes.c_int64()
            for i in range(self.shape[0]):
                _lib.call("ck_matrix_row_as_of", self._handle.ptr, i,
                          ctypes.byref(value))
                out[i] = value.value
            self._as_of = out
        return self._as_of

    def to_frame(self, *, index: str = "customer_id") -> pd.DataFrame:
        """The matrix as a DataFrame without copying the values (the frame
        is backed by :attr:`values`; ``DataFrame.to_numpy()`` shares its
        memory).  The index is the customer id; for a panel (several rows
        per customer) use ``index="row"`` and read :attr:`customer_ids`,
        :attr:`as_of` and :attr:`labels` beside it, or :meth:`panel_frame`.
        """
        idx = (pd.Index(self.customer_ids, name="customer_id")
               if index == "customer_id" else pd.RangeIndex(self.shape[0]))
        return pd.DataFrame(self.values, index=idx, columns=self.columns,
                            copy=False)

    def panel_frame(self) -> pd.DataFrame:
        """A copy with ``customer_id``, ``as_of`` (UTC) and ``label``
        columns first, for inspection."""
        df = pd.DataFrame(self.values, columns=self.columns, copy=True)
        df.insert(0, "customer_id", self.customer_ids)
        df.insert(1, "as_of", pd.to_datetime(self.as_of, unit="s", utc=True))
        if self.labels is not None:
            df.insert(2, "label", self.labels.astype(np.int64))
        return df

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        kind = "panel" if self.labels is not None else "matrix"
        rows, cols = self.shape
        return f"<churnkit.FeatureMatrix {kind} {rows}x{cols}>"


class FeatureSet:
    """A compiled, validated feature set (churnkit.v1.FeatureSet).

    Immutable; safe to share across threads.  ``FeatureSet()`` is the
    shipped default (every warning signal of the domain notes).
    """

    def __init__(self, config: _proto.Message = None) -> None:
        """Compiles ``config`` (dict, bytes, text or None: the default).

        Raises InvalidArgumentError naming the bad feature's path.
        """
        data = _proto.encode("FeatureSet", config)
        self._config = config
        self._h = _lib.Handle(
            _lib.make_handle("ck_features_create", data or None, len(data)),
            "ck_features_free")
        n = c_size_t()
        _lib.call("ck_features_num_columns", self._h.ptr, ctypes.byref(n))
        name = ctypes.c_char_p()
        self.columns: List[str] = []
        for j in range(n.value):
            _lib.call("ck_features_column_name", self._h.ptr, j,
                      ctypes.byref(name))
            self.columns.append(_lib.decode(name.value))

    def __reduce__(self):
        data = _proto.encode("FeatureSet", self._config)
        return (FeatureSet, (data or None,))

    def compute(self, dataset: Dataset, as_of: DateLike) -> FeatureMatrix:
        """Features of every customer signed up before ``as_of`` (only
        events strictly before it are seen), in a library-owned matrix
        viewed without copies (``ck_features_compute_matrix``)."""
        _check_dataset(dataset)
        out = c_void_p()
        _lib.call("ck_features_compute_matrix", self._h.ptr, dataset._h.ptr,
                  parse_time(as_of), ctypes.byref(out))
        return FeatureMatrix(out)

    def compute_into(self, dataset: Dataset, as_of: DateLike,
                     customers: Union[Sequence[int], Sequence[str],
                                      np.ndarray],
                     out: Optional[np.ndarray] = None) -> np.ndarray:
        """Features of chosen customers written into caller memory
        (``ck_features_compute``).

        Args:
            customers: indices into the data set, or customer ids.
            out: an array of shape (len(customers), len(columns)), float64,
                C-contiguous and writeable, filled in place; None allocates
                one.

        Returns ``out``.
        """
        _check_dataset(dataset)
        idx = _customer_indices(dataset, customers)
        shape = (idx.shape[0], len(self.columns))
        if out is None:
            out = np.empty(shape, dtype=np.float64)
        _arrays.check_out(out, shape, "out")
        _lib.call("ck_features_compute", self._h.ptr, dataset._h.ptr,
                  parse_time(as_of),
                  idx.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t)),
                  idx.shape[0],
                  out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                  out.size)
        return out

    def panel(self, dataset: Dataset, dates: Sequence[DateLike], *,
              horizon_days: int = 90,
              definition: _proto.Message = None) -> FeatureMatrix:
        """A training panel (``ck_features_compute_panel``): the features of
        every customer existing and not churned at each of ``dates``
        (strictly increasing), labelled 1 when it churns within
        ``horizon_days``, per a churnkit.v1.ChurnDefinition (None: the
        shipped one).  Rows are in (date, customer) order."""
        _check_dataset(dataset)
        stamps = np.asarray([parse_time(d) for d in dates], dtype=np.int64)
        opts = _proto.encode("ChurnDefinition", definition)
        out = c_void_p()
        _lib.call("ck_features_compute_panel", self._h.ptr, dataset._h.ptr,
                  opts or None, len(opts),
                  stamps.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                  stamps.shape[0], int(horizon_days), ctypes.byref(out))
        return FeatureMatrix(out, panel=True)

    def __repr__(self) -> str:
        return f"<churnkit.FeatureSet {len(self.columns)} features>"


def _check_dataset(dataset: Any) -> None:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"expected a churnkit.Dataset, got "
                        f"{type(dataset).__name__}")


def _customer_indices(dataset: Dataset, customers: Any) -> np.ndarray:
    items = list(customers)
    if items and all(isinstance(c, str) for c in items):
        return np.asarray([dataset.find_customer(c) for c in items],
                          dtype=np.uintp)
    arr = np.asarray(items)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("customers must be integer indices or id strings")
    if arr.size and arr.min() < 0:
        from . import errors
        raise errors.InvalidArgumentError("customer indices must be >= 0")
    return np.ascontiguousarray(arr, dtype=np.uintp).reshape(-1)


def compute_features(dataset: Dataset, as_of: DateLike,
                     feature_set: Optional[FeatureSet] = None
                     ) -> pd.DataFrame:
    """The ``features`` job: every customer's features as of a date, as a
    DataFrame indexed by customer id, backed by library memory (no copy).
    """
    return (feature_set or FeatureSet()).compute(dataset, as_of).to_frame()


def training_panel(dataset: Dataset, dates: Sequence[DateLike], *,
                   horizon_days: int = 90, definition: _proto.Message = None,
                   feature_set: Optional[FeatureSet] = None) -> FeatureMatrix:
    """Same as :meth:`FeatureSet.panel` with the default feature set."""
    return (feature_set or FeatureSet()).panel(
        dataset, dates, horizon_days=horizon_days, definition=definition)
