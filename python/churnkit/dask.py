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

The churn model (:func:`train`) is fitted over partitions too (panels stay
where they are computed and only the library's per-round summaries
travel), the churn report is merged from per-partition summaries
(:func:`report`, equal to :func:`churnkit.report` on the whole), and CLV
fits and value tiers (:func:`clv`, :func:`value_tiers`) from RFM pattern
counts and sorted values, exactly.  The assessment's alert routing
(owners' capacity, risk floor, ranking, ``red_share``) needs all
customers and is not distributed yet.

``dask`` and ``distributed`` are imported on first use; without them the
functions raise ImportError saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from typing import (TYPE_CHECKING, Any, Dict, Iterable, Iterator, List,
                    Mapping, Optional, Sequence, Tuple, Union)

import numpy as np
import pandas as pd

from . import _frames, _lib, _proto, errors
from .dataset import Dataset, DateLike, iso_time, parse_time
from .model import Model
from .results import DataPartition, PartitionResult

if TYPE_CHECKING:  # pragma: no cover
    import distributed

    from .results import ChurnReport

__all__ = ["STEPS", "run", "submit", "gather", "features", "labels",
           "assess", "scores", "train", "PartitionedTrainResult", "report",
           "clv", "value_tiers", "connect", "worker_threads"]

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


def _map(client: Optional["distributed.Client"], fn: Any,
         items: Sequence[Any], *args: Any) -> List[Any]:
    """fn(item, *args) per item: as tasks next to the items (futures) with
    a client, here without."""
    if client is None:
        return [fn(item, *args) for item in items]
    return [client.submit(fn, item, *args, pure=False) for item in items]


def _gathered(client: Optional["distributed.Client"],
              items: Sequence[Any]) -> List[Any]:
    """The results of :func:`_map` or :func:`_map_partitions`."""
    return list(items) if client is None else client.gather(list(items))


def _map_partitions(fn: Any, plist: Sequence[DataPartition],
                    client: Optional["distributed.Client"], timeout: float,
                    name: str, **kwargs: Any) -> List[Any]:
    """One task per partition, ``fn(load, index, paths, **kwargs)``: on
    the cluster with the workers' task slots (futures keyed
    ``churnkit-<name>-<index>-<tag>``, in partition order), or in turn in
    this process (results)."""
    args = [(p.load_options(), p.index, p.paths) for p in plist]
    if client is None:
        return [fn(load, i, paths, **kwargs) for load, i, paths in args]
    _check_client(client, timeout)
    slots = _slots_by_host(client.scheduler_info()["workers"])
    tag = os.urandom(4).hex()
    return client.map(
        fn, [a[0] for a in args], [a[1] for a in args], [a[2] for a in args],
        slots=slots, pure=False,
        key=[f"churnkit-{name}-{i}-{tag}" for _, i, _ in args], **kwargs)


@contextlib.contextmanager
def _partition_task(load: Union[bytes, Dataset], index: int,
                    paths: Sequence[str],
                    expect: Mapping[str, Any], threads: Optional[int],
                    slots: Optional[Mapping[str, int]]
                    ) -> Iterator[Tuple[Dataset, int]]:
    """The frame of a task on one partition: the version checked, the
    task's library threads set (and restored), the partition loaded from
    its LoadOptions bytes (or kept: a Dataset); yields (data set,
    threads). churnkit errors
    raised inside name the partition and the worker."""
    from .partitions import get_threads, set_threads
    n, where = _task_threads(threads, slots)
    _check_version(expect, where)
    previous = get_threads()
    set_threads(n)
    try:
        yield _dataset_of(load), n
    except errors.Error as e:
        raise type(e)(f"partition {index} ({', '.join(paths)}) on {where}: "
                      f"{e.message}") from e
    finally:
        set_threads(previous)


def _run_partition(load: Union[bytes, Dataset], index: int,
                   paths: Sequence[str], as_of: str, steps: Sequence[str],
                   spec: Mapping[str, Any], expect: Mapping[str, Any],
                   threads: Optional[int] = None,
                   slots: Optional[Mapping[str, int]] = None,
                   plan: Optional[bytes] = None) -> Dict[str, Any]:
    """One task: loads partition ``index`` from its LoadOptions bytes (or
    takes it loaded) and computes ``steps``; with an AlertPlan ``plan`` the
    assess step is the routed one (:func:`_routed_tables`).  Runs on a
    Dask worker (or in this process)."""
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
            ds = _dataset_of(load)
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
            if "assess" in steps and plan is not None:
                out.update(_routed_tables(ds, as_of, spec, plan))
                lap("assess")
            elif "assess" in steps:
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
          model_reasons: Optional[int],
          routing: bool = False) -> Dict[str, Any]:
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
        if not routing and "red_share" in _proto.decode("AssessmentConfig",
                                                        cfg):
            raise errors.InvalidArgumentError(
                "config.red_share: colours from capacity rank the whole "
                "run's customers, so they are not per partition; pass "
                "routing=True (docs/scale-out.md)")
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
    return _map_partitions(_run_partition, plist, client, timeout,
                           "partition", as_of=when, steps=tuple(steps),
                           spec=spec, expect=expect, threads=threads)


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
        output: str = "pandas", timeout: float = 30.0,
        routing: bool = False) -> Dict[str, Any]:
    """Computes per-customer steps over customer partitions: one task per
    partition, which loads the partition once and computes every step.
    With ``routing=True`` the assess step is the whole run's, alert routing
    and ``red_share`` included (:func:`assess`; a few rounds of tasks per
    partition, see the "Alert routing" block below).

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
            shipped one; ``red_share`` needs ``routing``: it ranks the whole
            run).
        model: a :class:`~churnkit.Model` (or its bytes) for the scores
            and the assessment's churn probabilities and reasons.
        model_reasons: reasons per customer in the assessment (default 3).
        threads: library threads per task (``ck_threads_set``); None: with
            a client, the worker host's cores shared among its task slots
            (:func:`worker_threads`); without, every core.
        output: ``"pandas"`` or ``"dask"`` (dask DataFrames over the
            tasks' results, which stay on the workers until computed).
        timeout: seconds to wait for at least one worker.
        routing: the assess step with the run-wide alert routing: alerts,
            ranks, tasks and ``red_share`` colours equal to
            :func:`churnkit.assess` on the whole (pandas output only).

    Returns a dict of DataFrames, each in customer-id order:

    * ``features``: index customer_id, one float64 column per feature
      (customers signed up before ``as_of``);
    * ``labels``: the :class:`~churnkit.LabelSet` ``labels`` table;
    * ``assessments``: customer_id, score, colour, score_change, churned,
      churn_probability (:data:`ASSESS_COLUMNS`); ``dimensions`` and
      ``churn_reasons`` as in :class:`~churnkit.AssessResult`;
    * ``scores``: index customer_id, ``churn_probability`` (the model on
      ``features``);
    * with ``routing``: ``assessments`` has every column of
      :attr:`AssessResult.customers <churnkit.AssessResult>` (alerts, tasks,
      level too), plus ``alerts``, ``tasks``, ``owners`` (DataFrames as in
      :class:`~churnkit.AssessResult`), ``summary`` (its counts) and
      ``alert_summary`` (the run's AlertSummary figures);
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
    if routing and "assess" in _steps(steps):
        if output != "pandas":
            raise errors.InvalidArgumentError(
                "output: routing gathers the assessment here; use "
                "output='pandas'")
        return _run_routed(parts, iso_time(as_of), client, _steps(steps),
                           _spec(_steps(steps), feature_set, definition,
                                 config, model, model_reasons, routing=True),
                           threads, timeout)
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
           model: Union[Model, bytes, None] = None, routing: bool = False,
           **kwargs: Any) -> Dict[str, Any]:
    """Every customer's health assessment, over partitions: the
    ``assessments``, ``dimensions`` and ``churn_reasons`` tables of
    :func:`run`.  Without ``routing`` only the per-customer columns
    (:data:`ASSESS_COLUMNS`); with ``routing=True`` the whole run's, equal
    to :func:`churnkit.assess` on the whole data set: ``assessments`` (every
    column), ``dimensions``, ``churn_reasons``, ``alerts``, ``tasks``,
    ``owners``, ``summary`` and ``alert_summary`` (``red_share`` allowed)."""
    out = run(parts, as_of, client=client, steps=("assess",), config=config,
              model=model, routing=routing, **kwargs)
    return {k: v for k, v in out.items() if k != "info"}


def scores(parts: PartsLike, as_of: DateLike, model: Union[Model, bytes], *,
           client: Optional["distributed.Client"] = None,
           feature_set: _proto.Message = None, **kwargs: Any
           ) -> pd.DataFrame:
    """Every customer's churn probability under ``model`` as of a date,
    over partitions: the ``scores`` table of :func:`run`."""
    return run(parts, as_of, client=client, steps=("scores",), model=model,
               feature_set=feature_set, **kwargs)["scores"]


# ----------------------------------------------- the churn model (issue 17)

class PartitionedTrainResult:
    """What :func:`train` returns.

    Attributes:
        model: the fitted :class:`~churnkit.Model`.
        held_out: the :class:`~churnkit.results.Evaluation` of the held-out
            rows (dated from ``request["test_from"]`` on) of every
            partition, scored with the model where they are.
        request: the TrainRequest as resolved (dict).
        rounds: the fit's rounds (each one task per partition).
        rows: training rows; held_out_rows: held-out rows.
    """

    def __init__(self, model: Model, held_out: Any, request: Dict[str, Any],
                 rounds: int, rows: int, held_out_rows: int) -> None:
        self.model, self.held_out, self.request = model, held_out, request
        self.rounds, self.rows, self.held_out_rows = rounds, rows, \
            held_out_rows


def _newton(fit: Mapping[str, Any]) -> Dict[str, Any]:
    """Fit options for a partitioned fit: Newton-Cholesky unless the
    request names another solver (which the fit then refuses)."""
    out = dict(fit)
    if out.get("solver", "SOLVER_AUTO") == "SOLVER_AUTO":
        out["solver"] = "SOLVER_NEWTON_CHOLESKY"
    return out


def _panel_partition(load: bytes, index: int, paths: Sequence[str],
                     request: bytes, expect: Mapping[str, Any],
                     threads: Optional[int] = None,
                     slots: Optional[Mapping[str, int]] = None
                     ) -> Dict[str, Any]:
    """One task: partition ``index``'s training panel (as the train job
    builds it), split by time and kept where it is computed (a Dask
    future) for the fit's rounds."""
    from .jobs import train_panel
    with _partition_task(load, index, paths, expect, threads, slots) as (
            ds, n):
        m, resolved = train_panel(ds, request)
        held = m.as_of >= parse_time(resolved["test_from"])
        x, y = np.array(m.values), np.array(m.labels)
        return {"index": index, "threads": n, "columns": list(m.columns),
                "request": resolved, "x": x[~held], "y": y[~held],
                "test_x": x[held], "test_y": y[held]}


