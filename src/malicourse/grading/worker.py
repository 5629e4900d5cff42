"""One grading worker: a long-lived process that grades submissions one after another.

For each student the worker runs nbgrader's own ``Autograde`` (sanitize, execute, clean up)
in a private course folder of its own: a copy of the submission, a private copy of the
gradebook (nbgrader restores the test cells from it), and :class:`.execute.IsolatedExecute`
in place of nbgrader's execution step (student cells in the sandbox, tests in this process).
It writes nothing that counts: the executed notebooks go to a staging folder, and the single
writer in the parent process records the grades and sanitizes what the formgrader will show.
Every step for a student is guarded: whatever a submission does, the worker reports on it and
takes the next one.
"""

from __future__ import annotations

import fcntl
import os
import re
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .gradebook import course_config, nbgrader_api

FIRST_UID, UID_RANGE = 61000, 4096
# Which sandbox user ids are taken, machine-wide: a lock held by each worker while it lives, so
# two grading runs at once never share a user id (nor its process limit).
UID_LOCKS = Path(tempfile.gettempdir()) / "malicourse-sandbox-uids"
MAX_SUBMISSION_BYTES = 50 << 20
WORKER_MEMORY_BYTES = 8 << 30  # the grader's own memory, whatever a submission sends it


@dataclass(frozen=True)
class Settings:
    course: Path
    assignment: str
    scratch: Path
    template_db: Path
    data_cache: Path
    cell_timeout: int
    notebook_timeout: int
    limits: sandbox.Limits
    db_url: str


@dataclass
class Execution:
    student: str
    status: str  # executed | broken | failed
    staged: Path | None = None
    uid: int | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


_worker: dict = {}


def start(settings: Settings, slots) -> None:
    """Pool initializer: claim a worker slot, hence a user id and a private folder."""
    slot = slots.get()
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    home = settings.scratch / f"worker-{slot}"
    home.mkdir(parents=True, exist_ok=True)
    db = home / "gradebook.db"
    shutil.copy(settings.template_db, db)
    _worker.update(settings=settings, slot=slot, home=home, db=db, uid=_claim_uid())


def execute(student: str, submission: Path) -> Execution:
    """Run one student's submission; never raises."""
    settings: Settings = _worker["settings"]
    home: Path = _worker["home"]
    began = time.monotonic()
    result = Execution(student, "failed", uid=_worker["uid"])
    try:
        submitted = home / "submitted" / student / settings.assignment
        autograded = home / "autograded"
        for stale in (home / "submitted", autograded, home / "kernel"):
            shutil.rmtree(stale, ignore_errors=True)
        result.problems += copy_submission(submission, submitted)
        outcome = _autograde(student)
        executed = autograded / student / settings.assignment
        if not outcome["success"] or not executed.is_dir():
            result.status = "broken"
            result.problems.append(_first_error(outcome.get("log", "") + outcome.get("error", "")))
        else:
            result.status = "executed"
            result.staged = settings.scratch / "staged" / student / settings.assignment
            shutil.rmtree(result.staged, ignore_errors=True)
            shutil.copytree(executed, result.staged)
    except BaseException as problem:  # MemoryError, RecursionError, a stray SystemExit
        result.status = "failed"
        result.problems.append(f"{type(problem).__name__}: {str(problem)[:200]}")
    result.seconds = time.monotonic() - began
    return result


def feedback(student: str) -> tuple[str, bool, str]:
    """nbgrader's feedback for one student, from the real gradebook (read only)."""
    settings: Settings = _worker["settings"]
    try:
        api = nbgrader_api(course_config(settings.course, db_url=settings.db_url))
        outcome = api.generate_feedback(settings.assignment, student)
    except BaseException as problem:
        return student, False, f"{type(problem).__name__}: {str(problem)[:200]}"
    return student, outcome["success"], _first_error(outcome.get("error", ""))


def _claim_uid() -> int:
    """A sandbox user id no other grading worker on this machine holds (root only)."""
    if os.geteuid() != 0:
        return os.geteuid()  # bubblewrap's user namespace keeps the grader's own id
    UID_LOCKS.mkdir(mode=0o755, exist_ok=True)
    for uid in range(FIRST_UID, FIRST_UID + UID_RANGE):
        handle = os.open(UID_LOCKS / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        _worker["uid_lock"] = handle  # released when this worker process ends
        return uid
    raise RuntimeError(f"all {UID_RANGE} sandbox user ids from {FIRST_UID} are in use")


def copy_submission(source: Path, target: Path) -> list[str]:
    """Copy regular files only (no links, devices or oversized uploads); say what was left out."""
    skipped, total = [], 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            skipped.append(f"{relative}: not a regular file, left out")
        elif path.is_file():
            total += path.stat().st_size
            if total > MAX_SUBMISSION_BYTES:
                skipped.append(f"{relative}: submission larger than {MAX_SUBMISSION_BYTES} bytes")
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    target.mkdir(parents=True, exist_ok=True)
    return skipped


def _autograde(student: str) -> dict:
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import CheckCellMetadata, IgnorePattern, LimitOutput

    from .execute import IsolatedExecute

    settings: Settings = _worker["settings"]
    home: Path = _worker["home"]
    config = course_config(
        settings.course,
        root=home,
        db_url=f"sqlite:///{_worker['db']}",
        source_directory=settings.course / "solutions",
    )
    config.Autograde.autograde_preprocessors = [
        IsolatedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        CheckCellMetadata,
    ]
    config.IsolatedExecute.timeout = settings.cell_timeout
    config.IsolatedExecute.notebook_timeout = settings.notebook_timeout
    config.IsolatedExecute.uid = _worker["uid"]
    config.IsolatedExecute.course = str(settings.course)
    config.IsolatedExecute.source = str(settings.course / "solutions" / settings.assignment)
    config.IsolatedExecute.state = str(home / "kernel")
    config.IsolatedExecute.data_cache = str(settings.data_cache)
    config.IsolatedExecute.limits = settings.limits
    api = nbgrader_api(config)
    return api.autograde(settings.assignment, student, force=True, create=True)


def _first_error(log: str) -> str:
    """The most telling line of an nbgrader log: the last exception that is not its summary."""
    exceptions = [
        line.strip()
        for line in log.splitlines()
        if re.match(r"\s*[\w.]+(Error|Exception): ", line) and "Please see the" not in line
    ]
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return (exceptions or lines or ["unknown error"])[-1][:300]
