"""churnkit: churn analytics over the churnkit C library (ctypes).

Quick start::

    import churnkit as ck
    ds = ck.load("examples/data")
    rep = ck.report(ds, breakdowns=["tier"], trend=True)
    rep.overall["churn_rate"], rep.breakdowns

The library is found through ``CHURNKIT_LIBRARY``, next to the package, or
in the system's library directories (see :mod:`churnkit._lib`), loaded on
first use and checked against this package's ABI.  Every C error is raised
as a :class:`churnkit.Error` subclass.  See docs/python.md.

Module names: the package's functions ``report``, ``labels``, ``windows``
... live in :mod:`churnkit.jobs`; a submodule must not take one of their
names (importing ``churnkit.report`` would replace the function), so the
HTML report lives in its own name (e.g. ``churnkit.html_report``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (AbortedError, AlreadyExistsError, CancelledError,  # noqa
                     DataLossError, DeadlineExceededError, Error,
                     FailedPreconditionError, InternalError,
                     InvalidArgumentError, LibraryError,
                     LibraryNotFoundError, LibraryVersionError, NotFoundError,
                     OutOfRangeError, PermissionDeniedError,
                     ResourceExhaustedError, UnauthenticatedError,
                     UnavailableError, UnimplementedError, UnknownError)
from .dataset import (Dataset, ErrorReport, generate, iso_time,  # noqa
                      load, parse_time, validate)
from .features import (FeatureMatrix, FeatureSet, compute_features,  # noqa
                       training_panel)
from .model import (Explanations, Model, PartitionedFit, evaluate,  # noqa
                    fit_partial)
from .results import (AssessResult, ChurnReport, ClvResult,  # noqa
                      Evaluation, ExperimentReport, GenerateResult, LabelSet,
                      Result, ScorecardResult, SegmentResult, TrainResult,
                      TrainTableResult, WindowsResult, PartitionResult,
                      DataPartition)
from .jobs import (Assessor, abtest, assess, clv, clv_fit,  # noqa
                   clv_fit_patterns,
                   assess_candidates, assess_cutoffs, assess_merge_summaries,
                   assess_partition, assess_request, assess_route,
                   assess_totals,
                   clv_patterns, clv_patterns_merge, clv_predict,
                   clv_summaries, difference_interval, fisher_exact, labels,
                   learn_scorecard, report, report_extent, report_merge,
                   report_render, report_resolve, report_summarize,
                   sample_size, scorecard,
                   scorecard_table, segment,
                   segment_by_risk, tier_assign, tier_thresholds, train,
                   train_panel, train_request, train_table,
                   two_proportion_test, validate_config, windows)
from .partitions import (get_threads, open_partitions, partition,  # noqa
                         set_threads)
from . import _proto as proto  # noqa: dict <-> bytes helpers


def library_version() -> str:
    """The loaded C library's version string (``ck_version()``); loads the
    library if needed."""
    from . import _lib
    return _lib.lib().version


def library_path() -> str:
    """Where the C library was loaded from."""
    from . import _lib
    return _lib.lib().path


__all__ = [
    # errors
    "Error", "CancelledError", "UnknownError", "InvalidArgumentError",
    "DeadlineExceededError", "NotFoundError", "AlreadyExistsError",
    "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError",
    "UnimplementedError", "InternalError", "UnavailableError",
    "DataLossError", "UnauthenticatedError", "LibraryError",
    "LibraryNotFoundError", "LibraryVersionError",
    # data sets
    "Dataset", "ErrorReport", "load", "validate", "generate", "parse_time",
    "iso_time",
    # features and models
    "FeatureSet", "FeatureMatrix", "compute_features", "training_panel",
    "Model", "PartitionedFit", "fit_partial", "train_panel",
    "train_request", "Explanations", "evaluate",
    "learn_scorecard", "scorecard",
    "scorecard_table",
    # jobs and their results
    "train", "train_table", "assess", "segment", "segment_by_risk", "clv",
    "clv_summaries", "clv_fit", "clv_predict", "clv_patterns",
    "clv_patterns_merge", "clv_fit_patterns", "tier_thresholds",
    "tier_assign", "report", "report_extent", "report_resolve",
    "report_summarize", "report_merge", "report_render", "labels",
    "assess_request", "assess_totals", "assess_cutoffs", "assess_candidates",
    "assess_route", "assess_partition", "assess_merge_summaries",
    "windows", "abtest", "validate_config", "two_proportion_test",
    "difference_interval", "fisher_exact", "sample_size", "Result",
    "Evaluation", "TrainResult", "TrainTableResult", "AssessResult",
    "SegmentResult", "ClvResult", "ChurnReport", "WindowsResult",
    "ExperimentReport", "LabelSet", "ScorecardResult", "GenerateResult",
    # partitions and threads (scale-out: churnkit.dask)
    "partition", "open_partitions", "PartitionResult", "DataPartition",
    "set_threads", "get_threads",
    # helpers
    "proto", "library_version", "library_path", "__version__",
]