def _answer_round(panel: Mapping[str, Any], round: bytes) -> bytes:
    """One task: a partition's answer to a fit round."""
    from .model import fit_partial
    from .partitions import get_threads, set_threads
    previous = get_threads()
    set_threads(panel["threads"])
    try:
        return fit_partial(round, panel["x"], panel["y"],
                           columns=panel["columns"])
    except errors.Error as e:
        raise type(e)(f"partition {panel['index']}: {e.message}") from e
    finally:
        set_threads(previous)


def _score_held_out(panel: Mapping[str, Any], model: bytes
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """One task: the held-out labels and churn probabilities of a
    partition."""
    if len(panel["test_y"]) == 0:
        return panel["test_y"], np.empty(0)
    return panel["test_y"], Model.load(model).predict(
        panel["test_x"], columns=panel["columns"])


def _summary(panel: Mapping[str, Any]) -> Dict[str, Any]:
    return {"columns": panel["columns"], "request": panel["request"],
            "rows": len(panel["y"]), "held_out_rows": len(panel["test_y"])}


def train(parts: PartsLike, as_of_dates: Sequence[DateLike], *,
          client: Optional["distributed.Client"] = None,
          threads: Optional[int] = None, timeout: float = 30.0,
          **request: Any) -> PartitionedTrainResult:
    """The churn model trained over customer partitions
    (docs/scale-out.md): the train job (:func:`churnkit.train`) with its
    fit distributed.

    Each partition's training panel — as the train job builds it
    (``ck_job_train_panel``: features at ``as_of_dates``, labels per
    ``horizon_days`` and ``panel_label``) — is computed where the
    partition is and stays there (a task per partition, kept in the
    worker's memory; in turn in this process with ``client=None``). A
    :class:`~churnkit.PartitionedFit` is driven from here: per round, one
    small task per partition answers it (:func:`churnkit.fit_partial`) and
    only the answers travel (counts, quantile brackets, column moments,
    then per Newton step the loss, gradient and Hessian). The held-out rows
    (dated from ``test_from`` on) are then scored where they are and
    evaluated here. The model equals :meth:`Model.fit <churnkit.Model.fit>`
    on the training rows of the whole panel with the resolved request's
    fit options and Newton-Cholesky, to rounding (coefficients within 1e-9
    relative). A lost worker's panels are recomputed by Dask.

    Args:
        as_of_dates, request: the arguments of :func:`churnkit.train`
            (``horizon_days``, ``test_from``, ``features``, ``definition``,
            ``fit``, ``evaluation``, ``panel_label``, ``request``).

    Raises:
        InvalidArgumentError: a bad field (named), a bad partition (named),
            a single class over the training rows; an L1 / elastic-net
            penalty or a solver other than Newton.
        FailedPreconditionError: no convergence, or separable classes
            without a penalty.
    """
    from .jobs import train_request
    from .model import PartitionedFit, evaluate
    plist = _parts(parts)
    data = train_request(as_of_dates, **request)
    expect = _expected_version()
    threads = _threads_arg(threads)
    panels = _map_partitions(_panel_partition, plist, client, timeout,
                             "panel", request=data, expect=expect,
                             threads=threads)
    summaries = _gathered(client, _map(client, _summary, panels))
    resolved = summaries[0]["request"]
    session = PartitionedFit(summaries[0]["columns"],
                             _newton(resolved.get("fit", {})))
    rounds = 0
    while True:
        rounds += 1
        answers = _gathered(
            client, _map(client, _answer_round, panels, session.round))
        if session.advance(answers):
            break
    model = session.model()
    saved = model.save()
    scored = _gathered(client, _map(client, _score_held_out, panels, saved))
    y = np.concatenate([s[0] for s in scored])
    p = np.concatenate([s[1] for s in scored])
    if len(y) == 0:
        raise errors.InvalidArgumentError(
            f"the panels have no rows from test_from "
            f"({resolved['test_from']}) on")
    held_out = evaluate(y, p, resolved.get("evaluation"))
    return PartitionedTrainResult(
        model, held_out, resolved, rounds,
        sum(s["rows"] for s in summaries),
        sum(s["held_out_rows"] for s in summaries))


# ========================================================================
# Reports over partitions (mergeable summaries; docs/scale-out.md,
# "Reports").  Each task summarizes one partition on its worker; the
# client merges the small summaries and renders the report.
# ========================================================================

def _report_task(load: bytes, index: int, paths: Sequence[str], step: str,
                 request: bytes, expect: Mapping[str, Any],
                 threads: Optional[int] = None,
                 slots: Optional[Mapping[str, int]] = None) -> bytes:
    """One report task: loads partition ``index`` and returns its
    ReportExtent (``step="extent"``) or its ReportSummary under the
    resolved ``request`` (``step="summary"``), serialized."""
    from .jobs import report_extent, report_summarize
    with _partition_task(load, index, paths, expect, threads, slots) as (
            ds, _):
        if step == "extent":
            return report_extent(ds)
        return report_summarize(ds, request)


def _needs_extent(request: bytes) -> bool:
    """Whether the request leaves a default to the data (as_of, the
    period's start, the revenue source)."""
    r = _proto.decode("ReportRequest", request)
    period = r.get("period", {})
    dated = bool(r.get("as_of") or period.get("end"))
    return not (dated and period.get("start") and r.get("revenue_source"))


def _report_map(plist: Sequence[DataPartition], step: str, request: bytes,
                client: Optional["distributed.Client"],
                expect: Mapping[str, Any], threads: Optional[int],
                timeout: float) -> List[bytes]:
    return _gathered(client, _map_partitions(
        _report_task, plist, client, timeout, f"report-{step}", step=step,
        request=request, expect=expect, threads=threads))


def report(parts: PartsLike, *,
           client: Optional["distributed.Client"] = None,
           threads: Optional[int] = None, timeout: float = 30.0,
           **request: Any) -> "ChurnReport":
    """The churn report of every customer over partitions, equal (bit for
    bit) to :func:`churnkit.report` on the whole data set.

    ``request`` takes the arguments of :func:`churnkit.report` (``as_of``,
    ``period``, ``breakdowns``, ``trend``, ``cohorts``, ``survival``,
    ``lifecycle``, ``definition``, ``revenue_source``, ``request``).  One
    task per partition summarizes it on its worker
    (``ck_report_summarize``: counts and cents, a few KB to MB); the client
    merges the summaries and renders the report.  When the request leaves
    as_of (and period.end), period.start or revenue_source to the data, a
    first pass of tasks reads each partition's extent
    (``ck_report_extent``) to fix them for the whole data set — each
    partition is then loaded twice; give them to load it once.

    ``client``, ``threads`` and ``timeout`` as in :func:`run`.

    Raises:
        InvalidArgumentError: no partitions, bad threads, an invalid
            request (named by its field, as :func:`churnkit.report`).
        NotFoundError / PermissionDeniedError / LibraryVersionError /
        UnavailableError: as :func:`run`.
    """
    from .jobs import _report_request, report_merge, report_render
    from .jobs import report_resolve
    plist = _parts(parts)
    expect = _expected_version()
    threads = _threads_arg(threads)
    data = _report_request(**request)
    if _needs_extent(data):
        extents = _report_map(plist, "extent", b"", client, expect, threads,
                              timeout)
        data = report_resolve(data, extents)
    summaries = _report_map(plist, "summary", data, client, expect, threads,
                            timeout)
    return report_render(report_merge(summaries))


# =============================================================================
# CLV fits and value tiers over partitions (issue 17).  Each task returns a
# small mergeable summary -- a pattern summary (customers per distinct RFM
# pattern) or its values sorted -- the client merges them and fits (or
# computes the tier thresholds) once, and the per-customer results are
# computed per partition under the merged model or thresholds: equal to
# the single-process ones (the library fits from the same patterns).
# =============================================================================

#: Columns of :func:`clv`'s ``customers`` (those of ``churnkit.clv``).
CLV_COLUMNS = ["customer_id", "frequency", "recency", "age", "monetary",
               "p_alive", "expected_purchases", "expected_spend", "clv"]


def _clv_partition(load: bytes, index: int, paths: Sequence[str],
                   as_of: str, rfm: bytes, expect: Mapping[str, Any],
                   threads: Optional[int] = None,
                   slots: Optional[Mapping[str, int]] = None
                   ) -> Dict[str, Any]:
    """One task: loads partition ``index`` and returns its RFM summaries
    (``summaries``, kept on the worker for the predictions) and their
    pattern summary (``patterns`` bytes, gathered)."""
    from .jobs import _clv_summaries_bytes, _summaries_frame, clv_patterns
    start = time.perf_counter()
    with _partition_task(load, index, paths, expect, threads, slots) as (
            ds, n):
        data = _clv_summaries_bytes(ds, as_of, rfm or None)
        out = {"patterns": clv_patterns(data),
               "summaries": _summaries_frame(data)}
        customers = ds.num_customers
    out["info"] = {"index": index, "threads": n, "customers": customers,
                   "buyers": len(out["summaries"]),
                   "pattern_bytes": len(out["patterns"]),
                   "seconds": time.perf_counter() - start,
                   "pid": os.getpid()}
    return out


def _take_patterns(result: Mapping[str, Any]) -> Tuple[bytes, Dict]:
    return result["patterns"], result["info"]


def _clv_predict(result: Mapping[str, Any], model: bytes,
                 predict: Mapping[str, Any], spend: bool) -> pd.DataFrame:
    """One task: the predictions of a partition's customers under the
    merged model."""
    from .jobs import clv_predict
    s = result["summaries"].reset_index(drop=True)
    if s.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "customer_id"
                                          else float) for c in CLV_COLUMNS})
    p = clv_predict(model, s["frequency"], s["recency"], s["age"],
                    s["monetary"] if spend else None,
                    horizon=predict["horizon"], options=dict(predict))
    return pd.concat([s, p], axis=1)[CLV_COLUMNS]


