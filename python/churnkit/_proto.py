"""churnkit.v1 messages without a protobuf dependency.

Requests are built as Python dicts (protobuf's JSON mapping: proto field
names or lowerCamel, enums by name) and turned into serialized bytes by the
library (``ck_proto_from_json``); results come back as bytes and are read
as dicts (``ck_proto_to_json``).  Anywhere a message is accepted, these are
equivalent:

* ``None``: the empty message (every default);
* a ``dict``;
* ``bytes``: the serialized message;
* a ``str``: the message in protobuf text format.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Union

from . import _lib, errors

Message = Union[None, Mapping[str, Any], bytes, bytearray, memoryview, str]

PACKAGE = "churnkit.v1."


def full_name(message: str) -> str:
    """``"TrainRequest"`` -> ``"churnkit.v1.TrainRequest"``."""
    return message if message.startswith(PACKAGE) else PACKAGE + message


def encode(message: str, value: Message) -> bytes:
    """Serialized bytes of ``value`` (see the module doc) as ``message``.

    Raises:
        InvalidArgumentError: a dict or text that is not that message (the
            library's message names the field), or an unknown message.
        TypeError: a value of another type.
    """
    name = _lib.utf8(full_name(message), "message name")
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return _lib.call_buffer("ck_proto_from_text", name,
                                _lib.utf8(value, "text"))
    if isinstance(value, Mapping):
        try:
            text = json.dumps(value, allow_nan=False, default=_json_default)
        except (TypeError, ValueError) as e:
            raise errors.InvalidArgumentError(
                f"{full_name(message)}: cannot be written as JSON: {e}") from e
        return _lib.call_buffer("ck_proto_from_json", name,
                                _lib.utf8(text, "json"))
    raise TypeError(f"{full_name(message)} must be a dict, bytes, text "
                    f"format str or None, got {type(value).__name__}")


def _json_default(obj: Any) -> Any:
    # numpy scalars and the like
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def decode(message: str, data: bytes) -> Dict[str, Any]:
    """The dict of serialized ``message`` bytes (proto field names; fields
    at their default are absent; 64-bit integers are str, as protobuf's JSON
    mapping writes them)."""
    text = _lib.call_buffer("ck_proto_to_json",
                            _lib.utf8(full_name(message), "message name"),
                            data, len(data))
    return json.loads(text.decode("utf-8")) if text else {}


def to_dict(message: str, value: Message) -> Dict[str, Any]:
    """``value`` normalized to the dict the library prints for it."""
    return decode(message, encode(message, value))


def get_field(message: str, data: bytes, path: str) -> bytes:
    """One field of serialized ``message`` bytes by its dotted path
    (``ck_proto_get``): a message field as bytes, a scalar as text."""
    return _lib.call_buffer("ck_proto_get",
                            _lib.utf8(full_name(message), "message name"),
                            data, len(data), _lib.utf8(path, "path"))


def validate(message: str, value: Message) -> None:
    """Checks a config without data (``ck_config_validate``).

    Raises:
        InvalidArgumentError: the config's first problem, named by path.
        UnimplementedError: a message without a check-only validation.
    """
    data = encode(message, value)
    _lib.call("ck_config_validate",
              _lib.utf8(full_name(message), "message name"), data, len(data))
