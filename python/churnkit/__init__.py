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
from .model import Explanations, Model, evaluate  # noqa
from .results import (AssessResult, ChurnReport, ClvResult,  # noqa
                      Evaluation, ExperimentReport, LabelSet, Result,
                      SegmentResult, TrainResult, TrainTableResult,
                      WindowsResult)
from .jobs import (abtest, assess, clv, clv_fit, clv_predict,  # noqa
                   clv_summaries, difference_interval, fisher_exact, labels,
                   learn_scorecard, report, sample_size, segment,
                   segment_by_risk, train, train_table, two_proportion_test,
                   validate_config, windows)
from .jobs import labels as compute_labels  # noqa: alias
from . import _proto as proto  # noqa: dict <-> bytes helpers

features = compute_features


def library_version() -> str:
    """The loaded C library's version string (``ck_version()``); loads the
    library if needed."""
    from . import _lib
    return _lib.lib().version


def library_path() -> str:
    """Where the C library was loaded from."""
    from . import _lib
    return _lib.lib().path


__all__ = [name for name in dir() if not name.startswith("_")]
