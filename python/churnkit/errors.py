"""Exceptions raised by churnkit.

Every non-OK ``ck_status`` returned by the C library is raised as a subclass
of :class:`Error`, one per status code, carrying the code, its name and the
message of ``ck_last_error()``.  Checks the Python layer makes before a C
call raise the same classes (usually :class:`InvalidArgumentError`), so a
caller needs a single ``except churnkit.Error``.  Some classes also derive
from the matching built-in exception (``InvalidArgumentError`` is a
``ValueError``, ``NotFoundError`` a ``LookupError``, ...), so generic Python
code handles them as expected.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "Error",
    "CancelledError",
    "UnknownError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "UnimplementedError",
    "InternalError",
    "UnavailableError",
    "DataLossError",
    "UnauthenticatedError",
    "LibraryError",
    "LibraryNotFoundError",
    "LibraryVersionError",
    "error_for_status",
]


class Error(Exception):
    """Base class of every churnkit error.

    Attributes:
        code: the ``ck_status`` value (``CK_INVALID_ARGUMENT`` = 3, ...), or
            ``None`` for errors that did not come from a status code.
        status: the code's name, e.g. ``"CK_INVALID_ARGUMENT"``.
        message: the library's message (``ck_last_error()``) or the Python
            layer's.
    """

    code: Optional[int] = None
    status: str = "CK_UNKNOWN"

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"

    def __reduce__(self):  # keep code and message through pickling
        return (type(self), (self.message, self.code))


class CancelledError(Error):
    """CK_CANCELLED (1)."""

    code, status = 1, "CK_CANCELLED"


class UnknownError(Error):
    """CK_UNKNOWN (2)."""

    code, status = 2, "CK_UNKNOWN"


class InvalidArgumentError(Error, ValueError):
    """CK_INVALID_ARGUMENT (3): a bad argument, config, request or input."""

    code, status = 3, "CK_INVALID_ARGUMENT"


class DeadlineExceededError(Error, TimeoutError):
    """CK_DEADLINE_EXCEEDED (4)."""

    code, status = 4, "CK_DEADLINE_EXCEEDED"


class NotFoundError(Error, LookupError):
    """CK_NOT_FOUND (5): a missing file, customer or threshold."""

    code, status = 5, "CK_NOT_FOUND"


class AlreadyExistsError(Error):
    """CK_ALREADY_EXISTS (6)."""

    code, status = 6, "CK_ALREADY_EXISTS"


class PermissionDeniedError(Error, PermissionError):
    """CK_PERMISSION_DENIED (7): a file that cannot be read or written."""

    code, status = 7, "CK_PERMISSION_DENIED"


class ResourceExhaustedError(Error):
    """CK_RESOURCE_EXHAUSTED (8): out of memory or a size limit."""

    code, status = 8, "CK_RESOURCE_EXHAUSTED"


class FailedPreconditionError(Error):
    """CK_FAILED_PRECONDITION (9): e.g. a single class, no convergence."""

    code, status = 9, "CK_FAILED_PRECONDITION"


class AbortedError(Error):
    """CK_ABORTED (10)."""

    code, status = 10, "CK_ABORTED"


class OutOfRangeError(Error, IndexError):
    """CK_OUT_OF_RANGE (11): an index past the end."""

    code, status = 11, "CK_OUT_OF_RANGE"


class UnimplementedError(Error, NotImplementedError):
    """CK_UNIMPLEMENTED (12)."""

    code, status = 12, "CK_UNIMPLEMENTED"


class InternalError(Error):
    """CK_INTERNAL (13): a bug in churnkit; please report it."""

    code, status = 13, "CK_INTERNAL"


class UnavailableError(Error):
    """CK_UNAVAILABLE (14)."""

    code, status = 14, "CK_UNAVAILABLE"


class DataLossError(Error):
    """CK_DATA_LOSS (15): corrupted bytes (e.g. a model's checksum)."""

    code, status = 15, "CK_DATA_LOSS"


class UnauthenticatedError(Error):
    """CK_UNAUTHENTICATED (16)."""

    code, status = 16, "CK_UNAUTHENTICATED"


class LibraryError(Error, ImportError):
    """The shared library cannot be used (base of the two below)."""

    status = "CK_LIBRARY"


class LibraryNotFoundError(LibraryError):
    """No libchurnkit shared library was found (see ``CHURNKIT_LIBRARY``)."""

    status = "CK_LIBRARY_NOT_FOUND"


class LibraryVersionError(LibraryError):
    """The library found has an ABI or version this package cannot use."""

    status = "CK_LIBRARY_VERSION"


_BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls  # type: ignore[misc]
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def error_for_status(code: int, message: str) -> Error:
    """Returns the exception for a non-OK ``ck_status`` ``code``.

    A code outside the enum gives an :class:`UnknownError` that keeps it.
    """
    cls = _BY_CODE.get(code)
    if cls is None:
        return UnknownError(f"status {code}: {message}", code)
    return cls(message)
