"""Answer checks: the same functions run in a student's self-check and in grading.

A check either returns nothing or raises :class:`Hint`, whose message helps without giving the
answer away. Checks are strict about types on purpose: an answer must *be* a number, a table or
a date of the expected kind, so an object built to compare equal to anything cannot pass, and
neither can a subclass pretending to be a DataFrame.

Format checks (``number``, ``table``, ``one_of``, ``day``) say whether an answer has the right
form and a plausible size; ``close`` and ``same_table`` compare with the right value and are used
by the hidden tests, which compute that value from the course data when the work is graded.
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import pandas as pd

NUMBER_TYPES = (int, float, np.int32, np.int64, np.float32, np.float64)


class Hint(AssertionError):
    """The answer is not right yet; the message says what to look at."""


def number(answer, *, name: str, low: float | None = None, high: float | None = None) -> None:
    if answer is pd.NA or answer is pd.NaT:
        raise Hint(f"{name} is missing (NA): check for missing values before adding or dividing.")
    if type(answer) not in NUMBER_TYPES:
        raise Hint(f"{name} should be a single number, not {_kind(answer)}.")
    if not math.isfinite(float(answer)):
        raise Hint(f"{name} is {answer}: check for missing values (NaN) before adding or dividing.")
    if low is not None and answer < low:
        raise Hint(f"{name} looks too small to be right: check its units and what you added up.")
    if high is not None and answer > high:
        raise Hint(f"{name} looks too large to be right: did you count some rows twice?")


def table(
    answer, *, name: str, columns: list[str], min_rows: int = 1, max_rows: int | None = None
) -> None:
    if type(answer) is not pd.DataFrame:
        raise Hint(f"{name} should be a pandas DataFrame, not {_kind(answer)}.")
    missing = [c for c in columns if c not in answer.columns]
    in_index = [c for c in missing if c in answer.index.names]
    if in_index:
        raise Hint(f"{name} has {', '.join(in_index)} in its index: use .reset_index().")
    if missing:
        found = ", ".join(map(str, answer.columns))
        raise Hint(f"{name} needs the column(s) {', '.join(missing)}; it has {found}.")
    if len(answer) < min_rows:
        raise Hint(
            f"{name} has {len(answer)} row(s), fewer than {min_rows}: is a filter too strict?"
        )
    if max_rows is not None and len(answer) > max_rows:
        raise Hint(
            f"{name} has {len(answer)} rows; expected at most {max_rows}. Is a filter missing?"
        )


def one_of(answer, options, *, name: str) -> None:
    if type(answer) is np.str_:
        answer = str(answer)
    if type(answer) is not str:
        raise Hint(f"{name} should be one of the listed choices as text, not {_kind(answer)}.")
    if answer not in options:
        listed = ", ".join(f"'{option}'" for option in options)
        raise Hint(f"{name} should be one of: {listed}.")


def day(answer, *, name: str, first: str = "1960-01-01", last: str = "2025-12-31") -> pd.Timestamp:
    if type(answer) not in (str, pd.Timestamp, datetime.date, datetime.datetime, np.datetime64):
        raise Hint(f"{name} should be a date such as '2013-01-11', not {_kind(answer)}.")
    try:
        when = pd.Timestamp(answer)
    except ValueError:
        raise Hint(
            f"{name} should be a date such as '2013-01-11'; {answer!r} is not one."
        ) from None
    if not pd.Timestamp(first) <= when <= pd.Timestamp(last):
        raise Hint(f"{name} should fall between {first} and {last}.")
    return when


def close(answer, expected: float, *, name: str, rel: float = 1e-6) -> None:
    number(answer, name=name)
    if not math.isclose(float(answer), float(expected), rel_tol=rel, abs_tol=1e-9):
        raise Hint(f"{name} has the right form but not the right value yet.")


def same_table(
    answer, expected: pd.DataFrame, *, name: str, sort_by: list[str] | None = None
) -> None:
    table(answer, name=name, columns=list(expected.columns), min_rows=0)
    mine = answer[list(expected.columns)]
    if sort_by:
        mine, expected = (f.sort_values(sort_by, ignore_index=True) for f in (mine, expected))
    try:
        pd.testing.assert_frame_equal(
            mine.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
            check_categorical=False,
        )
    except AssertionError:
        raise Hint(f"{name} has the right columns but not the right rows or values yet.") from None


def _kind(answer) -> str:
    """What the answer is, in words a beginner can act on."""
    if answer is None:
        return "nothing (None): did the cell that sets it run, and does it return a value?"
    if type(answer) is pd.Series:
        return "a pandas Series (one column): .iloc[0] gives one value, .to_frame() a table"
    return f"a {type(answer).__name__}"
