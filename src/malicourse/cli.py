"""The ``malicourse`` command: one subcommand per job, each a thin call into the package."""

from __future__ import annotations

import argparse
import sys


def _doctor(_: argparse.Namespace) -> int:
    from .doctor import report, run_checks

    findings = run_checks()
    print(report(findings))
    return 0 if all(f.ok for f in findings) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="malicourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "doctor", help="check the environment and explain any problem"
    ).set_defaults(run=_doctor)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
