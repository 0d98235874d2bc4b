"""Data sets: loading, validation, generation, serialization."""

from __future__ import annotations

import ctypes
import datetime as _dt
import os
import pathlib
from ctypes import c_int64, c_size_t
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _frames, _lib, _proto

if TYPE_CHECKING:
    from .results import GenerateResult

PathLike = Union[str, "os.PathLike[str]"]
DateLike = Union[str, _dt.date, _dt.datetime, pd.Timestamp, np.datetime64,
                 int]

__all__ = ["Dataset", "ErrorReport", "generate", "load", "validate",
           "parse_time", "iso_time"]


def parse_time(when: DateLike) -> int:
    """Seconds since 1970-01-01 UTC of a date or time.

    ``when`` may be an int (already seconds), a str in any form the library
    parses ("2024-03-01", "20240301", "2024-03-01T09:30:00Z", offsets), a
    ``datetime.date`` / ``datetime`` (naive means UTC), a pandas Timestamp
    or a numpy datetime64.
    """
    if isinstance(when, (bool, np.bool_)):
        raise TypeError("a date must not be a bool")
    if isinstance(when, (int, np.integer)):
        return int(when)
    out = c_int64()
    _lib.call("ck_time_parse", _lib.utf8(iso_time(when), "date"),
              ctypes.byref(out))
    return out.value


def iso_time(when: DateLike) -> str:
    """``when`` as the ISO 8601 text requests carry ("2024-06-01" for a
    date, "2024-06-01T09:30:00Z" for a time)."""
    if isinstance(when, str):
        return when
    if isinstance(when, (bool, np.bool_)):
        raise TypeError("a date must not be a bool")
    if isinstance(when, (int, np.integer)):
        return pd.Timestamp(int(when), unit="s", tz="UTC").strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    if isinstance(when, np.datetime64):
        when = pd.Timestamp(when)
    if isinstance(when, (pd.Timestamp, _dt.datetime)):
        ts = pd.Timestamp(when)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert(
            "UTC")
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(when, _dt.date):
        return when.isoformat()
    raise TypeError(f"not a date: {type(when).__name__}")


class ErrorReport:
    """The ingestion error report of a data set (churnkit.v1.ErrorReport).

    Attributes:
        raw: the report as a dict.
        errors: one row per kept error (source, row, field, reason).
        warnings: the same for warnings.
        total_errors, total_warnings: counts, including those past the cap.
        rows_read, rows_kept: per table.
    """

    _SPEC = {"source": "str", "row": "int", "field": "str", "reason": "str"}

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.raw = raw
        self.errors = _frames.frame(raw.get("errors", []), self._SPEC)
        self.warnings = _frames.frame(raw.get("warnings", []), self._SPEC)
        self.total_errors = int(raw.get("total_errors", 0))
        self.total_warnings = int(raw.get("total_warnings", 0))
        self.rows_read = _frames.counts(raw.get("rows_read"))
        self.rows_kept = _frames.counts(raw.get("rows_kept"))
        self.implicit_customers = int(raw.get("implicit_customers", 0))

    def __repr__(self) -> str:
        return (f"<ErrorReport {self.total_errors} errors, "
                f"{self.total_warnings} warnings>")


