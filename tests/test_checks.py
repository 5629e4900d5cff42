"""The shared answer checks: strict about types, helpful in their hints."""

import numpy as np
import pandas as pd
import pytest

from malicourse import checks
from malicourse.checks import Hint
from malicourse.feedback import short_traceback


class Anything:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 4.0


class FakeFrame(pd.DataFrame):
    def equals(self, other):
        return True


@pytest.mark.parametrize("good", [3, 3.5, np.int64(3), np.float64(2.5)])
def test_numbers_of_the_usual_kinds_pass(good):
    checks.number(good, name="x", low=0, high=10)
    checks.close(good, float(good), name="x")


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("4", "should be a single number, not a str"),
        (True, "not a bool"),
        ([4], "not a list"),
        (Anything(), "not a Anything"),
        (float("nan"), "check for missing values"),
        (-1, "too small"),
        (11, "too large"),
    ],
)
def test_numbers_that_only_look_right_fail_with_a_hint(bad, hint):
    with pytest.raises(Hint, match=hint):
        checks.number(bad, name="x", low=0, high=10)


def test_close_does_not_reveal_the_expected_value():
    with pytest.raises(Hint) as failure:
        checks.close(41.0, 42.0, name="total")
    assert "42" not in str(failure.value) and "right form" in str(failure.value)


def test_tables_must_be_real_dataframes_with_the_columns():
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    checks.table(frame, name="t", columns=["a", "b"], min_rows=2, max_rows=2)
    with pytest.raises(Hint, match="should be a pandas DataFrame, not a FakeFrame"):
        checks.table(FakeFrame(frame), name="t", columns=["a"])
    with pytest.raises(Hint, match="needs the column"):
        checks.table(frame, name="t", columns=["c"])
    with pytest.raises(Hint, match="fewer than 3"):
        checks.table(frame, name="t", columns=["a"], min_rows=3)


def test_same_table_compares_values_and_order():
    expected = pd.DataFrame({"id": ["x", "y"], "days": [10, 5]})
    checks.same_table(expected.copy(), expected, name="t")
    with pytest.raises(Hint, match="not the right rows"):
        checks.same_table(expected.iloc[::-1], expected, name="t")
    checks.same_table(expected.iloc[::-1], expected, name="t", sort_by=["id"])


def test_choices_and_days():
    checks.one_of("2016", ["2015", "2016"], name="year")
    with pytest.raises(Hint):
        checks.one_of(2016, ["2015", "2016"], name="year")
    assert checks.day("2013-01-11", name="d") == pd.Timestamp("2013-01-11")
    with pytest.raises(Hint, match="not one"):
        checks.day("11 janvier", name="d")
    with pytest.raises(Hint, match="between"):
        checks.day("1950-01-01", name="d")


def test_short_tracebacks_for_hints_and_common_slips():
    assert short_traceback(Hint, Hint("x is off")) == ["Hint: x is off"]
    name_error = short_traceback(NameError, NameError("name 'total' is not defined"))
    assert "Run All Above" in name_error[1]
    assert "columns" in short_traceback(KeyError, KeyError("amount"))[1]
