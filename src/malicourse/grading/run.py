"""``malicourse grade``: the whole class, in parallel, isolated, resumable, with progress.

submitted/<student>/<assignment>/   (nbgrader's layout, or unpacked from an LMS zip)
    -> N workers execute each submission in a sandbox        (worker, execute, sandbox)
    -> one writer records the grades in the gradebook        (gradebook)
    -> a ledger remembers who is done, so a rerun resumes    (this module)
    -> grades/, LMS files, item analysis, feedback           (reports)
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import intake, reports, sandbox, worker
from .gradebook import Writer, course_config, nbgrader_api

UNEXECUTED = {"broken", "failed"}  # no notebook came out of these, hence no feedback


@dataclass
class Options:
    assignment: str
    course: Path
    jobs: int = os.cpu_count() or 1
    cell_timeout: int = 30
    notebook_timeout: int = 600
    memory_bytes: int = 1 << 30
    db_url: str | None = None
    regrade: bool = False
    feedback: bool = True
    quiet: bool = False


@dataclass
class Outcome:
    graded: dict[str, dict] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    sandbox_uids: set[int] = field(default_factory=set)

    @property
    def statuses(self) -> Counter:
        return Counter(entry["status"] for entry in self.graded.values())


def grade(options: Options, log=print) -> Outcome:
    began = time.monotonic()
    # nbgrader runs `alembic` from PATH: this environment's, even when it is not activated.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    course = options.course.resolve()
    db_url = options.db_url or f"sqlite:///{course / 'gradebook.db'}"
    students = submissions(course, options.assignment)
    if not students:
        raise SystemExit(
            f"No submissions for {options.assignment!r}: expected folders like "
            f"{course / 'submitted' / '<student>' / options.assignment}."
        )
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as reason:
        raise SystemExit(str(reason)) from None
    state = course / ".grading" / options.assignment
    state.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(state / "ledger.json")
    intake_problems = _read_json(state / "intake.json")
    checksums = {student: checksum(path) for student, path in students.items()}
    scratch = Path(tempfile.mkdtemp(prefix="malicourse-grade-"))
    os.chmod(scratch, 0o711)  # the sandbox's user must reach its own folder, and list nothing
    try:
        writer = Writer(course, options.assignment, db_url, scratch / "staged")
        writer.ensure_assignment()
        in_gradebook = writer.students_graded()
        todo = [
            s
            for s in students
            if options.regrade
            or s not in in_gradebook  # e.g. a new gradebook: the ledger alone is not enough
            or ledger.entries.get(s, {}).get("checksum") != checksums[s]
        ]
        outcome = Outcome(skipped=[s for s in students if s not in todo])
        log(
            f"Grading {options.assignment}: {len(students)} submissions, {len(todo)} to grade, "
            f"{len(outcome.skipped)} already graded; {options.jobs} workers; "
            f"isolation: {sandbox.isolation_level()}."
        )
        settings = worker.Settings(
            course=course,
            assignment=options.assignment,
            scratch=scratch,
            template_db=_template_gradebook(course, options.assignment, scratch, db_url),
            data_cache=_validated_data_cache(course, scratch / "data-cache"),
            cell_timeout=options.cell_timeout,
            notebook_timeout=options.notebook_timeout,
            limits=sandbox.Limits(memory_bytes=options.memory_bytes),
            db_url=db_url,
        )
        progress = Progress(len(todo), log, quiet=options.quiet)
        try:
            for execution in _execute_all(settings, todo, students, options.jobs):
                execution.problems[:0] = intake_problems.get(execution.student, [])
                entry = _record(writer, execution, checksums, ledger)
                outcome.graded[execution.student] = entry
                outcome.sandbox_uids.add(execution.uid)
                ledger.save(execution.student, entry)
                progress.done(execution.student, entry)
        except KeyboardInterrupt:
            raise SystemExit(
                f"Interrupted after {len(outcome.graded)} of {len(todo)} students; their grades "
                "are saved. Run the same command again to grade the rest."
            ) from None
        rows = [ledger.row(student) for student in sorted(students) if student in ledger.entries]
        outcome.outputs = reports.write_all(
            rows, options.assignment, course / "grades", _names(writer)
        )
        executed = sorted(s for s, e in outcome.graded.items() if e["status"] not in UNEXECUTED)
        if options.feedback and executed:
            outcome.outputs += _feedback(settings, executed, options.jobs, log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcome.seconds = time.monotonic() - began
    log(summary(outcome, ledger))
    return outcome


def submissions(course: Path, assignment: str) -> dict[str, Path]:
    root = course / "submitted"
    found = sorted(root.glob(f"*/{assignment}")) if root.is_dir() else []
    return {path.parent.name: path for path in found if path.is_dir()}


def collect_zip(course: Path, assignment: str, archive: Path, lms: str) -> intake.Collected:
    """Copy an LMS bulk download's submissions into ``submitted/``; problems kept per student."""
    released = course / "solutions" / assignment
    notebooks = [path.stem for path in released.glob("*.ipynb")]
    names = {f"{n}.ipynb" for n in notebooks} | {f"{n}.answers.json" for n in notebooks}
    collected = intake.collect(archive, course, assignment, lms, names)
    state = course / ".grading" / assignment
    state.mkdir(parents=True, exist_ok=True)
    (state / "intake.json").write_text(json.dumps(collected.problems, indent=1, sort_keys=True))
    return collected


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Ledger:
    """Who has been graded, from which submission, with what result; saved after each student."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = json.loads(path.read_text()) if path.is_file() else {}

    def save(self, student: str, entry: dict) -> None:
        self.entries[student] = entry
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        partial.replace(self.path)

    def row(self, student: str) -> reports.StudentRow:
        entry = self.entries[student]
        return reports.StudentRow(
            student=student,
            status=entry["status"],
            scores={q: s["score"] for q, s in entry["scores"].items()},
            max_scores={q: s["max"] for q, s in entry["scores"].items()},
            autograded={q for q, s in entry["scores"].items() if s["auto"]},
            needs_review=sum(s["review"] for s in entry["scores"].values()),
            notes="; ".join(entry["problems"]),
        )


class Progress:
    def __init__(self, total: int, log, quiet: bool):
        self.total, self.log, self.quiet = total, log, quiet
        self.count, self.began = 0, time.monotonic()

    def done(self, student: str, entry: dict) -> None:
        self.count += 1
        elapsed = time.monotonic() - self.began
        remaining = elapsed / self.count * (self.total - self.count)
        width = 24
        filled = round(width * self.count / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        if not self.quiet:
            self.log(
                f"[{bar}] {self.count}/{self.total}  ETA {remaining:4.0f} s  "
                f"{student}: {entry['total']:g}/{entry['max']:g} {entry['status']}"
                + (f" ({'; '.join(entry['problems'])[:120]})" if entry["problems"] else "")
            )


def summary(outcome: Outcome, ledger: Ledger) -> str:
    counts = outcome.statuses
    totals = sorted(entry["total"] for entry in ledger.entries.values())
    lines = [
        f"Done in {outcome.seconds:.1f} s: {len(outcome.graded)} graded now, "
        f"{len(outcome.skipped)} unchanged since the last run.",
        "Status: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "-"),
    ]
    if totals:
        top = max(entry["max"] for entry in ledger.entries.values())
        quartiles = [totals[int(q * (len(totals) - 1))] for q in (0, 0.25, 0.5, 0.75, 1)]
        lines.append(
            f"Scores of {len(totals)} students, out of {top:g} points: min {quartiles[0]:g}, "
            f"quartiles {quartiles[1]:g} / {quartiles[2]:g} / {quartiles[3]:g}, "
            f"max {quartiles[4]:g}"
        )
    lines += [f"Wrote {path}" for path in outcome.outputs if path.suffix != ".png"]
    return "\n".join(lines)


def _execute_all(settings, todo: list[str], students: dict[str, Path], jobs: int):
    """Yield each student's execution as it finishes; a crashed worker is replaced."""
    attempts: Counter = Counter()
    pending = list(todo)
    while pending:
        context = multiprocessing.get_context("spawn")
        slots = context.Queue()
        for slot in range(jobs):
            slots.put(slot)
        with ProcessPoolExecutor(jobs, context, worker.start, (settings, slots)) as pool:
            running = {pool.submit(worker.execute, s, students[s]): s for s in pending}
            pending = []
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    student = running.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        attempts[student] += 1
                        if attempts[student] < 2:
                            pending.append(student)
                        else:
                            yield worker.Execution(
                                student, "failed", problems=["the grading worker crashed twice"]
                            )
                    except Exception as problem:  # e.g. a result that could not be sent back
                        yield worker.Execution(
                            student, "failed", problems=[f"{type(problem).__name__}: {problem}"]
                        )
        for slot in range(jobs):
            shutil.rmtree(settings.scratch / f"worker-{slot}", ignore_errors=True)


