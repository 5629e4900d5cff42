"""The ``malicourse`` command: one subcommand per job, each a thin call into the package."""

from __future__ import annotations

import argparse
import os
import sys


def _doctor(_: argparse.Namespace) -> int:
    from .doctor import report, run_checks

    findings = run_checks()
    print(report(findings))
    return 0 if all(f.ok for f in findings) else 1


def _data_validate(_: argparse.Namespace) -> int:
    from .data import DataError, table_names, validate

    try:
        validate()
    except DataError as problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"The data package is valid: {', '.join(table_names())}.")
    return 0


def _data_checksums(_: argparse.Namespace) -> int:
    from .data import write_manifest_checksums

    changed = write_manifest_checksums()
    print(
        "Recorded new checksums for: " + (", ".join(changed) if changed else "nothing (no change)")
    )
    return 0


def _exercises(_: argparse.Namespace) -> int:
    from .exercises import generate

    print("Generated exercises/ from solutions/ for: " + ", ".join(generate()))
    return 0


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .course import course_root
    from .grading.run import Options, collect_zip, grade

    course = Path(args.course).resolve() if args.course else course_root()
    if args.from_zip:
        collected = collect_zip(course, args.assignment, Path(args.from_zip), args.lms)
        print(
            f"Collected {len(collected.students)} submissions from {args.from_zip} into submitted/."
        )
        for student, problems in sorted(collected.problems.items()):
            for problem in problems:
                print(f"  {student}: {problem}")
    outcome = grade(
        Options(
            assignment=args.assignment,
            course=course,
            jobs=args.jobs,
            cell_timeout=args.timeout,
            notebook_timeout=args.notebook_timeout,
            memory_bytes=args.memory_mb << 20,
            db_url=args.db,
            regrade=args.regrade,
            feedback=not args.no_feedback,
            quiet=args.quiet,
        )
    )
    return 0 if outcome.statuses.get("failed", 0) == 0 else 1


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .selfcheck import NotGraded, check, report

    notebook = Path(args.notebook).resolve() if args.notebook else None
    try:
        results = check(args.assignment, notebook)
    except (FileNotFoundError, NotGraded, SystemExit) as problem:
        print(problem)
        return 2
    print(report(args.assignment, results))
    return 0 if all(r.by_hand or r.score == r.max_score for r in results) else 1


def _release(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .release import build

    folder, archive = build(Path(args.out))
    print(f"Student bundle: {folder}\nZip: {archive}")
    return 0


def _role(_: argparse.Namespace) -> int:
    from .release import apply_role, write_lab_settings

    write_lab_settings()
    role = apply_role()
    hidden = " (formgrader and create-assignment hidden)" if role == "student" else ""
    print(f"This copy of the course is set up for: {role}{hidden}.")
    return 0


def _hub(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .hub import DEFAULT_INSTRUCTOR, HubOptions, read_users, remove_accounts, run, student_names

    state = Path(args.state).resolve()
    if args.remove_accounts:
        removed = remove_accounts(state)
        print("Removed the accounts: " + (", ".join(removed) if removed else "none"))
        return 0
    instructor, students = args.instructor, student_names(args.students)
    if args.users:
        listed_instructor, students = read_users(Path(args.users))
        instructor = instructor or listed_instructor
    options = HubOptions(
        state=state,
        students=students,
        instructor=instructor or DEFAULT_INSTRUCTOR,
        ip=args.ip,
        port=args.port,
        exchange=Path(args.exchange),
        course=Path(args.course).resolve() if args.course else None,
        idle_timeout=args.idle_timeout,
    )
    return run(options, start=not args.prepare_only)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="malicourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "doctor", help="check the environment and explain any problem"
    ).set_defaults(run=_doctor)
    data = commands.add_parser("data", help="validate the data package, or record checksums")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_commands.add_parser("validate", help="check every table").set_defaults(run=_data_validate)
    data_commands.add_parser(
        "checksums", help="record file checksums after a deliberate edit"
    ).set_defaults(run=_data_checksums)
    commands.add_parser(
        "exercises", help="regenerate exercises/ from solutions/ (never edit exercises/ by hand)"
    ).set_defaults(run=_exercises)
    grade = commands.add_parser(
        "grade",
        help="autograde every submission of an assignment: parallel, isolated, resumable",
    )
    grade.add_argument("assignment", help="the exercise set, e.g. 01_intervention")
    grade.add_argument("--course", help="course folder (default: this course)")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers")
    grade.add_argument("--timeout", type=int, default=30, help="seconds per cell (default 30)")
    grade.add_argument(
        "--notebook-timeout", type=int, default=600, help="seconds per notebook (default 600)"
    )
    grade.add_argument("--memory-mb", type=int, default=1024, help="memory per submission")
    grade.add_argument("--db", help="gradebook URL (default: sqlite in the course folder)")
    grade.add_argument("--from-zip", help="an LMS bulk download to unpack into submitted/ first")
    grade.add_argument("--lms", choices=["canvas", "moodle"], default="canvas")
    grade.add_argument("--regrade", action="store_true", help="grade unchanged submissions again")
    grade.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback")
    grade.add_argument("--quiet", action="store_true", help="only the summary")
    grade.set_defaults(run=_grade)
    check = commands.add_parser(
        "check",
        help="grade your saved notebook with the hidden tests, as your instructor would",
        description="Grade your saved notebook of an exercise set with the same grader and "
        "hidden tests as your instructor, and show the points and hints per question (never "
        "the tests). Save the notebook first. By default it checks "
        "exercises/<set>/<set>.ipynb; to check a copy kept elsewhere, give --notebook PATH "
        "(its <set>.answers.json is read from the same folder).",
    )
    check.add_argument("assignment", help="the exercise set, e.g. 01_intervention")
    check.add_argument("--notebook", help="the notebook to check, if not the one in exercises/")
    check.set_defaults(run=_check)
    release = commands.add_parser(
        "release", help="build the student bundle (no solutions, no hidden tests, no gradebook)"
    )
    release.add_argument("--out", default="release", help="output folder (default: release/)")
    release.set_defaults(run=_release)
    commands.add_parser(
        "role", help="hide the instructor's tools when this copy is a student bundle"
    ).set_defaults(run=_role)
    hub = commands.add_parser(
        "hub", help="a classroom on this machine: JupyterHub, accounts, nbgrader exchange (root)"
    )
    hub.add_argument("--ip", default="127.0.0.1", help="address (default: loopback only)")
    hub.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    hub.add_argument("--students", type=int, default=3, help="N accounts mc-student-1..N")
    hub.add_argument("--users", help="file: one user name a line; 'name instructor' marks one")
    hub.add_argument("--instructor", help="the instructor's user name (default mc-instructor)")
    hub.add_argument("--state", default=".hub", help="state folder (default .hub/)")
    hub.add_argument("--exchange", default="/srv/nbgrader/exchange", help="nbgrader exchange")
    hub.add_argument("--course", help="the instructor's course folder (default ~/course)")
    hub.add_argument("--idle-timeout", type=int, default=3600, help="seconds before culling")
    hub.add_argument("--prepare-only", action="store_true", help="set up, do not start")
    hub.add_argument("--remove-accounts", action="store_true", help="delete the accounts made")
    hub.set_defaults(run=_hub)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
