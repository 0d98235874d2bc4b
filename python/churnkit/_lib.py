"""Finding, loading and checking libchurnkit, and calling it.

The library is looked up, in order:

1. ``CHURNKIT_LIBRARY``: the path of the shared library (or of a directory
   holding ``libchurnkit.so``);
2. next to the package: ``churnkit/lib/`` or ``churnkit/`` (a wheel that
   bundles the library);
3. the system: the dynamic loader's search path (``ldconfig`` cache,
   ``LD_LIBRARY_PATH``) for ``libchurnkit.so.<ABI>``, then ``/usr/local/lib``
   and ``/usr/lib``.

It is loaded once, on first use, and checked: its ABI must be
:data:`ABI_VERSION` and its version at least :data:`MIN_VERSION_NUMBER`;
every function this package binds must be exported.  Anything else raises
:class:`~churnkit.errors.LibraryVersionError` naming the library and what
does not match.
"""

from __future__ import annotations

import ctypes
import os
import pathlib
import sys
import threading
from ctypes import (POINTER, c_char_p, c_double, c_int, c_int32, c_int64,
                    c_size_t, c_uint, c_uint8, c_void_p)
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import errors

#: The C ABI major this package is written against (``CK_ABI_VERSION``).
ABI_VERSION = 0
#: The oldest library version (``CK_VERSION_NUMBER``) with every bound call.
MIN_VERSION_NUMBER = 100  # 0.1.0

if sys.platform == "darwin":
    _LIB_NAMES = (f"libchurnkit.{ABI_VERSION}.dylib", "libchurnkit.dylib")
elif sys.platform == "win32":
    _LIB_NAMES = ("churnkit.dll",)
else:
    _LIB_NAMES = (f"libchurnkit.so.{ABI_VERSION}", "libchurnkit.so")

_vp = c_void_p
_P = POINTER
_pp = POINTER(c_void_p)
_cc = c_char_p

