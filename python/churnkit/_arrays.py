"""Input checks and conversions before a C call.

Policy (docs/python.md, "Arrays"):

* Inputs are float64, C-contiguous (row-major).  An input of another real
  dtype (bool, integer, float32) or not C-contiguous is converted with one
  copy; an input that is already float64 and C-contiguous is passed to C
  without a copy.  A non-numeric dtype (object, str, complex, datetime)
  raises TypeError.
* Shapes are checked (a matrix is 2-D, vectors have one value per row) and
  raise InvalidArgumentError.
* Infinite values always raise InvalidArgumentError, naming row and column;
  NaN raises where it is not allowed (labels, CLV summaries, a model that
  rejects missing values is checked by the library itself).
* Output arrays given by the caller (``out=``) are never converted: they
  must be float64, C-contiguous, writeable and of the exact shape, or
  InvalidArgumentError is raised before anything is written.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from . import errors


def _numeric(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype "
                        f"{arr.dtype}")


def as_matrix(x: Any, name: str = "x", *, allow_nan: bool = True,
              columns: Optional[Sequence[str]] = None,
              check_values: bool = True
              ) -> Tuple[np.ndarray, Optional[List[str]]]:
    """``x`` (2-D array or DataFrame) as float64 C-contiguous, and its
    column names (from a DataFrame, or ``columns``)."""
    names: Optional[List[str]] = None
    if isinstance(x, pd.DataFrame):
        names = [str(c) for c in x.columns]
        dtypes = set(x.dtypes)
        for col, dt in zip(x.columns, x.dtypes):
            if not (isinstance(dt, np.dtype) and dt.kind in "biuf"):
                raise TypeError(f"{name}: column '{col}' has dtype {dt}; "
                                f"only real numbers are accepted")
        arr = x.to_numpy(dtype=np.float64, copy=False) if dtypes else \
            np.empty((len(x), 0))
    elif isinstance(x, np.ndarray):
        arr = x
    elif x is None:
        raise TypeError(f"{name} must be a 2-D array or DataFrame, got None")
    else:
        arr = np.asarray(x)
    if arr.ndim != 2:
        raise errors.InvalidArgumentError(
            f"{name} must be 2-D (rows x columns), got shape {arr.shape}")
    _numeric(arr, name)
    if arr.dtype != np.float64 or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    if columns is not None:
        columns = [str(c) for c in columns]
        if names is not None and names != columns:
            raise errors.InvalidArgumentError(
                f"{name}: the DataFrame's columns differ from `columns`")
        names = columns
    if names is not None and len(names) != arr.shape[1]:
        raise errors.InvalidArgumentError(
            f"{name} has {arr.shape[1]} columns but {len(names)} names")
    if check_values:
        check_finite(arr, name, allow_nan=allow_nan, names=names)
    return arr, names


def check_finite(arr: np.ndarray, name: str, *, allow_nan: bool,
                 names: Optional[Sequence[str]] = None) -> None:
    """Raises InvalidArgumentError for an infinite (or, unless allowed, a
    NaN) value, naming its position.

    One summing pass decides the common case (every value finite); only
    otherwise is the array scanned, in cache-sized chunks, for the first
    bad value.
    """
    if arr.size == 0 or np.isfinite(np.add.reduce(arr, axis=None)):
        return
    flat = arr.reshape(-1)
    step = 1 << 16
    for start in range(0, flat.size, step):
        chunk = flat[start:start + step]
        bad = np.isinf(chunk) if allow_nan else ~np.isfinite(chunk)
        if not bad.any():
            continue
        i = start + int(np.argmax(bad))
        value = flat[i]
        if arr.ndim == 1:
            where = f"row {i}"
        else:
            row, col = divmod(i, arr.shape[1])
            where = f"row {row}, column {names[col] if names else col}"
        what = "NaN" if np.isnan(value) else "an infinite value"
        raise errors.InvalidArgumentError(f"{name}: {what} at {where}")


def as_vector(v: Any, name: str, n: Optional[int] = None, *,
              allow_nan: bool = False) -> np.ndarray:
    """A 1-D float64 C-contiguous vector of length ``n``."""
    if v is None:
        raise TypeError(f"{name} must be a 1-D array, got None")
    arr = v.to_numpy() if isinstance(v, pd.Series) else np.asarray(v)
    if arr.ndim != 1:
        raise errors.InvalidArgumentError(
            f"{name} must be 1-D, got shape {arr.shape}")
    _numeric(arr, name)
    if n is not None and arr.shape[0] != n:
        raise errors.InvalidArgumentError(
            f"{name} has {arr.shape[0]} values, expected {n}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    check_finite(arr, name, allow_nan=allow_nan)
    return arr


def as_labels(y: Any, n: int, name: str = "labels") -> np.ndarray:
    """0/1 labels as a uint8 C-contiguous vector of length ``n``."""
    if y is None:
        raise TypeError(f"{name} must be a 1-D array of 0/1, got None")
    arr = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if arr.ndim != 1:
        raise errors.InvalidArgumentError(
            f"{name} must be 1-D, got shape {arr.shape}")
    _numeric(arr, name)
    if arr.shape[0] != n:
        raise errors.InvalidArgumentError(
            f"{name} has {arr.shape[0]} values, expected {n} (one per row)")
    if arr.dtype == np.uint8 and arr.flags.c_contiguous and (
            arr.size == 0 or arr.max() <= 1):
        return arr
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise errors.InvalidArgumentError(
            f"{name}[{i}]: {arr[i]!r} is not a label (0 or 1)")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def check_out(out: Any, shape: Tuple[int, ...], name: str) -> np.ndarray:
    """Checks a caller-allocated output array (never converted)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got "
                        f"{type(out).__name__}")
    if out.dtype != np.float64:
        raise errors.InvalidArgumentError(
            f"{name} must have dtype float64, got {out.dtype}")
    if out.shape != tuple(shape):
        raise errors.InvalidArgumentError(
            f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise errors.InvalidArgumentError(f"{name} must be C-contiguous")
    if not out.flags.writeable:
        raise errors.InvalidArgumentError(f"{name} is read-only")
    return out
