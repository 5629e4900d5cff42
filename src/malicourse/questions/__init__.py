"""'Check your understanding' questions, kept out of the notebooks.

A lesson's questions live in ``questions/<lesson>.toml`` beside this file, one table per
question, so that the notebook cell is a single hidden call and the right answer is not on the
screen above the radio buttons::

    [minusma_snapshot]
    prompt = "What does that number tell you?"

    [[minusma_snapshot.options]]
    text = "It is the ceiling authorised that day."
    feedback = "Right: read `measure` with every number."
    correct = true

    [[minusma_snapshot.options]]
    text = "..."
    feedback = "..."

Every option has a ``text`` and a ``feedback``; exactly one has ``correct = true``. A question
built from the lesson's own numbers lists the names it needs in ``values`` and uses them as
Python format fields (``{shown.personnel:,}``); the notebook passes them to :func:`ask`.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..feedback import Question

FOLDER = resources.files(__name__)
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
QUESTION_KEYS = {"prompt", "options", "values"}
OPTION_KEYS = {"text", "feedback", "correct"}


class QuestionFileError(ValueError):
    """A question file that cannot be read, or a question it does not have: the message names
    the file and the question."""


@dataclass(frozen=True)
class Option:
    text: str
    feedback: str
    correct: bool = False


@dataclass(frozen=True)
class QuestionSpec:
    """One question as written in its file, before the lesson's values are filled in."""

    source: str  # file name, for messages
    key: str
    prompt: str
    options: tuple[Option, ...]
    values: tuple[str, ...] = ()

    @property
    def correct(self) -> Option:
        return next(option for option in self.options if option.correct)

    def build(self, **values) -> Question:
        """The widget, with the lesson's values filled into every text."""
        wanted, given = set(self.values), set(values)
        if wanted != given:
            call = ", ".join(f"{name}=..." for name in self.values)
            raise TypeError(
                f"question {self.key!r} of {self.source} needs the values "
                f"{sorted(wanted) or 'none'} and got {sorted(given) or 'none'}: "
                f"call ask(..., {self.key!r}{', ' + call if call else ''})"
            )

        def fill(text: str) -> str:
            return text.format(**values) if self.values else text

        options = {fill(o.text): fill(o.feedback) for o in self.options}
        return Question(prompt=fill(self.prompt), options=options, correct=fill(self.correct.text))


def lessons() -> list[str]:
    """The lessons that have a question file, e.g. ``['01_intervention', ...]``."""
    return sorted(
        Path(entry.name).stem for entry in FOLDER.iterdir() if entry.name.endswith(".toml")
    )


def load(lesson: str) -> dict[str, QuestionSpec]:
    """Every question of a lesson, validated, by key."""
    entry = FOLDER / f"{lesson}.toml"
    if not entry.is_file():
        raise QuestionFileError(
            f"no question file for lesson {lesson!r} (questions/{lesson}.toml); "
            f"lessons with questions: {', '.join(lessons())}"
        )
    return parse(entry.read_text(encoding="utf-8"), f"questions/{lesson}.toml")


def read(path: Path) -> dict[str, QuestionSpec]:
    """Every question of the file at path, validated (for authors checking a new file)."""
    return parse(Path(path).read_text(encoding="utf-8"), str(path))


def ask(lesson: str, key: str, **values) -> Question:
    """The question ``key`` of a lesson as a widget, e.g. ``ask("02_costs", "sahel_wide")``."""
    found = load(lesson)
    if key not in found:
        raise QuestionFileError(
            f"questions/{lesson}.toml has no question {key!r}; it has: {', '.join(found)}"
        )
    return found[key].build(**values)


def parse(text: str, source: str) -> dict[str, QuestionSpec]:
    """Questions from the TOML text of a file called source; a clear error for any mistake."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise QuestionFileError(f"{source}: not valid TOML: {problem}") from None
    if not document:
        raise QuestionFileError(f"{source}: no questions in the file")
    return {key: _question(source, key, table) for key, table in document.items()}


def _question(source: str, key: str, table) -> QuestionSpec:
    def fail(message: str):
        raise QuestionFileError(f"{source}, question {key!r}: {message}")

    if not KEY.match(key):
        fail("a question's key is lower case letters, digits and _, starting with a letter")
    if not isinstance(table, dict):
        fail("must be a table ([key]) with prompt and options")
    if unknown := set(table) - QUESTION_KEYS:
        fail(f"unknown field(s) {sorted(unknown)}; a question has {sorted(QUESTION_KEYS)}")
    prompt = table.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        fail("needs a prompt (a non-empty string)")
    values = table.get("values", [])
    if not isinstance(values, list) or not all(
        isinstance(v, str) and v.isidentifier() for v in values
    ):
        fail("values must be a list of Python names, e.g. values = ['shown', 'top']")
    raw = table.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        fail("needs at least two [[options]], each with text and feedback")
    options = tuple(_option(fail, number, option) for number, option in enumerate(raw, 1))
    if (right := sum(o.correct for o in options)) != 1:
        fail(f"exactly one option must have correct = true; {right} do")
    texts = [o.text for o in options]
    if len(set(texts)) != len(texts):
        fail("two options have the same text")
    every_text = [prompt, *texts, *(o.feedback for o in options)]
    used = {name for text in every_text for name in _fields(fail, text, bool(values))}
    if values and used != set(values):
        fail(f"values {sorted(values)} but the texts use {sorted(used)}: make them the same")
    return QuestionSpec(source, key, prompt, options, tuple(values))


def _option(fail, number: int, option) -> Option:
    if not isinstance(option, dict):
        fail(f"option {number} must be a table with text and feedback")
    if unknown := set(option) - OPTION_KEYS:
        fail(f"option {number}: unknown field(s) {sorted(unknown)}; use {sorted(OPTION_KEYS)}")
    for name in ("text", "feedback"):
        if not isinstance(option.get(name), str) or not option[name].strip():
            fail(f"option {number} needs a {name} (a non-empty string)")
    if not isinstance(option.get("correct", False), bool):
        fail(f"option {number}: correct must be true or false")
    return Option(option["text"], option["feedback"], option.get("correct", False))


def _fields(fail, text: str, templated: bool) -> set[str]:
    """The names a text uses as format fields ({shown.personnel:,} uses 'shown')."""
    if not templated:
        return set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as problem:
        fail(f"{problem} in {text[:40]!r}… (write a literal brace as {{{{ or }}}})")
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in parsed if name is not None}
