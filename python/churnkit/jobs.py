"""The jobs of the main job (docs/jobs.md) and the analyses beside them.

Each function builds one churnkit.v1 request (from keyword arguments, on
top of an optional ``request`` given as a dict, bytes or text), makes one C
call, and wraps the result message in a class of :mod:`churnkit.results`
(tables as DataFrames, ``raw`` dict, ``data`` bytes).  Defaults are the
library's, resolved in one place, so these compute exactly what the
``churnkit`` CLI computes from the same data.

Every function only reads the data set, so many threads may run jobs on
one :class:`~churnkit.Dataset` at once; each job uses all cores unless the
request sets ``threads``.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import c_char_p, c_double, c_int64
from typing import (Any, Dict, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np
import pandas as pd

from . import _arrays, _frames, _lib, _proto, errors
from .dataset import Dataset, DateLike, iso_time, parse_time
from .model import Model
from .results import (AssessResult, ChurnReport, ClvResult, ExperimentReport,
                      LabelSet, ScorecardResult, SegmentResult, TrainResult,
                      TrainTableResult, WindowsResult)

__all__ = ["train", "train_table", "assess", "assess_request",
           "assess_totals", "assess_cutoffs", "assess_candidates",
           "assess_route", "assess_partition", "assess_merge_summaries",
           "segment", "segment_by_risk",
           "clv", "clv_summaries", "clv_fit", "clv_predict", "clv_patterns",
           "clv_patterns_merge", "clv_fit_patterns", "tier_thresholds",
           "tier_assign", "report", "report_extent", "report_resolve",
           "report_summarize", "report_merge", "report_render",
           "windows", "abtest", "labels", "validate_config",
           "two_proportion_test", "difference_interval", "fisher_exact",
           "sample_size", "learn_scorecard", "scorecard", "scorecard_table"]

_DOUBLE_P = ctypes.POINTER(c_double)


# ------------------------------------------------------------ request build

def _build(message: str, request: _proto.Message,
           fields: Mapping[str, Any],
           binary: Optional[Mapping[str, Any]] = None) -> bytes:
    """Serialized ``message``: ``request`` with ``fields`` (None values
    skipped) set on top, then each message field of ``binary`` given as
    bytes (a Model, result or serialized message) written in place with
    ``ck_proto_set`` (no JSON round trip of models)."""
    body = _proto.to_dict(message, request) if request is not None else {}
    later: Dict[str, bytes] = {}
    for key, value in fields.items():
        if value is not None:
            body[key] = value
    for key, value in (binary or {}).items():
        if value is None:
            continue
        if isinstance(value, Model):
            later[key] = value.save()
        elif isinstance(value, AssessResult):
            later[key] = (value.assessment_bytes if key == "previous"
                          else value.history_bytes)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            later[key] = bytes(value)
        else:  # a dict or text of the field's message: inline
            body[key] = _inline(value)
    data = _proto.encode(message, body)
    name = _lib.utf8(_proto.full_name(message), "message name")
    for key, value in later.items():
        data = _lib.call_buffer("ck_proto_set", name, data, len(data),
                                _lib.utf8(key, "path"), value, len(value))
    return data


def _inline(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a dict, bytes or churnkit object, got "
                    f"{type(value).__name__}")


def _dataset(dataset: Any) -> Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"expected a churnkit.Dataset, got "
                        f"{type(dataset).__name__}")
    return dataset


def _msg(value: _proto.Message, message: str) -> Any:
    """A message-typed field for a request dict: a dict stays, bytes/text
    become the dict the library reads from them."""
    if value is None or isinstance(value, Mapping):
        return value
    return _proto.to_dict(message, value)


# ------------------------------------------------------------------- train

def train(dataset: Dataset, as_of_dates: Sequence[DateLike], *,
          horizon_days: Optional[int] = None,
          test_from: Optional[DateLike] = None,
          features: _proto.Message = None, definition: _proto.Message = None,
          fit: _proto.Message = None, evaluation: _proto.Message = None,
          panel_label: Optional[str] = None,
          top_factors: Optional[int] = None, riskiest: Optional[int] = None,
          reasons: Optional[int] = None, threads: Optional[int] = None,
          request: _proto.Message = None) -> TrainResult:
    """Trains the churn model on a training panel (``ck_job_train``; the
    same as ``churnkit train DATA --dates ...``).

    Args:
        dataset: the data.
        as_of_dates: two or more increasing dates; features at each, label
            = churn within ``horizon_days`` (default 90).
        test_from: dates from this one on are held out (default: the last).
        features / definition / fit / evaluation: churnkit.v1 FeatureSet,
            ChurnDefinition, FitOptions, EvaluationOptions (dict, bytes or
            text); None: the shipped defaults.
        panel_label: "PANEL_LABEL_CHURN_BEGAN" (default) or
            "PANEL_LABEL_CHURNED_AT_END".
        top_factors, riskiest, reasons: how many to return (-1: none).
        threads: 0 or None: all cores (results do not depend on it).
        request: a whole churnkit.v1.TrainRequest the arguments override.

    Raises:
        InvalidArgumentError: a bad field, named (e.g. "horizon_days: must
            be in 1..3650, got 0"), or a date whose horizon ends after the
            data.
        FailedPreconditionError: a side of the split with one class only.
    """
    data = train_request(
        as_of_dates, horizon_days=horizon_days, test_from=test_from,
        features=features, definition=definition, fit=fit,
        evaluation=evaluation, panel_label=panel_label,
        top_factors=top_factors, riskiest=riskiest, reasons=reasons,
        threads=threads, request=request)
    return TrainResult(_lib.call_buffer(
        "ck_job_train", _dataset(dataset)._h.ptr, data, len(data)))


def train_request(as_of_dates: Sequence[DateLike], *,
                  horizon_days: Optional[int] = None,
                  test_from: Optional[DateLike] = None,
                  features: _proto.Message = None,
                  definition: _proto.Message = None,
                  fit: _proto.Message = None,
                  evaluation: _proto.Message = None,
                  panel_label: Optional[str] = None,
                  top_factors: Optional[int] = None,
                  riskiest: Optional[int] = None,
                  reasons: Optional[int] = None,
                  threads: Optional[int] = None,
                  request: _proto.Message = None) -> bytes:
    """The serialized churnkit.v1.TrainRequest of :func:`train`'s
    arguments (unresolved: the library fills the defaults)."""
    return _build("TrainRequest", request, {
        "as_of_dates": [iso_time(d) for d in as_of_dates],
        "horizon_days": horizon_days,
        "test_from": iso_time(test_from) if test_from is not None else None,
        "features": _msg(features, "FeatureSet"),
        "definition": _msg(definition, "ChurnDefinition"),
        "fit": _msg(fit, "FitOptions"),
        "evaluation": _msg(evaluation, "EvaluationOptions"),
        "panel_label": panel_label, "top_factors": top_factors,
        "riskiest": riskiest, "reasons": reasons, "threads": threads})


def train_panel(dataset: Dataset, request: _proto.Message
                ) -> Tuple["FeatureMatrix", Dict[str, Any]]:
    """The training panel :func:`train` fits and tests on
    (``ck_job_train_panel``), for fitting over partitions, and the
    TrainRequest as resolved (a dict: rows dated from its ``test_from`` on
    are held out; its ``fit`` holds the fit options).  ``request``: a
    churnkit.v1.TrainRequest (see :func:`train_request`).  Raises as
    :func:`train`."""
    from .features import FeatureMatrix
    data = _proto.encode("TrainRequest", request)
    out = ctypes.c_void_p()
    resolved = ctypes.c_void_p()
    _lib.call("ck_job_train_panel", _dataset(dataset)._h.ptr, data or None,
              len(data), ctypes.byref(out), ctypes.byref(resolved))
    try:
        request_bytes = _lib.buffer_bytes(resolved)
    finally:
        _lib.lib().ck_buffer_free(resolved)
    return (FeatureMatrix(out, panel=True),
            _proto.decode("TrainRequest", request_bytes))


def train_table(path: Union[str, "os.PathLike[str]"], label_column: str, *,
                id_column: Optional[str] = None,
                positive_label: Optional[str] = None,
                delimiter: Optional[str] = None,
                table: _proto.Message = None, fit: _proto.Message = None,
                folds: Optional[int] = None, seed: Optional[int] = None,
                evaluation: _proto.Message = None,
                top_factors: Optional[int] = None,
                request: _proto.Message = None) -> TrainTableResult:
    """Trains the churn model on a plain CSV table, one row per customer
    (``ck_job_train_table``; ``churnkit train TABLE --label ...``): numeric
    columns as they are, text columns one-hot encoded, evaluated by
    stratified k-fold cross-validation (``folds``, default 5; -1: none).

    ``table`` is a churnkit.v1.TableOptions for forced types, ignored
    columns and missing tokens; ``label_column``, ``id_column`` and
    ``positive_label`` override its fields.

    Raises NotFoundError (no file), InvalidArgumentError (a bad field or
    cell, named).
    """
    table_dict = _msg(table, "TableOptions") or {}
    table_dict = dict(table_dict)
    table_dict["label_column"] = label_column
    if id_column is not None:
        table_dict["id_column"] = id_column
    if positive_label is not None:
        table_dict["positive_label"] = positive_label
    data = _build("TrainTableRequest", request, {
        "path": os.fspath(path), "delimiter": delimiter, "table": table_dict,
        "fit": _msg(fit, "FitOptions"), "folds": folds,
        "seed": str(seed) if seed is not None else None,
        "evaluation": _msg(evaluation, "EvaluationOptions"),
        "top_factors": top_factors})
    return TrainTableResult(_lib.call_buffer("ck_job_train_table", data,
                                             len(data)))


def scorecard(dataset: Dataset, as_of_dates: Sequence[DateLike], *,
              horizon_days: Optional[int] = None,
              test_from: Optional[DateLike] = None,
              features: _proto.Message = None,
              definition: _proto.Message = None,
              panel_label: Optional[str] = None,
              options: _proto.Message = None, threads: Optional[int] = None,
              request: _proto.Message = None) -> ScorecardResult:
    """Learns a health scorecard from the data set's history
    (``ck_job_scorecard``; ``churnkit scorecard DATA --dates ...``): a
    training panel as :func:`train` builds it (one date is enough), binned
    by weight of evidence into points; compared with the shipped scorecard
    on the same rows.  ``options`` is a churnkit.v1.ScorecardLearnOptions.
    ``result.assessment_config`` is ready for ``assess(config=...)``.

    Raises UnimplementedError with a library older than the job.
    """
    _lib.require("ck_job_scorecard")
    data = _build("ScorecardRequest", request, {
        "as_of_dates": [iso_time(d) for d in as_of_dates],
        "horizon_days": horizon_days,
        "test_from": iso_time(test_from) if test_from is not None else None,
        "features": _msg(features, "FeatureSet"),
        "definition": _msg(definition, "ChurnDefinition"),
        "panel_label": panel_label,
        "options": _msg(options, "ScorecardLearnOptions"),
        "threads": threads})
    return ScorecardResult(_lib.call_buffer(
        "ck_job_scorecard", _dataset(dataset)._h.ptr, data, len(data)))


def scorecard_table(path: Union[str, "os.PathLike[str]"], label_column: str,
                    *, id_column: Optional[str] = None,
                    positive_label: Optional[str] = None,
                    delimiter: Optional[str] = None,
                    table: _proto.Message = None,
                    options: _proto.Message = None,
                    request: _proto.Message = None) -> ScorecardResult:
    """Learns a health scorecard from a plain CSV table, one row per
    customer (``ck_job_scorecard_table``; ``churnkit scorecard TABLE
    --label ...``), with a stratified holdout.

    Raises UnimplementedError with a library older than the job,
    NotFoundError for a missing file.
    """
    _lib.require("ck_job_scorecard_table")
    table_dict = dict(_msg(table, "TableOptions") or {})
    table_dict["label_column"] = label_column
    if id_column is not None:
        table_dict["id_column"] = id_column
    if positive_label is not None:
        table_dict["positive_label"] = positive_label
    data = _build("ScorecardTableRequest", request, {
        "path": os.fspath(path), "delimiter": delimiter, "table": table_dict,
        "options": _msg(options, "ScorecardLearnOptions")})
    return ScorecardResult(_lib.call_buffer("ck_job_scorecard_table", data,
                                            len(data)))


# ------------------------------------------------------------------ assess

def assess_request(as_of: DateLike, *,
                   model: Union[Model, bytes, None] = None,
                   config: _proto.Message = None,
                   previous: Union[AssessResult, bytes, None] = None,
                   history: Union[AssessResult, bytes, None] = None,
                   model_reasons: Optional[int] = None,
                   backtest_days: Optional[int] = None,
                   at_risk: Optional[int] = None,
                   threads: Optional[int] = None,
                   request: _proto.Message = None) -> bytes:
    """The serialized churnkit.v1.AssessRequest of :func:`assess`'s
    arguments (for the steps over partitions, :func:`assess_totals` ...)."""
    return _build("AssessRequest", request, {
        "as_of": iso_time(as_of), "config": _msg(config, "AssessmentConfig"),
        "model_reasons": model_reasons, "backtest_days": backtest_days,
        "at_risk": at_risk, "threads": threads},
        {"model": model, "previous": previous, "history": history})


def assess(dataset: Dataset, as_of: DateLike, *,
           model: Union[Model, bytes, None] = None,
           config: _proto.Message = None,
           previous: Union[AssessResult, bytes, None] = None,
           history: Union[AssessResult, bytes, None] = None,
           model_reasons: Optional[int] = None,
           backtest_days: Optional[int] = None,
           at_risk: Optional[int] = None, threads: Optional[int] = None,
           request: _proto.Message = None) -> AssessResult:
    """Assesses every customer as of a date (``ck_job_assess``; ``churnkit
    assess``): health score and colour, warning alerts, tasks, and with a
    model each customer's churn probability and reasons.

    Args:
        model: a :class:`~churnkit.Model` over the config's features (e.g.
            ``train(...).model``) or its saved bytes.
        config: a churnkit.v1.AssessmentConfig (None: the shipped features,
            scorecard, rules and care plan).
        previous: the previous run (an AssessResult or Assessment bytes),
            for score changes; history: the previous run or AlertHistory
            bytes, for cool-downs and escalation.
        model_reasons: reasons per customer (default 3; -1: none).
        backtest_days: > 0 also backtests the health score (churn by
            colour) over this many days.
        at_risk: customers in the at-risk ranking (default 10).

    Raises InvalidArgumentError naming a bad field ("as_of: required", a
    model feature the config does not compute, ...).
    """
    data = assess_request(as_of, model=model, config=config,
                          previous=previous, history=history,
                          model_reasons=model_reasons,
                          backtest_days=backtest_days, at_risk=at_risk,
                          threads=threads, request=request)
    return AssessResult(_lib.call_buffer("ck_job_assess",
                                         _dataset(dataset)._h.ptr, data,
                                         len(data)))


class Assessor:
    """A compiled AssessmentConfig (``ck_assessor_create``; None: the
    shipped features, scorecard, rules and care plan), for assessing one
    customer at a time as its events arrive (:meth:`assess_customer`).
    Thread-safe; compile once and reuse."""

    def __init__(self, config: _proto.Message = None) -> None:
        data = (_proto.encode("AssessmentConfig", _msg(config,
                                                       "AssessmentConfig"))
                if config is not None else b"")
        self._h = _lib.Handle(
            _lib.make_handle("ck_assessor_create", data, len(data)),
            "ck_assessor_free")

    def assess_customer(self, dataset: Dataset, customer_id: str,
                        as_of: DateLike, *,
                        events: Sequence[Mapping[str, Any]] = (),
                        colours: _proto.Message = None,
                        history: Union[bytes, Mapping[str, Any], None] = None,
                        previous_score: Optional[float] = None,
                        model: Optional[Model] = None) -> Dict[str, Any]:
        """One customer with its new ``events`` (churnkit.v1.Event dicts,
        e.g. ``{"kind": "TICKET", "time": "2025-03-01T10:00:00Z",
        "complaint": True}``) assessed as the full run of the data set with
        them appended would assess it, at the cost of its own events
        (``ck_assessor_assess_customer``; docs/rules.md "One customer at a
        time"). ``colours``: the last full run's cut-offs
        (``AssessResult.raw["assessment"]["colours"]``; required under
        ``red_share``); ``history``: the customer's AlertHistory entries.

        Returns the decoded churnkit.v1.CustomerUpdateResult:
        ``{"assessment": {...}, "history": {...}}``. Raises NotFoundError
        for an unknown customer, InvalidArgumentError naming a refused
        event ("added event:2: time: ...").
        """
        def event(e: Mapping[str, Any]) -> Dict[str, Any]:
            e = dict(e)
            if "time" in e:  # a Timestamp: RFC 3339 in JSON
                t = iso_time(e["time"])
                e["time"] = t + "T00:00:00Z" if len(t) == 10 else t
            return e
        update = {"customer_id": customer_id, "as_of": iso_time(as_of),
                  "events": [event(e) for e in events]}
        if colours is not None:
            update["colours"] = _msg(colours, "ColourCutoffs")
        if history is not None:
            update["history"] = _msg(history, "AlertHistory")
        if previous_score is not None:
            update["previous_score"] = float(previous_score)
        data = _proto.encode("CustomerUpdate", update)
        out = _lib.call_buffer(
            "ck_assessor_assess_customer", self._h.ptr,
            _dataset(dataset)._h.ptr, data, len(data),
            model._h.ptr if model is not None else None)
        return _proto.decode("CustomerUpdateResult", out)


# --------------------------------------- assessments over partitions (#17)
# The steps of :func:`assess` over customer partitions (docs/scale-out.md,
# "Alert routing"); each takes the same serialized AssessRequest
# (:func:`assess_request`).  churnkit.dask.assess(..., routing=True) drives
# them.

def assess_totals(dataset: Dataset, request: bytes) -> bytes:
    """Step 1 (with ``config.red_share`` only): the health totals of a
    partition's customers not churned (``ck_assess_totals``): a serialized
    churnkit.v1.HealthTotals."""
    return _lib.call_buffer("ck_assess_totals", _dataset(dataset)._h.ptr,
                            request, len(request))


def assess_cutoffs(request: bytes, totals: Sequence[bytes]) -> bytes:
    """Step 1, here: the run's colour cut-offs from every partition's
    totals (``ck_assess_cutoffs``): a serialized churnkit.v1.AlertPlan
    holding only ``colours``."""
    pointers, sizes, n = _byte_array(totals, "totals")
    return _lib.call_buffer("ck_assess_cutoffs", request, len(request),
                            pointers, sizes, n)


def assess_candidates(dataset: Dataset, request: bytes,
                      cutoffs: Optional[bytes] = None) -> bytes:
    """Step 2: a partition's alert candidates under the run's ``cutoffs``
    (from :func:`assess_cutoffs`; None: the scorecard's, an error with
    red_share) (``ck_assess_candidates``): a serialized
    churnkit.v1.AlertCandidates."""
    cutoffs = cutoffs or b""
    return _lib.call_buffer("ck_assess_candidates", _dataset(dataset)._h.ptr,
                            request, len(request), cutoffs or None,
                            len(cutoffs))


def assess_route(request: bytes, candidates: Sequence[bytes]) -> List[bytes]:
    """Step 3, here: every partition's candidates ranked and routed
    together (``ck_assess_route``): one serialized churnkit.v1.AlertPlan per
    partition, in the order of ``candidates``."""
    pointers, sizes, n = _byte_array(candidates, "candidates")
    plans = (ctypes.c_void_p * max(n, 1))()
    _lib.call("ck_assess_route", request, len(request), pointers, sizes, n,
              plans)
    L = _lib.lib()
    try:
        return [_lib.buffer_bytes(ctypes.c_void_p(p)) for p in plans[:n]]
    finally:
        for p in plans[:n]:
            L.ck_buffer_free(ctypes.c_void_p(p))


def assess_partition(dataset: Dataset, request: bytes,
                     plan: bytes) -> AssessResult:
    """Step 4: a partition's customers assessed under its ``plan``
    (``ck_assess_partition``), each equal to the whole run's; the summary,
    at-risk ranking and ``assessment.alert_summary`` are the partition's
    own (merge the alert summaries with :func:`assess_merge_summaries`)."""
    return AssessResult(_lib.call_buffer(
        "ck_assess_partition", _dataset(dataset)._h.ptr, request,
        len(request), plan, len(plan)))


def assess_merge_summaries(summaries: Sequence[bytes]) -> bytes:
    """The partitions' serialized churnkit.v1.AlertSummary parts merged into
    the run's (``ck_assess_merge_summaries``)."""
    pointers, sizes, n = _byte_array(summaries, "summaries")
    return _lib.call_buffer("ck_assess_merge_summaries", pointers, sizes, n)


# ----------------------------------------------------------------- segment

def segment(dataset: Dataset, as_of: DateLike, *,
            model: Union[Model, bytes, None] = None,
            options: _proto.Message = None,
            assess_config: _proto.Message = None,
            evidence_days: Optional[int] = None,
            threads: Optional[int] = None,
            request: _proto.Message = None) -> SegmentResult:
    """Segments every customer by value and risk (``ck_job_segment``;
    ``churnkit segment``): value and A/B/C tiers, the value x risk matrix
    with its strategies, the save-first ranking and the churn-reason
    matrix.

    Args:
        options: a churnkit.v1.SegmentOptions (value source, tiers, risk,
            strategies, reasons); ``as_of`` is set from the argument.
        model: with a model the risk is its churn probability unless
            ``options.risk.source`` says otherwise.
        assess_config: the assessment giving the risk (default: shipped).
        evidence_days: warnings this many days earlier are evidence for the
            reasons of customers who churned since (default 90; -1: none).
    """
    opts = dict(_msg(options, "SegmentOptions") or {})
    opts["as_of"] = iso_time(as_of)
    data = _build("SegmentRequest", request, {
        "options": opts,
        "assess_config": _msg(assess_config, "AssessmentConfig"),
        "evidence_days": evidence_days, "threads": threads},
        {"model": model})
    return SegmentResult(_lib.call_buffer("ck_job_segment",
                                          _dataset(dataset)._h.ptr, data,
                                          len(data)))


def segment_by_risk(dataset: Dataset, risk: Union[pd.Series,
                                                  Mapping[str, float]], *,
                    options: _proto.Message = None) -> SegmentResult:
    """Segments with a risk the caller computed (``ck_segments_compute``):
    ``risk`` maps customer id -> value whose meaning is
    ``options.risk.source`` (default: a health score; use
    ``{"risk": {"source": "CHURN_PROBABILITY"}}`` for probabilities).  Every
    customer not churned needs a value.  ``options.as_of`` is required.
    """
    series = (risk if isinstance(risk, pd.Series)
              else pd.Series(dict(risk), dtype=np.float64))
    ids = [_lib.utf8(str(i), "customer id") for i in series.index]
    values = _arrays.as_vector(series.to_numpy(), "risk")
    opts = _proto.encode("SegmentOptions", options)
    id_array = (c_char_p * max(len(ids), 1))(*ids)
    data = _lib.call_buffer(
        "ck_segments_compute", _dataset(dataset)._h.ptr, opts or None,
        len(opts), id_array if ids else None,
        values.ctypes.data_as(_DOUBLE_P) if ids else None, len(ids), None)
    response = _lib.call_buffer("ck_proto_set", b"churnkit.v1.SegmentResponse",
                                b"", 0, b"report", data, len(data))
    return SegmentResult(response)


# ---------------------------------------------------------------------- CLV

def clv(dataset: Dataset, as_of: DateLike, *, rfm: _proto.Message = None,
        fit: _proto.Message = None, predict: _proto.Message = None,
        horizon: Optional[float] = None, margin: Optional[float] = None,
        request: _proto.Message = None) -> ClvResult:
    """Customer lifetime value from the orders before ``as_of``
    (``ck_job_clv``; ``churnkit clv``): RFM summaries, BG/NBD and
    Gamma-Gamma fits, each customer's P(alive), expected purchases, spend
    and CLV over ``horizon`` (default a year, in the RFM time unit).

    Raises FailedPreconditionError without a repeat buyer.
    """
    pred = dict(_msg(predict, "ClvPredictOptions") or {})
    if horizon is not None:
        pred["horizon"] = float(horizon)
    if margin is not None:
        pred["margin"] = float(margin)
    data = _build("ClvRequest", request, {
        "as_of": iso_time(as_of), "rfm": _msg(rfm, "RfmOptions"),
        "fit": _msg(fit, "ClvFitOptions"), "predict": pred or None})
    return ClvResult(_lib.call_buffer("ck_job_clv", _dataset(dataset)._h.ptr,
                                      data, len(data)))


def clv_summaries(dataset: Dataset, as_of: DateLike,
                  options: _proto.Message = None) -> pd.DataFrame:
    """RFM summaries (``ck_clv_summaries``): one row per customer with an
    order (customer_id, frequency, recency, age, monetary);
    ``df.attrs["time_unit"]`` and ``["customers_without_orders"]``."""
    return _summaries_frame(_clv_summaries_bytes(dataset, as_of, options))


def _summaries_frame(data: bytes) -> pd.DataFrame:
    raw = _proto.decode("RfmSummaries", data)
    df = _frames.frame(raw.get("customers", []), {
        "customer_id": "str", "frequency": "float", "recency": "float",
        "age": "float", "monetary": "float"})
    df.attrs["time_unit"] = raw.get("time_unit", "CLV_DAYS")
    df.attrs["customers_without_orders"] = int(
        raw.get("customers_without_orders", 0))
    return df


def _rfm_arrays(frequency: Any, recency: Any, age: Any, monetary: Any
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray,
                           Optional[np.ndarray]]:
    f = _arrays.as_vector(frequency, "frequency")
    n = f.shape[0]
    if n == 0:
        raise errors.InvalidArgumentError("frequency: no customers")
    r = _arrays.as_vector(recency, "recency", n)
    a = _arrays.as_vector(age, "age", n)
    m = None if monetary is None else _arrays.as_vector(monetary, "monetary",
                                                        n)
    return f, r, a, m


def _ptr(a: Optional[np.ndarray]) -> Any:
    return None if a is None else a.ctypes.data_as(_DOUBLE_P)


def clv_fit(frequency: Any, recency: Any, age: Any, monetary: Any = None,
            options: _proto.Message = None) -> Dict[str, Any]:
    """Fits BG/NBD (and Gamma-Gamma with ``monetary``) on summaries in
    memory (``ck_clv_fit``; arrays of one value per customer, no NaN).
    Returns the churnkit.v1.ClvModel as a dict, with its serialized bytes
    under the key ``"_bytes"`` for :func:`clv_predict`."""
    f, r, a, m = _rfm_arrays(frequency, recency, age, monetary)
    opts = _proto.encode("ClvFitOptions", options)
    data = _lib.call_buffer("ck_clv_fit", _ptr(f), _ptr(r), _ptr(a), _ptr(m),
                            f.shape[0], opts or None, len(opts))
    out = _proto.decode("ClvModel", data)
    out["_bytes"] = data
    return out


def clv_predict(model: Union[Mapping[str, Any], bytes], frequency: Any,
                recency: Any, age: Any, monetary: Any = None, *,
                horizon: float, margin: Optional[float] = None,
                options: _proto.Message = None) -> pd.DataFrame:
    """Predicts under a :func:`clv_fit` model (``ck_clv_predict``):
    columns p_alive, expected_purchases, expected_spend, clv (written by
    the library straight into the frame's arrays)."""
    if isinstance(model, Mapping):
        model_bytes = model.get("_bytes") or _proto.encode(
            "ClvModel", {k: v for k, v in model.items() if k != "_bytes"})
    else:
        model_bytes = bytes(model)
    f, r, a, m = _rfm_arrays(frequency, recency, age, monetary)
    opts = dict(_msg(options, "ClvPredictOptions") or {})
    opts["horizon"] = float(horizon)
    if margin is not None:
        opts["margin"] = float(margin)
    opts = _proto.encode("ClvPredictOptions", opts)
    n = f.shape[0]
    outs = [np.empty(n) for _ in range(4)]
    _lib.call("ck_clv_predict", model_bytes, len(model_bytes), _ptr(f),
              _ptr(r), _ptr(a), _ptr(m), n, opts or None, len(opts),
              *[_ptr(o) for o in outs])
    return pd.DataFrame(dict(zip(("p_alive", "expected_purchases",
                                  "expected_spend", "clv"), outs)))


def _clv_summaries_bytes(dataset: Dataset, as_of: DateLike,
                         options: _proto.Message = None) -> bytes:
    opts = _proto.encode("RfmOptions", options)
    return _lib.call_buffer("ck_clv_summaries", _dataset(dataset)._h.ptr,
                            parse_time(as_of), opts or None, len(opts))


def clv_patterns(summaries: Union[bytes, pd.DataFrame]) -> bytes:
    """The mergeable pattern summary of RFM summaries
    (``ck_clv_patterns``): customers per distinct (frequency, recency, age)
    and, for repeat buyers with spend, per (frequency, monetary) — all that
    the BG/NBD and Gamma-Gamma fits need (docs/scale-out.md).

    ``summaries``: a :func:`clv_summaries` frame (its ``attrs`` give the
    time unit) or serialized churnkit.v1.RfmSummaries.  Returns serialized
    churnkit.v1.RfmPatterns for :func:`clv_patterns_merge` and
    :func:`clv_fit_patterns`."""
    _lib.require("ck_clv_patterns")
    if isinstance(summaries, pd.DataFrame):
        cols = ["customer_id", "frequency", "recency", "age", "monetary"]
        summaries = _proto.encode("RfmSummaries", {
            "time_unit": summaries.attrs.get("time_unit", "CLV_DAYS"),
            "customers_without_orders": int(
                summaries.attrs.get("customers_without_orders", 0)),
            "customers": summaries[cols].to_dict("records")})
    data = bytes(summaries)
    return _lib.call_buffer("ck_clv_patterns", data, len(data))


def clv_patterns_merge(parts: Sequence[bytes]) -> bytes:
    """Merges pattern summaries of disjoint customer sets (e.g. one per
    partition) into those of all their customers
    (``ck_clv_patterns_merge``); the bytes do not depend on the order of
    ``parts``."""
    _lib.require("ck_clv_patterns_merge")
    parts = [bytes(p) for p in parts]
    n = len(parts)
    data = (c_char_p * max(n, 1))(*parts)
    sizes = (ctypes.c_size_t * max(n, 1))(*[len(p) for p in parts])
    return _lib.call_buffer("ck_clv_patterns_merge", data, sizes, n)


def clv_fit_patterns(patterns: bytes,
                     options: _proto.Message = None) -> Dict[str, Any]:
    """Fits BG/NBD and Gamma-Gamma from a pattern summary
    (``ck_clv_fit_patterns``) — what :func:`clv_fit` computes from the
    customers' arrays, bit for bit.  Returns the churnkit.v1.ClvModel as a
    dict with its bytes under ``"_bytes"``, as :func:`clv_fit`."""
    _lib.require("ck_clv_fit_patterns")
    data = bytes(patterns)
    opts = _proto.encode("ClvFitOptions", options)
    model = _lib.call_buffer("ck_clv_fit_patterns", data, len(data),
                             opts or None, len(opts))
    out = _proto.decode("ClvModel", model)
    out["_bytes"] = model
    return out


#: The tiers of :func:`tier_assign`, by ``CK_TIER_*`` value.
TIER_NAMES = np.array(["A", "B", "C"])


def tier_thresholds(values: Any,
                    tiers: _proto.Message = None) -> Tuple[float, float]:
    """The A/B/C tier thresholds of ``values`` (>= 0, finite) under a
    churnkit.v1.TierOptions (``ck_tier_thresholds``; None: PARETO 0.80 /
    0.15, as segmentation): the smallest value of tier A and of tier B
    (inf for an empty tier).  They depend only on the values, not their
    order, so the values of partitions concatenated give the whole's."""
    _lib.require("ck_tier_thresholds")
    v = _arrays.as_vector(values, "values")
    opts = _proto.encode("TierOptions", tiers)
    a_min, b_min = c_double(), c_double()
    _lib.call("ck_tier_thresholds", _ptr(v) if v.size else None, v.shape[0],
              opts or None, len(opts), ctypes.byref(a_min),
              ctypes.byref(b_min))
    return a_min.value, b_min.value


def tier_assign(values: Any, thresholds: Tuple[float, float]) -> np.ndarray:
    """The tier ("A", "B" or "C") of each value under thresholds from
    :func:`tier_thresholds` (``ck_tier_assign``)."""
    _lib.require("ck_tier_assign")
    v = _arrays.as_vector(values, "values")
    out = np.empty(v.shape[0], dtype=np.intc)
    a_min, b_min = (float(t) for t in thresholds)
    _lib.call("ck_tier_assign", _ptr(v) if v.size else None, v.shape[0],
              a_min, b_min,
              out.ctypes.data_as(ctypes.POINTER(ctypes.c_int)))
    return TIER_NAMES[out]


# ------------------------------------------------------------------ reports

def _report_request(*, as_of: Optional[DateLike] = None,
                    period: Optional[Tuple[DateLike, DateLike]] = None,
                    breakdowns: Optional[Sequence[str]] = None,
                    trend: Union[bool, Mapping[str, Any], None] = None,
                    cohorts: Union[bool, Mapping[str, Any], None] = None,
                    survival: Union[bool, Mapping[str, Any], None] = None,
                    lifecycle: Optional[Mapping[str, Any]] = None,
                    definition: _proto.Message = None,
                    revenue_source: Optional[str] = None,
                    threads: Optional[int] = None,
                    request: _proto.Message = None) -> bytes:
    """The serialized ReportRequest of :func:`report`'s arguments."""
    def opt(value: Any) -> Any:
        if value is None or value is False:
            return None
        return {} if value is True else dict(value)

    return _build("ReportRequest", request, {
        "as_of": iso_time(as_of) if as_of is not None else None,
        "period": ({"start": iso_time(period[0]), "end": iso_time(period[1])}
                   if period is not None else None),
        "breakdowns": list(breakdowns) if breakdowns is not None else None,
        "trend": opt(trend), "cohorts": opt(cohorts),
        "survival": opt(survival),
        "lifecycle": dict(lifecycle) if lifecycle else None,
        "definition": _msg(definition, "ChurnDefinition"),
        "revenue_source": revenue_source, "threads": threads})


def report(dataset: Dataset, *, as_of: Optional[DateLike] = None,
           period: Optional[Tuple[DateLike, DateLike]] = None,
           breakdowns: Optional[Sequence[str]] = None,
           trend: Union[bool, Mapping[str, Any], None] = None,
           cohorts: Union[bool, Mapping[str, Any], None] = None,
           survival: Union[bool, Mapping[str, Any], None] = None,
           lifecycle: Optional[Mapping[str, Any]] = None,
           definition: _proto.Message = None,
           revenue_source: Optional[str] = None,
           threads: Optional[int] = None,
           request: _proto.Message = None) -> ChurnReport:
    """A churn report (``ck_job_report``; ``churnkit report``): churn and
    retention of a period with the revenue lost, broken down by attribute,
    churn type, reason and lifecycle stage; a monthly trend, cohort
    retention and Kaplan-Meier curves when asked.  Over customer
    partitions: :func:`churnkit.dask.report` (the same report).

    Args:
        as_of: the report's date (default: after the last activity).
        period: (start, end); default the year before as_of.
        breakdowns: attributes, e.g. ["tier", "industry"].
        trend / cohorts / survival: True (defaults) or a dict of
            TrendOptions / CohortOptions / SurvivalOptions, e.g.
            ``survival={"group_by": ["tier"]}``.
        definition: a churnkit.v1.ChurnDefinition (default: shipped).
        revenue_source: "annual_value", "orders_365d", "payments_365d" or
            "none" (default: the first the data has).
    """
    data = _report_request(
        as_of=as_of, period=period, breakdowns=breakdowns, trend=trend,
        cohorts=cohorts, survival=survival, lifecycle=lifecycle,
        definition=definition, revenue_source=revenue_source,
        threads=threads, request=request)
    return ChurnReport(_lib.call_buffer("ck_job_report",
                                        _dataset(dataset)._h.ptr, data,
                                        len(data)))


# Reports over customer partitions (docs/reports.md): extent -> resolve ->
# summarize per partition -> merge -> render; churnkit.dask.report runs it.

def _byte_array(items: Sequence[bytes], name: str) -> Tuple[Any, Any, int]:
    """(const void* const*, const size_t*, count) over ``items``."""
    items = list(items)
    for i, item in enumerate(items):
        if not isinstance(item, (bytes, bytearray)):
            raise TypeError(f"{name}[{i}]: expected bytes, got "
                            f"{type(item).__name__}")
    n = len(items)
    pointers = (ctypes.c_char_p * max(n, 1))(*[bytes(b) for b in items])
    sizes = (ctypes.c_size_t * max(n, 1))(*[len(b) for b in items])
    return pointers, sizes, n


def report_extent(dataset: Dataset) -> bytes:
    """What a report's defaults depend on in ``dataset``
    (``ck_report_extent``): a serialized churnkit.v1.ReportExtent."""
    return _lib.call_buffer("ck_report_extent", _dataset(dataset)._h.ptr)


def report_resolve(request: bytes, extents: Sequence[bytes]) -> bytes:
    """``request`` (serialized ReportRequest) with its data-dependent
    defaults fixed from the extents of every partition
    (``ck_report_resolve``)."""
    pointers, sizes, n = _byte_array(extents, "extents")
    return _lib.call_buffer("ck_report_resolve", request, len(request),
                            pointers, sizes, n)


def report_summarize(dataset: Dataset, request: bytes) -> bytes:
    """The serialized churnkit.v1.ReportSummary of ``dataset`` (a
    partition) under a resolved ``request`` (``ck_report_summarize``)."""
    return _lib.call_buffer("ck_report_summarize", _dataset(dataset)._h.ptr,
                            request, len(request))


def report_merge(summaries: Sequence[bytes]) -> bytes:
    """The summaries of disjoint customers merged, in any order
    (``ck_report_merge``)."""
    pointers, sizes, n = _byte_array(summaries, "summaries")
    return _lib.call_buffer("ck_report_merge", pointers, sizes, n)


def report_render(summary: bytes) -> ChurnReport:
    """The report of a (merged) summary (``ck_report_render``)."""
    return ChurnReport(_lib.call_buffer("ck_report_render", summary,
                                        len(summary)))


def labels(dataset: Dataset, as_of: DateLike,
           definition: _proto.Message = None) -> LabelSet:
    """Active, passive and hidden churn of every customer as of a date
    (``ck_labels_compute``; ``churnkit labels``), per a
    churnkit.v1.ChurnDefinition (None: the shipped one)."""
    opts = _proto.encode("ChurnDefinition", definition)
    return LabelSet(_lib.call_buffer("ck_labels_compute",
                                     _dataset(dataset)._h.ptr, opts or None,
                                     len(opts),
                                     parse_time(as_of)))


def windows(dataset: Dataset, as_of: DateLike, *, by: Optional[str] = None,
            step_days: Optional[int] = None, max_days: Optional[int] = None,
            max_return: Optional[float] = None,
            horizon_days: Optional[int] = None,
            min_spells: Optional[int] = None,
            activity: Optional[Sequence[Mapping[str, Any]]] = None,
            request: _proto.Message = None) -> WindowsResult:
    """Passive-churn windows chosen from history (``ck_windows_suggest``;
    ``churnkit windows``): per segment (overall and per value of ``by``),
    the share of customers who returned after N silent days and the
    shortest N after which at most ``max_return`` return."""
    data = _build("WindowsRequest", request, {
        "as_of": iso_time(as_of), "by": by, "step_days": step_days,
        "max_days": max_days, "max_return": max_return,
        "horizon_days": horizon_days, "min_spells": min_spells,
        "activity": list(activity) if activity is not None else None})
    return WindowsResult(_lib.call_buffer("ck_windows_suggest",
                                          _dataset(dataset)._h.ptr, data,
                                          len(data)))


def abtest(dataset: Dataset, *, as_of: Optional[DateLike] = None,
           cycle_days: Optional[int] = None, cycles: Optional[int] = None,
           control_arm: Optional[str] = None, alpha: Optional[float] = None,
           power: Optional[float] = None,
           strategies: Optional[Sequence[str]] = None,
           options: _proto.Message = None) -> ExperimentReport:
    """A/B tests of retention interventions (``ck_abtest_analyze``;
    ``churnkit abtest``): per strategy and arm, retention after each
    cycle, response and win-back; each arm against the control with the
    difference, Wald and Newcombe intervals, z-test and Fisher p-values and
    the sample size a conclusive test needs.  ``options`` is a whole
    churnkit.v1.ExperimentOptions the arguments override."""
    data = _build("ExperimentOptions", options, {
        "as_of": iso_time(as_of) if as_of is not None else None,
        "cycle_days": cycle_days, "cycles": cycles,
        "control_arm": control_arm, "alpha": alpha, "power": power,
        "strategies": list(strategies) if strategies is not None else None})
    return ExperimentReport(_lib.call_buffer(
        "ck_abtest_analyze", _dataset(dataset)._h.ptr, data or None,
        len(data)))


# --------------------------------------------------------------- statistics

def _count(v: Any, name: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    return int(v)


def two_proportion_test(successes1: int, trials1: int, successes2: int,
                        trials2: int) -> Dict[str, float]:
    """Two-proportion z-test of p1 = p2 (pooled standard error): ``z``,
    the two-sided ``p_value`` and ``p_value_greater`` (one-sided p1 > p2).
    """
    z, p, pg = c_double(), c_double(), c_double()
    _lib.call("ck_stats_two_proportion_test",
              _count(successes1, "successes1"), _count(trials1, "trials1"),
              _count(successes2, "successes2"), _count(trials2, "trials2"),
              ctypes.byref(z), ctypes.byref(p), ctypes.byref(pg))
    return {"z": z.value, "p_value": p.value, "p_value_greater": pg.value}


def difference_interval(successes1: int, trials1: int, successes2: int,
                        trials2: int, *, alpha: float = 0.05,
                        method: str = "newcombe") -> Tuple[float, float]:
    """Confidence interval of p1 - p2 at level 1 - alpha: ``method``
    "wald" or "newcombe" (hybrid score, method 10)."""
    methods = {"wald": 1, "newcombe": 2}
    if method not in methods:
        raise errors.InvalidArgumentError(
            f"method must be 'wald' or 'newcombe', got {method!r}")
    lo, hi = c_double(), c_double()
    _lib.call("ck_stats_difference_interval",
              _count(successes1, "successes1"), _count(trials1, "trials1"),
              _count(successes2, "successes2"), _count(trials2, "trials2"),
              float(alpha), methods[method], ctypes.byref(lo),
              ctypes.byref(hi))
    return lo.value, hi.value


def fisher_exact(a: int, b: int, c: int, d: int) -> Dict[str, float]:
    """Fisher's exact test on [[a, b], [c, d]]: ``p_value`` (two-sided, as
    scipy), ``p_less``, ``p_greater`` and ``odds_ratio`` (inf when b c = 0
    < a d; -1 for an empty row or column)."""
    p, pl, pg, odds = c_double(), c_double(), c_double(), c_double()
    _lib.call("ck_stats_fisher_exact", _count(a, "a"), _count(b, "b"),
              _count(c, "c"), _count(d, "d"), ctypes.byref(p),
              ctypes.byref(pl), ctypes.byref(pg), ctypes.byref(odds))
    return {"p_value": p.value, "p_less": pl.value, "p_greater": pg.value,
            "odds_ratio": odds.value}


def sample_size(p1: float, p2: float, *, alpha: float = 0.05,
                power: float = 0.8) -> int:
    """Subjects per arm for a two-sided two-proportion z-test to detect p1
    vs p2 (Fleiss et al. 2003, no continuity correction)."""
    out = c_int64()
    _lib.call("ck_stats_sample_size", float(p1), float(p2), float(alpha),
              float(power), ctypes.byref(out))
    return out.value


# ----------------------------------------------------------- configs, cards

def validate_config(message: str, config: _proto.Message) -> None:
    """Checks a config without data (``ck_config_validate``): e.g.
    ``validate_config("TrainRequest", {...})``.  Returns None when valid.

    Raises InvalidArgumentError (the first problem, named by its path) or
    UnimplementedError (a message without a check-only validation).
    """
    _proto.validate(message, config)


def learn_scorecard(x: Union[np.ndarray, pd.DataFrame], labels: Any, *,
                    columns: Optional[Sequence[str]] = None,
                    options: _proto.Message = None
                    ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Learns a health scorecard from churn history (``ck_scorecard_learn``,
    docs/scorecards.md).  Returns (scorecard, report) as dicts; the
    scorecard dict can be the ``scorecard`` of an AssessmentConfig."""
    arr, names = _arrays.as_matrix(x, "x", columns=columns)
    if names is None:
        raise errors.InvalidArgumentError(
            "x is an array: pass `columns` with one name per column")
    y = _arrays.as_labels(labels, arr.shape[0])
    opts = _proto.encode("ScorecardLearnOptions", options)
    from .model import _names_array
    card, rep = ctypes.c_void_p(), ctypes.c_void_p()
    L = _lib.lib()
    _lib.check(L.ck_scorecard_learn(
        arr.ctypes.data_as(_DOUBLE_P), arr.shape[0], arr.shape[1],
        _names_array(names), y.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)),
        opts or None, len(opts), ctypes.byref(card), ctypes.byref(rep)))
    try:
        card_bytes, rep_bytes = _lib.buffer_bytes(card), _lib.buffer_bytes(rep)
    finally:
        L.ck_buffer_free(card)
        L.ck_buffer_free(rep)
    return (_proto.decode("Scorecard", card_bytes),
            _proto.decode("ScorecardReport", rep_bytes))