def _record(writer: Writer, execution, checksums: dict, ledger: Ledger) -> dict:
    """The ledger entry of one student; whatever goes wrong marks that student, never the run."""
    student = execution.student
    previous = ledger.entries.get(student, {})
    unchanged = previous.get("checksum") == checksums[student]
    problems = list(execution.problems)
    try:
        status = _status(execution)
        recorded = writer.record(student, execution.staged, unchanged)
    except Exception as problem:
        status, recorded = "failed", None
        last = (str(problem).strip().splitlines() or [type(problem).__name__])[-1]
        problems.append(f"recording failed: {last[:200]}")
    scores = {}
    for score in recorded.scores if recorded else []:
        scores[score.question] = {
            "score": score.score,
            "max": score.max_score,
            "auto": score.autograded,
            "review": score.needs_manual_grade,
        }
    return {
        "checksum": checksums[student],
        "status": status,
        "total": round(sum(s["score"] for s in scores.values()), 2),
        "max": round(sum(s["max"] for s in scores.values()), 2),
        "scores": scores,
        "problems": problems,
        "seconds": round(execution.seconds, 2),
    }


def _status(execution) -> str:
    if execution.status != "executed":
        return execution.status
    names = set()
    for path in execution.staged.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    names.add(
                        output.get("evalue", "") if output["ename"] == "NotRun" else output["ename"]
                    )
    if any("kernel stopped" in name for name in names):
        return "kernel died"
    if "CellTimeoutError" in names or any("time limit" in name for name in names):
        return "timed out"
    return "graded"