def _values_sorted(values: pd.Series) -> np.ndarray:
    return np.sort(np.asarray(values, dtype=np.float64))


def _tiered(values: pd.Series, thresholds: Tuple[float, float]
            ) -> pd.DataFrame:
    from .jobs import tier_assign
    return pd.DataFrame({"customer_id": values.index.astype(str),
                         "value": values.to_numpy(dtype=np.float64),
                         "tier": tier_assign(values, thresholds)})


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.set_index("customer_id")[column]


def value_tiers(values: Union[pd.Series, Sequence[Any]],
                tiers: _proto.Message = None, *,
                client: Optional["distributed.Client"] = None
                ) -> pd.DataFrame:
    """A/B/C value tiers of customers spread over partitions, exactly as
    one process tiers them (``churnkit.v1.TierOptions``; None: PARETO
    0.80 / 0.15, as segmentation): each partition's values are sorted
    where they are, the client computes the thresholds from all of them
    (:func:`churnkit.tier_thresholds`), and each partition's customers are
    placed by the thresholds (:func:`churnkit.tier_assign`).

    Args:
        values: per customer a value >= 0 (e.g. CLV or annual value): a
            Series indexed by customer id, a list of them (one per
            partition), or with ``client`` a list of futures of them.
        tiers: churnkit.v1.TierOptions.
        client: a ``dask.distributed.Client`` when ``values`` are futures.

    Returns a DataFrame customer_id, value, tier in customer-id order;
    ``attrs["thresholds"]`` is (smallest A value, smallest B value).
    """
    from .jobs import tier_thresholds
    parts = [values] if isinstance(values, pd.Series) else list(values)
    if not parts:
        raise errors.InvalidArgumentError("values: no partitions")
    if client is not None:
        _check_client(client, 30.0)
    sorted_parts = _map(client, _values_sorted, parts)
    if client is not None:
        sorted_parts = client.gather(sorted_parts)
    thresholds = tier_thresholds(np.concatenate(sorted_parts), tiers)
    frames = _map(client, _tiered, parts, thresholds)
    if client is not None:
        frames = client.gather(frames)
    out = _merge(frames, by_index=False)
    out.attrs["thresholds"] = thresholds
    return out


