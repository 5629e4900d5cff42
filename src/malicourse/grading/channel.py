"""The data-only channel from the sandbox to the trusted test runner.

Inside the sandbox, in place of each test cell, an *export cell* turns the names that question
is graded from into JSON: plain numbers, strings, booleans, lists, dicts, dates and tables with
plain column types. A function answer is not sent (code cannot cross); the sandbox calls it on
the inputs the tests will use and sends its results. Outside, :func:`decode` rebuilds values of
exact built-in or pandas types from that JSON and nothing else: no pickle, no subclasses, no
object columns, so nothing a student built can reach the tests, however it compares or prints.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

MIME = "application/vnd.malicourse.export+json"
MAX_PAYLOAD_CHARS = 4 << 20  # per test cell
MAX_ROWS = 20_000
MAX_DEPTH = 20
PLAIN_DTYPES = {"int64", "Int64", "float64", "bool", "str", "datetime64", "category"}


class NotData(ValueError):
    """A value that cannot cross the channel; the message says what it was, for the student."""


# ---- inside the sandbox -------------------------------------------------------------------------


def encode(value, depth: int = 0):
    """A JSON-ready description of ``value``; raises :class:`NotData` for anything else."""
    if depth > MAX_DEPTH:
        raise NotData("a value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind in (int, np.int64, np.int32):
        return {"int": str(int(value))}  # as text: JSON numbers lose precision past 2**53
    if kind in (float, np.float64, np.float32):
        number = float(value)
        return {"float": number if math.isfinite(number) else repr(number)}
    if kind in (np.bool_,):
        return bool(value)
    if kind in (list, tuple):
        return {kind.__name__: [encode(item, depth + 1) for item in value]}
    if kind is dict:
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if kind is pd.Timestamp:
        return {"timestamp": value.isoformat()}
    if kind is pd.DataFrame:
        return {"frame": _encode_frame(value)}
    if kind is pd.Series:
        return {"series": _encode_frame(value.to_frame(name="values"))}
    raise NotData(f"a {kind.__name__}")


def _encode_frame(frame: pd.DataFrame) -> dict:
    if len(frame) > MAX_ROWS:
        raise NotData(f"a table of {len(frame)} rows (at most {MAX_ROWS} can be graded)")
    columns = []
    for name in frame.columns:
        if type(name) is not str:
            raise NotData(f"a table whose column names are not all text ({name!r})")
        columns.append({"name": name, **_encode_column(frame[name], name)})
    index = frame.index
    plain_index = type(index) is pd.RangeIndex and index.start == 0 and index.step == 1
    return {
        "columns": columns,
        "rows": len(frame),
        "index": None if plain_index else _encode_column(index.to_series(), "the index"),
    }


def _encode_column(column: pd.Series, name: str) -> dict:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {"dtype": "category", "values": [_plain(v) for v in column.astype(object)]}
    kind = dtype.kind
    if isinstance(dtype, pd.Int64Dtype):
        return {"dtype": "Int64", "values": [None if pd.isna(v) else str(int(v)) for v in column]}
    if kind == "M":
        return {
            "dtype": "datetime64",
            "values": [None if pd.isna(v) else v.isoformat() for v in column],
        }
    if kind == "i":
        return {"dtype": "int64", "values": [str(int(v)) for v in column]}
    if kind == "f":
        return {"dtype": "float64", "values": [_float(v) for v in column]}
    if kind == "b":
        return {"dtype": "bool", "values": [bool(v) for v in column]}
    if isinstance(dtype, pd.StringDtype):
        return {"dtype": "str", "values": [None if pd.isna(v) else str(v) for v in column]}
    raise NotData(f"a table whose column {name!r} holds {dtype} values, not plain ones")


def _plain(value):
    if value is None or (type(value) is float and math.isnan(value)):
        return None
    if type(value) is str:
        return value
    raise NotData("a category column whose categories are not text")


def _float(value) -> float | str:
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def export(**values) -> None:
    """Show the graded values as one display output of the export MIME type (sandbox side)."""
    from IPython.display import display

    sent = {}
    for name, value in values.items():
        try:
            sent[name] = {"value": encode(value)}
        except NotData as reason:
            sent[name] = {"problem": f"{name} is {reason}, which the grader cannot read"}
    display({MIME: sent}, raw=True)


def export_calls(name: str, function, calls: list[list]) -> None:
    """Call a function answer on each list of encoded arguments; export results or errors."""
    from IPython.display import display

    results = []
    for arguments in calls:
        try:
            outcome = function(*[_argument(a) for a in arguments])
            results.append({"value": encode(outcome)})
        except NotData as reason:
            results.append({"problem": f"{name} returned {reason}, which the grader cannot read"})
        except NotImplementedError:
            results.append({"problem": f"{name} is not written yet: delete its raise line"})
        except Exception as error:  # the student's function failed on this input
            results.append({"problem": f"{name} raised {type(error).__name__}: {error}"[:300]})
    display({MIME: {name: {"calls": results}}}, raw=True)


def _argument(encoded):
    if type(encoded) is dict and "table" in encoded:
        from ..data import load

        return load(encoded["table"])
    return decode(encoded)


# ---- outside: the trusted side ------------------------------------------------------------------


def read_payload(outputs: list) -> dict:
    """The export payload among one cell's outputs (the last one), parsed; {} if none or bad."""
    payloads = [
        o for o in outputs if o.get("output_type") == "display_data" and MIME in o.get("data", {})
    ]
    if not payloads:
        return {}
    raw = payloads[-1]["data"][MIME]
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if len(text) > MAX_PAYLOAD_CHARS:
        return {}
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return payload if type(payload) is dict else {}


