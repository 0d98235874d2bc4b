"""Result dicts (protobuf JSON) to pandas DataFrames with typed columns.

The JSON mapping leaves fields at their default out and writes 64-bit
integers as strings; a column spec restores both: each column has a kind,
``str`` (default ''), ``int`` (0), ``float`` (0.0), ``opt`` (an optional
double: NaN when absent), ``bool`` (False), ``time`` (a Timestamp, NaT when
absent) or ``obj`` (kept as is, None when absent).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

import numpy as np
import pandas as pd

Spec = Mapping[str, str]

_DEFAULTS = {"str": "", "int": 0, "float": 0.0, "opt": np.nan, "bool": False,
             "time": None, "obj": None}


def get(d: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """``d["a"]["b"]`` for ``path`` ``"a.b"``; ``default`` when absent."""
    node: Any = d
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def value(d: Mapping[str, Any], key: str, kind: str) -> Any:
    """One field of a result dict, with its default and type restored."""
    v = get(d, key, None)
    if v is None:
        return _DEFAULTS[kind]
    if kind == "int":
        return int(v)
    if kind in ("float", "opt"):
        return float(v)
    return v


def frame(rows: Iterable[Mapping[str, Any]], spec: Spec,
          extra: Optional[List[Dict[str, Any]]] = None) -> pd.DataFrame:
    """A DataFrame of ``rows`` with the columns of ``spec`` (dotted paths
    reach into sub-messages; the column is named by the path with '.'
    replaced by '_').  ``extra``, one dict per row, adds leading columns."""
    rows = list(rows)
    data: Dict[str, Any] = {}
    if extra:
        for key in extra[0]:
            data[key] = [e[key] for e in extra]
    for key, kind in spec.items():
        column = [value(r, key, kind) for r in rows]
        name = key.replace(".", "_")
        if kind == "int":
            data[name] = np.asarray(column, dtype=np.int64)
        elif kind in ("float", "opt"):
            data[name] = np.asarray(column, dtype=np.float64)
        elif kind == "bool":
            data[name] = np.asarray(column, dtype=bool)
        elif kind == "time":
            data[name] = pd.to_datetime(pd.Series(column, dtype=object),
                                        utc=True)
        else:
            data[name] = pd.Series(column, dtype=object)
    df = pd.DataFrame(data)
    if not rows:
        df = df.iloc[0:0]
    return df


def scalars(d: Mapping[str, Any], spec: Spec) -> Dict[str, Any]:
    """A plain dict of ``d``'s fields in ``spec`` with defaults restored."""
    return {k.replace(".", "_"): value(d, k, kind) for k, kind in spec.items()}


def counts(d: Optional[Mapping[str, Any]]) -> Dict[str, int]:
    """A map<string, int64> field as a dict of ints."""
    return {k: int(v) for k, v in (d or {}).items()}
