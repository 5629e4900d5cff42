"""SELF_STUDY.md, followed literally: every shell command it gives in a ```bash block is known
here, and each one that is safe to run runs, as written, in a scratch copy of the course.

A command is safe when it only reads the course or writes inside the copy. `make` targets are
not run: their `setup` step would reinstall the course package from the copy into the shared
environment. The environment of the copy is this one (.venv is a link to it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

GUIDE = ROOT / "SELF_STUDY.md"
SETS = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
LEFT_OUT = {".git", ".venv", "test-artifacts", "release", ".hub", "__pycache__", "my-work"}

# Commands the test runs: pattern -> what must be true afterwards (see the checks below).
RUN = {
    "copy": r"mkdir -p my-work && cp -r exercises/(?P<set>\w+) my-work/",
    "check": r"\.venv/bin/malicourse check (?P<set>\w+)",
    "doctor": r"\.venv/bin/malicourse doctor",
    "validate": r"\.venv/bin/malicourse data validate",
}
# Commands it does not run, and why.
NOT_RUN = {
    r"make doctor": "its `setup` step may reinstall the package; `malicourse doctor` is run",
    r"make lab": "starts a server: tests/browser start the course the same way",
    r"git .*": "changes a repository",
}


def bash_blocks(text: str) -> list[str]:
    """The lines of every ```bash block, continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"^[ \t]*```bash\n(.*?)^[ \t]*```", text, re.MULTILINE | re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


COMMANDS = bash_blocks(GUIDE.read_text())


def kind(command: str) -> str | None:
    for name, pattern in RUN.items():
        if re.fullmatch(pattern, command):
            return name
    return None


def test_the_guide_gives_the_checking_command_in_a_bash_block():
    checks = [c for c in COMMANDS if kind(c) == "check"]
    assert checks, "SELF_STUDY.md gives no `.venv/bin/malicourse check <set>` command"
    assert all(re.fullmatch(RUN["check"], c)["set"] in SETS for c in checks), checks


def test_the_guide_no_longer_asks_to_paste_hidden_tests():
    text = GUIDE.read_text()
    assert "hidden-test block" not in text, "pasted hidden tests fail with NameError"
    assert "new cell\n   below your answer" not in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_known_to_this_test(command):
    known = kind(command) or next((p for p in NOT_RUN if re.fullmatch(p, command)), None)
    assert known, (
        f"SELF_STUDY.md has a command this test does not know: {command!r}; add it to RUN "
        "(with a check of what it does) or to NOT_RUN (with the reason)"
    )


@pytest.fixture
def course(tmp_path) -> Path:
    """A scratch copy of the course, its .venv a link to the environment running the tests."""
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=lambda _, names: [n for n in names if n in LEFT_OUT])
    (copy / ".venv").symlink_to(Path(sys.prefix))
    return copy


def run(command: str, where: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MALICOURSE_ROOT"}
    env["PATH"] = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def said(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def no_command_check(result: subprocess.CompletedProcess) -> None:
    if "invalid choice: 'check'" in result.stderr:
        pytest.fail("`malicourse check` does not exist yet; SELF_STUDY.md tells learners to use it")


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in COMMANDS if kind(c)])
def test_the_command_works_as_the_guide_says(command, course):
    result = run(command, course)
    assert "Traceback" not in result.stderr, said(result)
    match kind(command):
        case "copy":
            name = re.fullmatch(RUN["copy"], command)["set"]
            assert result.returncode == 0, said(result)
            assert (course / "my-work" / name / f"{name}.ipynb").is_file(), said(result)
        case "doctor":
            assert result.returncode == 0, said(result)
            assert "ready for the course" in result.stdout, said(result)
        case "validate":
            assert result.returncode == 0, said(result)
            assert "valid" in result.stdout, said(result)
        case "check":
            # An untouched exercise set: the check runs and reports; its questions fail.
            no_command_check(result)
            name = re.fullmatch(RUN["check"], command)["set"]
            assert result.returncode in (0, 1), said(result)
            assert name in result.stdout + result.stderr, said(result)


@pytest.mark.slow
def test_the_check_in_a_student_bundle_says_hidden_tests_run_at_grading(course):
    """Without solutions/ (a student bundle), the guide's check command says where hidden
    tests run instead of failing."""
    command = next(c for c in COMMANDS if kind(c) == "check")
    shutil.rmtree(course / "solutions")
    result = run(command, course)
    no_command_check(result)
    assert "Traceback" not in result.stderr, said(result)
    assert result.returncode in (0, 1), said(result)
    assert "instructor" in (result.stdout + result.stderr).lower(), said(result)
