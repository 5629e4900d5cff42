"""'Check your understanding' questions: valid files, one hidden call per question, no answer
on screen.

The questions live in src/malicourse/questions/<lesson>.toml; a lesson asks one with a single
hidden cell, ``questions.ask("<lesson>", "<key>")``. These tests read the files and the
committed notebooks; none of them starts a kernel.
"""

from __future__ import annotations

import ast
import re
import string
import tomllib
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from IPython.core.inputtransformer2 import TransformerManager

from malicourse import questions
from malicourse.feedback import Question

FOLDER = ROOT / "src" / "malicourse" / "questions"
LESSONS = sorted(
    p for p in ROOT.glob("notebooks/[0-9][0-9]_*.ipynb") if not p.stem.startswith("00")
)
# Where a student could read an answer: lessons and both versions of every exercise set.
SHOWN = sorted(
    p
    for folder in ("notebooks", "exercises", "solutions")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
ALL = [spec for lesson in questions.lessons() for spec in questions.load(lesson).values()]


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def ask_calls(source: str) -> list[tuple[str, str]]:
    """(lesson, key) of every questions.ask("lesson", "key", ...) call in a cell's source."""
    calls = []
    for node in ast.walk(ast.parse(TransformerManager().transform_cell(source))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if called == "ask":
            lesson, key = (a.value if isinstance(a, ast.Constant) else None for a in node.args[:2])
            calls.append((lesson, key))
    return calls


# -- the files ------------------------------------------------------------------------------


def test_every_lesson_has_a_question_file():
    assert [p.stem for p in LESSONS] == questions.lessons()


@pytest.mark.parametrize("lesson", questions.lessons())
def test_question_file_is_valid(lesson):
    found = questions.load(lesson)
    assert found, f"questions/{lesson}.toml has no question"
    for spec in found.values():
        assert sum(o.correct for o in spec.options) == 1
        assert all(o.text.strip() and o.feedback.strip() for o in spec.options)


def test_every_question_file_is_package_data():
    """A built wheel carries the files: pyproject.toml names them as package data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["malicourse.questions"]
    for path in FOLDER.glob("*.toml"):
        assert any(path.match(p) for p in patterns), f"{path.name} is not package data"


BAD = {
    "not TOML": ("[q1\nprompt = 'x'", "not valid TOML"),
    "no prompt": ("[q1]\n[[q1.options]]\ntext='a'\nfeedback='f'\ncorrect=true", "needs a prompt"),
    "one option": (
        "[q1]\nprompt='p'\n[[q1.options]]\ntext='a'\nfeedback='f'\ncorrect=true",
        "at least two",
    ),
    "no feedback": (
        "[q1]\nprompt='p'\n[[q1.options]]\ntext='a'\ncorrect=true\n"
        "[[q1.options]]\ntext='b'\nfeedback='f'",
        "option 1 needs a feedback",
    ),
    "two correct": (
        "[q1]\nprompt='p'\n[[q1.options]]\ntext='a'\nfeedback='f'\ncorrect=true\n"
        "[[q1.options]]\ntext='b'\nfeedback='f'\ncorrect=true",
        "exactly one option must have correct = true; 2 do",
    ),
    "none correct": (
        "[q1]\nprompt='p'\n[[q1.options]]\ntext='a'\nfeedback='f'\n"
        "[[q1.options]]\ntext='b'\nfeedback='f'",
        "exactly one option must have correct = true; 0 do",
    ),
    "typo in a field": (
        "[q1]\nprompt='p'\n[[q1.options]]\ntext='a'\nfeedbak='f'\ncorrect=true\n"
        "[[q1.options]]\ntext='b'\nfeedback='f'",
        "option 1: unknown field(s) ['feedbak']",
    ),
    "values unused": (
        "[q1]\nprompt='p'\nvalues=['top']\n[[q1.options]]\ntext='a'\nfeedback='f'\n"
        "correct=true\n[[q1.options]]\ntext='b'\nfeedback='f'",
        "values ['top'] but the texts use []",
    ),
    "value not declared": (
        "[q1]\nprompt='{top:,}'\nvalues=['tip']\n[[q1.options]]\ntext='a {tip}'\n"
        "feedback='f'\ncorrect=true\n[[q1.options]]\ntext='b'\nfeedback='f'",
        "values ['tip'] but the texts use ['tip', 'top']",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_broken_file_names_the_file_and_the_question(case, tmp_path):
    text, message = BAD[case]
    path = tmp_path / "09_broken.toml"
    path.write_text(text)
    with pytest.raises(questions.QuestionFileError) as raised:
        questions.read(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)
    if case != "not TOML":
        assert "question 'q1'" in str(raised.value)


def test_unknown_lesson_or_question_says_what_exists():
    with pytest.raises(questions.QuestionFileError, match="lessons with questions: 01_"):
        questions.ask("99_nothing", "q1")
    with pytest.raises(questions.QuestionFileError, match="it has: sahel_wide"):
        questions.ask("02_costs", "q9")


# -- the widget -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [s for s in ALL if not s.values], ids=lambda s: s.key)
def test_ask_builds_a_question_whose_right_answer_is_marked_right(spec):
    lesson = Path(spec.source).stem
    question = questions.ask(lesson, spec.key)
    assert isinstance(question, Question)
    assert question.prompt == spec.prompt
    assert list(question.options) == [o.text for o in spec.options]
    for option in spec.options:
        right, message = question.check(option.text)
        assert right is option.correct
        assert option.feedback in message


def test_a_question_built_from_the_lessons_numbers_fills_them_in():
    import pandas as pd

    class Row:
        def __init__(self, **values):
            self.__dict__.update(values)

    shown = Row(
        personnel=12640, measure="authorized", scope="Mali", observed_on=pd.Timestamp("2016-06-29")
    )
    before = Row(personnel=10501, date=pd.Timestamp("2016-03-31"))
    question = questions.ask(
        "01_intervention", "minusma_snapshot", shown=shown, before=before, top=13289
    )
    assert "12,640 personnel" in question.prompt
    assert question.correct == (
        "It is the ceiling authorised on 29 June 2016; the latest deployed count, "
        "from 31 March 2016, was 10,501."
    )
    assert question.check(question.correct)[0]
    with pytest.raises(TypeError, match=r"needs the values \['before', 'shown', 'top'\]"):
        questions.ask("01_intervention", "minusma_snapshot", shown=shown)


# -- the notebooks --------------------------------------------------------------------------


@pytest.mark.parametrize("path", LESSONS, ids=name)
def test_each_question_is_asked_once_by_a_hidden_one_line_cell(path):
    notebook = nbformat.read(path, as_version=4)
    asked = []
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        assert "Question(" not in cell.source, (
            f"{name(path)}, cell {index}: builds a Question in the notebook; put it in "
            f"src/malicourse/questions/{path.stem}.toml and call questions.ask"
        )
        calls = ask_calls(cell.source)
        if not calls:
            continue
        assert len(cell.source.strip().splitlines()) == 1, f"cell {index}: one line, one call"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
            f"{name(path)}, cell {index}: hide the question's source "
            '(cell metadata "jupyter": {"source_hidden": true})'
        )
        asked += calls
    assert all(lesson == path.stem for lesson, _ in asked), f"{name(path)} asks {asked}"
    assert sorted(key for _, key in asked) == sorted(questions.load(path.stem)), (
        f"{name(path)} asks {asked}; questions/{path.stem}.toml defines "
        f"{list(questions.load(path.stem))}"
    )


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def literals(source: str) -> list[str]:
    """Every string literal of a cell, implicit concatenations joined (f-string fields as \\0)."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            found.append(
                "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
            )
    return [plain(s) for s in found]


def giveaway(text: str, templated: bool) -> list[str]:
    """The pieces of an answer that identify it: the whole text, or a template's long
    literal pieces (three words or more) around its fields."""
    if not templated:
        return [plain(text)]
    pieces = [plain(literal) for literal, *_ in string.Formatter().parse(text)]
    return [p for p in pieces if len(p.split()) >= 3]


def test_the_leak_check_sees_answers_split_over_string_literals():
    old_style = (
        'right = (\n    f"It is the ceiling authorised on {shown.observed_on:%d %B %Y}; the "\n'
        '    f"latest deployed count, from {before.date:%d %B %Y}, was {before.personnel:,}."\n)'
    )
    spec = questions.load("01_intervention")["minusma_snapshot"]
    pieces = giveaway(spec.correct.text, templated=True)
    assert pieces and all(any(p in s for s in literals(old_style)) for p in pieces)


def restates(spec, strings: list[str]) -> bool:
    """Whether a cell's strings copy a question: its prompt, or two of its long options."""
    prompt = giveaway(spec.prompt, bool(spec.values))
    if prompt and any(all(p in s for p in prompt) for s in strings):
        return True
    options = [plain(o.text) for o in spec.options if len(o.text.split()) >= 4]
    return sum(any(o in s for s in strings) for o in options) >= 2


@pytest.mark.parametrize("path", SHOWN, ids=name)
def test_no_cell_shows_a_questions_correct_answer(path):
    """Neither a lesson nor an exercise set may put a question's answer on screen: not its
    text (where it is long enough to be told from prose), and not a copy of the question,
    whose code would say which option is right."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells, start=1):
        strings = literals(cell.source) if cell.cell_type == "code" else []
        texts = [plain(cell.source), *strings]
        for spec in ALL:
            pieces = giveaway(spec.correct.text, bool(spec.values))
            distinctive = sum(len(p.split()) for p in pieces) >= 4
            if distinctive and any(all(p in t for p in pieces) for t in texts):
                found.append(f"cell {index} shows the answer of {spec.source} {spec.key!r}")
            elif restates(spec, strings):
                found.append(f"cell {index} copies the question {spec.key!r} of {spec.source}")
    assert not found, f"{name(path)}: " + "; ".join(found)