def decode(encoded, depth: int = 0):
    """Rebuild a value of an exact built-in or pandas type; raise NotData for anything else."""
    if depth > MAX_DEPTH:
        raise NotData("nested too deeply")
    if encoded is None or type(encoded) in (bool, str):
        return encoded
    if type(encoded) is not dict or len(encoded) != 1:
        raise NotData("not a value the channel knows")
    ((kind, body),) = encoded.items()
    if kind == "int" and type(body) is str and len(body) < 400:
        return int(body)
    if kind == "float":
        return float(body) if type(body) in (float, int) else _special_float(body)
    if kind == "list" and type(body) is list:
        return [decode(item, depth + 1) for item in body]
    if kind == "tuple" and type(body) is list:
        return tuple(decode(item, depth + 1) for item in body)
    if kind == "dict" and type(body) is list:
        return {_key(decode(k, depth + 1)): decode(v, depth + 1) for k, v in body}
    if kind == "timestamp" and type(body) is str:
        return pd.Timestamp(body)
    if kind == "frame" and type(body) is dict:
        return _decode_frame(body)
    if kind == "series" and type(body) is dict:
        return _decode_frame(body)["values"]
    raise NotData(f"not a value the channel knows ({kind!r})")


def _key(key):
    if type(key) in (str, int, float, bool) or key is None:
        return key
    raise NotData("a dict key that is not a plain value")


def _special_float(text) -> float:
    if text in ("nan", "inf", "-inf"):
        return float(text)
    raise NotData("not a number")


def _decode_frame(body: dict) -> pd.DataFrame:
    rows = body.get("rows")
    columns = body.get("columns")
    if type(rows) is not int or not 0 <= rows <= MAX_ROWS or type(columns) is not list:
        raise NotData("a table the channel cannot read")
    data = {}
    for column in columns:
        if type(column) is not dict or type(column.get("name")) is not str:
            raise NotData("a table column the channel cannot read")
        data[column["name"]] = _decode_column(column, rows)
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=range(rows))
    if body.get("index") is not None:
        frame.index = pd.Index(_decode_column(body["index"], rows))
    return frame


def _decode_column(column: dict, rows: int) -> pd.Series:
    dtype, values = column.get("dtype"), column.get("values")
    if dtype not in PLAIN_DTYPES or type(values) is not list or len(values) != rows:
        raise NotData("a table column the channel cannot read")
    if dtype == "int64":
        if not all(type(v) is str and len(v) < 30 for v in values):
            raise NotData("a whole-number column the channel cannot read")
        return pd.Series([int(v) for v in values], dtype="int64")
    if dtype == "Int64":
        if not all(v is None or (type(v) is str and len(v) < 30) for v in values):
            raise NotData("a whole-number column the channel cannot read")
        return pd.Series([None if v is None else int(v) for v in values], dtype="Int64")
    if dtype == "float64":
        return pd.Series(
            [float(v) if type(v) in (int, float) else _special_float(v) for v in values],
            dtype="float64",
        )
    if dtype == "bool":
        return pd.Series([v is True for v in values], dtype="bool")
    if dtype == "datetime64":
        return pd.Series(pd.to_datetime([v if type(v) is str else None for v in values]))
    text = [v if type(v) is str else None for v in values]
    return pd.Series(text, dtype="category" if dtype == "category" else "str")
