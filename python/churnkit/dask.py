"""Per-customer steps over customer partitions, on a Dask cluster or one
machine (issue 17, docs/scale-out.md).

A data set split by :func:`churnkit.partition` (or ``churnkit partition``)
is a list of normal data sets in which every customer lives in exactly one
partition; per-customer results on a partition equal those on the whole,
bit for bit.  So features, labels, health assessments and model scores of
any number of customers are computed partition by partition:

* with a ``dask.distributed.Client``: one task per partition
  (``client.map``); each task loads its partition **on the worker** from
  the partition's load options, sets the library's threads for itself
  (``ck_threads_set``), computes the steps and returns small DataFrames;
* with ``client=None``: the same tasks run in turn in this process, so the
  peak memory is that of the largest partition plus the results.

The results are gathered into one pandas DataFrame per table, in
customer-id order — equal, bit for bit, to what the single-process calls
(:meth:`FeatureSet.compute <churnkit.FeatureSet.compute>`,
:func:`churnkit.labels`, :func:`churnkit.assess`, :meth:`Model.predict
<churnkit.Model.predict>`) give on the whole data set sorted by customer id
— or, with ``output="dask"``, as dask DataFrames with one partition each.

The partitions' files must be readable by the workers at the paths in
their load options: workers on the same machine, or a shared filesystem
mounted at the same path everywhere (:func:`churnkit.partition` writes
absolute paths).  Every worker needs the same churnkit package and
library as the client (checked by each task: a mismatch raises
:class:`~churnkit.LibraryVersionError`).

Results that need all customers — the model fit, reports, value tiers,
CLV fits, and the assessment's alert routing (owners' capacity, risk
floor, ranking, ``red_share``) — are not distributed yet: they need
mergeable summaries from the library (issue 17) and run single-process.

``dask`` and ``distributed`` are imported on first use; without them the
functions raise ImportError saying what to install.
"""

from __future__ import annotations

import os
import resource
import time
from typing import (TYPE_CHECKING, Any, Dict, Iterable, List, Mapping,
                    Optional, Sequence, Tuple, Union)

import numpy as np
import pandas as pd

from . import _lib, _proto, errors
from .dataset import Dataset, DateLike, iso_time
from .model import Model
from .results import DataPartition, PartitionResult

if TYPE_CHECKING:  # pragma: no cover
    import distributed

__all__ = ["STEPS", "run", "submit", "gather", "features", "labels",
           "assess", "scores", "connect", "worker_threads"]

#: The per-customer steps, in the order a task computes them.
STEPS = ("features", "labels", "assess", "scores")

#: The AssessResult columns that are per customer (equal on a partition
#: and on the whole); alerts, tasks and level depend on the whole run's
#: alert routing and are left out.
ASSESS_COLUMNS = ["customer_id", "score", "colour", "score_change",
                  "churned", "churn_probability"]

PartsLike = Union[PartitionResult, Sequence[DataPartition], str,
                  "os.PathLike[str]"]


# ------------------------------------------------------------------ imports

