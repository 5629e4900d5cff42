"""deploy/kubernetes/: what can be checked without a cluster.

The Helm values parse, use only keys of the Zero to JupyterHub values schema (the list we
checked against is vendored in tests/data/ with its source), give each role the same Jupyter
configuration as `malicourse hub`, and the single-user image is built from the student bundle,
whose environment is environment.yml. Nothing here installs the chart: that needs a cluster.
"""

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from traitlets.config.loader import PyFileConfigLoader

from malicourse.hub import course_id_of
from malicourse.release import INCLUDED, INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS

DEPLOY = ROOT / "deploy" / "kubernetes"
ALLOWED = ROOT / "tests" / "data" / "z2jh-values-keys.txt"
EXCHANGE = "/srv/nbgrader/exchange"


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def allowed_patterns() -> list[list[str]]:
    lines = ALLOWED.read_text().splitlines()
    return [line.split(".") for line in lines if line.strip() and not line.startswith("#")]


def matches(pattern: list[str], path: list[str]) -> bool:
    if pattern and pattern[-1] == "**":
        head = pattern[:-1]
        return len(path) >= len(head) and matches(head, path[: len(head)])
    return len(pattern) == len(path) and all(
        p in ("*", k) for p, k in zip(pattern, path, strict=True)
    )


def key_paths(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield [*path, str(key)]
            yield from key_paths(value, (*path, str(key)))


def test_every_key_is_in_the_chart_schema(values):
    patterns = allowed_patterns()
    unknown = [
        ".".join(path)
        for path in key_paths(values)
        if not any(matches(pattern, path) for pattern in patterns)
    ]
    assert not unknown, f"keys the z2jh values schema does not have (see {ALLOWED.name}): {unknown}"
    # hub.config passes through only class names (patternProperties '^[A-Z].*$').
    assert all(re.match(r"^[A-Z]", name) for name in values["hub"]["config"])


def test_extra_files_have_a_path_and_one_content(values):
    for name, spec in values["singleuser"]["extraFiles"].items():
        assert spec["mountPath"].startswith("/"), name
        assert len({"data", "stringData", "binaryData"} & set(spec)) == 1, name


def load_python_config(text: str, tmp_path: Path):
    (tmp_path / "nbgrader_config.py").write_text(text)
    return PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()


def test_roles_get_what_malicourse_hub_gives_them(values, tmp_path):
    files = {spec["mountPath"]: spec for spec in values["singleuser"]["extraFiles"].values()}
    base = "/etc/malicourse"
    student = load_python_config(
        files[f"{base}/student/nbgrader_config.py"]["stringData"], tmp_path
    )
    assert student.CourseDirectory.course_id == course_id_of(ROOT)
    assert student.Exchange.root == EXCHANGE
    lab = files[f"{base}/student/labconfig/page_config.json"]["data"]
    assert lab["disabledExtensions"] == dict.fromkeys(INSTRUCTOR_LAB_PLUGINS, True)
    server = files[f"{base}/student/jupyter_server_config.d/zz-malicourse-student.json"]["data"]
    switches = server["ServerApp"]["jpserver_extensions"]
    assert switches == dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)
    instructor = files[f"{base}/instructor/nbgrader_config.py"]["stringData"]
    assert "load_subconfig('nbgrader_config.py', path='/home/jovyan/course')" in instructor
    instructor = load_python_config(instructor, tmp_path)
    assert instructor.CourseDirectory.course_id == course_id_of(ROOT)
    assert instructor.Exchange.root == EXCHANGE
    assert instructor.CourseDirectory.root == "/home/jovyan/course"
    # The hook hands each role its folder.
    hook = values["hub"]["extraConfig"]["malicourse-roles.py"]
    assert 'f"/etc/malicourse/{role}"' in hook and "JUPYTER_CONFIG_PATH" in hook
    assert values["custom"]["instructors"]


def test_the_exchange_is_one_shared_volume(values):
    storage = values["singleuser"]["storage"]
    [mount] = storage["extraVolumeMounts"]
    [volume] = storage["extraVolumes"]
    assert mount == {"name": volume["name"], "mountPath": EXCHANGE}
    claim = yaml.safe_load((DEPLOY / "exchange-pvc.yaml").read_text())
    assert claim["kind"] == "PersistentVolumeClaim"
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_each_student_is_limited_and_idle_servers_stop(values):
    single = values["singleuser"]
    assert single["cpu"]["limit"] and single["memory"]["limit"]
    assert single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    assert values["cull"] == {"enabled": True, "timeout": 3600, "every": 600}


def test_the_image_environment_is_environment_yml():
    """The guide builds the image with repo2docker from the student bundle.

    The bundle carries environment.yml (byte for byte: release.build copies it) and no file
    that repo2docker would prefer to it (a Dockerfile, a binder/ folder, ...), so the image's
    environment is environment.yml. JupyterHub is in it, as the chart's images need.
    """
    guide = (DEPLOY / "README.md").read_text()
    assert "malicourse release --out release/" in guide
    assert re.search(r"repo2docker [^`]*release/mali-course", guide)
    assert {"environment.yml", "requirements.txt", "src", "pyproject.toml"} <= set(INCLUDED)
    preferred = {
        "Dockerfile", "binder", ".binder", "postBuild", "start", "runtime.txt", "apt.txt",
        "Pipfile", "Pipfile.lock", "setup.py", "install.R", "Project.toml", "default.nix",
    }  # fmt: skip
    assert not preferred & set(INCLUDED)
    assert re.search(r"^\s*- jupyterhub==", (ROOT / "environment.yml").read_text(), re.M)