# name -> (restype, argtypes).  Handles are opaque c_void_p.
_SIGNATURES: Dict[str, Tuple[Any, List[Any]]] = {
    # versions and errors
    "ck_version": (c_char_p, []),
    "ck_version_number": (c_uint, []),
    "ck_abi_version": (c_uint, []),
    "ck_status_name": (c_char_p, [c_int]),
    "ck_last_error": (c_char_p, []),
    # buffers
    "ck_buffer_data": (c_void_p, [_vp]),
    "ck_buffer_size": (c_size_t, [_vp]),
    "ck_buffer_free": (None, [_vp]),
    # datasets
    "ck_dataset_load": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_dataset_from_records": (c_int, [c_char_p, c_size_t, c_int, _pp]),
    "ck_dataset_free": (None, [_vp]),
    "ck_dataset_num_customers": (c_int, [_vp, _P(c_size_t)]),
    "ck_dataset_num_events": (c_int, [_vp, _P(c_size_t)]),
    "ck_dataset_num_contacts": (c_int, [_vp, _P(c_size_t)]),
    "ck_dataset_num_contracts": (c_int, [_vp, _P(c_size_t)]),
    "ck_dataset_customer_id": (c_int, [_vp, c_size_t, _P(c_char_p)]),
    "ck_dataset_find_customer": (c_int, [_vp, c_char_p, _P(c_size_t)]),
    "ck_dataset_summary": (c_int, [_vp, _pp]),
    "ck_dataset_error_count": (c_int, [_vp, _P(c_size_t)]),
    "ck_dataset_error_report": (c_int, [_vp, _pp]),
    "ck_dataset_write": (c_int, [_vp, c_char_p, c_char_p]),
    "ck_dataset_serialize": (c_int, [_vp, _pp]),
    "ck_dataset_customer_ids": (c_int, [_vp, _pp]),
    "ck_dataset_generate": (c_int, [c_char_p, c_size_t, c_char_p, c_char_p]),
    "ck_time_parse": (c_int, [c_char_p, _P(c_int64)]),
    # features and matrices
    "ck_features_create": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_features_free": (None, [_vp]),
    "ck_features_num_columns": (c_int, [_vp, _P(c_size_t)]),
    "ck_features_column_name": (c_int, [_vp, c_size_t, _P(c_char_p)]),
    "ck_features_compute": (c_int, [_vp, _vp, c_int64, _P(c_size_t),
                                    c_size_t, _P(c_double), c_size_t]),
    "ck_features_compute_matrix": (c_int, [_vp, _vp, c_int64, _pp]),
    "ck_features_compute_panel": (c_int, [_vp, _vp, c_char_p, c_size_t,
                                          _P(c_int64), c_size_t, c_int32,
                                          _pp]),
    "ck_matrix_shape": (c_int, [_vp, _P(c_size_t), _P(c_size_t)]),
    "ck_matrix_data": (c_void_p, [_vp]),
    "ck_matrix_column_name": (c_int, [_vp, c_size_t, _P(c_char_p)]),
    "ck_matrix_row_as_of": (c_int, [_vp, c_size_t, _P(c_int64)]),
    "ck_matrix_labels": (c_int, [_vp, _P(c_void_p)]),
    "ck_matrix_customer_ids": (c_int, [_vp, _pp]),
    "ck_matrix_free": (None, [_vp]),
    # labels, reports, windows
    "ck_labels_compute": (c_int, [_vp, c_char_p, c_size_t, c_int64, _pp]),
    "ck_report_churn": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_report_extent": (c_int, [_vp, _pp]),
    "ck_report_resolve": (c_int, [c_char_p, c_size_t, _P(c_char_p),
                                  _P(c_size_t), c_size_t, _pp]),
    "ck_report_summarize": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_report_merge": (c_int, [_P(c_char_p), _P(c_size_t), c_size_t, _pp]),
    "ck_report_render": (c_int, [c_char_p, c_size_t, _pp]),
    # assessments over partitions (alert routing)
    "ck_assess_totals": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_assess_cutoffs": (c_int, [c_char_p, c_size_t, _P(c_char_p),
                                  _P(c_size_t), c_size_t, _pp]),
    "ck_assess_candidates": (c_int, [_vp, c_char_p, c_size_t, c_char_p,
                                     c_size_t, _pp]),
    "ck_assess_route": (c_int, [c_char_p, c_size_t, _P(c_char_p),
                                _P(c_size_t), c_size_t, _P(c_void_p)]),
    "ck_assess_partition": (c_int, [_vp, c_char_p, c_size_t, c_char_p,
                                    c_size_t, _pp]),
    "ck_assess_merge_summaries": (c_int, [_P(c_char_p), _P(c_size_t),
                                          c_size_t, _pp]),
    "ck_windows_suggest": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    # models
    "ck_model_fit": (c_int, [_P(c_double), c_size_t, c_size_t, _P(c_char_p),
                             _P(c_uint8), c_char_p, c_size_t, _pp]),
    "ck_model_predict": (c_int, [_vp, _P(c_double), c_size_t, c_size_t,
                                 _P(c_char_p), _P(c_double), c_size_t]),
    "ck_model_explain": (c_int, [_vp, _P(c_double), c_size_t, c_size_t,
                                 _P(c_char_p), c_size_t, c_char_p, c_size_t,
                                 _pp]),
    "ck_model_num_features": (c_int, [_vp, _P(c_size_t)]),
    "ck_model_feature_name": (c_int, [_vp, c_size_t, _P(c_char_p)]),
    "ck_model_save": (c_int, [_vp, _pp]),
    "ck_model_load": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_model_free": (None, [_vp]),
    "ck_job_train_panel": (c_int, [_vp, c_char_p, c_size_t, _pp, _pp]),
    "ck_fit_session_create": (c_int, [_P(c_char_p), c_size_t, c_char_p,
                                      c_size_t, _pp]),
    "ck_fit_session_round": (c_int, [_vp, _pp]),
    "ck_fit_session_advance": (c_int, [_vp, _P(c_char_p), _P(c_size_t),
                                       c_size_t, _P(c_int)]),
    "ck_fit_session_model": (c_int, [_vp, _pp]),
    "ck_fit_session_free": (None, [_vp]),
    "ck_fit_partial": (c_int, [c_char_p, c_size_t, _P(c_double), c_size_t,
                               c_size_t, _P(c_char_p), _P(c_uint8), _pp]),
    "ck_metrics_evaluate": (c_int, [_P(c_uint8), _P(c_double), c_size_t,
                                    c_char_p, c_size_t, _pp]),
    "ck_scorecard_learn": (c_int, [_P(c_double), c_size_t, c_size_t,
                                   _P(c_char_p), _P(c_uint8), c_char_p,
                                   c_size_t, _pp, _pp]),
    # experiments and statistics
    "ck_abtest_analyze": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_stats_two_proportion_test": (c_int, [c_int64, c_int64, c_int64,
                                             c_int64, _P(c_double),
                                             _P(c_double), _P(c_double)]),
    "ck_stats_difference_interval": (c_int, [c_int64, c_int64, c_int64,
                                             c_int64, c_double, c_int,
                                             _P(c_double), _P(c_double)]),
    "ck_stats_fisher_exact": (c_int, [c_int64, c_int64, c_int64, c_int64,
                                      _P(c_double), _P(c_double),
                                      _P(c_double), _P(c_double)]),
    "ck_stats_sample_size": (c_int, [c_double, c_double, c_double, c_double,
                                     _P(c_int64)]),
    # assessment
    "ck_assessor_create": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_assessor_free": (None, [_vp]),
    "ck_assessor_assess_with_model": (c_int, [_vp, _vp, c_int64, c_char_p,
                                              c_size_t, _vp, _pp]),
    "ck_assessor_assess_customer": (c_int, [_vp, _vp, c_char_p, c_size_t,
                                            _vp, _pp]),
    "ck_assessment_serialize": (c_int, [_vp, _pp]),
    "ck_assessment_history": (c_int, [_vp, _pp]),
    "ck_assessment_free": (None, [_vp]),
    # CLV
    "ck_clv_summaries": (c_int, [_vp, c_int64, c_char_p, c_size_t, _pp]),
    "ck_clv_fit": (c_int, [_P(c_double), _P(c_double), _P(c_double),
                           _P(c_double), c_size_t, c_char_p, c_size_t,
                           _pp]),
    "ck_clv_predict": (c_int, [c_char_p, c_size_t, _P(c_double),
                               _P(c_double), _P(c_double), _P(c_double),
                               c_size_t, c_char_p, c_size_t, _P(c_double),
                               _P(c_double), _P(c_double), _P(c_double)]),
    # segmentation
    "ck_segments_compute": (c_int, [_vp, c_char_p, c_size_t, _P(c_char_p),
                                    _P(c_double), c_size_t, _vp, _pp]),
    # experimental: protobuf helpers, bulk ids, jobs
    "ck_proto_from_text": (c_int, [c_char_p, c_char_p, _pp]),
    "ck_proto_from_json": (c_int, [c_char_p, c_char_p, _pp]),
    "ck_proto_to_json": (c_int, [c_char_p, c_char_p, c_size_t, _pp]),
    "ck_proto_get": (c_int, [c_char_p, c_char_p, c_size_t, c_char_p, _pp]),
    "ck_proto_set": (c_int, [c_char_p, c_char_p, c_size_t, c_char_p,
                             c_char_p, c_size_t, _pp]),
    "ck_config_validate": (c_int, [c_char_p, c_char_p, c_size_t]),
    "ck_job_train": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_job_train_table": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_job_assess": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_job_segment": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_job_report": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_job_clv": (c_int, [_vp, c_char_p, c_size_t, _pp]),
}

