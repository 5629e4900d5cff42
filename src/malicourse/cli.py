"""The ``malicourse`` command: one subcommand per job, each a thin call into the package."""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
