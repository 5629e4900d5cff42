"""LMS bulk downloads into nbgrader's ``submitted/<student>/<assignment>/``, strictly.

Every name in the archive is a string a student chose, so the archive is read, never extracted:
a member is taken only if its name matches the LMS's pattern with a numeric user id and names
a file of the released assignment (a notebook or its ``.answers.json``); nested archives, other
files, oversized or over-compressed members and repeats are left out and reported per student,
and nothing stops the rest of the class from being collected.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PATTERNS = {
    # Canvas bulk download: <name>_[late_]<user id>_<submission id>_<file>[-<n>].<ext>
    "canvas": (
        r"(?:.*/)?[^/_]+_(?:late_)?(?P<student_id>\d+)_\d+_"
        r"(?P<stem>[^/]+?)(?:-\d+)?(?P<ext>\.ipynb|\.json)$"
    ),
    # Moodle "Download all submissions": <Full Name>_<participant id>_assignsubmission_file_/<file>
    "moodle": (
        r"(?:.*/)?[^/]+_(?P<student_id>\d+)_assignsubmission_file_?/"
        r"(?P<stem>[^/]+?)(?P<ext>\.ipynb|\.json)$"
    ),
}
# Who a member belongs to, even when it is not a file the assignment accepts.
OWNERS = {
    "canvas": r"(?:.*/)?[^/_]+_(?:late_)?(?P<student_id>\d+)_\d+_",
    "moodle": r"(?:.*/)?[^/]+_(?P<student_id>\d+)_assignsubmission_",
}
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
MAX_MEMBER_BYTES = 50 << 20
MAX_RATIO = 200  # uncompressed / compressed: more than this is a zip bomb, not a notebook


@dataclass
class Collected:
    students: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def collect(
    archive: Path, course: Path, assignment: str, lms: str, released: set[str]
) -> Collected:
    """Copy the archive's submissions of ``assignment`` into ``course/submitted``."""
    pattern, owner = re.compile(PATTERNS[lms]), re.compile(OWNERS[lms])
    result = Collected()
    chosen: dict[tuple[str, str], zipfile.ZipInfo] = {}
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            if member.is_dir():
                continue
            name = member.filename
            found = pattern.fullmatch(name)
            claimed = owner.match(name)
            student = claimed["student_id"] if claimed else "(unknown)"
            if PurePosixPath(name).suffix.lower() in ARCHIVES:
                result.problems[student].append(
                    f"{_shown(name)}: an archive inside the archive, left out"
                )
                continue
            file = found and found["stem"] + found["ext"]
            if not found or file not in released:
                result.problems[student].append(
                    f"{_shown(name)}: not a file of {assignment}, left out"
                )
                continue
            if member.file_size > MAX_MEMBER_BYTES or member.file_size > MAX_RATIO * max(
                member.compress_size, 1
            ):
                result.problems[student].append(f"{_shown(name)}: too large, left out")
                continue
            key = (student, file)
            if key in chosen:
                kept = max(chosen[key], member, key=lambda m: (m.date_time, m.filename))
                result.problems[student].append(f"{file} submitted more than once: kept the latest")
                chosen[key] = kept
            else:
                chosen[key] = member
        for (student, file), member in sorted(chosen.items()):
            target = course / "submitted" / student / assignment / file
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as source:
                data = source.read(MAX_MEMBER_BYTES + 1)
            if len(data) > MAX_MEMBER_BYTES:
                result.problems[student].append(f"{file}: too large, left out")
                continue
            target.write_bytes(data)
    result.students = sorted({student for student, _ in chosen})
    return result


def _shown(name: str) -> str:
    """A member name as it may be printed: bounded and printable."""
    return "".join(c if c.isprintable() else "?" for c in name)[:120]