#: Newer experimental calls, bound when the library exports them; calling
#: one the library lacks raises UnimplementedError (see :func:`require`).
_OPTIONAL: Dict[str, Tuple[Any, List[Any]]] = {
    "ck_job_scorecard": (c_int, [_vp, c_char_p, c_size_t, _pp]),
    "ck_job_scorecard_table": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_job_generate": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_job_partition": (c_int, [c_char_p, c_size_t, _pp]),
    # CLV fits over partitions and value tiers
    "ck_clv_patterns": (c_int, [c_char_p, c_size_t, _pp]),
    "ck_clv_patterns_merge": (c_int, [_P(c_char_p), _P(c_size_t), c_size_t,
                                      _pp]),
    "ck_clv_fit_patterns": (c_int, [c_char_p, c_size_t, c_char_p, c_size_t,
                                    _pp]),
    "ck_tier_thresholds": (c_int, [_P(c_double), c_size_t, c_char_p,
                                   c_size_t, _P(c_double), _P(c_double)]),
    "ck_tier_assign": (c_int, [_P(c_double), c_size_t, c_double, c_double,
                               _P(c_int)]),
    "ck_threads_set": (c_int, [c_int]),
    "ck_threads_get": (c_int, []),
}


class Library:
    """The loaded, checked shared library: ``lib.ck_xxx(...)`` calls C."""

    def __init__(self, path: str, cdll: ctypes.CDLL) -> None:
        self.path = path
        self._cdll = cdll
        missing = [n for n in _SIGNATURES if not hasattr(cdll, n)]
        for name in ("ck_abi_version", "ck_version_number", "ck_version"):
            if name in missing:
                raise errors.LibraryVersionError(
                    f"{path} is not a churnkit library: it has no {name}")
        for name, (restype, argtypes) in _SIGNATURES.items():
            if name in missing:
                continue
            fn = getattr(cdll, name)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)
        self.abi = int(self.ck_abi_version())
        self.version_number = int(self.ck_version_number())
        self.version = self.ck_version().decode()
        check_version(path, self.abi, self.version_number, self.version,
                      missing)
        for name, (restype, argtypes) in _OPTIONAL.items():
            fn = getattr(cdll, name) if hasattr(cdll, name) else None
            if fn is not None:
                fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)

    def has(self, name: str) -> bool:
        """Whether the library exports the bound function ``name``."""
        return getattr(self, name, None) is not None

    def __repr__(self) -> str:
        return (f"<churnkit library {self.version} (ABI {self.abi}) "
                f"{self.path}>")


