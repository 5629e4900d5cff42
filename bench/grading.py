"""Grade a class of exercise set 01 twice: plain sequential ``nbgrader autograde`` (the baseline)
and ``malicourse grade`` (parallel, sandboxed), on identical copies, in the same run.

The class mixes complete, blank and partly answered submissions. Both runs start from a fresh
gradebook that knows the assignment; neither writes feedback, so the same work is compared.
The grades of the two runs are compared too, question by question.

    python bench/grading.py [--students 40] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from malicourse.course import course_root
from malicourse.exercises import reference_submission
from malicourse.grading.gradebook import Writer
from malicourse.grading.run import Options, grade

SET = "01_intervention"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def make_class(course: Path, students: int) -> list[str]:
    root = course_root()
    course.mkdir(parents=True)
    shutil.copy(root / "nbgrader_config.py", course)
    shutil.copytree(root / "solutions" / SET, course / "solutions" / SET)
    shutil.copytree(root / "data", course / "data")
    blank = nbformat.read(root / "exercises" / SET / f"{SET}.ipynb", as_version=4)
    names = [f"student{n:03d}" for n in range(students)]
    for n, name in enumerate(names):
        folder = course / "submitted" / name / SET
        if n % 3 == 0:
            reference_submission(SET, folder, root=root)
        elif n % 3 == 1:
            folder.mkdir(parents=True)
            nbformat.write(blank, folder / f"{SET}.ipynb")
        else:
            reference_submission(SET, folder, root=root)
            (folder / f"{SET}.answers.json").unlink()  # widget answers missing: partial credit
    return names


def nbgrader(course: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=ENV, check=True,
                   capture_output=True)  # fmt: skip


def scores(course: Path, names: list[str]) -> dict:
    writer = Writer(course, SET, f"sqlite:///{course / 'gradebook.db'}", course)
    return {name: [(s.question, s.score) for s in writer.scores(name)] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ["PATH"] = ENV["PATH"]
    with tempfile.TemporaryDirectory() as scratch:
        plain, ours = Path(scratch, "plain"), Path(scratch, "ours")
        names = make_class(plain, args.students)
        make_class(ours, args.students)
        for course in (plain, ours):
            nbgrader(course, "generate_assignment", SET, "--force")

        started = time.perf_counter()
        nbgrader(plain, "autograde", SET)
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        grade(Options(SET, ours, jobs=args.jobs, feedback=False, quiet=True), log=lambda _: None)
        parallel = time.perf_counter() - started

        same = scores(plain, names) == scores(ours, names)
    print(f"{args.students} submissions of {SET}, {os.cpu_count()} cores, {args.jobs} workers")
    print(f"{'run':<44} {'seconds':>8} {'ratio':>7}")
    print(f"{'baseline: nbgrader autograde (sequential)':<44} {baseline:8.1f} {1:7.2f}")
    print(
        f"{'malicourse grade (parallel, sandboxed)':<44} {parallel:8.1f} {parallel / baseline:7.2f}"
    )
    print(f"speed-up: {baseline / parallel:.2f}x; same grades per question: {same}")


if __name__ == "__main__":
    main()
