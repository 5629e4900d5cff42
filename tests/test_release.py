"""The student bundle: everything a student needs, nothing an instructor keeps."""

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from malicourse.release import (
    INSTRUCTOR_LAB_PLUGINS,
    INSTRUCTOR_SERVER_EXTENSIONS,
    ROLE_FILE,
    apply_role,
    build,
    leaks,
)

pytestmark = pytest.mark.xdist_group("release")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build(tmp_path_factory.mktemp("release"), root=ROOT)


def test_bundle_has_what_students_need(bundle):
    folder, archive = bundle
    for needed in ("notebooks/00_start_here.ipynb", "data/datapackage.json", "Makefile",
                   "exercises/01_intervention/01_intervention.ipynb", "src/malicourse/widgets.py",
                   "requirements.txt", "environment.yml", "README.md", ROLE_FILE):  # fmt: skip
        assert (folder / needed).is_file(), needed
    assert (folder / ROLE_FILE).read_text().strip() == "student"
    with zipfile.ZipFile(archive) as zipped:
        names = {name.split("/", 1)[1] for name in zipped.namelist() if "/" in name}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk <= names


def test_bundle_leaks_nothing(bundle):
    folder, _ = bundle
    assert leaks(folder) == []
    for absent in (
        "solutions",
        "instructor",
        "tests",
        "nbgrader_config.py",
        "src/malicourse/grading",
    ):
        assert not (folder / absent).exists(), absent
    assert not list(folder.rglob("answer_key.json"))


def test_a_leak_stops_the_build(tmp_path):
    root = tmp_path / "course"
    for name in ("notebooks", "data", "exercises", "src", "Makefile", "README.md"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    solution = next((ROOT / "solutions" / "02_costs").glob("*.ipynb"))
    shutil.copy(solution, root / "exercises" / "02_costs" / "02_costs.ipynb")
    with pytest.raises(RuntimeError, match=r"exercises/02_costs/02_costs\.ipynb"):
        build(tmp_path / "out", root=root)


def test_student_role_hides_the_instructor_tools(bundle, tmp_path, monkeypatch):
    folder, _ = bundle
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    assert apply_role(ROOT, level="user") == "instructor"  # the repository keeps every tool
    assert apply_role(folder, level="user") == "student"
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, env={**os.environ},
    )  # fmt: skip
    output = listed.stdout + listed.stderr
    for plugin in INSTRUCTOR_LAB_PLUGINS:
        assert plugin in output.split("Disabled extensions:")[1], output
    servers = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", servers.stdout + servers.stderr)
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:
        assert re.search(rf"{re.escape(extension)} disabled", plain), plain
    assert re.search(r"nbgrader.server_extensions.assignment_list enabled", plain)