def check_version(path: str, abi: int, version_number: int, version: str,
                  missing: Sequence[str] = ()) -> None:
    """Raises LibraryVersionError unless the library can serve this package.

    Args:
        path: where the library was loaded from (for the message).
        abi: its ``ck_abi_version()``.
        version_number: its ``ck_version_number()``.
        version: its ``ck_version()``.
        missing: names of bound functions the library does not export.
    """
    from . import __version__ as package_version
    if abi != ABI_VERSION:
        raise errors.LibraryVersionError(
            f"{path} has C ABI {abi} (version {version}); churnkit "
            f"{package_version} (Python) needs ABI {ABI_VERSION}: install "
            f"the matching library or point CHURNKIT_LIBRARY at it")
    if version_number < MIN_VERSION_NUMBER:
        v = MIN_VERSION_NUMBER
        need = f"{v // 10000}.{v // 100 % 100}.{v % 100}"
        raise errors.LibraryVersionError(
            f"{path} is churnkit {version}, older than {need}, the oldest "
            f"the Python package {package_version} supports")
    if missing:
        raise errors.LibraryVersionError(
            f"{path} (churnkit {version}) lacks {len(missing)} function(s) "
            f"the Python package {package_version} binds: "
            f"{', '.join(sorted(missing)[:8])}"
            f"{' ...' if len(missing) > 8 else ''}; the library is older "
            f"(or newer) than this package")


def candidate_paths() -> List[str]:
    """The places searched for the library, in order (see module doc)."""
    out: List[str] = []
    env = os.environ.get("CHURNKIT_LIBRARY")
    if env:
        p = pathlib.Path(env)
        if p.is_dir():
            out.extend(str(p / n) for n in _LIB_NAMES)
        else:
            out.append(env)
        return out  # an explicit choice is never silently replaced
    here = pathlib.Path(__file__).resolve().parent
    for d in (here / "lib", here):
        out.extend(str(d / n) for n in _LIB_NAMES)
    out.append(_LIB_NAMES[0])  # the dynamic loader's search path
    for d in ("/usr/local/lib", "/usr/local/lib64",
              "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
              "/usr/lib", "/usr/lib64"):
        out.extend(str(pathlib.Path(d) / n) for n in _LIB_NAMES[:2])
    return out


