"""The single writer: the only code that changes the instructor's gradebook.

Grades are recorded by nbgrader itself (``SaveAutoGrades``, ``AssignLatePenalties``) from the
notebooks the workers executed, so a grade means exactly what it means in nbgrader. On top of
that the writer keeps a promise nbgrader does not make: a regrade of an unchanged submission
leaves the instructor's review state as it was.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

# nbgrader's own session handling warns on every new submission; the warnings are harmless.
warnings.filterwarnings("ignore", category=SAWarning)


@dataclass
class Score:
    notebook: str
    question: str
    score: float
    max_score: float
    autograded: bool
    needs_manual_grade: bool


@dataclass
class Recorded:
    scores: list[Score] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(score.score for score in self.scores)

    @property
    def max_score(self) -> float:
        return sum(score.max_score for score in self.scores)


def course_config(course: Path, root: Path | None = None, db_url: str | None = None, **folders):
    """The course's own nbgrader configuration, pointed at ``root`` and other folders."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(root or course)
    if db_url:
        config.CourseDirectory.db_url = db_url
    for name, folder in folders.items():
        config.CourseDirectory[name] = str(folder)
    return config


def nbgrader_api(config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


class Writer:
    def __init__(self, course: Path, assignment: str, db_url: str, staged: Path):
        from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

        from .sanitize import SanitizeStudentHTML

        self.course, self.assignment, self.db_url = course, assignment, db_url
        config = course_config(course, db_url=db_url, submitted_directory=staged)
        # The notebooks were sanitized and executed by a worker; only the recording is left.
        config.Autograde.sanitize_preprocessors = []
        config.Autograde.autograde_preprocessors = [
            SaveAutoGrades,
            AssignLatePenalties,
            CheckCellMetadata,
            SanitizeStudentHTML,  # after the grades: nbgrader compares answers with the stubs
        ]
        self.api = nbgrader_api(config)
        self.coursedir = self.api.coursedir
        self.course_id = self.coursedir.course_id

    def gradebook(self) -> Gradebook:
        return Gradebook(self.db_url, self.course_id)

    def ensure_assignment(self) -> None:
        """Teach the gradebook the assignment, as generate_assignment would, if it is new.

        The release goes to a throwaway folder: grading never rewrites ``exercises/``.
        """
        with self.gradebook() as gb:
            try:
                gb.find_assignment(self.assignment)
                return
            except MissingEntry:
                pass
        with tempfile.TemporaryDirectory() as release:
            self.coursedir.release_directory = release
            outcome = self.api.generate_assignment(self.assignment, force=True, create=True)
        if not outcome["success"]:
            raise RuntimeError(f"nbgrader could not read the assignment: {outcome.get('error')}")

    def students_graded(self) -> set[str]:
        with self.gradebook() as gb:
            return {s.student.id for s in gb.find_assignment(self.assignment).submissions}

    def record(self, student: str, staged: Path | None, unchanged: bool):
        """Record one student's grades; ``staged`` is None when nothing could be executed."""
        before = self._review_state(student)
        if staged is None:
            self._zero(student)
        else:
            outcome = self.api.autograde(self.assignment, student, force=True, create=True)
            if not outcome["success"]:
                raise RuntimeError(outcome.get("error") or outcome.get("log", "")[-500:])
        with self.gradebook() as gb:
            submission = gb.find_submission(self.assignment, student)
            recorded = Recorded()
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (notebook.name, grade.name)
                    if unchanged and key in before and grade.manual_score is not None:
                        grade.needs_manual_grade = before[key]
            gb.db.commit()
            recorded.scores = self._scores(submission)
        return recorded

    def scores(self, student: str) -> list[Score]:
        with self.gradebook() as gb:
            return self._scores(gb.find_submission(self.assignment, student))

    def _scores(self, submission) -> list[Score]:
        scores = []
        for notebook in submission.notebooks:
            # A graded cell that is also a solution cell is an answer marked by hand; the
            # others are tests, scored by the autograder.
            answers = {cell.name for cell in notebook.notebook.solution_cells}
            for grade in sorted(notebook.grades, key=lambda g: g.name):
                scores.append(
                    Score(
                        notebook.name,
                        grade.name,
                        float(grade.score or 0),
                        float(grade.max_score or 0),
                        grade.name not in answers,
                        bool(grade.needs_manual_grade),
                    )
                )
        return scores

    def _review_state(self, student: str) -> dict:
        with self.gradebook() as gb:
            try:
                submission = gb.find_submission(self.assignment, student)
            except MissingEntry:
                return {}
            return {
                (notebook.name, grade.name): grade.needs_manual_grade
                for notebook in submission.notebooks
                for grade in notebook.grades
            }

    def _zero(self, student: str) -> None:
        # What nbgrader does for a missing notebook: every question scores zero.
        with self.gradebook() as gb:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(self.assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gb.db.commit()