def clv(parts: PartsLike, as_of: DateLike, *,
        client: Optional["distributed.Client"] = None,
        rfm: _proto.Message = None, fit: _proto.Message = None,
        predict: _proto.Message = None, horizon: Optional[float] = None,
        margin: Optional[float] = None, tiers: _proto.Message = None,
        threads: Optional[int] = None, timeout: float = 30.0
        ) -> Dict[str, Any]:
    """BG/NBD and Gamma-Gamma fitted on every customer of the partitions,
    and each customer's CLV under them — ``churnkit.clv`` of the whole
    data set, computed partition by partition.

    Each task loads its partition and computes its RFM summaries and
    their pattern summary (customers per distinct (frequency, recency,
    age) and (frequency, monetary): a few KB); the client merges the
    patterns and fits once (:func:`churnkit.clv_fit_patterns`), with the
    very code and data of the single-process fit, so the parameters are
    bit for bit those of ``churnkit.clv``.  The predictions then run per
    partition on the summaries the tasks kept.

    Args:
        parts, client, threads, timeout: as :func:`run`.
        as_of, rfm, fit, predict, horizon, margin: as ``churnkit.clv``
            (horizon default a year: 365 days or 52 weeks).
        tiers: also A/B/C tiers of the CLV (churnkit.v1.TierOptions, or
            ``{}`` for the defaults) by :func:`value_tiers`.

    Returns a dict: ``model`` (the churnkit.v1.ClvModel as a dict, its
    bytes under ``"_bytes"``), ``patterns`` (the merged
    churnkit.v1.RfmPatterns bytes), ``customers`` (:data:`CLV_COLUMNS`,
    plus ``tier`` with ``tiers``, in customer-id order; ``attrs
    ["thresholds"]`` with ``tiers``) and ``info`` (per partition).

    Raises as :func:`run`, and FailedPreconditionError when a fit or a
    prediction cannot be made (no repeat buyer, Gamma-Gamma q <= 1).
    """
    from .jobs import _msg, clv_fit_patterns, clv_patterns_merge
    plist = _parts(parts)
    rfm_bytes = _proto.encode("RfmOptions", rfm)
    when = iso_time(as_of)
    expect = _expected_version()
    threads = _threads_arg(threads)
    results = _map_partitions(_clv_partition, plist, client, timeout, "clv",
                              as_of=when, rfm=rfm_bytes, expect=expect,
                              threads=threads)
    taken = _gathered(client, _map(client, _take_patterns, results))
    patterns = clv_patterns_merge([t[0] for t in taken])
    model = clv_fit_patterns(patterns, fit)
    # the predict defaults of churnkit.clv (ClvFromSummaries)
    weeks = model["bg_nbd"].get("time_unit") == "CLV_WEEKS"
    pred = dict(_msg(predict, "ClvPredictOptions") or {})
    if horizon is not None:
        pred["horizon"] = float(horizon)
    if margin is not None:
        pred["margin"] = float(margin)
    pred.setdefault("horizon", 52.0 if weeks else 365.0)
    if pred.get("discount_rate", 0) > 0 and not pred.get("discount_period"):
        pred["discount_period"] = 52.0 / 12 if weeks else 30.0
    spend = "gamma_gamma" in model
    frames = _map(client, _clv_predict, results, model["_bytes"], pred,
                  spend)
    out: Dict[str, Any] = {"model": model, "patterns": patterns}
    if tiers is not None:
        values = _map(client, _column, frames, "clv")
        tiered = value_tiers(values, tiers, client=client)
    if client is not None:
        frames = client.gather(frames)
    customers = _merge(frames, by_index=False)
    if tiers is not None:
        customers["tier"] = tiered["tier"].to_numpy()
        customers.attrs["thresholds"] = tiered.attrs["thresholds"]
    out["customers"] = customers
    out["info"] = pd.DataFrame([t[1] for t in taken]).sort_values(
        "index", kind="stable").reset_index(drop=True)
    return out