def _template_gradebook(course: Path, assignment: str, scratch: Path, db_url: str) -> Path:
    """A private gradebook that knows the assignment, for the workers' sanitizing step."""
    path = scratch / "template.db"
    if db_url.startswith("sqlite:///"):  # a copy of the real one: the very cells nbgrader uses
        shutil.copy(db_url.removeprefix("sqlite:///"), path)
        return path
    release = scratch / "template-release"
    config = course_config(course, db_url=f"sqlite:///{path}", release_directory=release)
    outcome = nbgrader_api(config).generate_assignment(assignment, force=True, create=True)
    if not outcome["success"]:
        raise SystemExit(f"nbgrader could not read {assignment!r}:\n{outcome.get('error')}")
    return path


def _validated_data_cache(course: Path, folder: Path) -> Path:
    """Validate the course data once, here, so that no sandboxed kernel validates it again.

    Kernels see this folder read-only as their data cache; it records content checksums only,
    so it vouches for nothing but the bytes they read themselves.
    """
    from ..data import CACHE_ENV, DataError, validate

    folder.mkdir(mode=0o755)
    if (course / "data" / "datapackage.json").is_file():
        before = os.environ.get(CACHE_ENV)
        os.environ[CACHE_ENV] = str(folder)
        try:
            validate(course / "data")
        except DataError:
            pass  # every kernel reports it, with the file, the row and the column
        finally:
            os.environ.pop(CACHE_ENV) if before is None else os.environ.update({CACHE_ENV: before})
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def _names(writer: Writer) -> dict:
    with writer.gradebook() as gb:
        return {
            s.id: {"name": " ".join(filter(None, [s.first_name, s.last_name])), "email": s.email}
            for s in gb.students
        }


def _feedback(settings, students: list[str], jobs: int, log) -> list[Path]:
    context = multiprocessing.get_context("spawn")
    slots = context.Queue()
    for slot in range(jobs):
        slots.put(slot)
    written = []
    with ProcessPoolExecutor(jobs, context, worker.start, (settings, slots)) as pool:
        futures = {pool.submit(worker.feedback, student): student for student in students}
        for future in futures:
            try:
                student, ok, error = future.result()
            except Exception as problem:  # a crashed worker: that student has no feedback page
                student, ok, error = futures[future], False, f"{type(problem).__name__}"
            if ok:
                written.append(settings.course / "feedback" / student / settings.assignment)
            else:
                log(f"Feedback for {student} failed: {error}")
    return written
