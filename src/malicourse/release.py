"""The student bundle, and the switch that hides the instructor's tools in a student install.

``build()`` copies what a student needs (lessons, data, released exercises, the package, the
environment files, a student README) and nothing an instructor keeps (solutions, answer keys,
hidden tests, the gradebook, grades, instructor notes). ``leaks()`` is the scan that proves it,
run by ``build()`` itself and by the tests.

A bundle carries a ``.course-role`` file saying ``student``; ``make setup`` then calls
``apply_role()``, which disables nbgrader's instructor extensions (formgrader, create
assignment, course list) in that environment. The repository has no such file: instructors
keep every extension.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .course import UNITS, course_root

ROLE_FILE = ".course-role"
BUNDLE = "mali-course"
INCLUDED = [
    "notebooks", "data", "exercises", "src", "Makefile", "pyproject.toml", "requirements.txt",
    "environment.yml", "SELF_STUDY.md", ".pre-commit-config.yaml",
]  # fmt: skip
INSTRUCTOR_FILES = ["answer_key.json", "*.answers.json", "gradebook.db", "grading"]
INSTRUCTOR_FOLDERS = {"solutions", "instructor", "tests", "submitted", "autograded", "grades"}
EXCLUDED = ["__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", *INSTRUCTOR_FILES]
INSTRUCTOR_LAB_PLUGINS = [
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
]
INSTRUCTOR_SERVER_EXTENSIONS = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
]
# Text that only instructor material contains: solution and hidden-test markers.
LEAK = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")


def build(out: Path, root: Path | None = None) -> tuple[Path, Path]:
    """Write ``out/mali-course/`` and ``out/mali-course.zip``; refuse if anything leaks.

    The bundle is made from what is committed (``git archive HEAD``; a folder that is not a git
    checkout is taken as it is), and its exercise sets must be exactly what nbgrader generates
    from the committed solutions: an instructor's own answers or outputs never reach students.
    """
    root = root or course_root()
    folder = out / BUNDLE
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="malicourse-release-") as scratch:
        snapshot = _committed(root, Path(scratch) / "snapshot")
        stale = _differs_from_generated(snapshot, Path(scratch) / "generated")
        if stale:
            shutil.rmtree(folder)
            raise RuntimeError(
                "exercises/ differs from what solutions/ generates (run `make exercises` and "
                "commit):\n" + "\n".join(stale)
            )
        ignore = shutil.ignore_patterns(*EXCLUDED)
        for name in INCLUDED:
            source = snapshot / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=ignore)
            elif source.is_file():
                shutil.copy(source, folder / name)
    (folder / "README.md").write_text(student_readme())
    (folder / ROLE_FILE).write_text("student\n")
    found = leaks(folder)
    if found:
        shutil.rmtree(folder)
        raise RuntimeError("The bundle would leak instructor material:\n" + "\n".join(found))
    archive = shutil.make_archive(str(out / BUNDLE), "zip", root_dir=out, base_dir=BUNDLE)
    return folder, Path(archive)


def _committed(root: Path, target: Path) -> Path:
    """The committed tree of ``root`` (or ``root`` itself when it is not a git checkout)."""
    inside = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != root.resolve():
        shutil.copytree(root, target, ignore=shutil.ignore_patterns(".venv", ".git"))
        return target
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", "HEAD"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _differs_from_generated(snapshot: Path, scratch: Path) -> list[str]:
    """The exercise files of ``snapshot`` that nbgrader would not generate from its solutions."""
    from .exercises import generate

    shutil.copytree(snapshot, scratch)
    shutil.rmtree(scratch / "exercises", ignore_errors=True)
    sources = scratch / "solutions"
    names = sorted(p.name for p in sources.iterdir() if p.is_dir()) if sources.is_dir() else []
    if names:
        generate(names, root=scratch)
    given, fresh = snapshot / "exercises", scratch / "exercises"
    files = {p.relative_to(given) for p in given.rglob("*") if p.is_file()}
    files |= {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    return [
        f"exercises/{path.as_posix()}"
        for path in sorted(files)
        if not (given / path).is_file()
        or not (fresh / path).is_file()
        or (given / path).read_bytes() != (fresh / path).read_bytes()
    ]


def leaks(folder: Path) -> list[str]:
    """Every file or text in ``folder`` that a student must not receive."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        parts = relative.split("/")
        if parts[0] in INSTRUCTOR_FOLDERS:
            found.append(f"{relative}: instructor folder")
        elif any(fnmatch.fnmatch(part, p) for part in parts for p in INSTRUCTOR_FILES):
            found.append(f"{relative}: instructor file")
        # Notebooks and their files only: the guides and the package name the markers.
        elif (
            path.suffix in {".ipynb", ".json", ".txt"}
            and path.is_file()
            and LEAK.search(path.read_text(encoding="utf-8", errors="replace"))
        ):
            found.append(f"{relative}: contains solution or hidden-test text")
    return found


