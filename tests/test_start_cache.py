"""Validation is remembered per content: same bytes, no second validation; any change, a new one."""

import csv
import shutil

import pytest

from malicourse import data
from malicourse.data import DataError, load


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A copy of the course data and an empty cache folder named explicitly (as a user could)."""
    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(data, "_CACHE", {})  # as in a fresh kernel
    return copy


@pytest.fixture
def validations(monkeypatch):
    """Counts full validations (frictionless runs), still running them."""
    calls = []
    real = data._check_with_frictionless

    def counting(folder):
        calls.append(folder)
        real(folder)

    monkeypatch.setattr(data, "_check_with_frictionless", counting)
    return calls


def fresh_kernel(monkeypatch):
    monkeypatch.setattr(data, "_CACHE", {})


def break_a_date(folder):
    path = folder / "events.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[4]["date"] = "2013-02-30"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data.write_manifest_checksums(folder)  # isolate the date error from the checksum check


def test_same_content_is_validated_once(folder, validations, monkeypatch):
    first = load("costs", folder)
    assert len(validations) == 1
    assert (data.cache_dir() / data.CACHE_FILE).is_file()
    fresh_kernel(monkeypatch)
    again = load("costs", folder)
    assert len(validations) == 1  # remembered: no second validation
    assert again.equals(first)


def test_a_changed_file_is_validated_again_with_the_same_clear_error(
    folder, validations, monkeypatch
):
    load("events", folder)
    break_a_date(folder)
    fresh_kernel(monkeypatch)
    with pytest.raises(DataError) as failure:
        load("events", folder)
    assert len(validations) == 2
    assert (
        "events.csv, row 6, column date: expected a date like 2013-01-11, found '2013-02-30'"
        in str(failure.value)
    )


def test_a_change_in_the_same_kernel_is_validated_again(folder, validations):
    load("events", folder)
    break_a_date(folder)
    with pytest.raises(DataError, match=r"events.csv, row 6, column date"):
        load("events", folder)


def test_a_bad_content_is_never_remembered(folder, validations, monkeypatch):
    break_a_date(folder)
    for _ in range(2):
        fresh_kernel(monkeypatch)
        with pytest.raises(DataError, match=r"row 6, column date"):
            load("events", folder)
    assert len(validations) == 2


def test_validate_always_validates(folder, validations):
    load("events", folder)
    data.validate(folder)
    data.validate(folder)
    assert len(validations) == 3


def test_an_unwritable_cache_folder_just_means_validating_again(
    folder, validations, monkeypatch, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(data.CACHE_ENV, str(blocker / "cache"))  # cannot be created, even as root
    for _ in range(2):
        fresh_kernel(monkeypatch)
        assert len(load("events", folder)) > 0
    assert len(validations) == 2


def test_a_garbled_cache_file_just_means_validating_again(folder, validations, monkeypatch):
    cache = data.cache_dir()
    cache.mkdir(parents=True)
    (cache / data.CACHE_FILE).write_text("{not json")
    load("events", folder)
    fresh_kernel(monkeypatch)
    load("events", folder)
    assert len(validations) == 1  # the garbled file was replaced by a good one


def test_the_test_suite_validates_unless_a_cache_folder_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv(data.CACHE_ENV, raising=False)
    assert data.cache_dir() is None  # under pytest: validate every time
    monkeypatch.setenv(data.CACHE_ENV, "off")
    assert data.cache_dir() is None
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    assert data.cache_dir() == tmp_path


def test_importing_the_data_module_does_not_import_frictionless():
    import subprocess
    import sys

    code = "import sys, malicourse.data, malicourse.lesson; print('frictionless' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_start_gives_tables_and_plain_printed_values():
    import numpy as np

    from malicourse.lesson import start

    saved = np.get_printoptions()
    try:
        data = start()
        assert len(data.costs) > 0
        assert repr(data).startswith("The course tables:") and "data.costs" in repr(data)
        assert repr(np.float64(13.73)) == "13.73"  # not np.float64(13.73)
        assert str([np.int64(2015)]) == "[2015]"
    finally:
        np.set_printoptions(**saved)
