"""What grading leaves behind for the instructor: the grade table, LMS import files, item analysis.

LMS formats follow the vendors' documented import columns:

- Canvas (Grades > Import): ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column
  per assignment, with a ``Points Possible`` row, as in Canvas's own gradebook export. ``ID`` is
  the Canvas user id, which Canvas's bulk download puts in each file name (``--from-zip``).
- Moodle (Grade administration > Import > CSV file): one row per student with an identifier
  column the instructor maps on import (``ID number`` or ``Email address``) and the grade.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..figures import OKABE_ITO
from .sanitize import spreadsheet_safe


@dataclass
class StudentRow:
    student: str
    status: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    autograded: set[str]
    needs_review: int
    notes: str

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 2)

    @property
    def max_score(self) -> float:
        return round(sum(self.max_scores.values()), 2)


def write_all(rows: list[StudentRow], assignment: str, out: Path, names: dict) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    questions = sorted({q for row in rows for q in row.max_scores})
    written = [
        _grades(rows, questions, out / f"{assignment}.csv"),
        _canvas(rows, assignment, out / f"{assignment}-canvas.csv", names),
        _moodle(rows, assignment, out / f"{assignment}-moodle.csv", names),
    ]
    written += item_analysis(rows, assignment, out)
    return written


def _grades(rows, questions, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = _SafeWriter(handle)
        out.writerow(
            ["student", *questions, "total", "max_score", "needs_review", "status", "notes"]
        )
        for row in rows:
            cells = [_number(row.scores[q]) if q in row.scores else "" for q in questions]
            out.writerow(
                [row.student, *cells, _number(row.total), _number(row.max_score), row.needs_review,
                 row.status, row.notes]
            )  # fmt: skip
    return path


def _canvas(rows, assignment, path: Path, names: dict) -> Path:
    possible = max((row.max_score for row in rows), default=0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = _SafeWriter(handle)
        out.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
        out.writerow(["    Points Possible", "", "", "", "", _number(possible)])
        for row in rows:
            name = names.get(row.student, {}).get("name") or row.student
            out.writerow([name, row.student, "", "", "", _number(row.total)])
    return path


def _moodle(rows, assignment, path: Path, names: dict) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = _SafeWriter(handle)
        out.writerow(["ID number", "Email address", assignment])
        for row in rows:
            email = names.get(row.student, {}).get("email") or ""
            out.writerow([row.student, email, _number(row.total)])
    return path


def item_analysis(rows: list[StudentRow], assignment: str, out: Path) -> list[Path]:
    """Per question: mean score, share of full marks, and a histogram of the scores."""
    graded = [row for row in rows if row.status != "failed"]
    questions = sorted({q for row in graded for q in row.max_scores})
    table = out / f"{assignment}-items.csv"
    figures = out / f"{assignment}-items"
    figures.mkdir(exist_ok=True)
    written = [table]
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = _SafeWriter(handle)
        writer.writerow(
            ["question", "graded_by", "max_score", "students", "mean", "share_full_marks", "figure"]
        )
        for question in questions:
            answered = [row for row in graded if question in row.max_scores]
            scores = [row.scores.get(question, 0.0) for row in answered]
            top = max(row.max_scores[question] for row in answered)
            by = "autograder" if any(question in row.autograded for row in answered) else "hand"
            figure = _histogram(question, scores, top, figures / f"{question}.png")
            written.append(figure)
            writer.writerow(
                [question, by, _number(top), len(scores), f"{sum(scores) / len(scores):.2f}",
                 f"{sum(score >= top for score in scores) / len(scores):.2f}",
                 figure.relative_to(out).as_posix()]
            )  # fmt: skip
    return written


def _histogram(question: str, scores: list[float], top: float, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(4, 2.6), layout="constrained")
    values = sorted(set(scores) | {0.0, top})
    counts = [sum(score == value for score in scores) for value in values]
    axes.bar([_number(v) for v in values], counts, color=OKABE_ITO[0])
    axes.set(
        title=f"{question}: scores of {len(scores)} students",
        xlabel=f"points (of {_number(top)})",
        ylabel="students",
    )
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _number(value: float) -> str:
    return f"{value:g}"


class _SafeWriter:
    """A csv writer that escapes every formula-like text: ids and notes come from students."""

    def __init__(self, handle):
        self.writer = csv.writer(handle)

    def writerow(self, row) -> None:
        self.writer.writerow([spreadsheet_safe(cell) for cell in row])
