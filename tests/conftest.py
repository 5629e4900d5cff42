import csv
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture
def root() -> Path:
    return ROOT


# --- a copy of the data package to break, one edit at a time ----------------------------


@pytest.fixture
def broken(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


def edit(folder: Path, table: str, row_index: int, column: str, value: str) -> None:
    path = folder / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[row_index][column] = value
    write(path, rows, list(rows[0]))


def write(path: Path, rows: list[dict], columns: list[str]) -> None:
    from malicourse import data

    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    data.write_manifest_checksums(path.parent)  # isolate each error from the checksum check


def broken_message(folder: Path) -> str:
    from malicourse.data import DataError, validate

    with pytest.raises(DataError) as failure:
        validate(folder)
    return str(failure.value)