# ========================================================================
# Alert routing over partitions (issue 17; docs/scale-out.md, "Alert
# routing").  run(..., routing=True) / assess(..., routing=True): which
# customers get alerts, their ranks and red_share colours are decided over
# the whole run, from small per-partition messages of the library:
#   1. (red_share only) each partition's health totals -> the run's colour
#      cut-offs, here (ck_assess_totals, ck_assess_cutoffs);
#   2. each partition's alert candidates under them (ck_assess_candidates)
#      -> one routing plan per partition, here (ck_assess_route);
#   3. each partition assessed under its plan (ck_assess_partition), with
#      the other steps asked; the tables merged as in run(), the alert
#      summaries by ck_assess_merge_summaries.
# With a client each partition is loaded once and stays in its worker's
# memory (a future holding the Dataset) until the last step; without one
# it is loaded again at each step (2 loads, 3 with red_share), so only one
# partition is in memory at a time.
# ========================================================================

def _dataset_of(source: Union[bytes, Dataset]) -> Dataset:
    """A partition's Dataset: kept (a future's value) or loaded from its
    LoadOptions bytes."""
    if isinstance(source, Dataset):
        return source
    return Dataset(_lib.make_handle("ck_dataset_load", source, len(source)))


def _assess_request_of(as_of: str, spec: Mapping[str, Any]) -> bytes:
    """The AssessRequest every step of a routed run takes."""
    from .jobs import assess_request
    return assess_request(as_of, model=spec.get("model"),
                          config=spec.get("config"),
                          model_reasons=spec.get("model_reasons"))