def _distributed():
    """The ``distributed`` module, or ImportError saying what is missing."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as e:  # pragma: no cover - depends on the system
        raise ImportError(
            f"churnkit.dask needs dask and distributed ({e}); on Debian: "
            f"apt-get install python3-dask python3-distributed (or pip "
            f"install 'dask[distributed]')") from e
    return distributed


def connect(address: str, *, timeout: Union[str, float] = "10s",
            **kwargs: Any) -> "distributed.Client":
    """A ``dask.distributed.Client`` of the scheduler at ``address``
    (e.g. ``"tcp://10.0.0.5:8786"``), given up after ``timeout``.

    Raises:
        UnavailableError: the scheduler cannot be reached within
            ``timeout`` (the address, and what the client said).
        ImportError: dask / distributed are not installed.
    """
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=timeout, **kwargs)
    except (OSError, TimeoutError) as e:
        raise errors.UnavailableError(
            f"cannot reach the dask scheduler at {address} within "
            f"{timeout}: {e}; start one with `dask scheduler` and workers "
            f"with `dask worker {address}` (docs/scale-out.md)") from e


def _check_client(client: Any, timeout: float) -> None:
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a dask.distributed.Client or None, "
                        f"got {type(client).__name__}")
    if client.status != "running":
        address = getattr(client.scheduler, "address", None)
        raise errors.UnavailableError(
            f"the dask client is not connected to its scheduler (status "
            f"{client.status!r}, scheduler {address}); make a new Client, "
            f"e.g. churnkit.dask.connect(address, timeout='10s')")
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise errors.UnavailableError(
            f"no dask worker joined the scheduler "
            f"{client.scheduler.address} within {timeout} s ({e}); start "
            f"workers with `dask worker {client.scheduler.address}`") from e


# -------------------------------------------------------------- partitions

def _parts(parts: PartsLike) -> List[DataPartition]:
    if isinstance(parts, (str, os.PathLike)):
        parts = PartitionResult.open(parts)
    if isinstance(parts, PartitionResult):
        out = list(parts.parts)
    elif isinstance(parts, DataPartition):
        out = [parts]
    else:
        out = list(parts)
        for p in out:
            if not isinstance(p, DataPartition):
                raise TypeError(
                    f"parts must be a PartitionResult, a partitions "
                    f"directory or DataPartitions, got an item of type "
                    f"{type(p).__name__}")
    if not out:
        raise errors.InvalidArgumentError(
            "parts: no partitions (a PartitionResult has 1..4096)")
    return out


# ------------------------------------------------------------ version check

def _expected_version() -> Dict[str, Any]:
    from . import __version__
    L = _lib.lib()
    return {"package": __version__, "version": L.version,
            "version_number": L.version_number, "abi": L.abi}


def _check_version(expect: Mapping[str, Any], where: str) -> None:
    from . import __version__
    try:
        L = _lib.lib()
    except errors.LibraryError as e:
        raise type(e)(f"{where}: {e.message}") from e
    got = {"package": __version__, "version": L.version,
           "version_number": L.version_number, "abi": L.abi}
    if any(got[k] != expect.get(k) for k in got):
        raise errors.LibraryVersionError(
            f"{where} has churnkit {got['version']} (package "
            f"{got['package']}, ABI {got['abi']}, {L.path}); the client "
            f"has churnkit {expect.get('version')} (package "
            f"{expect.get('package')}, ABI {expect.get('abi')}): install "
            f"the same churnkit on the client and every worker")


# ----------------------------------------------------------------- threads

def worker_threads(client: "distributed.Client") -> Dict[str, int]:
    """The library threads each worker's tasks use by default, by worker
    address: the host's cores shared evenly among the task slots
    (``nthreads``) of every worker on that host, at least 1.  E.g.
    ``LocalCluster(n_workers=2, threads_per_worker=1)`` on 2 cores: 1 each;
    one ``dask worker --nthreads 1`` on a 16-core host: 16; ``dask worker
    --nthreads 16`` there: 1 per task (16 partitions at once)."""
    info = client.scheduler_info()["workers"]
    slots = _slots_by_host(info)
    cores = client.run(_cpu_count)
    out = {}
    for addr, w in info.items():
        host = w.get("host", addr)
        out[addr] = max(1, int(cores.get(addr, 1)) // max(1, slots[host]))
    return out


def _slots_by_host(info: Mapping[str, Mapping[str, Any]]) -> Dict[str, int]:
    slots: Dict[str, int] = {}
    for addr, w in info.items():
        host = w.get("host", addr)
        slots[host] = slots.get(host, 0) + int(w.get("nthreads", 1))
    return slots


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _task_threads(threads: Optional[int],
                  slots: Optional[Mapping[str, int]]) -> Tuple[int, str]:
    """(threads for this task, where it runs)."""
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    if worker is None:
        return (0 if threads is None else int(threads)), "this process"
    where = f"worker {worker.address}"
    if threads is not None:
        return int(threads), where
    from distributed.comm import get_address_host
    state = getattr(worker, "state", worker)
    host = get_address_host(worker.address)
    n = (slots or {}).get(host) or int(state.nthreads)
    return max(1, _cpu_count() // max(1, n)), where


# -------------------------------------------------------------------- task

def _peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _run_partition(load: bytes, index: int, paths: Sequence[str],
                   as_of: str, steps: Sequence[str], spec: Mapping[str, Any],
                   expect: Mapping[str, Any], threads: Optional[int] = None,
                   slots: Optional[Mapping[str, int]] = None
                   ) -> Dict[str, Any]:
    """One task: loads partition ``index`` from its LoadOptions bytes and
    computes ``steps``.  Runs on a Dask worker (or in this process)."""
    from .features import FeatureSet
    from .jobs import assess as _assess
    from .jobs import labels as _labels
    from .partitions import get_threads, set_threads
    start = time.perf_counter()
    n, where = _task_threads(threads, slots)
    label = f"partition {index} ({', '.join(paths)}) on {where}"
    _check_version(expect, where)
    previous = get_threads()
    set_threads(n)
    try:
        seconds: Dict[str, float] = {}
        clock = time.perf_counter()

        def lap(step: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[f"seconds_{step}"] = now - clock
            clock = now

        try:
            ds = Dataset(_lib.make_handle("ck_dataset_load", load, len(load)))
        except errors.Error as e:
            raise type(e)(f"{label}: {e.message}") from e
        lap("load")
        out: Dict[str, Any] = {}
        try:
            fs = FeatureSet(spec.get("feature_set"))
            if "features" in steps or "scores" in steps:
                m = fs.compute(ds, as_of)
                x = m.to_frame()
                if "features" in steps:
                    out["features"] = pd.DataFrame(
                        np.array(m.values), index=x.index, columns=x.columns)
                lap("features")
                if "scores" in steps:
                    model = Model.load(spec["model"])
                    out["scores"] = pd.DataFrame(
                        {"churn_probability": model.predict(x)},
                        index=x.index)
                    lap("scores")
                del x, m
            if "labels" in steps:
                out["labels"] = _labels(ds, as_of,
                                        spec.get("definition")).labels
                lap("labels")
            if "assess" in steps:
                r = _assess(ds, as_of, model=spec.get("model"),
                            config=spec.get("config"),
                            model_reasons=spec.get("model_reasons"))
                out["assessments"] = r.customers[ASSESS_COLUMNS]
                out["dimensions"] = r.dimensions
                out["churn_reasons"] = r.churn_reasons
                del r
                lap("assess")
            customers = ds.num_customers
            events = ds.num_events
        except errors.Error as e:
            raise type(e)(f"{label}: {e.message}") from e
        del ds
    finally:
        set_threads(previous)
    out["info"] = {"index": index, "where": where, "threads": n,
                   "customers": customers, "events": events,
                   "seconds": time.perf_counter() - start, **seconds,
                   "peak_rss_bytes": _peak_rss_bytes(), "pid": os.getpid()}
    return out


def _take(result: Mapping[str, Any], table: str) -> pd.DataFrame:
    return result[table]


# ------------------------------------------------------------------ public

def _threads_arg(threads: Any) -> Optional[int]:
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(
            threads, (int, np.integer)) or not 0 <= int(threads) <= 4096:
        raise errors.InvalidArgumentError(
            f"threads: must be an int in 0..4096 or None, got {threads!r}")
    return int(threads)


def _steps(steps: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    return (steps,) if isinstance(steps, str) else tuple(steps)


def _spec(steps: Sequence[str], feature_set: _proto.Message,
          definition: _proto.Message, config: _proto.Message,
          model: Union[Model, bytes, None],
          model_reasons: Optional[int]) -> Dict[str, Any]:
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        raise errors.InvalidArgumentError(
            f"steps: {unknown[0]!r} is not a step; the steps are "
            f"{', '.join(STEPS)}" if unknown else "steps: none given")
    spec: Dict[str, Any] = {}
    if feature_set is not None:
        spec["feature_set"] = _proto.encode("FeatureSet", feature_set)
    if definition is not None:
        spec["definition"] = _proto.encode("ChurnDefinition", definition)
    if config is not None:
        cfg = _proto.encode("AssessmentConfig", config)
        if "red_share" in _proto.decode("AssessmentConfig", cfg):
            raise errors.InvalidArgumentError(
                "config.red_share: colours from capacity rank the whole "
                "run's customers, so they are not per partition; assess "
                "single-process, or leave red_share unset (docs/"
                "scale-out.md)")
        spec["config"] = cfg
    if model is not None:
        if isinstance(model, Model):
            spec["model"] = model.save()
        elif isinstance(model, (bytes, bytearray, memoryview)):
            spec["model"] = bytes(model)
        else:
            raise TypeError(f"model must be a churnkit.Model or its saved "
                            f"bytes, got {type(model).__name__}")
    elif "scores" in steps:
        raise errors.InvalidArgumentError(
            "model: required for the scores step")
    if model_reasons is not None:
        spec["model_reasons"] = int(model_reasons)
    return spec


def submit(parts: PartsLike, as_of: DateLike, *,
           client: Optional["distributed.Client"] = None,
           steps: Sequence[str] = ("features", "labels", "assess"),
           feature_set: _proto.Message = None,
           definition: _proto.Message = None, config: _proto.Message = None,
           model: Union[Model, bytes, None] = None,
           model_reasons: Optional[int] = None,
           threads: Optional[int] = None, timeout: float = 30.0
           ) -> List[Any]:
    """Starts one task per partition and returns their futures (with a
    client) or their results (``client=None``: computed here, in turn);
    :func:`gather` merges either.  Arguments as :func:`run`."""
    plist = _parts(parts)
    steps = _steps(steps)
    spec = _spec(steps, feature_set, definition, config, model,
                 model_reasons)
    when = iso_time(as_of)
    expect = _expected_version()
    threads = _threads_arg(threads)
    args = [(p.load_options(), p.index, p.paths) for p in plist]
    if client is None:
        return [_run_partition(load, i, paths, when, tuple(steps), spec,
                               expect, threads) for load, i, paths in args]
    _check_client(client, timeout)
    slots = _slots_by_host(client.scheduler_info()["workers"])
    return client.map(
        _run_partition, [a[0] for a in args], [a[1] for a in args],
        [a[2] for a in args], as_of=when, steps=tuple(steps), spec=spec,
        expect=expect, threads=threads, slots=slots, pure=False,
        key=[f"churnkit-partition-{i}-{os.urandom(4).hex()}"
             for _, i, _ in args])


def _merge(frames: Iterable[pd.DataFrame], by_index: bool) -> pd.DataFrame:
    df = pd.concat(list(frames), copy=False)
    if by_index:
        return df.sort_index(kind="stable")
    return df.sort_values("customer_id", kind="stable").reset_index(drop=True)


def gather(results: Sequence[Any], *,
           client: Optional["distributed.Client"] = None,
           output: str = "pandas") -> Dict[str, Any]:
    """Merges the per-partition results of :func:`submit` (futures are
    gathered with ``client``) into one table per step, in customer-id
    order; ``output="dask"`` makes dask DataFrames of the futures instead
    (one dask partition per churnkit partition, each in customer-id
    order; divisions unknown)."""
    if output not in ("pandas", "dask"):
        raise errors.InvalidArgumentError(
            f"output must be 'pandas' or 'dask', got {output!r}")
    if output == "dask":
        _distributed()
        import dask
        import dask.dataframe as dd
        if client is None:
            parts = [dask.delayed(r) for r in results]
            first = results[0]
        else:
            parts = list(results)
            first = client.gather(parts[0])
        out: Dict[str, Any] = {}
        for table in first:
            if table == "info":
                continue
            meta = first[table].iloc[0:0]
            if client is None:
                items = [dask.delayed(_take)(p, table) for p in parts]
            else:
                items = [client.submit(_take, p, table, pure=False)
                         for p in parts]
            out[table] = dd.from_delayed(items, meta=meta,
                                         verify_meta=False)
        return out
    if client is not None:
        results = client.gather(list(results))
    results = list(results)
    out = {}
    for table in results[0]:
        if table == "info":
            continue
        out[table] = _merge((r[table] for r in results),
                            by_index=table in ("features", "scores"))
    out["info"] = pd.DataFrame([r["info"] for r in results]).sort_values(
        "index", kind="stable").reset_index(drop=True)
    return out


def run(parts: PartsLike, as_of: DateLike, *,
        client: Optional["distributed.Client"] = None,
        steps: Sequence[str] = ("features", "labels", "assess"),
        feature_set: _proto.Message = None,
        definition: _proto.Message = None, config: _proto.Message = None,
        model: Union[Model, bytes, None] = None,
        model_reasons: Optional[int] = None, threads: Optional[int] = None,
        output: str = "pandas", timeout: float = 30.0) -> Dict[str, Any]:
    """Computes per-customer steps over customer partitions: one task per
    partition, which loads the partition once and computes every step.

    Args:
        parts: a :class:`~churnkit.PartitionResult` (from
            :func:`churnkit.partition`), its directory, or DataPartitions.
        as_of: the date of the features, labels and assessment.
        client: a ``dask.distributed.Client`` (tasks run on its workers:
            the partition files must be readable there); None: the
            partitions are processed in turn in this process (peak memory:
            the largest partition plus the results).
        steps: any of ``"features"``, ``"labels"``, ``"assess"``,
            ``"scores"`` (scores need ``model``).
        feature_set: churnkit.v1.FeatureSet of the features and of the
            scores' input (None: the shipped set, which ``churnkit.train``
            uses by default).
        definition: churnkit.v1.ChurnDefinition of the labels.
        config: churnkit.v1.AssessmentConfig of the assessment (None: the
            shipped one; ``red_share`` is refused: it ranks the whole run).
        model: a :class:`~churnkit.Model` (or its bytes) for the scores
            and the assessment's churn probabilities and reasons.
        model_reasons: reasons per customer in the assessment (default 3).
        threads: library threads per task (``ck_threads_set``); None: with
            a client, the worker host's cores shared among its task slots
            (:func:`worker_threads`); without, every core.
        output: ``"pandas"`` or ``"dask"`` (dask DataFrames over the
            tasks' results, which stay on the workers until computed).
        timeout: seconds to wait for at least one worker.

    Returns a dict of DataFrames, each in customer-id order:

    * ``features``: index customer_id, one float64 column per feature
      (customers signed up before ``as_of``);
    * ``labels``: the :class:`~churnkit.LabelSet` ``labels`` table;
    * ``assessments``: customer_id, score, colour, score_change, churned,
      churn_probability (:data:`ASSESS_COLUMNS`); ``dimensions`` and
      ``churn_reasons`` as in :class:`~churnkit.AssessResult`;
    * ``scores``: index customer_id, ``churn_probability`` (the model on
      ``features``);
    * ``info`` (pandas output): per partition the worker, threads,
      customers, events, seconds (in all and per step: ``seconds_load``,
      ``seconds_features`` ...) and the process's peak RSS so far
      (``peak_rss_bytes``, ``getrusage`` of the worker process).

    Raises:
        InvalidArgumentError: no partitions, an unknown step, scores
            without a model, ``red_share``, bad threads or output.
        NotFoundError / PermissionDeniedError: a partition's file, named
            with the partition and the worker.
        LibraryVersionError: a worker's churnkit differs from the client's.
        UnavailableError: the client is not connected, or no worker joined
            within ``timeout``.
    """
    if output not in ("pandas", "dask"):
        raise errors.InvalidArgumentError(
            f"output must be 'pandas' or 'dask', got {output!r}")
    if output == "dask" and client is None:
        # lazily: each partition is loaded when its dask partition is
        _distributed()
        import dask
        plist = _parts(parts)
        steps = _steps(steps)
        spec = _spec(steps, feature_set, definition, config, model,
                     model_reasons)
        expect = _expected_version()
        threads = _threads_arg(threads)
        results = [dask.delayed(_run_partition, pure=False)(
            p.load_options(), p.index, p.paths, iso_time(as_of), steps,
            spec, expect, threads) for p in plist]
        return _gather_delayed(results)
    futures = submit(parts, as_of, client=client, steps=steps,
                     feature_set=feature_set, definition=definition,
                     config=config, model=model, model_reasons=model_reasons,
                     threads=threads, timeout=timeout)
    return gather(futures, client=client, output=output)


def _gather_delayed(results: List[Any]) -> Dict[str, Any]:
    import dask
    import dask.dataframe as dd
    # the first partition is computed now, for the frames' meta, and
    # used as computed; the others when their dask partitions are
    first = results[0].compute(scheduler="sync")
    out: Dict[str, Any] = {}
    for table in first:
        if table == "info":
            continue
        items = [dask.delayed(_take)(r, table)
                 for r in [first] + results[1:]]
        out[table] = dd.from_delayed(items, meta=first[table].iloc[0:0],
                                     verify_meta=False)
    return out


def features(parts: PartsLike, as_of: DateLike, *,
             client: Optional["distributed.Client"] = None,
             feature_set: _proto.Message = None, **kwargs: Any
             ) -> pd.DataFrame:
    """Every customer's features as of a date, over partitions: the
    ``features`` table of :func:`run` (index customer_id)."""
    return run(parts, as_of, client=client, steps=("features",),
               feature_set=feature_set, **kwargs)["features"]


def labels(parts: PartsLike, as_of: DateLike, *,
           client: Optional["distributed.Client"] = None,
           definition: _proto.Message = None, **kwargs: Any
           ) -> pd.DataFrame:
    """Every customer's churn label as of a date, over partitions: the
    ``labels`` table of :func:`run`."""
    return run(parts, as_of, client=client, steps=("labels",),
               definition=definition, **kwargs)["labels"]


def assess(parts: PartsLike, as_of: DateLike, *,
           client: Optional["distributed.Client"] = None,
           config: _proto.Message = None,
           model: Union[Model, bytes, None] = None, **kwargs: Any
           ) -> Dict[str, pd.DataFrame]:
    """Every customer's health assessment, over partitions: the
    ``assessments``, ``dimensions`` and ``churn_reasons`` tables of
    :func:`run` (per customer; the alert routing is not distributed)."""
    out = run(parts, as_of, client=client, steps=("assess",), config=config,
              model=model, **kwargs)
    return {k: out[k] for k in ("assessments", "dimensions",
                                "churn_reasons")}


def scores(parts: PartsLike, as_of: DateLike, model: Union[Model, bytes], *,
           client: Optional["distributed.Client"] = None,
           feature_set: _proto.Message = None, **kwargs: Any
           ) -> pd.DataFrame:
    """Every customer's churn probability under ``model`` as of a date,
    over partitions: the ``scores`` table of :func:`run`."""
    return run(parts, as_of, client=client, steps=("scores",), model=model,
               feature_set=feature_set, **kwargs)["scores"]
