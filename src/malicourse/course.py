"""Where the course lives on disk, and the map of what to read and do in which order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_MARKER = Path("data") / "datapackage.json"


def course_root() -> Path:
    """The folder that holds ``notebooks/`` and ``data/``.

    ``MALICOURSE_ROOT`` wins; otherwise the nearest folder above the working directory
    that has the course's data package; otherwise the checkout this package was installed from.
    """
    if override := os.environ.get("MALICOURSE_ROOT"):
        return Path(override).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / _MARKER).is_file() or (folder / "notebooks" / "00_start_here.ipynb").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Unit:
    """One step of the course: a lesson and the exercise set that follows it."""

    number: str
    slug: str
    title: str
    lesson_minutes: int
    exercise_minutes: int

    @property
    def name(self) -> str:
        return f"{self.number}_{self.slug}"

    @property
    def lesson(self) -> Path:
        return Path("notebooks") / f"{self.name}.ipynb"

    @property
    def exercise_set(self) -> Path:
        return Path("exercises") / self.name


START_HERE = Path("notebooks") / "00_start_here.ipynb"

UNITS: tuple[Unit, ...] = (
    Unit("01", "intervention", "The intervention architecture, 2012-2022", 60, 60),
    Unit("02", "costs", "What intervention cost", 75, 70),
    Unit("03", "coups", "The coup chronology", 60, 70),
    Unit("04", "realignment", "Withdrawal and realignment, 2020-2025", 60, 70),
    Unit("05", "accountability", "The accountability argument", 75, 90),
    Unit("06", "human_cost", "The human cost", 75, 70),
)


def course_map(root: Path | None = None) -> list[dict[str, str]]:
    """The course map as rows, saying which parts are available in this copy of the course."""
    root = root or course_root()

    def status(path: Path) -> str:
        return "ready" if (root / path).exists() else "coming soon"

    rows = [
        {
            "step": "00",
            "what": "Start here: how the course works, environment check",
            "where": str(START_HERE),
            "minutes": "15",
            "status": status(START_HERE),
        }
    ]
    for unit in UNITS:
        rows.append(
            {
                "step": unit.number,
                "what": f"Lesson: {unit.title}",
                "where": str(unit.lesson),
                "minutes": str(unit.lesson_minutes),
                "status": status(unit.lesson),
            }
        )
        rows.append(
            {
                "step": unit.number,
                "what": f"Exercise set: {unit.title}",
                "where": str(unit.exercise_set) + "/",
                "minutes": str(unit.exercise_minutes),
                "status": status(unit.exercise_set),
            }
        )
    return rows