def _routed_tables(ds: Dataset, as_of: str, spec: Mapping[str, Any],
                   plan: bytes) -> Dict[str, Any]:
    """The last step on a partition: its customers under its plan, as the
    tables of :class:`~churnkit.AssessResult`, with its alert summary part
    and counts (``_alert_summary``, ``_summary``; merged by the client)."""
    from .jobs import assess_partition
    r = assess_partition(ds, _assess_request_of(as_of, spec), plan)
    return {"assessments": r.customers, "dimensions": r.dimensions,
            "churn_reasons": r.churn_reasons, "alerts": r.alerts,
            "tasks": r.tasks,
            "_alert_summary": _proto.get_field(
                r.MESSAGE, r.data, "assessment.alert_summary"),
            "_summary": r.summary}


def _load_task(load: bytes, index: int, paths: Sequence[str],
               expect: Mapping[str, Any]) -> Dataset:
    """One task: loads partition ``index`` on its worker, where it stays
    (the task's future) for the routing's steps."""
    with _partition_task(load, index, paths, expect, None, None) as (ds, _):
        return ds


def _route_task(source: Union[bytes, Dataset], index: int,
                paths: Sequence[str], step: str, request: bytes,
                cutoffs: Optional[bytes], expect: Mapping[str, Any],
                threads: Optional[int] = None,
                slots: Optional[Mapping[str, int]] = None) -> bytes:
    """One routing task on partition ``index``: its HealthTotals
    (``step="totals"``) or its AlertCandidates under ``cutoffs``
    (``"candidates"``), serialized."""
    from .jobs import assess_candidates, assess_totals
    with _partition_task(source, index, paths, expect, threads,
                         slots) as (ds, _):
        if step == "totals":
            return assess_totals(ds, request)
        return assess_candidates(ds, request, cutoffs)


