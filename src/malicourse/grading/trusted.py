"""The trusted test runner: hidden tests run here, on data, never beside student code.

A :class:`Plan` is read from the instructor's source notebook (``solutions/<set>/<nb>.ipynb``):
its setup cells, its test cells, and the names each test cell is graded from, declared on the
cell's first line::

    # Graded from: started_2013

For a function answer the plan also knows the calls its tests make: it runs the tests once with
the instructor's own solution and records the arguments (the sandbox then calls the student's
function on exactly those). When a student is graded, :meth:`Plan.run_tests` rebuilds the
exported values (:mod:`.channel`), runs each test cell's full source (visible check and hidden
tests) in a fresh namespace of this process, and returns the outputs nbgrader scores.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
from nbformat import NotebookNode

from ..feedback import short_traceback
from . import channel

GRADED_FROM = re.compile(r"#\s*Graded from:\s*(?P<names>[\w, ]+?)\s*")
ANSWERS_FILE_BYTES = 1 << 20
TEST_SECONDS = 20


class PlanError(ValueError):
    """The source notebook cannot be graded this way; the message names the cell."""


@dataclass
class TestCell:
    grade_id: str
    source: str
    names: list[str]
    calls: dict[str, list[list]] = field(default_factory=dict)


@dataclass
class Plan:
    notebook: str  # e.g. "01_intervention" (the answers file is <notebook>.answers.json)
    setup: list[str]
    solutions: list[str]
    tests: dict[str, TestCell]

    @classmethod
    def from_source(cls, path: Path) -> Plan:
        notebook = nbformat.read(path, as_version=4)
        setup, solutions, tests = [], [], {}
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("solution"):
                solutions.append(cell.source)
            elif meta.get("grade"):
                tests[meta["grade_id"]] = TestCell(meta["grade_id"], cell.source, _names(cell))
            elif not solutions:
                setup.append(cell.source)
        plan = cls(path.stem, setup, solutions, tests)
        plan._record_calls()
        return plan

    @property
    def functions(self) -> set[str]:
        defined = set()
        for source in self.solutions:
            tree = ast.parse(source)
            defined |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        return defined

    def export_source(self, grade_id: str) -> str:
        """The code that runs in the sandbox in place of one test cell."""
        test = self.tests[grade_id]
        lines = ["from malicourse.grading import channel as _grading_channel"]
        for name in test.names:
            if name in test.calls:
                call = f"_grading_channel.export_calls({name!r}, {name}, {test.calls[name]!r})"
            else:
                call = f"_grading_channel.export({name}={name})"
            lines += ["try:", f"    {call}", "except NameError:", "    pass"]
        return "\n".join(lines)

    def run_tests(self, payloads: dict[str, dict], answers: Path | None) -> dict[str, list]:
        """Each test cell's outputs, from the values the sandbox exported."""
        outputs = {}
        with _answers_folder(answers) as folder, _working_in(folder):
            namespace = self._fresh_namespace()
            for grade_id, test in self.tests.items():
                outputs[grade_id] = _run_one(test, payloads.get(grade_id, {}), namespace)
        return outputs

    def _fresh_namespace(self) -> dict:
        namespace: dict = {"__name__": "__grading__"}
        for source in self.setup:
            exec(compile(source, "<setup>", "exec"), namespace)
        return namespace

    def _record_calls(self) -> None:
        """Run the tests once on the instructor's solution, recording each function's calls."""
        functions = self.functions
        graded = [t for t in self.tests.values() if set(t.names) & functions]
        if not graded:
            return
        namespace = self._fresh_namespace()
        for source in self.solutions:
            exec(compile(source, "<solution>", "exec"), namespace)
        for test in graded:
            for name in set(test.names) & functions:
                test.calls[name] = []
                namespace[name] = _Recorder(namespace[name], test.calls[name])
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(test.source, test.grade_id, "exec"), namespace)
            except Exception as error:
                raise PlanError(
                    f"{test.grade_id}: the solution fails its own test: {error}"
                ) from None
            for name in set(test.names) & functions:
                namespace[name] = namespace[name].function


