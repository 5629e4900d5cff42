"""`malicourse doctor` and notebook 00 share these checks: healthy here, clear when broken."""

import json
import os
import subprocess
import sys
from importlib import metadata

from malicourse.doctor import (
    check_course_files,
    check_lab_extensions,
    check_packages,
    check_python,
    report,
)


def test_doctor_reports_a_healthy_environment(root):
    result = subprocess.run(
        [sys.executable, "-m", "malicourse.cli", "doctor"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Your environment is ready for the course." in result.stdout


def test_missing_package_is_named_with_a_fix():
    def installed(name):
        raise metadata.PackageNotFoundError(name)

    [finding] = check_packages({"pandas": "3.1.1"}, installed)
    assert not finding.ok
    assert "pandas is not installed" in finding.what
    assert "make setup" in finding.fix


def test_wrong_version_is_named():
    [finding] = check_packages({"pandas": "3.1.1"}, lambda name: "2.2.0")
    assert not finding.ok
    assert "pandas 2.2.0 is installed" in finding.what and "3.1.1" in finding.what


def test_old_python_is_refused():
    assert not check_python((3, 9))[0].ok
    assert check_python((3, 11))[0].ok


def test_missing_and_disabled_lab_extensions_are_explained(tmp_path):
    data, config = tmp_path / "share", tmp_path / "etc"
    widgets = data / "@jupyter-widgets" / "jupyterlab-manager"
    widgets.mkdir(parents=True)
    (widgets / "package.json").write_text("{}")
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyter-widgets/jupyterlab-manager": True}})
    )
    findings = {f.what.split()[2]: f for f in check_lab_extensions([data], [config])}
    assert "disabled" in findings["@jupyter-widgets/jupyterlab-manager"].what
    assert "sliders" in findings["@jupyter-widgets/jupyterlab-manager"].what
    assert "missing" in findings["@jupyter/nbgrader"].what


def test_wrong_folder_is_explained(tmp_path):
    [finding] = check_course_files(tmp_path)
    assert not finding.ok and "MALICOURSE_ROOT" in finding.fix


def test_report_counts_problems():
    text = report(check_packages({"pandas": "0.0.1"}))
    assert "1 problem(s) found" in text and "fix:" in text


def test_doctor_exit_code_is_nonzero_when_a_package_is_missing(root, tmp_path):
    # A real run, not a fake: hide pandas from a child interpreter and ask the doctor.
    hide = tmp_path / "sitecustomize.py"
    hide.write_text(
        "import importlib.metadata as m\n"
        "_real = m.version\n"
        "def version(name):\n"
        "    if name == 'pandas':\n"
        "        raise m.PackageNotFoundError(name)\n"
        "    return _real(name)\n"
        "m.version = version\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from malicourse.cli import main; sys.exit(main(['doctor']))",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "pandas is not installed" in result.stdout


def test_widget_check_answers_when_driven():
    from malicourse.doctor import widget_check

    box = widget_check()
    slider, reply = box.children
    assert "Move the slider" in reply.value
    slider.value = 7
    assert reply.value == "Widgets work: the kernel received 7."
