"""The data-only channel and the trusted runner's plan, without a kernel."""

import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_notebook

from malicourse.grading import channel
from malicourse.grading.trusted import Plan, PlanError

SETS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


@pytest.mark.parametrize("name", SETS)
def test_every_set_declares_what_each_test_is_graded_from(name):
    plan = Plan.from_source(ROOT / "solutions" / name / f"{name}.ipynb")
    defined = set()
    for source in plan.solutions:
        defined |= set(re.findall(r"^(\w+)\s*=", source, re.M))
        defined |= set(re.findall(r"^def (\w+)\(", source, re.M))
    for test in plan.tests.values():
        assert set(test.names) <= defined, (test.grade_id, test.names)
        for function in set(test.names) & plan.functions:
            assert test.calls[function], f"{test.grade_id} never calls {function}"


def test_a_test_cell_without_its_declaration_is_refused(tmp_path):
    cell = new_code_cell("assert answer == 42")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    path = tmp_path / "set.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    with pytest.raises(PlanError, match="t does not begin with '# Graded from"):
        Plan.from_source(path)


PLAIN = [
    42,
    -3.5,
    float("nan"),
    "text",
    None,
    True,
    [1, "a", None],
    (1, 2),
    {2019: 0.5, "k": [1]},
    pd.Timestamp("2013-01-11"),
    np.int64(7),
    pd.DataFrame(
        {
            "id": ["a", "b"],
            "n": [1, 2],
            "x": [0.5, np.nan],
            "ok": [True, False],
            "when": pd.to_datetime(["2013-01-11", None]),
            "kind": pd.Categorical(["u", "v"]),
            "count": pd.array([1, None], dtype="Int64"),
        }
    ),
]


@pytest.mark.parametrize("value", PLAIN, ids=lambda v: type(v).__name__)
def test_plain_values_cross_the_channel_as_exact_types(value):
    back = channel.decode(channel.encode(value))
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(back, value, check_dtype=False, check_categorical=False)
        assert list(back.dtypes.astype(str)) == list(value.dtypes.astype(str))
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value
        assert type(back) in (int, float, str, bool, type(None), list, tuple, dict, pd.Timestamp)


class Liar(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class Frame(pd.DataFrame):
    pass


@pytest.mark.parametrize(
    "value",
    [
        Liar(1),
        [Liar(1)],
        Frame({"a": [1]}),
        pd.DataFrame({"a": [object()]}),
        pd.DataFrame({"a": ["x"]}, dtype=object),
        pd.DataFrame({1: [1]}),
        lambda x: x,
        np.array([1, 2]),
    ],
    ids=[
        "int subclass",
        "inside a list",
        "frame subclass",
        "object column",
        "object text",
        "column name not text",
        "function",
        "numpy array",
    ],
)
def test_anything_else_is_refused_with_a_reason(value):
    with pytest.raises(channel.NotData):
        channel.encode(value)


def test_the_trusted_side_refuses_what_the_channel_never_sends():
    for forged in [{"int": 1}, {"frame": {"rows": 10**9, "columns": []}}, {"pickle": "x"}, [1]]:
        with pytest.raises(channel.NotData):
            channel.decode(forged)
    deep = None
    for _ in range(100):
        deep = {"list": [deep]}
    with pytest.raises(channel.NotData):
        channel.decode(deep)