def _names(cell) -> list[str]:
    """The names a test cell is graded from; none when it reads only the answers file."""
    found = GRADED_FROM.fullmatch((cell.source.splitlines() or [""])[0])
    if not found:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        raise PlanError(f"test cell {grade_id} does not begin with '# Graded from: <names>'")
    if found["names"].strip() == "the answers file":
        return []
    return [name.strip() for name in found["names"].split(",") if name.strip()]


class _Recorder:
    def __init__(self, function, calls: list):
        self.function, self.calls = function, calls

    def __call__(self, *arguments):
        self.calls.append([_encode_argument(a) for a in arguments])
        return self.function(*arguments)


class _Replayed:
    """Stands for a student's function: answers each call with what the sandbox recorded."""

    def __init__(self, name: str, calls: list[list], results: list):
        self.name = name
        self.results = {
            json.dumps(args, sort_keys=True): result
            for args, result in zip(calls, results, strict=True)
        }

    def __call__(self, *arguments):
        key = json.dumps([_encode_argument(a) for a in arguments], sort_keys=True)
        result = self.results.get(key)
        if result is None:
            raise AssertionError(f"grading error: no recorded call of {self.name} for these inputs")
        if "problem" in result:
            raise _StudentProblem(result["problem"])
        return channel.decode(result.get("value"))


class _StudentProblem(Exception):
    """The student's function failed in the sandbox, or its result could not be read."""


def _encode_argument(value):
    if type(value) is pd.DataFrame:
        from ..data import load, table_names

        for name in table_names():
            if value.equals(load(name)):
                return {"table": name}
        raise PlanError("a function answer is tested with a table that is not a course table")
    return channel.encode(value)


def _run_one(test: TestCell, payload: dict, namespace: dict) -> list:
    for name in test.names:
        sent = payload.get(name)
        if type(sent) is not dict:
            return [
                _hint(
                    f"{name} had no value when this check ran: did the answer cell above "
                    "raise an error, or is the name spelt differently?"
                )
            ]
        try:
            if "calls" in sent:
                calls = test.calls.get(name, [])
                results = sent["calls"] if type(sent["calls"]) is list else []
                if len(results) != len(calls) or not all(type(r) is dict for r in results):
                    raise channel.NotData("an incomplete set of results")
                namespace[name] = _Replayed(name, calls, results)
            elif "value" in sent:
                namespace[name] = channel.decode(sent["value"])
            else:
                return [_hint(str(sent.get("problem", f"{name} could not be read"))[:300])]
        except (channel.NotData, ValueError, TypeError, RecursionError) as reason:
            return [_hint(f"{name} could not be read by the grader: {reason}")]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), _time_limit(TEST_SECONDS):
            exec(compile(test.source, test.grade_id, "exec"), namespace)
    except _StudentProblem as problem:
        return _with_printed(printed, _hint(str(problem)))
    except Exception as error:
        lines = short_traceback(type(error), error)
        return _with_printed(printed, _error(type(error).__name__, str(error), lines))
    return _with_printed(printed, None)


def _with_printed(printed: io.StringIO, error) -> list:
    outputs = []
    if printed.getvalue():
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue()))
    if error is not None:
        outputs.append(error)
    return outputs


def _hint(message: str) -> NotebookNode:
    return _error("Hint", message, [f"Hint: {message}"])


def _error(name: str, value: str, lines: list[str]) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=lines)


@contextlib.contextmanager
def _time_limit(seconds: int):
    def stop(*_):
        raise TimeoutError(f"the check took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _answers_folder(answers: Path | None):
    """A folder holding a re-written copy of the answers file: only plain answers, in JSON."""
    with tempfile.TemporaryDirectory(prefix="malicourse-answers-") as folder:
        if answers is not None:
            (Path(folder) / answers.name).write_text(json.dumps(read_answers(answers)))
        yield Path(folder)


def read_answers(path: Path) -> dict:
    """The student's widget answers as {question: {"answer": text or number}}; {} if unusable."""
    try:
        if path.stat().st_size > ANSWERS_FILE_BYTES:
            return {}
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if type(raw) is not dict:
        return {}
    plain = {}
    for question, entry in raw.items():
        if type(question) is str and type(entry) is dict:
            answer = entry.get("answer")
            if answer is None or type(answer) in (str, int, float, bool):
                plain[question] = {"answer": answer}
    return plain


@contextlib.contextmanager
def _working_in(folder: Path):
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)
