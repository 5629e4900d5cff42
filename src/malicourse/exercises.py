"""The exercise sets: where they live, and the instructor's reference submission of each.

``solutions/<set>/`` is the nbgrader source (solutions, visible and hidden tests, rubrics) plus
``answer_key.json``, the answers to the widget questions, which nbgrader never releases.
``exercises/<set>/`` is generated from it by ``nbgrader generate_assignment``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .answers import ANSWER_KEY
from .course import UNITS, course_root


def set_names() -> list[str]:
    return [unit.name for unit in UNITS if (course_root() / "solutions" / unit.name).is_dir()]


def reference_submission(name: str, target: Path, root: Path | None = None) -> Path:
    """Copy the solution notebook of set ``name`` into ``target`` as a student would submit it.

    The widget answers come from the answer key, saved where the student's answer book would be.
    """
    source = (root or course_root()) / "solutions" / name
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name == ANSWER_KEY:
            shutil.copy(path, target / f"{name}.answers.json")
        elif path.is_file():
            shutil.copy(path, target / path.name)
    return target


def generate(names: list[str] | None = None, root: Path | None = None) -> list[str]:
    """Regenerate ``exercises/<set>/`` from ``solutions/<set>/`` with nbgrader, for every set.

    A throwaway gradebook is used, so generating never touches an instructor's grades.
    """
    root = root or course_root()
    names = names or set_names()
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "nbgrader",
                    "generate_assignment",
                    name,
                    "--force",
                    "--db",
                    f"sqlite:///{scratch}/gradebook.db",
                ],
                cwd=root,
                env=env,
                check=True,
                capture_output=True,
            )
    return names
