"""Answers given through widgets, saved to a file beside the notebook.

Widget state is not saved with a notebook and is reset when a notebook is run again, so an
answer given with a widget is written to ``<name>.answers.json`` the moment it is submitted.
Re-running cells reads it back; it is never overwritten except by a new submission.
In ``solutions/<set>/`` the instructor's answer key (``answer_key.json``, never released and
never copied from a submission) stands in for a missing answers file, so that an instructor's
Run All of a solution notebook passes every check.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ANSWER_KEY = "answer_key.json"


class AnswerBook:
    def __init__(self, name: str, folder: Path | str = "."):
        self.path = Path(folder) / f"{name}.answers.json"

    def all(self) -> dict[str, dict]:
        key = self.path.with_name(ANSWER_KEY)
        path = key if not self.path.exists() and key.is_file() else self.path
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            # A damaged file must not cost the student their other answers silently.
            message = f"{self.path} is damaged; ask your instructor before answering again"
            raise ValueError(message) from None

    def get(self, question: str, default=None):
        return self.all().get(question, {}).get("answer", default)

    def save(self, question: str, answer) -> None:
        answers = self.all()
        answers[question] = {
            "answer": answer,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        text = json.dumps(answers, indent=2, ensure_ascii=False, default=str)
        # Write beside the target and rename: a crash never leaves half a file.
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=".answers-", suffix=".tmp"
        )
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; graders and hub exchanges must read it
        os.replace(temporary, self.path)