def _final_task(source: Union[bytes, Dataset], index: int,
                paths: Sequence[str], plan: bytes,
                **kwargs: Any) -> Dict[str, Any]:
    """The last task on a partition: :func:`_run_partition` under its
    plan (``plan`` mapped over the partitions like the sources)."""
    return _run_partition(source, index, paths, plan=plan, **kwargs)


def _add_counts(total: Dict[str, Any], part: Mapping[str, Any]) -> None:
    """Adds an AssessResult.summary (ints and dicts of ints) to ``total``."""
    for key, value in part.items():
        if isinstance(value, dict):
            into = total.setdefault(key, {})
            for k, v in value.items():
                into[k] = into.get(k, 0) + v
        else:
            total[key] = total.get(key, 0) + value


def _run_routed(parts: PartsLike, when: str,
                client: Optional["distributed.Client"],
                steps: Tuple[str, ...], spec: Dict[str, Any],
                threads: Optional[int], timeout: float) -> Dict[str, Any]:
    """run() with the assess step routed over the whole run."""
    from .jobs import assess_cutoffs, assess_merge_summaries, assess_route
    plist = _parts(parts)
    expect = _expected_version()
    threads = _threads_arg(threads)
    request = _assess_request_of(when, spec)
    red_share = "red_share" in _proto.decode(
        "AssessmentConfig", spec.get("config", b""))
    indices = [p.index for p in plist]
    paths = [p.paths for p in plist]
    if client is None:
        sources: List[Any] = [p.load_options() for p in plist]

        def each(fn: Any, name: str, mapped: Sequence[Any] = (),
                 **kwargs: Any) -> List[Any]:
            return [fn(*args, **kwargs) for args in
                    zip(sources, indices, paths, *([mapped] if mapped
                                                   else []))]
    else:
        _check_client(client, timeout)
        slots = _slots_by_host(client.scheduler_info()["workers"])
        tag = os.urandom(4).hex()
        sources = client.map(
            _load_task, [p.load_options() for p in plist], indices, paths,
            expect=expect, pure=False,
            key=[f"churnkit-route-load-{i}-{tag}" for i in indices])

        def each(fn: Any, name: str, mapped: Sequence[Any] = (),
                 **kwargs: Any) -> List[Any]:
            return client.gather(client.map(
                fn, sources, indices, paths, *([mapped] if mapped else []),
                slots=slots, pure=False,
                key=[f"churnkit-route-{name}-{i}-{tag}" for i in indices],
                **kwargs))
    try:
        cutoffs = None
        if red_share:
            totals = each(_route_task, "totals", step="totals",
                          request=request, cutoffs=None, expect=expect,
                          threads=threads)
            cutoffs = assess_cutoffs(request, totals)
        candidates = each(_route_task, "candidates", step="candidates",
                          request=request, cutoffs=cutoffs, expect=expect,
                          threads=threads)
        plans = assess_route(request, candidates)
        results = each(_final_task, "assess", plans, as_of=when, steps=steps,
                       spec=spec, expect=expect, threads=threads)
    finally:
        if client is not None:
            # The partitions the workers kept, released before returning
            # (the scheduler acknowledges), not whenever the futures are
            # collected.
            client.cancel(sources)
    summaries = [r.pop("_alert_summary") for r in results]
    counts: Dict[str, Any] = {}
    for r in results:
        _add_counts(counts, r.pop("_summary"))
    out = gather(results)
    merged = _proto.decode("AlertSummary", assess_merge_summaries(summaries))
    out["owners"] = _frames.frame(merged.get("owners", []), {
        "owner_id": "str", "alerted": "int",
        "routed_to_automated_care": "int"})
    out["alert_summary"] = _frames.scalars(merged, {
        "alerts": "int", "reasons": "int", "routed_to_automated_care": "int",
        "routed_below_risk_floor": "int", "capacity_per_owner": "int",
        "risk_floor": "float"})
    out["summary"] = counts
    return out
