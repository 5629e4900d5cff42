"""The pinned environment: one list of pins, mirrored in environment.yml, actually installed."""

import re
import subprocess
import sys

from conftest import ROOT

from malicourse.doctor import check_packages, required_versions

PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def pins(path):
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        if match := PIN.match(line):
            found[match[1].lower()] = match[2]
    return found


def test_environment_yml_mirrors_requirements():
    assert pins("environment.yml") == pins("requirements.txt")


def test_every_requirement_is_pinned_exactly():
    for path in ("requirements.txt", "requirements-test.txt"):
        for line in (ROOT / path).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert PIN.match(line), f"{path}: '{line}' is not pinned with =="


def test_installed_package_metadata_carries_the_pins():
    assert {k.lower(): v for k, v in required_versions().items()} == pins("requirements.txt")


def test_installed_versions_match_the_pins():
    problems = [f for f in check_packages(required_versions()) if not f.ok]
    assert not problems, "\n".join(map(str, problems))


def test_labextensions_enabled_and_ok():
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    for extension in ("@jupyter-widgets/jupyterlab-manager", "@jupyter/nbgrader"):
        assert re.search(rf"{re.escape(extension)} v\S+ enabled OK", text), text