def load_library(path: Optional[str] = None) -> Library:
    """Loads and checks a library; ``path`` None searches as documented.

    Raises:
        LibraryNotFoundError: nothing loadable was found (lists the places).
        LibraryVersionError: the library does not match this package.
    """
    tried: List[str] = []
    for candidate in ([path] if path else candidate_paths()):
        if os.sep in candidate and not os.path.exists(candidate):
            tried.append(f"{candidate} (missing)")
            continue
        try:
            cdll = ctypes.CDLL(candidate)
        except OSError as e:
            tried.append(f"{candidate} ({e})")
            continue
        return Library(getattr(cdll, "_name", candidate), cdll)
    raise errors.LibraryNotFoundError(
        "libchurnkit was not found; set CHURNKIT_LIBRARY to the path of "
        "libchurnkit.so. Tried: " + "; ".join(tried))


_lock = threading.Lock()
_library: Optional[Library] = None


def lib() -> Library:
    """The process's library, loaded and checked on first use."""
    global _library
    if _library is None:
        with _lock:
            if _library is None:
                _library = load_library()
    return _library


# ---------------------------------------------------------------- calling C


def check(status: int) -> None:
    """Raises the churnkit.Error of a non-OK status with ck_last_error()."""
    if status != 0:
        message = lib().ck_last_error()
        raise errors.error_for_status(
            status, message.decode("utf-8", "replace") if message else "")


def require(name: str) -> None:
    """Raises UnimplementedError when the library lacks ``name`` (a newer
    experimental call)."""
    L = lib()
    if not L.has(name):
        raise errors.UnimplementedError(
            f"{L.path} (churnkit {L.version}) has no {name}; it needs a "
            f"newer library")


def call(name: str, *args: Any) -> None:
    """Calls ``name`` and raises on a non-OK status.

    The status and ``ck_last_error()`` are read on the same thread right
    after the call, so concurrent calls from other threads do not mix up
    messages (the message is thread-local in C).
    """
    check(getattr(lib(), name)(*args))


def call_buffer(name: str, *args: Any) -> bytes:
    """Calls a function whose last argument is ``ck_buffer_t** out`` and
    returns the bytes (copied; the buffer is freed)."""
    L = lib()
    buf = c_void_p()
    check(getattr(L, name)(*args, ctypes.byref(buf)))
    try:
        return buffer_bytes(buf)
    finally:
        L.ck_buffer_free(buf)


def buffer_bytes(buf: c_void_p) -> bytes:
    """The bytes of a ck_buffer_t (copied)."""
    L = lib()
    size = L.ck_buffer_size(buf)
    if size == 0:
        return b""
    return ctypes.string_at(L.ck_buffer_data(buf), size)


def make_handle(name: str, *args: Any) -> c_void_p:
    """Calls a constructor whose last argument is ``T** out``."""
    out = c_void_p()
    call(name, *args, ctypes.byref(out))
    if not out.value:
        raise errors.InternalError(f"{name} returned OK without a handle")
    return out


class Handle:
    """Owns one C handle and frees it exactly once (also at exit)."""

    __slots__ = ("ptr", "_free", "__weakref__")

    def __init__(self, ptr: c_void_p, free_name: str) -> None:
        self.ptr = ptr
        self._free: Optional[Callable[[c_void_p], None]] = getattr(
            lib(), free_name)

    def __del__(self) -> None:
        free, self._free = self._free, None
        if free is not None and self.ptr:
            try:
                free(self.ptr)
            except Exception:  # interpreter shutdown
                pass
            self.ptr = None  # type: ignore[assignment]


def utf8(text: str, what: str) -> bytes:
    """``text`` as NUL-free UTF-8 for a ``const char*`` argument."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, got {type(text).__name__}")
    data = text.encode("utf-8")
    if b"\0" in data:
        raise errors.InvalidArgumentError(f"{what} holds a NUL character")
    return data


def decode(ptr: Optional[bytes]) -> str:
    """A ``const char*`` result as str ('' for NULL)."""
    return ptr.decode("utf-8") if ptr else ""


def split_ids(data: bytes) -> List[str]:
    """Ids from a buffer of NUL-terminated strings."""
    if not data:
        return []
    return data[:-1].decode("utf-8").split("\0")