class Dataset:
    """An immutable customer data set (customers, events, contacts,
    contracts, owners) with the error report of its ingestion.

    Make one with :meth:`load` (files), :meth:`from_records` (the bytes of
    :meth:`to_records`) or :func:`churnkit.generate` then :meth:`load`.
    A data set is only read by every job, so one object may be shared by
    many threads.  It pickles as its record bytes.
    """

    def __init__(self, handle: ctypes.c_void_p) -> None:
        """Wraps an owned ``ck_dataset_t*``; use the class methods."""
        self._h = _lib.Handle(handle, "ck_dataset_free")
        self._ids: Optional[List[str]] = None

    # ---------------------------------------------------------------- make

    @classmethod
    def load(cls, paths: Union[PathLike, Sequence[PathLike]], *,
             format: Optional[str] = None, strict: bool = False,
             max_errors: Optional[int] = None,
             options: _proto.Message = None) -> "Dataset":
        """Loads a data set from files (``ck_dataset_load``).

        Args:
            paths: a directory of the five CSV tables, or JSON-lines / PB
                record files (one path or several).
            format: "csv", "jsonl" or "pb"; None: csv for a directory,
                by extension otherwise.
            strict: refuse the first bad row (InvalidArgumentError) instead
                of skipping it and listing it in :meth:`error_report`.
            max_errors: errors kept in the report (the library's default
                when None).
            options: a churnkit.v1.LoadOptions (dict, bytes or text) for
                everything else (column mappings, date bounds); the
                arguments above override its fields.

        Raises:
            NotFoundError / PermissionDeniedError: an unreadable file.
            InvalidArgumentError: bad options, or a bad row when strict.
        """
        request = _proto.to_dict("LoadOptions", options)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        request["paths"] = [os.fspath(p) for p in paths]
        if format is not None:
            request["format"] = format.upper()
        validation = request.setdefault("validation", {})
        validation["policy"] = "STRICT" if strict else validation.get(
            "policy", "LENIENT")
        if max_errors is not None:
            validation["max_errors"] = int(max_errors)
        data = _proto.encode("LoadOptions", request)
        return cls(_lib.make_handle("ck_dataset_load", data, len(data)))

    @classmethod
    def from_records(cls, data: Union[bytes, bytearray, memoryview], *,
                     strict: bool = False) -> "Dataset":
        """A data set from the bytes of a PB record stream
        (``ck_dataset_from_records``; e.g. :meth:`to_records`)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"records must be bytes, got {type(data).__name__}")
        data = bytes(data)
        return cls(_lib.make_handle("ck_dataset_from_records", data, len(data),
                                    1 if strict else 2))

    def to_records(self) -> bytes:
        """The whole data set as PB record-stream bytes
        (``ck_dataset_serialize``); the same data set gives the same bytes."""
        return _lib.call_buffer("ck_dataset_serialize", self._h.ptr)

    def __reduce__(self):
        return (_from_records_lenient, (self.to_records(),))

    def write(self, path: PathLike, format: str = "csv") -> None:
        """Writes the data set: "csv" (a directory), "jsonl" or "pb" (a
        file). Files appear only when complete."""
        _lib.call("ck_dataset_write", self._h.ptr,
                  _lib.utf8(format, "format"),
                  _lib.utf8(os.fspath(path), "path"))

    _TABLES = ("customers", "events", "contacts", "contracts", "owners")

    def tables(self, names: Optional[Sequence[str]] = None
               ) -> Dict[str, pd.DataFrame]:
        """The data set's tables as DataFrames (a copy): ``customers``,
        ``events``, ``contacts``, ``contracts`` and ``owners``, in the
        churnkit CSV layout (docs/formats.md), read back from
        :meth:`write` into a temporary directory.  Ids and text columns are
        str; times are UTC Timestamps.  ``names`` reads only those tables
        (reading the events back is most of the time of a large data set).
        """
        import tempfile
        wanted = self._TABLES if names is None else tuple(names)
        unknown = [n for n in wanted if n not in self._TABLES]
        if unknown:
            from .errors import InvalidArgumentError
            raise InvalidArgumentError(
                f"names: unknown table {unknown[0]!r}; the tables are "
                f"{', '.join(self._TABLES)}")
        with tempfile.TemporaryDirectory(prefix="churnkit-") as tmp:
            self.write(tmp, "csv")
            out: Dict[str, pd.DataFrame] = {}
            for name in wanted:
                path = pathlib.Path(tmp) / f"{name}.csv"
                if not path.exists():
                    continue
                df = pd.read_csv(path, dtype=str, keep_default_na=False,
                                 encoding="utf-8")
                for col in df.columns:
                    if col.endswith("_time") or col in ("time", "due"):
                        df[col] = pd.to_datetime(df[col].replace("", None),
                                                 utc=True)
                    elif col in ("annual_value", "amount", "value"):
                        df[col] = pd.to_numeric(df[col].replace("", None))
                out[name] = df
        return out

    def customers(self) -> pd.DataFrame:
        """The customer table (id, name, industry, size, region, tier,
        owner_id, signup_time, annual_value, product, attributes.*), a copy;
        see :meth:`tables`."""
        return self.tables(["customers"])["customers"]

    # ---------------------------------------------------------------- read

    def _count(self, name: str) -> int:
        out = c_size_t()
        _lib.call(name, self._h.ptr, ctypes.byref(out))
        return out.value

    @property
    def num_customers(self) -> int:
        """Number of customers."""
        return self._count("ck_dataset_num_customers")

    @property
    def num_events(self) -> int:
        """Number of events."""
        return self._count("ck_dataset_num_events")

    @property
    def num_contacts(self) -> int:
        """Number of contacts."""
        return self._count("ck_dataset_num_contacts")

    @property
    def num_contracts(self) -> int:
        """Number of contracts."""
        return self._count("ck_dataset_num_contracts")

    def __len__(self) -> int:
        return self.num_customers

    @property
    def customer_ids(self) -> List[str]:
        """Every customer id, in data-set order (one C call, cached)."""
        if self._ids is None:
            self._ids = _lib.split_ids(
                _lib.call_buffer("ck_dataset_customer_ids", self._h.ptr))
        return list(self._ids)

    def find_customer(self, customer_id: str) -> int:
        """Index of a customer; NotFoundError when there is none."""
        out = c_size_t()
        _lib.call("ck_dataset_find_customer", self._h.ptr,
                  _lib.utf8(customer_id, "customer_id"), ctypes.byref(out))
        return out.value

    def summary(self) -> Dict[str, Any]:
        """Counts, date span, event-kind mix and memory
        (churnkit.v1.DatasetSummary) as a dict with ints restored."""
        raw = _proto.decode("DatasetSummary", _lib.call_buffer(
            "ck_dataset_summary", self._h.ptr))
        out: Dict[str, Any] = _frames.scalars(raw, {
            "customers": "int", "events": "int", "contacts": "int",
            "contracts": "int", "owners": "int", "first_event_time": "str",
            "last_event_time": "str", "memory_bytes": "int"})
        for key in ("events_by_kind", "customers_by_industry",
                    "customers_by_tier"):
            out[key] = _frames.counts(raw.get(key))
        return out

    def error_report(self) -> ErrorReport:
        """The ingestion error report (bad rows skipped under LENIENT)."""
        return ErrorReport(_proto.decode("ErrorReport", _lib.call_buffer(
            "ck_dataset_error_report", self._h.ptr)))

    @property
    def error_count(self) -> int:
        """Number of ingestion errors (including those past the cap)."""
        return self._count("ck_dataset_error_count")

    def __repr__(self) -> str:
        return (f"<churnkit.Dataset {self.num_customers} customers, "
                f"{self.num_events} events>")


def _from_records_lenient(data: bytes) -> Dataset:
    return Dataset.from_records(data)


def load(paths: Union[PathLike, Sequence[PathLike]], **kwargs: Any
         ) -> Dataset:
    """Same as :meth:`Dataset.load`."""
    return Dataset.load(paths, **kwargs)


def validate(paths: Union[PathLike, Sequence[PathLike]], **kwargs: Any
             ) -> ErrorReport:
    """Loads a data set leniently and returns its error report (the
    ``churnkit validate`` job); keyword arguments as :meth:`Dataset.load`."""
    return Dataset.load(paths, **kwargs).error_report()


def generate(out_dir: PathLike, config: _proto.Message = None, *,
             format: str = "csv", threads: Optional[int] = None,
             **fields: Any) -> "GenerateResult":
    """Generates a synthetic CRM history (docs/generator.md) into
    ``out_dir``: the ``generate`` job (``ck_job_generate``; with an older
    library ``ck_dataset_generate``), the same as ``churnkit generate``.

    Args:
        out_dir: created if missing; receives the data (the five CSV tables
            or records.jsonl / records.pb), truth.csv (ground truth) and,
            written last, generator_config.textproto.
        config: a churnkit.v1.GeneratorConfig (dict, bytes or text); None:
            every default (1000 customers, seed 0, 2024-01-01..2025-12-31).
        format: "csv", "jsonl" or "pb".
        threads: worker threads (0 or None: every core; the output does
            not depend on it).
        **fields: GeneratorConfig fields set on top of ``config``, e.g.
            ``customers=300, seed=7``.

    Returns a :class:`~churnkit.results.GenerateResult`: path-like (so
    ``churnkit.load(churnkit.generate(...))`` works for csv), with the
    resolved config and the summary counts.  The same config always gives
    the same bytes.
    """
    from .results import GenerateResult
    if fields:
        request = _proto.to_dict("GeneratorConfig", config)
        request.update(fields)
        config = request
    L = _lib.lib()
    out = os.fspath(out_dir)
    if L.has("ck_job_generate"):
        body: Dict[str, Any] = {"config": _proto.to_dict("GeneratorConfig",
                                                         config),
                                "format": format.upper(), "out_dir": out}
        if threads is not None:
            body["threads"] = int(threads)
        data = _proto.encode("GenerateRequest", body)
        return GenerateResult(_lib.call_buffer("ck_job_generate", data,
                                               len(data)))
    data = _proto.encode("GeneratorConfig", config)
    _lib.call("ck_dataset_generate", data, len(data),
              _lib.utf8(format, "format"), _lib.utf8(out, "out_dir"))
    resolved = pathlib.Path(out) / "generator_config.textproto"
    raw = {"out_dir": out, "format": format.upper(),
           "config": _proto.to_dict("GeneratorConfig", resolved.read_text(
               encoding="utf-8")) if resolved.exists() else {}}
    return GenerateResult(b"", raw)
