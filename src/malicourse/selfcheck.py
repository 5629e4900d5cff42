"""``malicourse check <set>``: a learner's saved notebook, graded as the instructor grades it.

With ``solutions/`` present (a full clone), the notebook and its answers file go through the
same pipeline as the class (:func:`.grading.run.grade`: the sandbox, the data-only channel,
the trusted test runner, nbgrader's scoring) in a throwaway course folder, and the learner sees
per question the points and the hint, never the test code. In a student bundle there are no
hidden tests to run, and the command says so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .course import course_root

LEARNER = "you"
IN_BUNDLE = (
    "This copy of the course has no hidden tests (they stay with your instructor): the format "
    "checks in the notebook are what you can run here, and the hidden tests run when your "
    "instructor grades your work."
)


class NotGraded(RuntimeError):
    """The notebook could not be run at all (not JSON, or the sandbox failed); says why."""


@dataclass
class QuestionResult:
    question: str
    score: float
    max_score: float
    by_hand: bool
    message: str


def check(assignment: str, notebook: Path | None = None, root: Path | None = None) -> list:
    """Grade one saved notebook; [] when this copy has no hidden tests (a student bundle)."""
    root = root or course_root()
    source = root / "solutions" / assignment
    if not source.is_dir():
        return []
    from .grading.gradebook import Writer  # not in a student bundle
    from .grading.run import Options, grade

    notebook = notebook or root / "exercises" / assignment / f"{assignment}.ipynb"
    if not notebook.is_file():
        raise FileNotFoundError(f"There is no saved notebook at {notebook}.")
    with tempfile.TemporaryDirectory(prefix="malicourse-check-") as scratch:
        course = Path(scratch) / "course"
        shutil.copytree(source, course / "solutions" / assignment)
        shutil.copytree(root / "data", course / "data")
        shutil.copy(root / "nbgrader_config.py", course)
        submitted = course / "submitted" / LEARNER / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / f"{assignment}.ipynb")
        answers = notebook.with_name(f"{assignment}.answers.json")
        if answers.is_file():
            shutil.copy(answers, submitted / answers.name)
        options = Options(assignment=assignment, course=course, jobs=1, feedback=False, quiet=True)
        grade(options, log=lambda _: None)
        graded = course / "autograded" / LEARNER / assignment / f"{assignment}.ipynb"
        if not graded.is_file():
            entry = json.loads((course / ".grading" / assignment / "ledger.json").read_text())
            reason = "; ".join(entry[LEARNER]["problems"]) or entry[LEARNER]["status"]
            raise NotGraded(f"Your notebook could not be graded: {reason}")
        writer = Writer(course, assignment, f"sqlite:///{course / 'gradebook.db'}", course)
        messages = _messages(graded)
        return [
            QuestionResult(
                s.question,
                s.score,
                s.max_score,
                not s.autograded,
                messages.get(s.question, "marked by your instructor with the rubric"),
            )
            for s in writer.scores(LEARNER)
        ]


def _messages(path: Path) -> dict[str, str]:
    """What each test cell said: the hint of a failed check, or that it passed."""
    if not path.is_file():
        return {}
    said = {}
    for cell in json.loads(path.read_text())["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        said[meta["grade_id"]] = (
            f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else "passed"
        )
    return said


def report(assignment: str, results: list[QuestionResult]) -> str:
    if not results:
        return IN_BUNDLE
    lines = [f"Checked {assignment} with the hidden tests, as your instructor grades it:"]
    width = max(len(r.question) for r in results)
    for result in results:
        points = "   -   " if result.by_hand else f"{result.score:g} / {result.max_score:g}"
        lines.append(f"  {result.question:<{width}}  {points:>9}  {result.message}")
    auto = [r for r in results if not r.by_hand]
    lines.append(
        f"Checked automatically: {sum(r.score for r in auto):g} of "
        f"{sum(r.max_score for r in auto):g} points. Written answers are marked by hand."
    )
    return "\n".join(lines)


def button(assignment: str):
    """A 'Check my work' button for the end of an exercise notebook (runs the command above)."""
    import subprocess
    import sys

    import ipywidgets as W

    run = W.Button(description="Check my saved work", button_style="primary", icon="check")
    shown = W.Output()

    def on_click(_):
        shown.clear_output()
        with shown:
            print("Checking the saved notebook (save it first: Ctrl+S)... about a minute.")
        command = [sys.executable, "-m", "malicourse.cli", "check", assignment, "--notebook"]
        command.append(str(Path.cwd() / f"{assignment}.ipynb"))
        done = subprocess.run(command, capture_output=True, text=True)
        shown.clear_output()
        with shown:
            print(done.stdout or done.stderr)

    run.on_click(on_click)
    return W.VBox([run, shown])
