"""Execute every notebook and compare its wall time with a bare kernel measured in the same run.

The floor is a notebook that only imports pandas, matplotlib and ipywidgets: what any lesson pays
before its first line of content. Ratios, not seconds, are what compare across noisy machines.
Lessons run where they are. A solution runs as the tests run it: as the instructor's reference
submission, a scratch copy with the widget answer key where a student's saved answers would be
(run in place, its checks stop at the first widget answer nobody has given).

    python bench/notebooks.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from malicourse.exercises import reference_submission
from malicourse.notebooks import execute

ROOT = Path(__file__).resolve().parents[1]
FLOOR_CODE = "import pandas, matplotlib.pyplot, ipywidgets"


def median_seconds(path: Path, repeat: int) -> float:
    return statistics.median(execute(path).seconds for _ in range(repeat))


def runnable(path: Path, scratch: Path) -> Path:
    """What to execute for ``path``: a lesson itself, a solution as a reference submission."""
    if path.parent.parent.name != "solutions":
        return path
    copy = reference_submission(path.parent.name, scratch / path.parent.name, root=ROOT)
    return copy / path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (median)")
    args = parser.parse_args()

    notebooks = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")])
    names = [str(p.relative_to(ROOT)) for p in notebooks]
    width = max(map(len, names))
    with tempfile.TemporaryDirectory() as scratch:
        floor_path = Path(scratch) / "floor.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(FLOOR_CODE)]), floor_path)
        floor = median_seconds(floor_path, args.repeat)
        print(f"median of {args.repeat} runs; floor: a kernel that imports {FLOOR_CODE[7:]}")
        print(f"{'notebook':<{width}}  {'wall s':>7}  {'floor s':>7}  {'ratio':>6}")
        for name, path in [("(floor)", None), *zip(names, notebooks, strict=True)]:
            seconds = (
                floor
                if path is None
                else median_seconds(runnable(path, Path(scratch)), args.repeat)
            )
            print(f"{name:<{width}}  {seconds:7.2f}  {floor:7.2f}  {seconds / floor:6.2f}")


if __name__ == "__main__":
    main()
