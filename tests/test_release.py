"""The student bundle: everything a student needs, nothing an instructor keeps."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def test_the_bundle_starts_as_a_student_gets_it(bundle, tmp_path):
    """Unzip the bundle into a fresh folder and run its own `make lab` in a fresh environment."""
    _, archive = bundle
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path)
    folder = tmp_path / "mali-course"
    port, token = free_port(), "bundle-test"
    log = (tmp_path / "lab.log").open("w")
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    lab = subprocess.Popen(
        ["make", "lab", "NO_BROWSER=1", f"PORT={port}",
         f"LAB_ARGS=--IdentityProvider.token={token}"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        status = wait_for(f"http://127.0.0.1:{port}/api/status?token={token}", lab, seconds=600)
        assert status == 200, (tmp_path / "lab.log").read_text()[-3000:]
        assert wait_for(f"http://127.0.0.1:{port}/formgrader?token={token}", lab, 30) == 404
        overrides = folder / ".venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
        news = json.loads(overrides.read_text())["@jupyterlab/apputils-extension:notification"]
        assert news["fetchNews"] == "false"  # no news pop-up on the first screen
        jupyter = folder / ".venv" / "bin" / "jupyter"
        listed = subprocess.run(
            [jupyter, "labextension", "list"], capture_output=True, text=True, env=env
        )
        disabled = (listed.stdout + listed.stderr).split("Disabled extensions:")[1]
        for plugin in INSTRUCTOR_LAB_PLUGINS:
            assert plugin in disabled, disabled
        servers = subprocess.run(
            [jupyter, "server", "extension", "list"], capture_output=True, text=True, env=env
        )
        plain = re.sub(r"\x1b\[[0-9;]*m", "", servers.stdout + servers.stderr)
        assert re.search(r"nbgrader.server_extensions.assignment_list enabled", plain), plain
        for extension in INSTRUCTOR_SERVER_EXTENSIONS:
            assert re.search(rf"{re.escape(extension)} disabled", plain), plain
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(30)


def test_a_bundle_is_built_from_the_committed_solutions(tmp_path):
    """An instructor's own answers in exercises/ never reach the bundle: the build refuses."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    notebook = clone / "exercises" / "01_intervention" / "01_intervention.ipynb"
    notebook.write_text(notebook.read_text().replace("raise NotImplementedError()", "x = 1"))
    subprocess.run(["git", "-C", str(clone), "commit", "-qam", "answers"], check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})  # fmt: skip
    with pytest.raises(RuntimeError, match=r"exercises/01_intervention/01_intervention\.ipynb"):
        build(tmp_path / "out", root=clone)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process, seconds: float) -> int:
    """The HTTP status of ``url`` once the server answers; fails if the process ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the bundle's `make lab` stopped"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(1)
    raise AssertionError(f"no answer from {url} in {seconds} s")
