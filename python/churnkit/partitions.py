"""Customer partitions and the library's worker threads (issue 17).

:func:`partition` splits a data set into N data sets by a stable hash of
the customer id (FNV-1a 64 of the id's UTF-8 bytes modulo N; owners go to
every partition), streaming in bounded memory, written atomically
(``ck_job_partition``; the same as ``churnkit partition``).  Each partition
is a normal data set, and per-customer results on it (features, labels,
health scores, model scores) equal those on the whole, bit for bit, so the
partitions can be processed one at a time or on a Dask cluster
(:mod:`churnkit.dask`, docs/scale-out.md).

:func:`set_threads` / :func:`get_threads` bind ``ck_threads_set`` /
``ck_threads_get``: the worker threads of the library calls made from the
*calling thread* (like ``omp_set_num_threads``).

(The module is ``partitions``, not ``partition``: a submodule must not take
the name of a package function.)
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from . import _lib, _proto, errors
from .dataset import PathLike
from .results import DataPartition, PartitionResult

__all__ = ["partition", "open_partitions", "set_threads", "get_threads",
           "PartitionResult", "DataPartition"]


def partition(data: Union[PathLike, Sequence[PathLike]], partitions: int,
              out_dir: PathLike, *, format: Optional[str] = None,
              strict: bool = False, max_errors: Optional[int] = None,
              options: _proto.Message = None) -> PartitionResult:
    """Splits a data set into ``partitions`` customer partitions under
    ``out_dir`` (``ck_job_partition``; ``churnkit partition DATA
    --partitions N --out DIR``).

    Every row of a customer goes to partition FNV-1a 64(id) mod N (stable
    across runs, machines and versions); owners go to every partition; CSV
    tables keep their format (header, delimiter), PB and JSONL records
    theirs.  Memory stays bounded (a 64 KiB buffer per partition) whatever
    the input's size.  The partitions are written under a temporary name
    and renamed when complete, with ``partitions.textproto`` (this result),
    so they appear together or not at all.

    Args:
        data: the input as for :func:`churnkit.load`: a directory of CSV
            tables, or JSONL / PB record files.
        partitions: 1..4096.
        out_dir: created; it must not exist or be empty.  Made absolute
            here, so the partitions' load options name absolute paths that
            workers on a shared filesystem can read.
        format, strict, max_errors, options: as :meth:`Dataset.load
            <churnkit.Dataset.load>` (a churnkit.v1.LoadOptions for column
            mappings and validation); each partition keeps them.

    Returns a :class:`~churnkit.results.PartitionResult`: ``parts`` (index,
    ``load`` options, rows), ``rows_read``, ``unrouted``, ``errors``.

    Raises:
        InvalidArgumentError: ``partitions`` outside 1..4096 ("partitions:
            must be in 1..4096, got 0"), bad load options.
        AlreadyExistsError: ``out_dir`` holds something.
        NotFoundError / PermissionDeniedError: an unreadable input.
        UnavailableError: ``out_dir`` cannot be written.
        UnimplementedError: a library older than ``ck_job_partition``.
    """
    _lib.require("ck_job_partition")
    if isinstance(partitions, bool) or not isinstance(partitions, int):
        try:
            import numpy as np
            if isinstance(partitions, np.integer):
                partitions = int(partitions)
        except ImportError:  # pragma: no cover
            pass
    if isinstance(partitions, bool) or not isinstance(partitions, int):
        raise TypeError(f"partitions must be an int, got "
                        f"{type(partitions).__name__}")
    request = _proto.to_dict("LoadOptions", options)
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    request["paths"] = [os.fspath(p) for p in data]
    if format is not None:
        request["format"] = format.upper()
    if strict:
        request.setdefault("validation", {})["policy"] = "STRICT"
    if max_errors is not None:
        request.setdefault("validation", {})["max_errors"] = int(max_errors)
    body = {"input": request, "partitions": partitions,
            "out_dir": os.path.abspath(os.fspath(out_dir))}
    req = _proto.encode("PartitionRequest", body)
    return PartitionResult(_lib.call_buffer("ck_job_partition", req,
                                            len(req)))


def open_partitions(path: PathLike) -> PartitionResult:
    """The :class:`~churnkit.results.PartitionResult` of a partitions
    directory (its ``partitions.textproto``); see
    :meth:`PartitionResult.open <churnkit.results.PartitionResult.open>`.
    """
    return PartitionResult.open(path)


def set_threads(n: int) -> None:
    """Sets the worker threads of the library calls made from the calling
    thread (``ck_threads_set``): 0 = one per core (the default), 1 = the
    calling thread alone.  Per calling thread, like
    ``omp_set_num_threads``: a Dask worker thread, a web server's request
    thread or a ``ThreadPoolExecutor`` thread each sets its own share.  A
    ``threads`` argument of a job wins over it.  Results do not depend on
    the thread count.

    Raises:
        TypeError: ``n`` is not an int.
        InvalidArgumentError: ``n`` < 0 or > 4096.
        UnimplementedError: a library older than ``ck_threads_set``.
    """
    _lib.require("ck_threads_set")
    try:
        import numpy as np
        if isinstance(n, np.integer):
            n = int(n)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"threads must be an int, got {type(n).__name__}")
    if n < 0 or n > 4096:  # checked here too: ctypes would wrap big values
        raise errors.InvalidArgumentError(
            f"threads: must be in 0..4096, got {n}")
    _lib.call("ck_threads_set", n)


def get_threads() -> int:
    """The calling thread's setting of :func:`set_threads` (0: one per
    core)."""
    _lib.require("ck_threads_get")
    return int(_lib.lib().ck_threads_get())