# Course settings for JupyterLab, kept in the environment (never the user's home): no news
# pop-up asking to fetch news on the first screen, no update checks.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


def write_lab_settings(prefix: Path | None = None) -> Path:
    """Merge the course's JupyterLab settings into the environment's ``overrides.json``."""
    path = Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(path.read_text()) if path.is_file() else {}
    for plugin, values in LAB_OVERRIDES.items():
        settings.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")
    return path


def apply_role(root: Path | None = None, level: str = "sys_prefix") -> str:
    """Disable the instructor's extensions when this copy of the course is a student's.

    ``level`` is where the switch is written: the environment (``sys_prefix``, the spelling
    JupyterLab 4 accepts) or the user's Jupyter configuration (``user``).
    """
    root = root or course_root()
    role_file = root / ROLE_FILE
    role = role_file.read_text().strip() if role_file.is_file() else "instructor"
    if role != "student":
        return role
    for plugin in INSTRUCTOR_LAB_PLUGINS:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter",
                "labextension",
                "disable",
                f"--level={level}",
                plugin,
            ],
            check=True,
            capture_output=True,
        )
    # Written as a drop-in that sorts after nbgrader's own, so it wins.
    from jupyter_core.paths import jupyter_config_dir

    config = (
        Path(sys.prefix, "etc", "jupyter") if level == "sys_prefix" else Path(jupyter_config_dir())
    )
    drop_in = config / "jupyter_server_config.d" / "zz-malicourse-student.json"
    drop_in.parent.mkdir(parents=True, exist_ok=True)
    switches = dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)
    drop_in.write_text(json.dumps({"ServerApp": {"jpserver_extensions": switches}}, indent=2))
    return role


def student_readme() -> str:
    rows = "\n".join(
        f"| {unit.name[:2]} | [{unit.title}](notebooks/{unit.name}.ipynb) "
        f"| [`exercises/{unit.name}/`](exercises/{unit.name}/) |"
        for unit in UNITS
    )
    return f"""# Mali, 2012–2025: intervention, coups and accountability (student copy)

This folder is your copy of the course: the lessons, the data, the exercise sets and the small
Python package that the notebooks use. Your instructor keeps the solutions and grades your work.

## Start

With Python 3.11+ and `make` (Linux or macOS), from this folder:

    make lab

The first run installs the course's pinned environment into `.venv/` (about a minute); later runs
start in seconds. With conda instead:
`conda env create -f environment.yml && conda activate malicourse && jupyter lab`.

Open `notebooks/00_start_here.ipynb` first: it explains how the course works and checks your
set-up. [`SELF_STUDY.md`](SELF_STUDY.md) suggests a path through the course (in this copy, the
solutions it mentions stay with your instructor).

| step | lesson | exercise set |
|---|---|---|
{rows}

## Handing in

Work in the notebook under `exercises/<set>/`. Answers given through an answer widget are saved
beside the notebook in `<set>.answers.json`: hand in both files, as your instructor asks. Run
every cell before you hand in, and keep the cells marked as tests unchanged: they are replaced by
the originals when your work is graded.
"""
